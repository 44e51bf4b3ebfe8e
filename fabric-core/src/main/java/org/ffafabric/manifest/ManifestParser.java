package org.ffafabric.manifest;

import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.PartitionProperties;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Reads a manifest from YAML (SnakeYAML Engine, YAML 1.2):
 * <pre>
 * partitions:
 *   - name: crypto-sp
 *     id: 0x8001
 *     world: sp-el1                 # vm | sp-el1 | sp-el0 | hypervisor
 *     uuid: 6d3c6f43-...            # or a list of UUIDs (services)
 *     execution-contexts: 2
 *     ffa-version: "1.2"
 *     memory: 4M                    # bytes, or with K/M/G suffix; multiple of 4K
 *     messaging: [direct-req-recv, direct-req-send, direct-req2-recv, direct-req2-send, indirect]
 *     notifications: true
 *     vm-created-messages: false
 *     vm-destroyed-messages: false
 *     aarch64: true
 * </pre>
 * Unknown keys are refused so a typo never silently changes a partition.
 */
public final class ManifestParser
{
    private static final Set<String> KEYS = Set.of(
        "name", "id", "world", "uuid", "execution-contexts", "ffa-version", "memory", "messaging",
        "notifications", "vm-created-messages", "vm-destroyed-messages", "aarch64");

    private ManifestParser()
    {
    }

    public static Manifest parse(final Path file)
    {
        try
        {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        }
        catch (final NoSuchFileException ex)
        {
            throw new ManifestException("manifest " + file + ": no such file");
        }
        catch (final IOException ex)
        {
            throw new ManifestException("manifest " + file + ": cannot be read (" + ex + ")");
        }
    }

    /** The parser's problem in one line: its multi-line message quotes the text with a caret under it. */
    private static String describe(final YamlEngineException ex)
    {
        if (ex instanceof MarkedYamlEngineException marked && marked.getProblemMark().isPresent())
        {
            final Mark mark = marked.getProblemMark().get();
            return marked.getProblem() + " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
        }
        final String message = String.valueOf(ex.getMessage());
        final int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }

    public static Manifest parse(final String yaml)
    {
        final Object root;
        try
        {
            root = new Load(LoadSettings.builder().setAllowDuplicateKeys(false).build()).loadFromString(yaml);
        }
        catch (final YamlEngineException ex)
        {
            throw new ManifestException("manifest: not valid YAML: " + describe(ex));
        }
        if (!(root instanceof Map))
        {
            throw new ManifestException("manifest: expected a mapping with a 'partitions' list");
        }
        final Object list = ((Map<?, ?>)root).get("partitions");
        if (!(list instanceof List))
        {
            throw new ManifestException("manifest: field 'partitions' must be a list");
        }
        final Manifest.Builder manifest = Manifest.builder();
        int index = 0;
        for (final Object item : (List<?>)list)
        {
            if (!(item instanceof Map))
            {
                throw new ManifestException("manifest: partitions[" + index + "] must be a mapping");
            }
            manifest.partition(entry((Map<?, ?>)item, index));
            index++;
        }
        return manifest.build();
    }

