package org.ffafabric.manifest;

import org.ffafabric.abi.PartitionProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What a refusal says, word for word, where the user has to act on it: a size as it was written, the
 * known field (or method) a misspelt one is closest to, and why a VM may not subscribe to VM
 * created/destroyed messages. The builder, told the same, says the same less the line and column.
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
        assertEquals("partition 'n': field 'messaging' has unknown method '" + method +
            "' (did you mean 'direct-req-recv'?)", refusal(vm("messaging: [indirect, " + method + "]"))[0]);
    }

    @Test
    void anUnknownMethodLikeNoneIsToldTheKnownOnes()
    {
        assertEquals("partition 'n': field 'messaging' has unknown method 'notify' " +
            "(direct-req-recv, direct-req-send, direct-req2-recv, direct-req2-send, indirect)",
            refusal(vm("messaging: [notify]"))[0]);
    }

    /**
     * VM created/destroyed messages (partition properties bits 6 and 7, reference §5.1 and the
     * framework messages of §4.3) go from the hypervisor to secure partitions: a VM that subscribes
     * would be told nothing, so its entry is refused, from a file and from the builder alike.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "vm-created-messages   | created",
        "vm-destroyed-messages | destroyed",
    })
    void aVmCannotSubscribeToVmCreatedOrDestroyedMessages(final String field, final String what)
    {
        final int bit = what.equals("created") ? PartitionProperties.VM_CREATED_MSG : PartitionProperties.VM_DESTROYED_MSG;
        final String words = "partition 'n': field '" + field + "': the hypervisor sends VM " + what +
            " messages to secure partitions only, not to VMs";
        final String[] refused = refusal(vm("messaging: [direct-req-recv], " + field + ": true"));
        assertEquals(words, refused[0]);
        assertTrue(refused[1].startsWith("line 2, column "), refused[1]);
        final ManifestException built = assertThrows(ManifestException.class, () -> PartitionManifest.builder()
            .name("n").id(1).world(World.VM).uuid(U1).directMessaging().property(bit, true).build());
        assertEquals(words, built.getMessage());
        assertEquals(field, built.field());
        // Said false, or said of a secure partition, it is taken.
        assertEquals(0, ManifestParser.parse("partitions:\n  - {" + vm(field + ": false") + "}\n")
            .partition("n").properties() & bit);
        assertEquals(bit, PartitionManifest.builder().name("s").id(0x8001).world(World.SP_EL1).uuid(U1)
            .directMessaging().property(bit, true).build().properties() & bit);
    }

    @Test
    void aFileThatCannotBeReadIsToldInWordsNotAsAnException() throws Exception
    {
        // It said "manifest DIR: cannot be read (java.io.IOException: Is a directory)".
        final java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("manifest-dir");
        try
        {
            assertEquals("manifest " + dir + ": is a directory, not a file",
                assertThrows(ManifestException.class, () -> ManifestParser.parse(dir)).getMessage());
            assertEquals("manifest " + dir.resolve("absent.yaml") + ": no such file",
                assertThrows(ManifestException.class, () -> ManifestParser.parse(dir.resolve("absent.yaml"))).getMessage());
        }
        finally
        {
            java.nio.file.Files.delete(dir);
        }
    }
}
