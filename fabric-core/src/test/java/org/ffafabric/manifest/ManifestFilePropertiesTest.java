package org.ffafabric.manifest;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.PartitionProperties;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A valid manifest file, mutated as a hand may: a field dropped, given twice or misspelt, a value of
 * the wrong type, out of range or written loosely, an entry pasted twice, and text garbled (characters
 * inserted or deleted, indentation moved, bytes that are not UTF-8, nesting and alias bombs, a file past
 * the limit). Whatever comes of it, parsing either gives a manifest the builder accepts too, that reads
 * back the same when written out again and that holds what the text says, or throws
 * {@link ManifestException} in one line naming the entry and field (or, for YAML that is not a manifest,
 * where it stops being one). Never another exception, a hang or running out of memory.
 */
class ManifestFilePropertiesTest
{
    /** What a value that must be refused means, whatever the rest of the manifest says. */
    enum Refused
    {
        VALUE
    }

    /** A value as written, and what it means: the field's value, or {@link Refused#VALUE}. */
    record Value(String text, Object meaning)
    {
        public String toString()
        {
            return ManifestException.quote(text) + (meaning == Refused.VALUE ? " (refused)" : "");
        }
    }

    /** One line of an entry. */
    record Field(String key, Value value)
    {
    }

    /** A change to the manifest; the indices are taken modulo what there is when it is made. */
    interface Mutation
    {
    }

    record Drop(int entry, int field) implements Mutation
    {
    }

    record Replace(int entry, String key, Value value) implements Mutation
    {
    }

    record GivenTwice(int entry, int field) implements Mutation
    {
    }

    record UnknownKey(int entry, String key) implements Mutation
    {
    }

    record PastedTwice(int entry) implements Mutation
    {
    }

    record DropEntry(int entry) implements Mutation
    {
    }

    /** Text changes, made to the rendered file: what it means is then anyone's guess. */
    record Insert(double at, String text) implements Mutation
    {
    }

    record Delete(double at, int count) implements Mutation
    {
    }

    record Indent(double line, String indent) implements Mutation
    {
    }

    /** Bytes that are not UTF-8, read from a file. */
    record NotUtf8(double at, byte[] bytes) implements Mutation
    {
        public String toString()
        {
            return "NotUtf8[at=" + at + ", bytes=" + Arrays.toString(bytes) + "]";
        }
    }

    /** A comment of so many bytes appended, read from a file. */
    record Padding(int bytes) implements Mutation
    {
    }

    private static final List<String> KEYS = List.of(
        "name", "id", "world", "uuid", "execution-contexts", "ffa-version", "memory", "messaging",
        "notifications", "vm-created-messages", "vm-destroyed-messages", "aarch64");
    private static final Pattern LOCATION = Pattern.compile(".* at line [1-9][0-9]*, column [1-9][0-9]*");
    private static final Duration HANG = Duration.ofSeconds(20);

    private static Path dir;

    @BeforeContainer
    static void createDirectory() throws IOException
    {
        dir = Files.createTempDirectory("ffa-manifest-properties-");
    }

    @AfterContainer
    static void removeDirectory() throws IOException
    {
        Files.deleteIfExists(dir.resolve("manifest.yaml"));
        Files.deleteIfExists(dir);
    }

    private static Value value(final String text, final Object meaning)
    {
        return new Value(text, meaning);
    }

    private static Value refused(final String text)
    {
        return new Value(text, Refused.VALUE);
    }

    private static UUID uuid(final int n)
    {
        return UUID.fromString(String.format("6d3c6f43-0000-4000-8000-%012x", n));
    }

    private static List<Field> entry(final Object... keysAndValues)
    {
        final List<Field> fields = new ArrayList<>();
        for (int i = 0; i < keysAndValues.length; i += 2)
        {
            fields.add(new Field((String)keysAndValues[i], (Value)keysAndValues[i + 1]));
        }
        return fields;
    }

