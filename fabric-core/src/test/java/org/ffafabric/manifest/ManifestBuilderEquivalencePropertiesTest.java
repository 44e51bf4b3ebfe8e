package org.ffafabric.manifest;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.PartitionProperties;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The same manifest said in a file and through the builder, with values of the right types but not
 * always in range (names empty, too long or with spaces; IDs of another world, 0, negative or past 16
 * bits; UUIDs malformed, Nil, repeated or shared; counts, versions, sizes and properties the entry
 * cannot have; fields left out): both take it as the same manifest, or both refuse it naming the same
 * entry and field in the same words, the file's with where it is.
 */
class ManifestBuilderEquivalencePropertiesTest
{
    private static final String[] METHODS = {
        "direct-req-recv", "direct-req-send", "direct-req2-recv", "direct-req2-send", "indirect"};
    private static final int[] METHOD_BITS = {
        PartitionProperties.DIRECT_REQ_RECV, PartitionProperties.DIRECT_REQ_SEND, PartitionProperties.DIRECT_REQ2_RECV,
        PartitionProperties.DIRECT_REQ2_SEND, PartitionProperties.INDIRECT_MSG};
    private static final String[] FLAGS = {"notifications", "vm-created-messages", "vm-destroyed-messages", "aarch64"};
    private static final int[] FLAG_BITS = {
        PartitionProperties.NOTIFICATION_RECV, PartitionProperties.VM_CREATED_MSG, PartitionProperties.VM_DESTROYED_MSG,
        PartitionProperties.AARCH64};

    /** One entry; null is a field left out. */
    record Entry(
        String name, Integer id, World world, List<String> uuids, Integer executionContexts, String ffaVersion,
        Long memory, Properties properties)
    {
    }

    /** The messaging methods (bit i is METHODS[i]) and the flags, in FLAGS' order; null is left out. */
    record Properties(Integer messaging, List<Boolean> flags)
    {
    }

    private static <T> Arbitrary<T> sometimesLeftOut(final Arbitrary<T> values)
    {
        return values.injectNull(0.15);
    }

    @Provide
    Arbitrary<List<Entry>> manifests()
    {
        final Arbitrary<String> names = Arbitraries.of(
            "p0", "p1", "p2", "p3", "", "a b", "x".repeat(31), "x".repeat(32), "caf\u00e9", "?", "it's", "12");
        final Arbitrary<Integer> ids = Arbitraries.oneOf(
            Arbitraries.of(0, 1, 2, 0x7FFE, 0x7FFF, 0x8000, 0x8001, 0x8002, 0xFFBF, 0xFFC0, 0xFFFF, 0x10000, -1),
            Arbitraries.integers().between(0, 0xFFFF));
        final Arbitrary<String> uuid = Arbitraries.of(
            "6d3c6f43-0000-4000-8000-000000000001", "6d3c6f43-0000-4000-8000-000000000002",
            "6d3c6f43-0000-4000-8000-000000000003", "6D3C6F43-0000-4000-8000-000000000004",
            "00000000-0000-0000-0000-000000000000", "1-1-1-1-1", "6d3c6f43000040008000000000000005", "not-a-uuid", "");
        final Arbitrary<Integer> counts = Arbitraries.oneOf(
            Arbitraries.of(0, 1, 2, 64, 65, -1), Arbitraries.integers().between(1, 8));
        final Arbitrary<String> versions = Arbitraries.of("1.0", "1.1", "1.2", "1.3", "2.0", "0.9", "1.10");
        final Arbitrary<Long> memory = Arbitraries.of(
            4096L, 8192L, 1L << 20, 0L, 4095L, 4097L, -4096L, (1L << 31) - 4096, 1L << 31, 1L << 40);
        final Arbitrary<Entry> entries = Combinators.combine(
            sometimesLeftOut(names), sometimesLeftOut(ids), sometimesLeftOut(Arbitraries.of(World.class)),
            sometimesLeftOut(uuid.list().ofMaxSize(5)), sometimesLeftOut(counts), sometimesLeftOut(versions),
            sometimesLeftOut(memory),
            Combinators.combine(sometimesLeftOut(Arbitraries.integers().between(0, 31)),
                sometimesLeftOut(Arbitraries.of(true, false)).list().ofSize(FLAGS.length)).as(Properties::new))
            .as(Entry::new);
        return entries.list().ofMinSize(1).ofMaxSize(4);
    }

