package org.ffafabric.manifest;

import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.PartitionProperties;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.ReaderException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.Parser;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.snakeyaml.engine.v2.schema.CoreSchema;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a manifest from YAML (SnakeYAML Engine, YAML 1.2 core schema):
 * <pre>
 * partitions:
 *   - name: crypto-sp
 *     id: 0x8001
 *     world: sp-el1                 # vm | sp-el1 | sp-el0 | hypervisor
 *     uuid: 6d3c6f43-...            # or a list of UUIDs (services)
 *     execution-contexts: 2
 *     ffa-version: "1.2"
 *     memory: 4M                    # bytes, or with K/M/G suffix; whole 4K pages
 *     messaging: [direct-req-recv, direct-req-send, direct-req2-recv, direct-req2-send, indirect]
 *     notifications: true
 *     vm-created-messages: false    # a secure partition's only
 *     vm-destroyed-messages: false
 *     aarch64: true
 * </pre>
 * Unknown keys are refused so a typo never silently changes a partition; the refusal names the known
 * key it is closest to ({@code memroy}, {@code execution_contexts}: see {@link Spelling}), or lists
 * them. Each value must be of its field's YAML type: an ID is a YAML integer ({@code 0x8001}, not the
 * string {@code "0x8001"}), a name a string ({@code "12"}, not {@code 12}), a flag a boolean; a key
 * given with no value is refused, not taken as left out. The document is composed to nodes, not
 * loaded to objects, so that a value's own text is read ({@code ffa-version: 1.10} is not the number
 * 1.1).
 */
public final class ManifestParser
{
    // The properties bits a manifest sets by name (PartitionProperties.name, the words the tools show them in):
    // the messaging methods, in the order a refusal lists them, then the flags, each a key of its own.
    private static final Map<String, Integer> MESSAGING = named(PartitionProperties.DIRECT_REQ_RECV,
        PartitionProperties.DIRECT_REQ_SEND, PartitionProperties.DIRECT_REQ2_RECV, PartitionProperties.DIRECT_REQ2_SEND,
        PartitionProperties.INDIRECT_MSG);
    private static final Map<String, Integer> FLAGS = named(PartitionProperties.NOTIFICATION_RECV,
        PartitionProperties.VM_CREATED_MSG, PartitionProperties.VM_DESTROYED_MSG, PartitionProperties.AARCH64);
    private static final List<String> METHODS = List.copyOf(MESSAGING.keySet());
    // In the order a refusal lists them.
    private static final List<String> TOP_KEYS = List.of("partitions");
    private static final List<String> KEYS = Stream.concat(Stream.of(
        "name", "id", "world", "uuid", "execution-contexts", "ffa-version", "memory", "messaging"),
        FLAGS.keySet().stream()).toList();

