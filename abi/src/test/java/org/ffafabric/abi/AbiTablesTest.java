package org.ffafabric.abi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reference's tables (§1.2 function IDs, §2.1 errors, §3 versions) restated as test data. */
class AbiTablesTest
{
    /** name, ID, introducing version: every row of §1.2, both widths. */
    static final String FUNCTION_TABLE = """
        FFA_ERROR,0x84000060,1.0
        FFA_ERROR_64,0xC4000060,1.3
        FFA_SUCCESS_32,0x84000061,1.0
        FFA_SUCCESS_64,0xC4000061,1.0
        FFA_INTERRUPT,0x84000062,1.0
        FFA_INTERRUPT_64,0xC4000062,1.3
        FFA_VERSION,0x84000063,1.0
        FFA_FEATURES,0x84000064,1.0
        FFA_RX_RELEASE,0x84000065,1.0
        FFA_RXTX_MAP_32,0x84000066,1.0
        FFA_RXTX_MAP_64,0xC4000066,1.0
        FFA_RXTX_UNMAP,0x84000067,1.0
        FFA_PARTITION_INFO_GET,0x84000068,1.0
        FFA_ID_GET,0x84000069,1.0
        FFA_MSG_POLL,0x8400006A,1.0
        FFA_MSG_WAIT,0x8400006B,1.0
        FFA_MSG_WAIT_64,0xC400006B,1.3
        FFA_YIELD,0x8400006C,1.0
        FFA_YIELD_64,0xC400006C,1.3
        FFA_RUN,0x8400006D,1.0
        FFA_RUN_64,0xC400006D,1.3
        FFA_MSG_SEND,0x8400006E,1.0
        FFA_MSG_SEND_DIRECT_REQ_32,0x8400006F,1.0
        FFA_MSG_SEND_DIRECT_REQ_64,0xC400006F,1.0
        FFA_MSG_SEND_DIRECT_RESP_32,0x84000070,1.0
        FFA_MSG_SEND_DIRECT_RESP_64,0xC4000070,1.0
        FFA_MEM_DONATE_32,0x84000071,1.0
        FFA_MEM_DONATE_64,0xC4000071,1.0
        FFA_MEM_LEND_32,0x84000072,1.0
        FFA_MEM_LEND_64,0xC4000072,1.0
        FFA_MEM_SHARE_32,0x84000073,1.0
        FFA_MEM_SHARE_64,0xC4000073,1.0
        FFA_MEM_RETRIEVE_REQ_32,0x84000074,1.0
        FFA_MEM_RETRIEVE_REQ_64,0xC4000074,1.0
        FFA_MEM_RETRIEVE_RESP,0x84000075,1.0
        FFA_MEM_RELINQUISH,0x84000076,1.0
        FFA_MEM_RECLAIM,0x84000077,1.0
        FFA_MEM_OP_PAUSE,0x84000078,1.0
        FFA_MEM_OP_RESUME,0x84000079,1.0
        FFA_MEM_FRAG_RX,0x8400007A,1.0
        FFA_MEM_FRAG_TX,0x8400007B,1.0
        FFA_NORMAL_WORLD_RESUME,0x8400007C,1.0
        FFA_NORMAL_WORLD_RESUME_64,0xC400007C,1.3
        FFA_NOTIFICATION_BITMAP_CREATE,0x8400007D,1.1
        FFA_NOTIFICATION_BITMAP_DESTROY,0x8400007E,1.1
        FFA_NOTIFICATION_BIND,0x8400007F,1.1
        FFA_NOTIFICATION_UNBIND,0x84000080,1.1
        FFA_NOTIFICATION_SET,0x84000081,1.1
        FFA_NOTIFICATION_GET,0x84000082,1.1
        FFA_NOTIFICATION_INFO_GET_32,0x84000083,1.1
        FFA_NOTIFICATION_INFO_GET_64,0xC4000083,1.1
        FFA_RX_ACQUIRE,0x84000084,1.1
        FFA_SPM_ID_GET,0x84000085,1.1
        FFA_MSG_SEND2,0x84000086,1.1
        FFA_SECONDARY_EP_REGISTER_32,0x84000087,1.1
        FFA_SECONDARY_EP_REGISTER_64,0xC4000087,1.1
        FFA_MEM_PERM_GET_32,0x84000088,1.1
        FFA_MEM_PERM_GET_64,0xC4000088,1.1
        FFA_MEM_PERM_SET_32,0x84000089,1.1
        FFA_MEM_PERM_SET_64,0xC4000089,1.1
        FFA_CONSOLE_LOG_32,0x8400008A,1.2
        FFA_CONSOLE_LOG_64,0xC400008A,1.2
        FFA_PARTITION_INFO_GET_REGS,0xC400008B,1.2
        FFA_EL3_INTR_HANDLE,0x8400008C,1.2
        FFA_MSG_SEND_DIRECT_REQ2,0xC400008D,1.2
        FFA_MSG_SEND_DIRECT_RESP2,0xC400008E,1.2
        FFA_NS_RES_INFO_GET,0xC400008F,1.3
        FFA_ABORT_32,0x84000090,1.3
        FFA_ABORT_64,0xC4000090,1.3
        FFA_NOTIFICATION_BIND2,0xC4000094,1.3
        FFA_NOTIFICATION_UNBIND2,0xC4000095,1.3
        FFA_NOTIFICATION_SET2,0xC4000096,1.3
        FFA_NOTIFICATION_GET2,0xC4000097,1.3
        """;

