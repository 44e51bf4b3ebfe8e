package org.ffafabric.manifest;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What a refusal says, word for word, where the user has to act on it: a size as it was written. The
 * builder, told the same, says the same less the line and column.
 */
class ManifestRefusalWordsTest
{
    private static final String U1 = "11111111-0000-0000-0000-000000000001";
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
}
