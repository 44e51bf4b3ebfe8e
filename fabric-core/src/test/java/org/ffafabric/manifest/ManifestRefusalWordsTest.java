package org.ffafabric.manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What a refusal says, word for word, where the user has to act on it: a size as it was written, and
 * the known field (or method) a misspelt one is closest to. The builder, told the same, says the same
 * less the line and column.
 */
class ManifestRefusalWordsTest
{
    private static final String U1 = "11111111-0000-0000-0000-000000000001";
    private static final String KNOWN_FIELDS = "name, id, world, uuid, execution-contexts, ffa-version, memory, " +
        "messaging, notifications, vm-created-messages, vm-destroyed-messages, aarch64";
    private static final String MORE = " is more than 2097148K (2G less a page: a partition's memory is one mapping)";
    private static final String LESS = " is less than one page (4K)";
    private static final String NOT_PAGES = " is not a multiple of the page size (4K)";

    /** The refusal of a one-entry manifest, {@code fields} inside its braces, split at " at line ". */
    private static String[] refusal(final String fields)
    {
        return split(assertThrows(ManifestException.class,
            () -> ManifestParser.parse("partitions:\n  - {" + fields + "}\n")).getMessage());
    }

    private static String[] split(final String message)
    {
        final int at = message.lastIndexOf(" at line ");
        assertTrue(at > 0, () -> "says where: " + message);
        return new String[] { message.substring(0, at), message.substring(at + " at ".length()) };
    }

    private static String vm(final String more)
    {
        return "name: n, id: 1, world: vm, uuid: " + U1 + ", " + more;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "3G      | '3G' (3221225472 bytes)" + MORE,
        "2g      | '2g' (2147483648 bytes)" + MORE,
        "6K      | '6K' (6144 bytes)" + NOT_PAGES,
        "0x800   | '0x800' (2048 bytes)" + LESS,
        "'2K'    | '2K' (2048 bytes)" + LESS,
        "+4097   | '+4097' (4097 bytes)" + NOT_PAGES,
        "0K      | '0K' (0 bytes)" + LESS,
    })
    void aRefusedSizeIsQuotedAsWrittenWithItsBytes(final String written, final String words)
    {
        final String[] refused = refusal(vm("memory: " + written));
        assertEquals("partition 'n': field 'memory' " + words, refused[0]);
        assertTrue(refused[1].startsWith("line 2, column "), refused[1]);
    }

    /** Written as the byte count itself, there is nothing to add: the file's words are the builder's. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "4097        | 4097 bytes" + NOT_PAGES,
        "0           | 0 bytes" + LESS,
        "-4096       | -4096 bytes" + LESS,
        "3221225472  | 3221225472 bytes" + MORE,
    })
    void aSizeInBytesIsSaidAsTheBuilderSaysIt(final long bytes, final String words)
    {
        assertEquals("partition 'n': field 'memory' " + words, refusal(vm("memory: " + bytes))[0]);
        final ManifestException built = assertThrows(ManifestException.class, () -> PartitionManifest.builder()
            .name("n").id(1).world(World.VM).uuid(U1).memorySize(bytes).build());
        assertEquals("partition 'n': field 'memory' " + words, built.getMessage());
        assertEquals("memory", built.field());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "memroy               | memory",
        "Memory               | memory",
        "MEMORY               | memory",
        "'memory '            | memory",
        "execution_contexts   | execution-contexts",
        "executionContexts    | execution-contexts",
        "ExecutionContexts    | execution-contexts",
        "execution-context    | execution-contexts",
        "ffa_version          | ffa-version",
        "FfaVersion           | ffa-version",
        "ffaversion           | ffa-version",
        "vmCreatedMessages    | vm-created-messages",
        "vm_destroyed_messages | vm-destroyed-messages",
        "vm-create-messages   | vm-created-messages",
        "notification         | notifications",
        "aarch46              | aarch64",
        "AArch64              | aarch64",
        "wrold                | world",
        "UUID                 | uuid",
        "uid                  | id' or 'uuid",
    })
    void anUnknownFieldCloseToAKnownOneIsSuggested(final String key, final String known)
    {
        final String[] refused = refusal(vm(key + ": 1"));
        final String shown = key.startsWith("'") ? key : "'" + key + "'";
        assertEquals("partition 'n': unknown field " + shown + " (did you mean '" + known + "'?)", refused[0]);
        assertTrue(refused[1].startsWith("line 2, column "), refused[1]);
    }

    @ParameterizedTest
    @ValueSource(strings = { "colour", "vm-created", "x", "direct-req-recv", "messages" })
    void anUnknownFieldLikeNoneIsToldTheKnownOnes(final String key)
    {
        assertEquals("partition 'n': unknown field '" + key + "' (known fields: " + KNOWN_FIELDS + ")",
            refusal(vm(key + ": 1"))[0]);
    }

    @Test
    void anUnknownFieldIsNamedWithItsEntryOrPosition()
    {
        assertEquals("partitions[0]: unknown field 'nmae' (did you mean 'name'?)",
            refusal("nmae: n, id: 1, world: vm, uuid: " + U1)[0]);
        assertEquals("partition 'n': unknown field the integer '1' (known fields: " + KNOWN_FIELDS + ")",
            refusal(vm("1: x"))[0]);
        assertEquals("partition 'n': unknown field '" + "x".repeat(ManifestException.QUOTE_LIMIT) +
            "'... (100 characters) (known fields: " + KNOWN_FIELDS + ")", refusal(vm("x".repeat(100) + ": 1"))[0]);
    }

    @Test
    void anUnknownTopLevelFieldIsSuggestedPartitions()
    {
        final String entry = "  - {" + vm("memory: 4K") + "}\n";
        assertEquals("manifest: unknown field 'partition' (did you mean 'partitions'?) at line 1, column 1",
            assertThrows(ManifestException.class, () -> ManifestParser.parse("partition:\n" + entry)).getMessage());
        assertEquals("manifest: unknown field 'Partitions' (did you mean 'partitions'?) at line 1, column 1",
            assertThrows(ManifestException.class, () -> ManifestParser.parse("Partitions:\n" + entry)).getMessage());
        assertEquals("manifest: unknown field 'extra' (known fields: partitions) at line 3, column 1",
            assertThrows(ManifestException.class,
                () -> ManifestParser.parse("partitions:\n" + entry + "extra: 1\n")).getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = { "direct_req_recv", "directReqRecv", "Direct-Req-Recv", "DIRECT-REQ-RECV", "direct-req-revc",
        "direct-reqrecv" })
    void anUnknownMethodCloseToAKnownOneIsSuggested(final String method)
    {
        assertEquals("partition 'n': field 'messaging' has unknown method the string '" + method +
            "' (did you mean 'direct-req-recv'?)", refusal(vm("messaging: [indirect, " + method + "]"))[0]);
    }

    @Test
    void anUnknownMethodLikeNoneIsToldTheKnownOnes()
    {
        assertEquals("partition 'n': field 'messaging' has unknown method the string 'notify' " +
            "(direct-req-recv, direct-req-send, direct-req2-recv, direct-req2-send, indirect)",
            refusal(vm("messaging: [notify]"))[0]);
    }
}