    /** The manifest every try starts from: one entry of each world, most fields given. */
    private static List<List<Field>> validManifest()
    {
        final int req = PartitionProperties.DIRECT_REQ_RECV;
        final int send = PartitionProperties.DIRECT_REQ_SEND;
        return new ArrayList<>(List.of(
            entry("name", value("hyp", "hyp"), "id", value("0", 0), "world", value("hypervisor", World.HYPERVISOR),
                "uuid", value(uuid(1).toString(), List.of(uuid(1))),
                "messaging", value("[direct-req-send]", send)),
            entry("name", value("client-vm", "client-vm"), "id", value("0x0001", 1), "world", value("vm", World.VM),
                "uuid", value(uuid(2).toString(), List.of(uuid(2))), "execution-contexts", value("2", 2),
                "ffa-version", value("\"1.1\"", FfaVersion.V1_1), "memory", value("64K", 64L * 1024),
                "messaging", value("[direct-req-send, indirect]", send | PartitionProperties.INDIRECT_MSG),
                "notifications", value("true", true)),
            entry("name", value("crypto-sp", "crypto-sp"), "id", value("0x8001", 0x8001),
                "world", value("sp-el1", World.SP_EL1),
                "uuid", value("[" + uuid(3) + ", " + uuid(4) + "]", List.of(uuid(3), uuid(4))),
                "execution-contexts", value("4", 4), "ffa-version", value("'1.2'", FfaVersion.V1_2),
                "memory", value("4M", 4L << 20),
                "messaging", value("[direct-req-recv, direct-req2-recv, direct-req-send]",
                    req | send | PartitionProperties.DIRECT_REQ2_RECV),
                "vm-created-messages", value("true", true), "vm-destroyed-messages", value("false", false),
                "aarch64", value("true", true)),
            entry("name", value("el0-sp", "el0-sp"), "id", value("32770", 0x8002), "world", value("sp-el0", World.SP_EL0),
                "uuid", value("'" + uuid(5) + "'", List.of(uuid(5))), "memory", value("8192", 8192L),
                "aarch64", value("false", false))));
    }