    private static PartitionManifest entry(final Map<?, ?> map, final int index)
    {
        final Object nameValue = map.get("name");
        final String label = "partition '" + (nameValue != null ? nameValue : "partitions[" + index + "]") + "'";
        for (final Object key : map.keySet())
        {
            if (!KEYS.contains(String.valueOf(key)))
            {
                throw new ManifestException(label + ": unknown field '" + key + "'");
            }
        }
        final PartitionManifest.Builder b = PartitionManifest.builder();
        if (nameValue == null)
        {
            // The builder cannot know the entry's position; name it here.
            throw new ManifestException(label + ": field 'name' is missing");
        }
        b.name(String.valueOf(nameValue));
        if (map.containsKey("id"))
        {
            b.id(integer(label, "id", map.get("id")));
        }
        if (map.containsKey("world"))
        {
            final World world = World.fromManifestName(String.valueOf(map.get("world")));
            if (world == null)
            {
                throw new ManifestException(label + ": field 'world' must be vm, sp-el1, sp-el0 or hypervisor, was '" +
                    map.get("world") + "'");
            }
            b.world(world);
        }
        final Object uuid = map.get("uuid");
        if (uuid instanceof List)
        {
            for (final Object u : (List<?>)uuid)
            {
                b.uuid(uuid(label, u));
            }
        }
        else if (uuid != null)
        {
            b.uuid(uuid(label, uuid));
        }
        if (map.containsKey("execution-contexts"))
        {
            b.executionContexts(integer(label, "execution-contexts", map.get("execution-contexts")));
        }
        if (map.containsKey("ffa-version"))
        {
            final int version = FfaVersion.parse(String.valueOf(map.get("ffa-version")));
            if (version == FfaVersion.NOT_SUPPORTED)
            {
                throw new ManifestException(label + ": field 'ffa-version' must look like \"1.2\", was '" +
                    map.get("ffa-version") + "'");
            }
            b.ffaVersion(version);
        }
        if (map.containsKey("memory"))
        {
            b.memorySize(size(label, map.get("memory")));
        }
        int properties = 0;
        final Object messaging = map.get("messaging");
        if (messaging != null)
        {
            if (!(messaging instanceof List))
            {
                throw new ManifestException(label + ": field 'messaging' must be a list");
            }
            for (final Object method : (List<?>)messaging)
            {
                properties |= messagingMethod(label, String.valueOf(method));
            }
        }
        properties |= flag(label, map, "notifications", PartitionProperties.NOTIFICATION_RECV, false);
        properties |= flag(label, map, "vm-created-messages", PartitionProperties.VM_CREATED_MSG, false);
        properties |= flag(label, map, "vm-destroyed-messages", PartitionProperties.VM_DESTROYED_MSG, false);
        properties |= flag(label, map, "aarch64", PartitionProperties.AARCH64, true);
        b.properties(properties);
        return b.build();
    }

    private static int messagingMethod(final String label, final String method)
    {
        switch (method)
        {
            case "direct-req-recv": return PartitionProperties.DIRECT_REQ_RECV;
            case "direct-req-send": return PartitionProperties.DIRECT_REQ_SEND;
            case "direct-req2-recv": return PartitionProperties.DIRECT_REQ2_RECV;
            case "direct-req2-send": return PartitionProperties.DIRECT_REQ2_SEND;
            case "indirect": return PartitionProperties.INDIRECT_MSG;
            default:
                throw new ManifestException(label + ": field 'messaging' has unknown method '" + method +
                    "' (direct-req-recv, direct-req-send, direct-req2-recv, direct-req2-send, indirect)");
        }
    }

    private static int flag(
        final String label, final Map<?, ?> map, final String key, final int bit, final boolean defaultValue)
    {
        final Object value = map.get(key);
        if (value == null)
        {
            return defaultValue ? bit : 0;
        }
        if (!(value instanceof Boolean))
        {
            throw new ManifestException(label + ": field '" + key + "' must be true or false");
        }
        return (Boolean)value ? bit : 0;
    }

    private static UUID uuid(final String label, final Object value)
    {
        try
        {
            return UUID.fromString(String.valueOf(value));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ManifestException(label + ": field 'uuid' is not a UUID: '" + value + "'");
        }
    }

    private static int integer(final String label, final String field, final Object value)
    {
        if (value instanceof Integer || value instanceof Long)
        {
            final long v = ((Number)value).longValue();
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE)
            {
                return (int)v;
            }
        }
        if (value instanceof String)
        {
            try
            {
                return Integer.decode((String)value);
            }
            catch (final NumberFormatException ignore)
            {
                // Fall through to the message below.
            }
        }
        throw new ManifestException(label + ": field '" + field + "' must be an integer, was '" + value + "'");
    }

    private static long size(final String label, final Object value)
    {
        if (value instanceof Integer || value instanceof Long)
        {
            return ((Number)value).longValue();
        }
        final String text = String.valueOf(value).trim().toUpperCase(Locale.ROOT);
        long multiplier = 1;
        String digits = text;
        if (text.endsWith("K") || text.endsWith("M") || text.endsWith("G"))
        {
            multiplier = text.endsWith("K") ? 1024 : text.endsWith("M") ? 1024 * 1024 : 1024 * 1024 * 1024;
            digits = text.substring(0, text.length() - 1);
        }
        try
        {
            return Math.multiplyExact(Long.parseLong(digits), multiplier);
        }
        catch (final NumberFormatException | ArithmeticException ex)
        {
            throw new ManifestException(label + ": field 'memory' must be a size such as 4096, 64K or 4M, was '" +
                value + "'");
        }
    }
}