    @Property
    void theFileAndTheBuilderRefuseTheSameEntriesInTheSameWords(@ForAll("manifests") final List<Entry> entries)
    {
        final String yaml = yaml(entries);
        Manifest fromFile = null;
        ManifestException fileRefusal = null;
        try
        {
            fromFile = ManifestParser.parse(yaml);
        }
        catch (final ManifestException ex)
        {
            fileRefusal = ex;
        }
        Manifest built = null;
        ManifestException builderRefusal = null;
        try
        {
            built = built(entries);
        }
        catch (final ManifestException ex)
        {
            builderRefusal = ex;
        }
        final String context = "file: " + (fileRefusal != null ? fileRefusal.getMessage() : "taken") +
            "\nbuilder: " + (builderRefusal != null ? builderRefusal.getMessage() : "taken") + "\n" + yaml;
        if (fromFile != null || built != null)
        {
            assertNotNull(fromFile, context);
            assertNotNull(built, context);
            ManifestFilePropertiesTest.assertSameManifest(fromFile, built, context);
            return;
        }
        assertEquals(fileRefusal.field(), builderRefusal.field(), context);
        final String fileMessage = fileRefusal.getMessage();
        final int at = fileMessage.lastIndexOf(" at line ");
        assertTrue(at > 0, () -> "the file's says where: " + context);
        assertEquals(builderRefusal.getMessage(), fileMessage.substring(0, at), context);
    }

    private static String yaml(final List<Entry> entries)
    {
        final StringBuilder yaml = new StringBuilder("partitions:\n");
        for (final Entry e : entries)
        {
            final List<String> fields = new ArrayList<>();
            if (e.name() != null)
            {
                fields.add("name: '" + e.name().replace("'", "''") + "'");
            }
            if (e.id() != null)
            {
                fields.add("id: " + e.id());
            }
            if (e.world() != null)
            {
                fields.add("world: " + e.world().manifestName());
            }
            if (e.uuids() != null)
            {
                final List<String> quoted = new ArrayList<>();
                e.uuids().forEach(u -> quoted.add("'" + u + "'"));
                fields.add("uuid: " + (quoted.size() == 1 ? quoted.get(0) : quoted.toString()));
            }
            if (e.executionContexts() != null)
            {
                fields.add("execution-contexts: " + e.executionContexts());
            }
            if (e.ffaVersion() != null)
            {
                fields.add("ffa-version: '" + e.ffaVersion() + "'");
            }
            if (e.memory() != null)
            {
                fields.add("memory: " + e.memory());
            }
            if (e.properties().messaging() != null)
            {
                final List<String> methods = new ArrayList<>();
                for (int i = 0; i < METHODS.length; i++)
                {
                    if ((e.properties().messaging() & (1 << i)) != 0)
                    {
                        methods.add(METHODS[i]);
                    }
                }
                fields.add("messaging: " + methods);
            }
            for (int i = 0; i < FLAGS.length; i++)
            {
                if (e.properties().flags().get(i) != null)
                {
                    fields.add(FLAGS[i] + ": " + e.properties().flags().get(i));
                }
            }
            if (fields.isEmpty())
            {
                yaml.append("  - {}\n");
            }
            for (int i = 0; i < fields.size(); i++)
            {
                yaml.append(i == 0 ? "  - " : "    ").append(fields.get(i)).append('\n');
            }
        }
        return yaml.toString();
    }

    private static Manifest built(final List<Entry> entries)
    {
        final Manifest.Builder manifest = Manifest.builder();
        for (final Entry e : entries)
        {
            manifest.partition(b ->
            {
                if (e.name() != null)
                {
                    b.name(e.name());
                }
                if (e.id() != null)
                {
                    b.id(e.id());
                }
                if (e.world() != null)
                {
                    b.world(e.world());
                }
                if (e.uuids() != null)
                {
                    e.uuids().forEach(b::uuid);
                }
                if (e.executionContexts() != null)
                {
                    b.executionContexts(e.executionContexts());
                }
                if (e.ffaVersion() != null)
                {
                    b.ffaVersion(FfaVersion.parse(e.ffaVersion()));
                }
                if (e.memory() != null)
                {
                    b.memorySize(e.memory());
                }
                int properties = 0;
                for (int i = 0; i < METHODS.length; i++)
                {
                    if (e.properties().messaging() != null && (e.properties().messaging() & (1 << i)) != 0)
                    {
                        properties |= METHOD_BITS[i];
                    }
                }
                for (int i = 0; i < FLAGS.length; i++)
                {
                    final Boolean flag = e.properties().flags().get(i);
                    if (flag != null ? flag : FLAG_BITS[i] == PartitionProperties.AARCH64)
                    {
                        properties |= FLAG_BITS[i];
                    }
                }
                b.properties(properties);
            });
        }
        return manifest.build();
    }
}