    @Test
    void everyFunctionIdBothWays()
    {
        final Set<Integer> expected = new HashSet<>();
        for (final String row : FUNCTION_TABLE.strip().split("\n"))
        {
            final String[] cells = row.strip().split(",");
            final String name = cells[0];
            final int id = Integer.parseUnsignedInt(cells[1].substring(2), 16);
            final int introduced = FfaVersion.parse(cells[2]);
            expected.add(id);
            assertEquals(name, FunctionId.name(id), row);
            assertEquals(id, FunctionId.fromName(name), row);
            assertEquals(id, FunctionId.fromName(name.toLowerCase()), row);
            assertEquals(introduced, FunctionId.introducedIn(id), row);
            assertTrue(FunctionId.isKnown(id), row);
            assertEquals((id & 0x4000_0000) != 0, FunctionId.isSmc64(id), row);
            assertEquals(id & 0xFFFF, FunctionId.number(id), row);
            assertEquals(id, FunctionId.isSmc64(id) ? FunctionId.smc64(id & 0xFFFF) : FunctionId.smc32(id & 0xFFFF), row);
        }
        final Set<Integer> actual = new HashSet<>();
        Arrays.stream(FunctionId.all()).forEach(actual::add);
        assertEquals(expected, actual);
        assertEquals(73, expected.size());
    }

    @Test
    void directRequestsAndResponsesOfEveryWidth()
    {
        final Set<Integer> requests = Set.of(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32,
            FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, FunctionId.FFA_MSG_SEND_DIRECT_REQ2);
        final Set<Integer> responses = Set.of(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32,
            FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, FunctionId.FFA_MSG_SEND_DIRECT_RESP2);
        for (final int id : FunctionId.all())
        {
            assertEquals(requests.contains(id), FunctionId.isDirectRequest(id), FunctionId.name(id));
            assertEquals(responses.contains(id), FunctionId.isDirectResponse(id), FunctionId.name(id));
        }
    }

    @Test
    void idsThatDoNotExist()
    {
        // SMC64-only functions have no SMC32 form; 0x91-0x93 are undefined; other owners are not FF-A.
        assertNull(FunctionId.name(0x8400_008B));
        assertNull(FunctionId.name(0x8400_008D));
        assertNull(FunctionId.name(0x8400_008E));
        assertNull(FunctionId.name(0xC400_0063));
        for (int n = 0x91; n <= 0x93; n++)
        {
            assertNull(FunctionId.name(FunctionId.smc32(n)));
            assertNull(FunctionId.name(FunctionId.smc64(n)));
        }
        assertNull(FunctionId.name(0x8400_005F));
        assertNull(FunctionId.name(0x8400_0098));
        assertNull(FunctionId.name(0x8500_0063));
        assertNull(FunctionId.name(0x0400_0063));
        assertNull(FunctionId.name(0));
        assertEquals(0, FunctionId.introducedIn(0x8400_0091));
        assertEquals(0, FunctionId.fromName("FFA_NOPE"));
        assertEquals(0, FunctionId.fromName(null));
        assertEquals("0x84000091", FunctionId.describe(0x8400_0091));
        assertFalse(FunctionId.isKnown(-1));
    }