    // YAML 1.2 core schema integers and booleans; a tag may be explicit (!!int, !!bool), so the text is
    // matched again here: "!!bool yes" is no boolean, and was read as false.
    private static final Pattern DECIMAL = Pattern.compile("[-+]?[0-9]+");
    private static final Pattern OCTAL = Pattern.compile("0o[0-7]+");
    private static final Pattern HEX = Pattern.compile("0x[0-9a-fA-F]+");
    private static final Pattern BOOLEAN = Pattern.compile("true|True|TRUE|false|False|FALSE");
    /** "1.2" or "v1.2": no leading zeros, so that one version has one spelling. */
    private static final Pattern VERSION = Pattern.compile("[vV]?(0|[1-9][0-9]{0,4})\\.(0|[1-9][0-9]{0,4})");
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,19})([KMG]?)", Pattern.CASE_INSENSITIVE);

    /** The largest manifest read, in bytes (and code points): 256 entries take some 100 KiB. */
    public static final int MAX_BYTES = 3 * 1024 * 1024;
    /** The deepest nesting read: a manifest's is four (the document, 'partitions', an entry, its list). */
    static final int MAX_DEPTH = 64;

    private ManifestParser()
    {
    }

    public static Manifest parse(final Path file)
    {
        final byte[] bytes;
        try (InputStream in = Files.newInputStream(file))
        {
            // At most the limit and one byte more: a huge file, /dev/zero or a pipe is not read whole.
            bytes = in.readNBytes(MAX_BYTES + 1);
        }
        catch (final NoSuchFileException ex)
        {
            throw new ManifestException("manifest " + file + ": no such file");
        }
        catch (final IOException ex)
        {
            // Told as a shell tells it, not as a Java exception (the path is said once already).
            throw new ManifestException("manifest " + file + ": " + (Files.isDirectory(file) ? "is a directory, not a file" :
                ex instanceof AccessDeniedException ? "cannot be read: permission denied" :
                ex instanceof FileSystemException && ((FileSystemException)ex).getReason() != null ?
                "cannot be read: " + ((FileSystemException)ex).getReason() :
                "cannot be read: " + (ex.getMessage() != null ? ex.getMessage() : "I/O error")));
        }
        if (bytes.length > MAX_BYTES)
        {
            throw new ManifestException("manifest " + file + ": larger than " + MAX_BYTES / 1024 + " KiB");
        }
        final String yaml;
        try
        {
            yaml = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes)).toString();
        }
        catch (final CharacterCodingException ex)
        {
            throw new ManifestException("manifest " + file + ": not UTF-8 text");
        }
        try
        {
            return parse(yaml);
        }
        catch (final ManifestException ex)
        {
            // Named as a compiler names its source: the file, then where in it.
            final String message = ex.getMessage();
            throw ex.reworded("manifest " + file + ": " +
                (message.startsWith("manifest: ") ? message.substring("manifest: ".length()) : message));
        }
    }

    /**
     * The parser's problem in one line, with where it is: its multi-line message quotes the text with a
     * caret under it. The reader's refusal of a character does not say the line, and the composer's (an
     * alias past the limit) nothing of where: it is at the event the composer has just taken.
     */
    private static String describe(final YamlEngineException ex, final String yaml, final DepthLimitedParser parser)
    {
        if (ex instanceof MarkedYamlEngineException marked && marked.getProblemMark().isPresent())
        {
            // The reader refuses a NUL in the text, so the scanner's "found \0(0)" is its end.
            return ManifestException.printable(marked.getProblem().replace("\u0000(0)", "the end of the text")) +
                at(marked.getProblemMark().get());
        }
        if (ex instanceof ReaderException reader)
        {
            return "character U+" + String.format("%04X", reader.getCodePoint()) + " is not allowed" +
                at(yaml, reader.getCodePoint());
        }
        final String message = String.valueOf(ex.getMessage());
        final int end = message.indexOf('\n');
        final Mark taken = parser != null ? parser.taken() : null;
        return ManifestException.printable(end < 0 ? message : message.substring(0, end)) + (taken != null ? at(taken) : "");
    }

    /**
     * Where the first {@code codePoint} of {@code yaml} is, as a mark says it. The reader's position is
     * within its buffer, not the text; it stops at the first code point it refuses, so that is this one.
     */
    private static String at(final String yaml, final int codePoint)
    {
        int line = 1;
        int column = 1;
        for (int i = 0; i < yaml.length() && yaml.codePointAt(i) != codePoint; )
        {
            final int c = yaml.codePointAt(i);
            i += Character.charCount(c);
            // YAML 1.2's line breaks: LF, CR LF and CR.
            if (c == '\n' || (c == '\r' && (i == yaml.length() || yaml.charAt(i) != '\n')))
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        return " at line " + line + ", column " + column;
    }

    private static String at(final Mark mark)
    {
        return " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    }

    private static String at(final Node node)
    {
        return node.getStartMark().map(ManifestParser::at).orElse("");
    }

    private static LoadSettings settings()
    {
        // The limits against alias bombs and huge inputs, stated rather than left to the defaults.
        return LoadSettings.builder()
            .setSchema(new CoreSchema())
            .setAllowRecursiveKeys(false)
            .setMaxAliasesForCollections(50)
            .setCodePointLimit(MAX_BYTES)
            .build();
    }

    public static Manifest parse(final String yaml)
    {
        final Node root;
        DepthLimitedParser parser = null;
        try
        {
            final LoadSettings settings = settings();
            parser = new DepthLimitedParser(new ParserImpl(settings, new StreamReader(settings, yaml)));
            root = new Composer(settings, parser).getSingleNode().orElse(null);
        }
        catch (final YamlEngineException ex)
        {
            throw new ManifestException("manifest: not valid YAML: " + describe(ex, yaml, parser));
        }
        if (root == null)
        {
            throw new ManifestException("manifest: expected a mapping with a 'partitions' list, found nothing");
        }
        if (!(root instanceof MappingNode))
        {
            throw refuse(root, null, "manifest: expected a mapping with a 'partitions' list");
        }
        final Node list = fields("manifest", (MappingNode)root, TOP_KEYS).get("partitions");
        if (list == null)
        {
            throw refuse(root, "partitions", "manifest: field 'partitions' is missing");
        }
        if (!(list instanceof SequenceNode))
        {
            throw refuse(list, "partitions", "manifest: field 'partitions' must be a list");
        }
        final List<Node> entries = ((SequenceNode)list).getValue();
        final Manifest.Builder manifest = Manifest.builder();
        for (int index = 0; index < entries.size(); index++)
        {
            if (!(entries.get(index) instanceof MappingNode))
            {
                throw refuse(entries.get(index), null, "manifest: partitions[" + index + "] must be a mapping");
            }
            manifest.partition(entry((MappingNode)entries.get(index), index));
        }
        try
        {
            return manifest.build();
        }
        catch (final ManifestException ex)
        {
            // Entries against each other: the entry the refusal names, at its field.
            throw ex.at(at(ex.partition() >= 0 ? fieldOf((MappingNode)entries.get(ex.partition()), ex.field()) : list));
        }
    }

    /**
     * The parser's events, refused past {@link #MAX_DEPTH} collections deep: SnakeYAML's composer
     * recurses once a level, and 100,000 brackets (200 KB) overflowed the stack. No field's value is
     * that deep, so nothing a manifest may say is refused here. It also keeps the event the composer
     * took last, to say where the composer's own refusals are.
     */
    private static final class DepthLimitedParser implements Parser
    {
        private final Parser parser;
        private int depth;
        /**
         * The event the composer took last, while it has asked nothing since: where a problem the composer
         * finds is. A problem found while the parser reads ahead is not there: then it is null.
         */
        private Event taken;

        DepthLimitedParser(final Parser parser)
        {
            this.parser = parser;
        }

        /** Where the event the composer took last starts, or null. */
        Mark taken()
        {
            return taken != null ? taken.getStartMark().orElse(null) : null;
        }

        public boolean checkEvent(final Event.ID id)
        {
            taken = null;
            return parser.checkEvent(id);
        }

        public Event peekEvent()
        {
            taken = null;
            return parser.peekEvent();
        }

        public boolean hasNext()
        {
            taken = null;
            return parser.hasNext();
        }

        public Event next()
        {
            taken = null;
            final Event event = parser.next();
            taken = event;
            switch (event.getEventId())
            {
                case SequenceStart:
                case MappingStart:
                    if (++depth > MAX_DEPTH)
                    {
                        throw new ManifestException("manifest: nested more than " + MAX_DEPTH + " deep" +
                            event.getStartMark().map(ManifestParser::at).orElse(""));
                    }
                    break;
                case SequenceEnd:
                case MappingEnd:
                    depth--;
                    break;
                default:
                    break;
            }
            return event;
        }
    }

    /** A refusal of what {@code node} says, with where it is: of {@code field}, as the file names it, or null. */
    private static ManifestException refuse(final Node node, final String field, final String message)
    {
        return new ManifestException(message + at(node), field, -1);
    }

    /** A refusal of the entry's {@code field}: "label: field 'f'" and then {@code detail}, with where it is. */
    private static ManifestException refuse(
        final Node node, final String label, final String field, final String detail)
    {
        return refuse(node, field, label + ": field '" + field + "'" + detail);
    }

    /** The value of an entry's field, or the entry itself when the field is left out. */
    private static Node fieldOf(final MappingNode mapping, final String field)
    {
        for (final NodeTuple tuple : mapping.getValue())
        {
            if (isString(tuple.getKeyNode()) && ((ScalarNode)tuple.getKeyNode()).getValue().equals(field))
            {
                return tuple.getValueNode();
            }
        }
        return mapping;
    }

    /**
     * A mapping's fields by key, in order. Keys must be strings, each given once, and one of {@code known}:
     * an unknown one is refused with the known keys it is close to, or all of them.
     */
    private static Map<String, Node> fields(final String label, final MappingNode mapping, final List<String> known)
    {
        final Map<String, Node> fields = new LinkedHashMap<>();
        for (final NodeTuple tuple : mapping.getValue())
        {
            final Node keyNode = tuple.getKeyNode();
            final String key = isString(keyNode) ? ((ScalarNode)keyNode).getValue() : null;
            if (key == null || !known.contains(key))
            {
                final List<String> close = key != null ? Spelling.closest(key, known) : List.of();
                throw refuse(keyNode, key, label + ": unknown field " +
                    (key != null ? ManifestException.quote(key) : text(keyNode)) + " (" +
                    (close.isEmpty() ? "known fields: " + String.join(", ", known) : Spelling.didYouMean(close)) + ")");
            }
            if (fields.putIfAbsent(key, tuple.getValueNode()) != null)
            {
                throw refuse(keyNode, key, label + ": field " + ManifestException.quote(key) + " is given twice");
            }
        }
        return fields;
    }

    private static PartitionManifest entry(final MappingNode mapping, final int index)
    {
        // Named as the builder names it: by its name, or by its position when it has none.
        final Node nameNode = fieldOf(mapping, "name");
        final String label = isString(nameNode) && !((ScalarNode)nameNode).getValue().isEmpty() ?
            "partition " + ManifestException.quote(((ScalarNode)nameNode).getValue()) : "partitions[" + index + "]";
        final Map<String, Node> map = fields(label, mapping, KEYS);
        final PartitionManifest.Builder b = PartitionManifest.builder();
        if (map.containsKey("name"))
        {
            b.name(string(label, "name", map.get("name")));
        }
        if (map.containsKey("id"))
        {
            b.id(integer(label, "id", map.get("id")));
        }
        if (map.containsKey("world"))
        {
            final Node node = map.get("world");
            final World world = isString(node) ? World.fromManifestName(((ScalarNode)node).getValue()) : null;
            if (world == null)
            {
                throw refuse(node, label, "world", " must be vm, sp-el1, sp-el0 or hypervisor, was " + text(node));
            }
            b.world(world);
        }
        if (map.containsKey("uuid"))
        {
            // Each as text: the builder reads it, and refuses one that is not a UUID as it does in code.
            final Node uuid = map.get("uuid");
            if (uuid instanceof SequenceNode)
            {
                for (final Node u : ((SequenceNode)uuid).getValue())
                {
                    b.uuid(uuidText(label, u));
                }
            }
            else
            {
                b.uuid(uuidText(label, uuid));
            }
        }
        if (map.containsKey("execution-contexts"))
        {
            b.executionContexts(integer(label, "execution-contexts", map.get("execution-contexts")));
        }
        if (map.containsKey("ffa-version"))
        {
            b.ffaVersion(version(label, map.get("ffa-version")));
        }
        if (map.containsKey("memory"))
        {
            // With its text, which a refusal quotes: "3G", not only its bytes.
            b.memorySize(size(label, map.get("memory")), ((ScalarNode)map.get("memory")).getValue());
        }
        int properties = 0;
        if (map.containsKey("messaging"))
        {
            final Node messaging = value(label, "messaging", map.get("messaging"));
            if (!(messaging instanceof SequenceNode))
            {
                throw refuse(messaging, label, "messaging", " must be a list");
            }
            for (final Node method : ((SequenceNode)messaging).getValue())
            {
                final int bit = messagingMethod(label, method);
                if ((properties & bit) != 0)
                {
                    throw refuse(method, label, "messaging", " lists " + text(method) + " twice");
                }
                properties |= bit;
            }
        }
        for (final Map.Entry<String, Integer> flag : FLAGS.entrySet())
        {
            // AArch64 state unless said otherwise; the other flags are off unless said.
            properties |= flag(label, map, flag.getKey(), flag.getValue(), flag.getValue() == PartitionProperties.AARCH64);
        }
        b.properties(properties);
        try
        {
            return b.build(index);
        }
        catch (final ManifestException ex)
        {
            throw ex.at(at(where(mapping, ex.field())));
        }
    }

    /** Where an entry's refused field is: its value (the first UUID that is not one), or the entry when left out. */
    private static Node where(final MappingNode mapping, final String field)
    {
        final Node node = fieldOf(mapping, field);
        if ("uuid".equals(field) && node instanceof SequenceNode)
        {
            for (final Node uuid : ((SequenceNode)node).getValue())
            {
                if (PartitionManifest.parseUuid(((ScalarNode)uuid).getValue()) == null)
                {
                    return uuid;
                }
            }
        }
        return node;
    }

    /** A plain or quoted string; "${X}" is one too (environment variables are not expanded). */
    private static boolean isString(final Node node)
    {
        return node instanceof ScalarNode && (Tag.STR.equals(node.getTag()) || Tag.ENV_TAG.equals(node.getTag()));
    }

    private static boolean isNull(final Node node)
    {
        return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
    }

    /** A value as the message quotes it: its text and, unless a string, its type. */
    private static String text(final Node node)
    {
        if (node instanceof SequenceNode)
        {
            return "a list";
        }
        if (node instanceof MappingNode)
        {
            return "a mapping";
        }
        final ScalarNode scalar = (ScalarNode)node;
        final Tag tag = scalar.getTag();
        final String type = Tag.STR.equals(tag) || Tag.ENV_TAG.equals(tag) ? "the string " :
            Tag.INT.equals(tag) ? "the integer " : Tag.FLOAT.equals(tag) ? "the float " :
            Tag.BOOL.equals(tag) ? "the boolean " :
            "tagged " + ManifestException.quote(tag.getValue().replace(Tag.PREFIX, "!!")) + " ";
        return Tag.NULL.equals(tag) ? "null" : type + ManifestException.quote(scalar.getValue());
    }

    /** The node of a field given with a value: "key:" alone is refused, not taken as the key left out. */
    private static Node value(final String label, final String field, final Node node)
    {
        if (isNull(node))
        {
            throw refuse(node, label, field, " has no value");
        }
        return node;
    }

    private static String string(final String label, final String field, final Node node)
    {
        if (!isString(value(label, field, node)))
        {
            throw refuse(node, label, field, " must be a string, was " + text(node));
        }
        return ((ScalarNode)node).getValue();
    }

    /** A UUID's text, for the builder to read; a value that is not a string is no UUID. */
    private static String uuidText(final String label, final Node node)
    {
        if (!isString(value(label, "uuid", node)))
        {
            throw refuse(node, label, "uuid", " is not a UUID: " + text(node));
        }
        return ((ScalarNode)node).getValue();
    }

    private static int messagingMethod(final String label, final Node node)
    {
        final Integer bit = isString(node) ? MESSAGING.get(((ScalarNode)node).getValue()) : null;
        if (bit == null)
        {
            final List<String> close = isString(node) ? Spelling.closest(((ScalarNode)node).getValue(), METHODS) :
                List.of();
            // A string as written; anything else with its kind ("the integer '5'").
            throw refuse(node, label, "messaging", " has unknown method " +
                (isString(node) ? ManifestException.quote(((ScalarNode)node).getValue()) : text(node)) + " (" +
                (close.isEmpty() ? String.join(", ", METHODS) : Spelling.didYouMean(close)) + ")");
        }
        return bit;
    }

    private static Map<String, Integer> named(final int... bits)
    {
        final Map<String, Integer> named = new LinkedHashMap<>();
        for (final int bit : bits)
        {
            named.put(PartitionProperties.name(bit), bit);
        }
        return named;
    }

    private static int flag(
        final String label, final Map<String, Node> map, final String key, final int bit, final boolean defaultValue)
    {
        if (!map.containsKey(key))
        {
            return defaultValue ? bit : 0;
        }
        final Node node = value(label, key, map.get(key));
        if (!(node instanceof ScalarNode) || !Tag.BOOL.equals(node.getTag()) ||
            !BOOLEAN.matcher(((ScalarNode)node).getValue()).matches())
        {
            throw refuse(node, label, key, " must be true or false, was " + text(node));
        }
        return "true".equalsIgnoreCase(((ScalarNode)node).getValue()) ? bit : 0;
    }

    /** A YAML integer's value, or null when the text is not one (an explicit !!int tag on other text). */
    private static BigInteger integerValue(final ScalarNode node)
    {
        final String text = node.getValue();
        if (text.length() > 64)
        {
            // Out of any range asked for; BigInteger would take its time over millions of digits.
            return BigInteger.ONE.shiftLeft(64);
        }
        if (DECIMAL.matcher(text).matches())
        {
            return new BigInteger(text);
        }
        if (OCTAL.matcher(text).matches())
        {
            return new BigInteger(text.substring(2), 8);
        }
        if (HEX.matcher(text).matches())
        {
            return new BigInteger(text.substring(2), 16);
        }
        return null;
    }

    private static int integer(final String label, final String field, final Node node)
    {
        final BigInteger value = value(label, field, node) instanceof ScalarNode && Tag.INT.equals(node.getTag()) ?
            integerValue((ScalarNode)node) : null;
        if (value == null)
        {
            throw refuse(node, label, field, " must be an integer, was " + text(node));
        }
        if (value.bitLength() > 31)
        {
            throw refuse(node, label, field, " " +
                ManifestException.quote(((ScalarNode)node).getValue()) + " is out of range");
        }
        return value.intValue();
    }

    private static int version(final String label, final Node node)
    {
        // A float node too: "ffa-version: 1.2" unquoted reads as its text, so 1.10 is 1.10, not 1.1.
        final String text = value(label, "ffa-version", node) instanceof ScalarNode &&
            (isString(node) || Tag.FLOAT.equals(node.getTag())) ? ((ScalarNode)node).getValue() : null;
        if (text == null || !VERSION.matcher(text).matches())
        {
            throw refuse(node, label, "ffa-version", " must look like \"1.2\", was " + text(node));
        }
        final int version = FfaVersion.parse(text);
        if (version == FfaVersion.NOT_SUPPORTED)
        {
            // Past a 15-bit major or a 16-bit minor: no version word holds it, so say it as written.
            throw refuse(node, label, "ffa-version", " " + ManifestException.quote(text) + " is out of range");
        }
        return version;
    }

    private static long size(final String label, final Node node)
    {
        if (value(label, "memory", node) instanceof ScalarNode && Tag.INT.equals(node.getTag()))
        {
            final BigInteger value = integerValue((ScalarNode)node);
            if (value != null && value.bitLength() <= 63)
            {
                return value.longValue();
            }
        }
        else if (isString(node))
        {
            final var matcher = SIZE.matcher(((ScalarNode)node).getValue().trim());
            if (matcher.matches())
            {
                final String suffix = matcher.group(2).toUpperCase(Locale.ROOT);
                final long multiplier = suffix.isEmpty() ? 1 : suffix.equals("K") ? 1024 :
                    suffix.equals("M") ? 1024 * 1024 : 1024 * 1024 * 1024;
                try
                {
                    return Math.multiplyExact(Long.parseLong(matcher.group(1)), multiplier);
                }
                catch (final NumberFormatException | ArithmeticException ex)
                {
                    // Fall through to the message below.
                }
            }
        }
        throw refuse(node, label, "memory", " must be a size such as 4096, 64K or 4M, was " + text(node));
    }
}