    private static String nested(final int depth)
    {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    /** Lists nested {@code levels} deep, each holding nine aliases of the one before: 9^levels leaves. */
    private static String aliasBomb(final int levels)
    {
        final StringBuilder bomb = new StringBuilder("[&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]");
        for (int level = 1; level <= levels; level++)
        {
            bomb.append(", &l").append(level).append(" [");
            for (int i = 0; i < 9; i++)
            {
                bomb.append(i == 0 ? "" : ", ").append("*l").append(level - 1);
            }
            bomb.append(']');
        }
        return bomb.append(']').toString();
    }

    /** Values a field may be given: well typed ones with what they mean, and ones it must refuse. */
    private static Arbitrary<Value> valuesOf(final String key)
    {
        final List<Value> values = new ArrayList<>();
        switch (key)
        {
            case "name":
                values.addAll(List.of(value("n1", "n1"), value("'12'", "12"), value("\"true\"", "true"),
                    value("'~'", "~"), value("a#b", "a#b"), value("'-x'", "-x"), value("${HOME}", "${HOME}"),
                    value("it's", "it's"), value("''", ""), value("'a b'", "a b"), value("x".repeat(31), "x".repeat(31)),
                    value("x".repeat(32), "x".repeat(32)), value("caf\u00e9", "caf\u00e9"),
                    value("\"a\\nb\"", "a\nb"), value("client-vm", "client-vm"),
                    refused("12"), refused("true"), refused("[a]"), refused("{a: b}"), refused("~"), refused(""),
                    refused("1.5"), refused("!!binary YQ=="), refused("0x10")));
                break;
            case "id":
                values.addAll(List.of(value("1", 1), value("0x8003", 0x8003), value("0o17", 15), value("0", 0),
                    value("-1", -1), value("0x7FFE", 0x7FFE), value("0x7fff", 0x7FFF), value("0x8000", 0x8000),
                    value("0xFFBF", 0xFFBF), value("0xffc0", 0xFFC0), value("0xFFFF", 0xFFFF), value("010", 10),
                    value("+5", 5), value("0x10001", 0x10001), value("-0x8001", -0x8001), value("!!int '7'", 7),
                    refused("99999999999"), refused("-99999999999999999999999999999"), refused("'1'"),
                    refused("\"0x8001\""), refused("1.0"), refused("1e3"), refused(".inf"), refused(".nan"),
                    refused("[1]"), refused("{a: 1}"), refused("~"), refused(""), refused("true"), refused("0b11"),
                    refused("!!int abc"), refused("0x"), refused("1_000"), refused("!!float 1")));
                break;
            case "world":
                values.addAll(List.of(value("vm", World.VM), value("sp-el1", World.SP_EL1),
                    value("'sp-el0'", World.SP_EL0), value("hypervisor", World.HYPERVISOR),
                    refused("VM"), refused("el3"), refused("sp-el2"), refused("[vm]"), refused("~"), refused(""),
                    refused("1"), refused("true"), refused("hyperv\u0131sor"), refused("{vm: 1}")));
                break;
            case "uuid":
                final String u = uuid(7).toString();
                values.addAll(List.of(value(u, List.of(uuid(7))), value("'" + u.toUpperCase() + "'", List.of(uuid(7))),
                    value("[" + uuid(8) + ", " + uuid(9) + "]", List.of(uuid(8), uuid(9))),
                    value(uuid(1).toString(), List.of(uuid(1))), value("[]", List.of()),
                    value("00000000-0000-0000-0000-000000000000", List.of(new UUID(0, 0))),
                    value("[" + u + ", " + u + "]", List.of(uuid(7), uuid(7))),
                    value("[" + uuid(10) + ", " + uuid(11) + ", " + uuid(12) + ", " + uuid(13) + ", " + uuid(14) + "]",
                        List.of(uuid(10), uuid(11), uuid(12), uuid(13), uuid(14))),
                    refused("1-1-1-1-1"), refused("{" + u + "}"), refused("'{" + u + "}'"), refused("urn:uuid:" + u),
                    refused(u.replace("-", "")), refused("'" + u + "x'"), refused("\"" + u + "\\n\""),
                    refused("[[" + u + "]]"), refused("{a: " + u + "}"), refused("12"), refused("~"), refused(""),
                    refused("[" + u + ", ~]"), refused("-" + u.substring(1))));
                break;
            case "execution-contexts":
                values.addAll(List.of(value("1", 1), value("2", 2), value("64", 64), value("65", 65), value("0", 0),
                    value("-1", -1), value("0x3", 3), refused("'2'"), refused("2.0"), refused("[2]"), refused("~"),
                    refused(""), refused("99999999999"), refused("two")));
                break;
            case "ffa-version":
                values.addAll(List.of(value("'1.0'", FfaVersion.V1_0), value("\"1.1\"", FfaVersion.V1_1),
                    value("1.2", FfaVersion.V1_2), value("v1.2", FfaVersion.V1_2), value("'1.3'", FfaVersion.parse("1.3")),
                    value("'2.0'", FfaVersion.parse("2.0")), value("1.10", FfaVersion.parse("1.10")),
                    refused("1"), refused("'1.02'"), refused("'01.2'"), refused("[1.2]"), refused("~"), refused("''"),
                    refused("'1.2.3'"), refused("'99999.0'"), refused("true"), refused("")));
                break;
            case "memory":
                values.addAll(List.of(value("4096", 4096L), value("64K", 64L << 10), value("4m", 4L << 20),
                    value("1G", 1L << 30), value("3G", 3L << 30), value("0", 0L), value("-4096", -4096L),
                    value("4097", 4097L), value("0x1000", 4096L), value("'8192'", 8192L),
                    refused("4KiB"), refused("-4K"), refused("4096.0"), refused("[4096]"), refused("~"), refused(""),
                    refused("true"), refused("99999999999999999999G"), refused("0x8000000000000000")));
                break;
            case "messaging":
                values.addAll(List.of(value("[]", 0), value("[direct-req-recv]", PartitionProperties.DIRECT_REQ_RECV),
                    value("[direct-req-send, indirect]", PartitionProperties.DIRECT_REQ_SEND | PartitionProperties.INDIRECT_MSG),
                    value("[direct-req2-recv, direct-req2-send]",
                        PartitionProperties.DIRECT_REQ2_RECV | PartitionProperties.DIRECT_REQ2_SEND),
                    value("[direct-req-recv, direct-req-send, direct-req2-recv, direct-req2-send, indirect]",
                        PartitionProperties.DIRECT_REQ_RECV | PartitionProperties.DIRECT_REQ_SEND |
                        PartitionProperties.DIRECT_REQ2_RECV | PartitionProperties.DIRECT_REQ2_SEND |
                        PartitionProperties.INDIRECT_MSG),
                    refused("direct-req-recv"), refused("[Direct-Req-Recv]"), refused("[indirect, indirect]"),
                    refused("[[indirect]]"), refused("{a: b}"), refused("~"), refused(""), refused("[notify]"),
                    refused("[1]")));
                break;
            default:
                values.addAll(List.of(value("true", true), value("false", false), value("True", true),
                    value("FALSE", false), refused("yes"), refused("no"), refused("on"), refused("1"), refused("0"),
                    refused("'true'"), refused("[true]"), refused("~"), refused(""), refused("!!bool yes"),
                    refused("!!bool 1"), refused("!!bool off")));
                break;
        }
        // Nesting, aliases and lengths no field's value has: the composer must neither overflow nor blow up.
        final Arbitrary<Value> outlandish = Arbitraries.oneOf(
            Arbitraries.integers().between(2, 3 * ManifestParser.MAX_DEPTH).map(n -> refused(nested(n))),
            Arbitraries.integers().between(1, 9).map(n -> refused(aliasBomb(n))),
            Arbitraries.integers().between(1, 5).map(n -> refused("x".repeat(n * 20_000))));
        return Arbitraries.frequencyOf(
            Tuple.of(7, Arbitraries.of(values.stream().filter(v -> v.meaning() != Refused.VALUE).collect(Collectors.toList()))),
            Tuple.of(2, Arbitraries.of(values.stream().filter(v -> v.meaning() == Refused.VALUE).collect(Collectors.toList()))),
            Tuple.of(1, outlandish));
    }

    private static Arbitrary<Mutation> mutations()
    {
        final Arbitrary<Integer> index = Arbitraries.integers().between(0, 15);
        final Arbitrary<Double> at = Arbitraries.doubles().between(0, 1);
        final Arbitrary<Mutation> replace = Arbitraries.of(KEYS).flatMap(key ->
            Combinators.combine(index, valuesOf(key)).as((entry, value) -> new Replace(entry, key, value)));
        final Arbitrary<String> garbage = Arbitraries.oneOf(
            Arbitraries.of("\t", ":", ": ", "- ", "-", "{", "}", "[", "]", ",", "&a ", "*a", "*a ", "!!str ", "? ",
                "#", "'", "\"", "\n", "\n  ", "   ", "|", ">", "%", "@", "`", "\u0000", "\u0007", "\u00e9", "\ufeff",
                "\ud800", "\r", "\u2028", "---\n", "...\n", "<<: ", "\\"),
            Arbitraries.strings().all().ofMaxLength(12));
        return Arbitraries.frequencyOf(
            Tuple.of(4, Combinators.combine(index, index).as(Drop::new)),
            Tuple.of(12, replace),
            Tuple.of(1, Combinators.combine(index, index).as(GivenTwice::new)),
            Tuple.of(1, Combinators.combine(index, Arbitraries.of("colour", "Name", "ID", "uuids",
                "execution_contexts", "partitions", "'name '", "1", "~", "[a]", "\"\"", "? [a]", "<<", "x".repeat(1000), "x".repeat(2000)))
                .as(UnknownKey::new)),
            Tuple.of(1, index.map(PastedTwice::new)),
            Tuple.of(1, index.map(DropEntry::new)),
            Tuple.of(3, Combinators.combine(at, garbage).as(Insert::new)),
            Tuple.of(2, Combinators.combine(at, Arbitraries.integers().between(1, 8)).as(Delete::new)),
            Tuple.of(2, Combinators.combine(at, Arbitraries.of("", " ", "  ", "   ", "\t", "      "))
                .as(Indent::new)),
            Tuple.of(1, Combinators.combine(at, Arbitraries.of(new byte[] { (byte)0xFF },
                new byte[] { (byte)0x80 }, new byte[] { (byte)0xC0, (byte)0x80 }, new byte[] { (byte)0xC3, '(' },
                new byte[] { (byte)0xED, (byte)0xA0, (byte)0x80 }, new byte[] { (byte)0xE2, (byte)0x82 },
                new byte[] { (byte)0xF8, (byte)0x88, (byte)0x80, (byte)0x80, (byte)0x80 })).as(NotUtf8::new)),
            Tuple.of(1, Arbitraries.oneOf(Arbitraries.integers().between(0, 64 * 1024),
                Arbitraries.integers().between(ManifestParser.MAX_BYTES, ManifestParser.MAX_BYTES + 4096))
                .map(Padding::new)));
    }

    @Provide
    Arbitrary<List<Mutation>> mutationLists()
    {
        return mutations().list().ofMinSize(1).ofMaxSize(3);
    }

    /** A manifest file as written by this test, and what it must come to. */
    private static final class Mutated
    {
        final List<List<Field>> entries = validManifest();
        /** Something in it the parser must refuse, whatever else it says. */
        boolean mustRefuse;
        /** Its text was changed below the YAML: what it means is unknown. */
        boolean garbled;
        /** It is read from a file: it has bytes that are not UTF-8, or a padding. */
        boolean fromFile;
        /** The text, which may hold lone surrogates; and its bytes, with what a file adds. */
        String text;
        byte[] bytes;

        Mutated(final List<Mutation> mutations)
        {
            for (final Mutation mutation : mutations)
            {
                apply(mutation);
            }
            text = render();
            for (final Mutation mutation : mutations)
            {
                if (mutation instanceof Insert insert)
                {
                    final int at = (int)(insert.at() * text.length());
                    text = text.substring(0, at) + insert.text() + text.substring(at);
                    garbled = true;
                }
                else if (mutation instanceof Delete delete)
                {
                    final int at = (int)(delete.at() * text.length());
                    text = text.substring(0, at) + text.substring(Math.min(text.length(), at + delete.count()));
                    garbled = true;
                }
                else if (mutation instanceof Indent indent)
                {
                    final List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
                    final int line = (int)(indent.line() * lines.size()) % lines.size();
                    lines.set(line, indent.indent() + lines.get(line).stripLeading());
                    text = String.join("\n", lines);
                    garbled = true;
                }
            }
            bytes = text.getBytes(StandardCharsets.UTF_8);
            for (final Mutation mutation : mutations)
            {
                if (mutation instanceof NotUtf8 notUtf8)
                {
                    final int at = (int)(notUtf8.at() * bytes.length);
                    final byte[] changed = new byte[bytes.length + notUtf8.bytes().length];
                    System.arraycopy(bytes, 0, changed, 0, at);
                    System.arraycopy(notUtf8.bytes(), 0, changed, at, notUtf8.bytes().length);
                    System.arraycopy(bytes, at, changed, at + notUtf8.bytes().length, bytes.length - at);
                    bytes = changed;
                    fromFile = true;
                    mustRefuse = true;
                }
                else if (mutation instanceof Padding padding)
                {
                    final byte[] changed = Arrays.copyOf(bytes, bytes.length + padding.bytes() + 3);
                    changed[bytes.length] = '\n';
                    changed[bytes.length + 1] = '#';
                    Arrays.fill(changed, bytes.length + 2, changed.length - 1, (byte)'x');
                    changed[changed.length - 1] = '\n';
                    bytes = changed;
                    fromFile = true;
                    mustRefuse |= bytes.length > ManifestParser.MAX_BYTES;
                }
            }
            // Garbled text may no longer say what the entries did (a name given twice, one of them now ':a').
            mustRefuse |= !garbled && isRefused();
        }

        /**
         * Whether what the entries say must be refused, whatever else they say: no entry, a value of a
         * wrong type, a key unknown or given twice, two entries with one name (an entry pasted twice).
         */
        private boolean isRefused()
        {
            final Set<String> names = new HashSet<>();
            for (final List<Field> entry : entries)
            {
                final List<String> keys = keys(entry);
                if (entry.stream().anyMatch(f -> f.value().meaning() == Refused.VALUE) ||
                    !KEYS.containsAll(keys) || new HashSet<>(keys).size() != keys.size())
                {
                    return true;
                }
                for (final Field field : entry)
                {
                    if (field.key().equals("name") && !names.add(field.value().text()))
                    {
                        return true;
                    }
                }
            }
            return entries.isEmpty();
        }

        private void apply(final Mutation mutation)
        {
            if (entries.isEmpty())
            {
                return;
            }
            if (mutation instanceof Drop drop)
            {
                final List<Field> entry = entries.get(drop.entry() % entries.size());
                if (!entry.isEmpty())
                {
                    entry.remove(drop.field() % entry.size());
                }
            }
            else if (mutation instanceof Replace replace)
            {
                final List<Field> entry = entries.get(replace.entry() % entries.size());
                final Field field = new Field(replace.key(), replace.value());
                final int at = keys(entry).indexOf(replace.key());
                if (at >= 0)
                {
                    entry.set(at, field);
                }
                else
                {
                    entry.add(field);
                }
            }
            else if (mutation instanceof GivenTwice twice)
            {
                final List<Field> entry = entries.get(twice.entry() % entries.size());
                if (!entry.isEmpty())
                {
                    entry.add(entry.get(twice.field() % entry.size()));
                }
            }
            else if (mutation instanceof UnknownKey unknown)
            {
                entries.get(unknown.entry() % entries.size()).add(new Field(unknown.key(), value("1", 1)));
            }
            else if (mutation instanceof PastedTwice pasted)
            {
                entries.add(new ArrayList<>(entries.get(pasted.entry() % entries.size())));
            }
            else if (mutation instanceof DropEntry drop)
            {
                entries.remove(drop.entry() % entries.size());
            }
        }

        private static List<String> keys(final List<Field> entry)
        {
            return entry.stream().map(Field::key).collect(Collectors.toList());
        }

        String render()
        {
            if (entries.isEmpty())
            {
                return "partitions: []\n";
            }
            final StringBuilder yaml = new StringBuilder("# a fabric\npartitions:\n");
            for (final List<Field> entry : entries)
            {
                if (entry.isEmpty())
                {
                    yaml.append("  - {}\n");
                }
                for (int i = 0; i < entry.size(); i++)
                {
                    final Field field = entry.get(i);
                    yaml.append(i == 0 ? "  - " : "    ").append(field.key()).append(':')
                        .append(field.value().text().isEmpty() ? "" : " ").append(field.value().text()).append('\n');
                }
            }
            return yaml.toString();
        }

        /** The names the entries give, as a refusal quotes them. */
        Set<String> quotedNames()
        {
            final Set<String> names = new HashSet<>();
            for (final List<Field> entry : entries)
            {
                for (final Field field : entry)
                {
                    if (field.key().equals("name"))
                    {
                        // Refused or not, a name written as a plain string is the text itself.
                        names.add(ManifestException.quote(field.value().meaning() instanceof String name ?
                            name : field.value().text()));
                    }
                }
            }
            return names;
        }
    }

    @Property
    void aHandEditedManifestIsReadAsWrittenOrRefusedSayingWhere(@ForAll("mutationLists") final List<Mutation> mutations)
        throws IOException
    {
        final Mutated mutated = new Mutated(mutations);
        final Path file = dir.resolve("manifest.yaml");
        if (mutated.fromFile)
        {
            Files.write(file, mutated.bytes);
        }
        final String text = mutated.fromFile ? new String(mutated.bytes, StandardCharsets.UTF_8) : mutated.text;
        final Manifest manifest;
        try
        {
            manifest = assertTimeoutPreemptively(HANG,
                () -> mutated.fromFile ? ManifestParser.parse(file) : ManifestParser.parse(text));
        }
        catch (final ManifestException ex)
        {
            assertUseful(ex, mutated, file);
            return;
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("not a ManifestException: " + ex + "\n" + shown(text), ex);
        }
        assertFalse(mutated.mustRefuse, () -> "taken: " + manifest.partitions() + "\n" + shown(text));
        assertSameManifest(manifest, rebuilt(manifest), "the builder takes what the file gave");
        assertSameManifest(manifest, ManifestParser.parse(written(manifest)), "read back as written");
        if (!mutated.garbled)
        {
            assertSaysWhatItsTextSays(manifest, mutated.entries, text);
        }
    }

    private static String shown(final String text)
    {
        return text.length() > 1500 ? text.substring(0, 1500) + "... (" + text.length() + " characters)" : text;
    }

    /**
     * One line that names the entry and the field, and where: or, for a file that is no manifest, why
     * and where it stops being one.
     */
    private static void assertUseful(final ManifestException ex, final Mutated mutated, final Path file)
    {
        final String text = mutated.fromFile ? new String(mutated.bytes, StandardCharsets.UTF_8) : mutated.text;
        final String whole = ex.getMessage();
        final String context = whole + "\n" + shown(text);
        assertTrue(whole.chars().noneMatch(c -> c < 0x20 || c == 0x7F), () -> "one line: " + context);
        // Short, whatever the text: quotes are cut at 40 characters. The longest is an unknown field's,
        // which lists the twelve known ones (some 160 characters) after the file, the entry and the key.
        assertTrue(whole.length() < 450, () -> "short: " + context);
        final String filePrefix = "manifest " + file + ": ";
        final String message;
        if (mutated.fromFile)
        {
            assertTrue(whole.startsWith(filePrefix), () -> "names the file: " + context);
            if (whole.equals(filePrefix + "not UTF-8 text") ||
                whole.equals(filePrefix + "larger than " + ManifestParser.MAX_BYTES / 1024 + " KiB"))
            {
                return;
            }
            // Named as a compiler names its source: the file, then the entry, or what was "manifest: ".
            final String named = whole.substring(filePrefix.length());
            message = named.startsWith("partition '") || named.matches("partitions\\[[0-9]+\\]: .*") ?
                named : "manifest: " + named;
        }
        else
        {
            message = whole;
        }
        if (message.equals("manifest: expected a mapping with a 'partitions' list, found nothing"))
        {
            return;
        }
        assertTrue(LOCATION.matcher(message).matches(), () -> "says the line and column: " + context);
        final String rest;
        if (message.startsWith("manifest: "))
        {
            rest = message.substring("manifest: ".length());
            if (rest.startsWith("not valid YAML: ") || rest.startsWith("nested more than "))
            {
                assertTrue(mutated.garbled || mutated.mustRefuse, () -> "valid YAML: " + context);
                assertNull(ex.field(), context);
                return;
            }
        }
        else if (message.startsWith("partitions["))
        {
            final int index = Integer.parseInt(message.substring("partitions[".length(), message.indexOf(']')));
            assertTrue(mutated.garbled || index < mutated.entries.size(), () -> "an entry there is: " + context);
            rest = message.substring(message.indexOf("]: ") + 3);
        }
        else
        {
            assertTrue(message.startsWith("partition '"), () -> "names the entry: " + context);
            final String label = mutated.quotedNames().stream()
                .filter(quoted -> message.startsWith("partition " + quoted + ": ")).findFirst().orElse(null);
            assertTrue(mutated.garbled || label != null, () -> "names an entry there is: " + context);
            // A garbled name may be cut short in the quote: what follows it is the first field the message names.
            final int field = Math.max(message.indexOf(": field "), message.indexOf(": unknown field "));
            rest = label != null ? message.substring(("partition " + label + ": ").length()) :
                message.substring(field < 0 ? message.length() : field + 2);
        }
        if (rest.startsWith("partitions[") || rest.startsWith("no partitions") || rest.startsWith("more than ") ||
            rest.startsWith("expected a mapping"))
        {
            // The manifest's own: an entry that is not a mapping, none, too many.
            return;
        }
        final String field = ex.field();
        final boolean unknownNonString = rest.startsWith("unknown field ") && !rest.startsWith("unknown field '");
        assertTrue(field != null || unknownNonString, () -> "field() names the field: " + context);
        assertTrue(unknownNonString ||
            rest.startsWith("field " + ManifestException.quote(field)) ||
            rest.startsWith("unknown field " + ManifestException.quote(field)),
            () -> "names the field " + field + ": " + context);
    }

    /** The manifest built again through the builder, from what the parsed one holds. */
    private static Manifest rebuilt(final Manifest manifest)
    {
        final Manifest.Builder builder = Manifest.builder();
        for (final PartitionManifest p : manifest.partitions())
        {
            builder.partition(b ->
            {
                b.name(p.name()).id(p.id()).world(p.world()).executionContexts(p.executionContextCount())
                    .ffaVersion(p.ffaVersion()).memorySize(p.memorySize()).properties(p.properties());
                p.uuids().forEach(b::uuid);
            });
        }
        return builder.build();
    }

    private static final int[] METHOD_BITS = {
        PartitionProperties.DIRECT_REQ_RECV, PartitionProperties.DIRECT_REQ_SEND, PartitionProperties.DIRECT_REQ2_RECV,
        PartitionProperties.DIRECT_REQ2_SEND, PartitionProperties.INDIRECT_MSG};
    private static final String[] METHODS = {
        "direct-req-recv", "direct-req-send", "direct-req2-recv", "direct-req2-send", "indirect"};

    /** A manifest file that says what {@code manifest} holds, every field given. */
    static String written(final Manifest manifest)
    {
        final StringBuilder yaml = new StringBuilder("partitions:\n");
        for (final PartitionManifest p : manifest.partitions())
        {
            final List<String> methods = new ArrayList<>();
            for (int i = 0; i < METHODS.length; i++)
            {
                if (p.hasProperty(METHOD_BITS[i]))
                {
                    methods.add(METHODS[i]);
                }
            }
            yaml.append("  - name: '").append(p.name().replace("'", "''")).append("'\n")
                .append("    id: ").append(String.format("0x%04x", p.id())).append('\n')
                .append("    world: ").append(p.world().manifestName()).append('\n')
                .append("    uuid: ").append(p.uuids()).append('\n')
                .append("    execution-contexts: ").append(p.executionContextCount()).append('\n')
                .append("    ffa-version: \"").append(FfaVersion.major(p.ffaVersion())).append('.')
                .append(FfaVersion.minor(p.ffaVersion())).append("\"\n")
                .append("    memory: ").append(p.memorySize()).append('\n')
                .append("    messaging: ").append(methods).append('\n')
                .append("    notifications: ").append(p.hasProperty(PartitionProperties.NOTIFICATION_RECV)).append('\n')
                .append("    vm-created-messages: ").append(p.hasProperty(PartitionProperties.VM_CREATED_MSG)).append('\n')
                .append("    vm-destroyed-messages: ").append(p.hasProperty(PartitionProperties.VM_DESTROYED_MSG))
                .append('\n')
                .append("    aarch64: ").append(p.hasProperty(PartitionProperties.AARCH64)).append('\n');
        }
        return yaml.toString();
    }

    static void assertSameManifest(final Manifest expected, final Manifest actual, final String what)
    {
        assertEquals(expected.partitions().size(), actual.partitions().size(), what);
        for (int i = 0; i < expected.partitions().size(); i++)
        {
            final PartitionManifest e = expected.partitions().get(i);
            final PartitionManifest a = actual.partitions().get(i);
            final String entry = what + ": " + e;
            assertEquals(e.name(), a.name(), entry);
            assertEquals(e.id(), a.id(), entry);
            assertEquals(e.world(), a.world(), entry);
            assertEquals(e.uuids(), a.uuids(), entry);
            assertEquals(e.executionContextCount(), a.executionContextCount(), entry);
            assertEquals(e.ffaVersion(), a.ffaVersion(), entry);
            assertEquals(e.memorySize(), a.memorySize(), entry);
            assertEquals(e.properties(), a.properties(), entry);
        }
    }

    /** Each entry as its fields say, or the default for a field left out. */
    private static void assertSaysWhatItsTextSays(
        final Manifest manifest, final List<List<Field>> entries, final String text)
    {
        assertEquals(entries.size(), manifest.partitions().size(), text);
        for (int i = 0; i < entries.size(); i++)
        {
            final PartitionManifest p = manifest.partitions().get(i);
            final String entry = p + "\n" + text;
            int properties = PartitionProperties.AARCH64;
            for (final Field field : entries.get(i))
            {
                final Object meaning = field.value().meaning();
                switch (field.key())
                {
                    case "name": assertEquals(meaning, p.name(), entry); break;
                    case "id": assertEquals(meaning, p.id(), entry); break;
                    case "world": assertEquals(meaning, p.world(), entry); break;
                    case "uuid": assertEquals(meaning, p.uuids(), entry); break;
                    case "execution-contexts": assertEquals(meaning, p.executionContextCount(), entry); break;
                    case "ffa-version": assertEquals(meaning, p.ffaVersion(), entry); break;
                    case "memory": assertEquals(meaning, p.memorySize(), entry); break;
                    case "messaging": properties |= (Integer)meaning; break;
                    default:
                        final int bit = flagBit(field.key());
                        properties = (Boolean)meaning ? properties | bit : properties & ~bit;
                        break;
                }
            }
            final List<String> given = entries.get(i).stream().map(Field::key).collect(Collectors.toList());
            if (!given.contains("execution-contexts"))
            {
                assertEquals(1, p.executionContextCount(), entry);
            }
            if (!given.contains("ffa-version"))
            {
                assertEquals(FfaVersion.LATEST, p.ffaVersion(), entry);
            }
            if (!given.contains("memory"))
            {
                assertEquals(1024 * 1024, p.memorySize(), entry);
            }
            assertEquals(properties, p.properties(), entry);
        }
    }

    private static int flagBit(final String flag)
    {
        switch (flag)
        {
            case "notifications": return PartitionProperties.NOTIFICATION_RECV;
            case "vm-created-messages": return PartitionProperties.VM_CREATED_MSG;
            case "vm-destroyed-messages": return PartitionProperties.VM_DESTROYED_MSG;
            default: return PartitionProperties.AARCH64;
        }
    }
}