    @ParameterizedTest
    @CsvSource({
        "0,SUCCESS,false", "-1,NOT_SUPPORTED,true", "-2,INVALID_PARAMETERS,true", "-3,NO_MEMORY,true", "-4,BUSY,true",
        "-5,INTERRUPTED,true", "-6,DENIED,true", "-7,RETRY,true", "-8,ABORTED,true", "-9,NO_DATA,true",
        "-10,NOT_READY,true",
    })
    void errorCodes(final int code, final String name, final boolean known)
    {
        // 0 is a host-side convention only: not an FF-A error, so name() does not claim it.
        assertEquals(known ? name : ErrorCode.UNKNOWN, ErrorCode.name(code));
        assertEquals(known, ErrorCode.isKnown(code));
        if (known)
        {
            assertEquals(code, ErrorCode.fromName(name));
        }
    }

    @ParameterizedTest
    @CsvSource({ "-11", "-2147483648", "5", "1", "2147483647", "-100" })
    void errorCodesOutsideTheTable(final int code)
    {
        assertEquals(ErrorCode.UNKNOWN, ErrorCode.name(code));
        assertFalse(ErrorCode.isKnown(code));
    }

    @Test
    void errorCodeCountsAndCarriage()
    {
        assertEquals(10, ErrorCode.count());
        assertEquals(0, ErrorCode.fromName("SUCCESS"));
        assertEquals(0, ErrorCode.fromName("nonsense"));
        // A negative code travels zero-extended in x2 and reads back signed.
        final RegisterFile registers = new RegisterFile().error(ErrorCode.NOT_SUPPORTED);
        assertEquals(0x0000_0000_FFFF_FFFFL, registers.x(2));
        assertEquals(-1, registers.errorCode());
        assertTrue(registers.isError());
    }

    @ParameterizedTest
    @CsvSource({
        // caller, callee, compatible
        "1.0,1.0,true", "1.0,1.2,true", "1.1,1.2,true", "1.2,1.2,true", "1.2,1.1,false", "1.3,1.2,false",
        "2.0,1.2,false", "1.2,2.0,false", "0.9,1.0,false",
    })
    void versionCompatibility(final String caller, final String callee, final boolean compatible)
    {
        assertEquals(compatible, FfaVersion.isCompatible(FfaVersion.parse(caller), FfaVersion.parse(callee)));
    }

    @Test
    void versionWords()
    {
        assertEquals(0x0001_0000, FfaVersion.V1_0);
        assertEquals(0x0001_0001, FfaVersion.V1_1);
        assertEquals(0x0001_0002, FfaVersion.V1_2);
        assertEquals(0x0001_0003, FfaVersion.V1_3);
        assertFalse(FfaVersion.isCompatible(0x8001_0000, FfaVersion.V1_2));
        assertFalse(FfaVersion.isCompatible(FfaVersion.V1_0, 0x8001_0002));
        assertFalse(FfaVersion.isValid(0x8001_0000));
        assertEquals(1, FfaVersion.major(FfaVersion.V1_2));
        assertEquals(2, FfaVersion.minor(FfaVersion.V1_2));
        assertTrue(FfaVersion.isImplemented(FfaVersion.V1_1));
        assertFalse(FfaVersion.isImplemented(FfaVersion.V1_3));
    }

    @ParameterizedTest
    @CsvSource({
        "1.0,0x00010000", "1.2,0x00010002", "v1.1,0x00010001", "V1.2,0x00010002", "32767.65535,0x7FFFFFFF",
        "2.10,0x0002000A",
    })
    void versionParseAndPrint(final String text, final String word)
    {
        final int version = Integer.parseUnsignedInt(word.substring(2), 16);
        assertEquals(version, FfaVersion.parse(text));
        assertEquals(text.replaceFirst("^[vV]", ""), FfaVersion.toString(version));
    }

    @ParameterizedTest
    @CsvSource(value = { "''", "1", "1.", ".2", "a.b", "1.2.3", "32768.0", "1.65536", "-1.0", "1. 2", "v", "1234567.0" },
        emptyValue = "")
    void versionParseRejects(final String text)
    {
        assertEquals(FfaVersion.NOT_SUPPORTED, FfaVersion.parse(text));
    }

    @Test
    void versionParseNullAndInvalidPrint()
    {
        assertEquals(FfaVersion.NOT_SUPPORTED, FfaVersion.parse(null));
        assertEquals("invalid(0x80010000)", FfaVersion.toString(0x8001_0000));
    }
}
