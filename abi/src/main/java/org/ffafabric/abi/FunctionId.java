package org.ffafabric.abi;

/**
 * FF-A function IDs: SMCCC fast calls in the standard secure service range.
 * <p>
 * SMC32 IDs are {@code 0x84000000 | number}, SMC64 IDs {@code 0xC4000000 | number}. The
 * constants are compile-time values so the trap decoder can switch on them; the name and
 * introducing-version lookups are bounded tables indexed by function number.
 */
public final class FunctionId
{
    public static final int SMC32_BASE = 0x8400_0000;
    public static final int SMC64_BASE = 0xC400_0000;
    public static final int FIRST_NUMBER = 0x60;
    public static final int LAST_NUMBER = 0x97;

    /**
     * SMCCC v1.3: bit 16 of a function ID hints that the caller holds no live SVE state. It names
     * no function, so a callee clears it before decoding (TF-A's sync_handler, Hafnium's smc_handler).
     */
    public static final int SVE_HINT = 0x0001_0000;

    private static final int SMC64_BIT = 0x4000_0000;
    private static final int FAST_CALL_BIT = 0x8000_0000;
    private static final int OWNER_AND_TYPE_MASK = 0xBFFF_0000;
    private static final int NUMBER_MASK = 0xFFFF;

    // Returns.
    public static final int FFA_ERROR = 0x8400_0060;
    public static final int FFA_ERROR_64 = 0xC400_0060;
    public static final int FFA_SUCCESS_32 = 0x8400_0061;
    public static final int FFA_SUCCESS_64 = 0xC400_0061;
    public static final int FFA_INTERRUPT = 0x8400_0062;
    public static final int FFA_INTERRUPT_64 = 0xC400_0062;

    // Setup and discovery.
    public static final int FFA_VERSION = 0x8400_0063;
    public static final int FFA_FEATURES = 0x8400_0064;
    public static final int FFA_RX_RELEASE = 0x8400_0065;
    public static final int FFA_RXTX_MAP_32 = 0x8400_0066;
    public static final int FFA_RXTX_MAP_64 = 0xC400_0066;
    public static final int FFA_RXTX_UNMAP = 0x8400_0067;
    public static final int FFA_PARTITION_INFO_GET = 0x8400_0068;
    public static final int FFA_ID_GET = 0x8400_0069;

    // Messaging and CPU cycles.
    public static final int FFA_MSG_POLL = 0x8400_006A;
    public static final int FFA_MSG_WAIT = 0x8400_006B;
    public static final int FFA_MSG_WAIT_64 = 0xC400_006B;
    public static final int FFA_YIELD = 0x8400_006C;
    public static final int FFA_YIELD_64 = 0xC400_006C;
    public static final int FFA_RUN = 0x8400_006D;
    public static final int FFA_RUN_64 = 0xC400_006D;
    public static final int FFA_MSG_SEND = 0x8400_006E;
    public static final int FFA_MSG_SEND_DIRECT_REQ_32 = 0x8400_006F;
    public static final int FFA_MSG_SEND_DIRECT_REQ_64 = 0xC400_006F;
    public static final int FFA_MSG_SEND_DIRECT_RESP_32 = 0x8400_0070;
    public static final int FFA_MSG_SEND_DIRECT_RESP_64 = 0xC400_0070;

    // Memory management.
    public static final int FFA_MEM_DONATE_32 = 0x8400_0071;
    public static final int FFA_MEM_DONATE_64 = 0xC400_0071;
    public static final int FFA_MEM_LEND_32 = 0x8400_0072;
    public static final int FFA_MEM_LEND_64 = 0xC400_0072;
    public static final int FFA_MEM_SHARE_32 = 0x8400_0073;
    public static final int FFA_MEM_SHARE_64 = 0xC400_0073;
    public static final int FFA_MEM_RETRIEVE_REQ_32 = 0x8400_0074;
    public static final int FFA_MEM_RETRIEVE_REQ_64 = 0xC400_0074;
    public static final int FFA_MEM_RETRIEVE_RESP = 0x8400_0075;
    public static final int FFA_MEM_RELINQUISH = 0x8400_0076;
    public static final int FFA_MEM_RECLAIM = 0x8400_0077;
    public static final int FFA_MEM_OP_PAUSE = 0x8400_0078;
    public static final int FFA_MEM_OP_RESUME = 0x8400_0079;
    public static final int FFA_MEM_FRAG_RX = 0x8400_007A;
    public static final int FFA_MEM_FRAG_TX = 0x8400_007B;
    public static final int FFA_NORMAL_WORLD_RESUME = 0x8400_007C;
    public static final int FFA_NORMAL_WORLD_RESUME_64 = 0xC400_007C;

    // v1.1 notifications, buffers, indirect messages, permissions.
    public static final int FFA_NOTIFICATION_BITMAP_CREATE = 0x8400_007D;
    public static final int FFA_NOTIFICATION_BITMAP_DESTROY = 0x8400_007E;
    public static final int FFA_NOTIFICATION_BIND = 0x8400_007F;
    public static final int FFA_NOTIFICATION_UNBIND = 0x8400_0080;
    public static final int FFA_NOTIFICATION_SET = 0x8400_0081;
    public static final int FFA_NOTIFICATION_GET = 0x8400_0082;
    public static final int FFA_NOTIFICATION_INFO_GET_32 = 0x8400_0083;
    public static final int FFA_NOTIFICATION_INFO_GET_64 = 0xC400_0083;
    public static final int FFA_RX_ACQUIRE = 0x8400_0084;
    public static final int FFA_SPM_ID_GET = 0x8400_0085;
    public static final int FFA_MSG_SEND2 = 0x8400_0086;
    public static final int FFA_SECONDARY_EP_REGISTER_32 = 0x8400_0087;
    public static final int FFA_SECONDARY_EP_REGISTER_64 = 0xC400_0087;
    public static final int FFA_MEM_PERM_GET_32 = 0x8400_0088;
    public static final int FFA_MEM_PERM_GET_64 = 0xC400_0088;
    public static final int FFA_MEM_PERM_SET_32 = 0x8400_0089;
    public static final int FFA_MEM_PERM_SET_64 = 0xC400_0089;

    // v1.2.
    public static final int FFA_CONSOLE_LOG_32 = 0x8400_008A;
    public static final int FFA_CONSOLE_LOG_64 = 0xC400_008A;
    public static final int FFA_PARTITION_INFO_GET_REGS = 0xC400_008B;
    public static final int FFA_EL3_INTR_HANDLE = 0x8400_008C;
    public static final int FFA_MSG_SEND_DIRECT_REQ2 = 0xC400_008D;
    public static final int FFA_MSG_SEND_DIRECT_RESP2 = 0xC400_008E;

    // v1.3, known by name so traces can print them; the fabric answers NOT_SUPPORTED.
    public static final int FFA_NS_RES_INFO_GET = 0xC400_008F;
    public static final int FFA_ABORT_32 = 0x8400_0090;
    public static final int FFA_ABORT_64 = 0xC400_0090;
    public static final int FFA_NOTIFICATION_BIND2 = 0xC400_0094;
    public static final int FFA_NOTIFICATION_UNBIND2 = 0xC400_0095;
    public static final int FFA_NOTIFICATION_SET2 = 0xC400_0096;
    public static final int FFA_NOTIFICATION_GET2 = 0xC400_0097;

    private static final int TABLE_LENGTH = LAST_NUMBER - FIRST_NUMBER + 1;
    private static final String[] NAMES_32 = new String[TABLE_LENGTH];
    private static final String[] NAMES_64 = new String[TABLE_LENGTH];
    private static final int[] INTRODUCED_32 = new int[TABLE_LENGTH];
    private static final int[] INTRODUCED_64 = new int[TABLE_LENGTH];

    static
    {
        define(FFA_ERROR, "FFA_ERROR", FfaVersion.V1_0);
        define(FFA_ERROR_64, "FFA_ERROR_64", FfaVersion.V1_3);
        define(FFA_SUCCESS_32, "FFA_SUCCESS_32", FfaVersion.V1_0);
        define(FFA_SUCCESS_64, "FFA_SUCCESS_64", FfaVersion.V1_0);
        define(FFA_INTERRUPT, "FFA_INTERRUPT", FfaVersion.V1_0);
        define(FFA_INTERRUPT_64, "FFA_INTERRUPT_64", FfaVersion.V1_3);
        define(FFA_VERSION, "FFA_VERSION", FfaVersion.V1_0);
        define(FFA_FEATURES, "FFA_FEATURES", FfaVersion.V1_0);
        define(FFA_RX_RELEASE, "FFA_RX_RELEASE", FfaVersion.V1_0);
        define(FFA_RXTX_MAP_32, "FFA_RXTX_MAP_32", FfaVersion.V1_0);
        define(FFA_RXTX_MAP_64, "FFA_RXTX_MAP_64", FfaVersion.V1_0);
        define(FFA_RXTX_UNMAP, "FFA_RXTX_UNMAP", FfaVersion.V1_0);
        define(FFA_PARTITION_INFO_GET, "FFA_PARTITION_INFO_GET", FfaVersion.V1_0);
        define(FFA_ID_GET, "FFA_ID_GET", FfaVersion.V1_0);
        define(FFA_MSG_POLL, "FFA_MSG_POLL", FfaVersion.V1_0);
        define(FFA_MSG_WAIT, "FFA_MSG_WAIT", FfaVersion.V1_0);
        define(FFA_MSG_WAIT_64, "FFA_MSG_WAIT_64", FfaVersion.V1_3);
        define(FFA_YIELD, "FFA_YIELD", FfaVersion.V1_0);
        define(FFA_YIELD_64, "FFA_YIELD_64", FfaVersion.V1_3);
        define(FFA_RUN, "FFA_RUN", FfaVersion.V1_0);
        define(FFA_RUN_64, "FFA_RUN_64", FfaVersion.V1_3);
        define(FFA_MSG_SEND, "FFA_MSG_SEND", FfaVersion.V1_0);
        define(FFA_MSG_SEND_DIRECT_REQ_32, "FFA_MSG_SEND_DIRECT_REQ_32", FfaVersion.V1_0);
        define(FFA_MSG_SEND_DIRECT_REQ_64, "FFA_MSG_SEND_DIRECT_REQ_64", FfaVersion.V1_0);
        define(FFA_MSG_SEND_DIRECT_RESP_32, "FFA_MSG_SEND_DIRECT_RESP_32", FfaVersion.V1_0);
        define(FFA_MSG_SEND_DIRECT_RESP_64, "FFA_MSG_SEND_DIRECT_RESP_64", FfaVersion.V1_0);
        define(FFA_MEM_DONATE_32, "FFA_MEM_DONATE_32", FfaVersion.V1_0);
        define(FFA_MEM_DONATE_64, "FFA_MEM_DONATE_64", FfaVersion.V1_0);
        define(FFA_MEM_LEND_32, "FFA_MEM_LEND_32", FfaVersion.V1_0);
        define(FFA_MEM_LEND_64, "FFA_MEM_LEND_64", FfaVersion.V1_0);
        define(FFA_MEM_SHARE_32, "FFA_MEM_SHARE_32", FfaVersion.V1_0);
        define(FFA_MEM_SHARE_64, "FFA_MEM_SHARE_64", FfaVersion.V1_0);
        define(FFA_MEM_RETRIEVE_REQ_32, "FFA_MEM_RETRIEVE_REQ_32", FfaVersion.V1_0);
        define(FFA_MEM_RETRIEVE_REQ_64, "FFA_MEM_RETRIEVE_REQ_64", FfaVersion.V1_0);
        define(FFA_MEM_RETRIEVE_RESP, "FFA_MEM_RETRIEVE_RESP", FfaVersion.V1_0);
        define(FFA_MEM_RELINQUISH, "FFA_MEM_RELINQUISH", FfaVersion.V1_0);
        define(FFA_MEM_RECLAIM, "FFA_MEM_RECLAIM", FfaVersion.V1_0);
        define(FFA_MEM_OP_PAUSE, "FFA_MEM_OP_PAUSE", FfaVersion.V1_0);
        define(FFA_MEM_OP_RESUME, "FFA_MEM_OP_RESUME", FfaVersion.V1_0);
        define(FFA_MEM_FRAG_RX, "FFA_MEM_FRAG_RX", FfaVersion.V1_0);
        define(FFA_MEM_FRAG_TX, "FFA_MEM_FRAG_TX", FfaVersion.V1_0);
        define(FFA_NORMAL_WORLD_RESUME, "FFA_NORMAL_WORLD_RESUME", FfaVersion.V1_0);
        define(FFA_NORMAL_WORLD_RESUME_64, "FFA_NORMAL_WORLD_RESUME_64", FfaVersion.V1_3);
        define(FFA_NOTIFICATION_BITMAP_CREATE, "FFA_NOTIFICATION_BITMAP_CREATE", FfaVersion.V1_1);
        define(FFA_NOTIFICATION_BITMAP_DESTROY, "FFA_NOTIFICATION_BITMAP_DESTROY", FfaVersion.V1_1);
        define(FFA_NOTIFICATION_BIND, "FFA_NOTIFICATION_BIND", FfaVersion.V1_1);
        define(FFA_NOTIFICATION_UNBIND, "FFA_NOTIFICATION_UNBIND", FfaVersion.V1_1);
        define(FFA_NOTIFICATION_SET, "FFA_NOTIFICATION_SET", FfaVersion.V1_1);
        define(FFA_NOTIFICATION_GET, "FFA_NOTIFICATION_GET", FfaVersion.V1_1);
        define(FFA_NOTIFICATION_INFO_GET_32, "FFA_NOTIFICATION_INFO_GET_32", FfaVersion.V1_1);
        define(FFA_NOTIFICATION_INFO_GET_64, "FFA_NOTIFICATION_INFO_GET_64", FfaVersion.V1_1);
        define(FFA_RX_ACQUIRE, "FFA_RX_ACQUIRE", FfaVersion.V1_1);
        define(FFA_SPM_ID_GET, "FFA_SPM_ID_GET", FfaVersion.V1_1);
        define(FFA_MSG_SEND2, "FFA_MSG_SEND2", FfaVersion.V1_1);
        define(FFA_SECONDARY_EP_REGISTER_32, "FFA_SECONDARY_EP_REGISTER_32", FfaVersion.V1_1);
        define(FFA_SECONDARY_EP_REGISTER_64, "FFA_SECONDARY_EP_REGISTER_64", FfaVersion.V1_1);
        define(FFA_MEM_PERM_GET_32, "FFA_MEM_PERM_GET_32", FfaVersion.V1_1);
        define(FFA_MEM_PERM_GET_64, "FFA_MEM_PERM_GET_64", FfaVersion.V1_1);
        define(FFA_MEM_PERM_SET_32, "FFA_MEM_PERM_SET_32", FfaVersion.V1_1);
        define(FFA_MEM_PERM_SET_64, "FFA_MEM_PERM_SET_64", FfaVersion.V1_1);
        define(FFA_CONSOLE_LOG_32, "FFA_CONSOLE_LOG_32", FfaVersion.V1_2);
        define(FFA_CONSOLE_LOG_64, "FFA_CONSOLE_LOG_64", FfaVersion.V1_2);
        define(FFA_PARTITION_INFO_GET_REGS, "FFA_PARTITION_INFO_GET_REGS", FfaVersion.V1_2);
        define(FFA_EL3_INTR_HANDLE, "FFA_EL3_INTR_HANDLE", FfaVersion.V1_2);
        define(FFA_MSG_SEND_DIRECT_REQ2, "FFA_MSG_SEND_DIRECT_REQ2", FfaVersion.V1_2);
        define(FFA_MSG_SEND_DIRECT_RESP2, "FFA_MSG_SEND_DIRECT_RESP2", FfaVersion.V1_2);
        define(FFA_NS_RES_INFO_GET, "FFA_NS_RES_INFO_GET", FfaVersion.V1_3);
        define(FFA_ABORT_32, "FFA_ABORT_32", FfaVersion.V1_3);
        define(FFA_ABORT_64, "FFA_ABORT_64", FfaVersion.V1_3);
        define(FFA_NOTIFICATION_BIND2, "FFA_NOTIFICATION_BIND2", FfaVersion.V1_3);
        define(FFA_NOTIFICATION_UNBIND2, "FFA_NOTIFICATION_UNBIND2", FfaVersion.V1_3);
        define(FFA_NOTIFICATION_SET2, "FFA_NOTIFICATION_SET2", FfaVersion.V1_3);
        define(FFA_NOTIFICATION_GET2, "FFA_NOTIFICATION_GET2", FfaVersion.V1_3);
    }

    private FunctionId()
    {
    }

    private static void define(final int functionId, final String name, final int introducedIn)
    {
        final int index = number(functionId) - FIRST_NUMBER;
        if (isSmc64(functionId))
        {
            NAMES_64[index] = name;
            INTRODUCED_64[index] = introducedIn;
        }
        else
        {
            NAMES_32[index] = name;
            INTRODUCED_32[index] = introducedIn;
        }
    }

    /** SMC32 ID for a function number. */
    public static int smc32(final int number)
    {
        return SMC32_BASE | (number & NUMBER_MASK);
    }

    /** SMC64 ID for a function number. */
    public static int smc64(final int number)
    {
        return SMC64_BASE | (number & NUMBER_MASK);
    }

    /** Function number, bits [15:0]. */
    public static int number(final int functionId)
    {
        return functionId & NUMBER_MASK;
    }

    /** The function ID a callee decodes: {@code functionId} without the {@link #SVE_HINT}. */
    public static int withoutSveHint(final int functionId)
    {
        return functionId & ~SVE_HINT;
    }

    /** True when bit 30 (the SMC64 calling convention) is set. */
    public static boolean isSmc64(final int functionId)
    {
        return (functionId & SMC64_BIT) != 0;
    }

    /** FFA_MSG_SEND_DIRECT_REQ_32, REQ_64 or REQ2. */
    public static boolean isDirectRequest(final int functionId)
    {
        return functionId == FFA_MSG_SEND_DIRECT_REQ_64 || functionId == FFA_MSG_SEND_DIRECT_REQ_32 ||
            functionId == FFA_MSG_SEND_DIRECT_REQ2;
    }

    /** FFA_MSG_SEND_DIRECT_RESP_32, RESP_64 or RESP2. */
    public static boolean isDirectResponse(final int functionId)
    {
        return functionId == FFA_MSG_SEND_DIRECT_RESP_64 || functionId == FFA_MSG_SEND_DIRECT_RESP_32 ||
            functionId == FFA_MSG_SEND_DIRECT_RESP2;
    }

    /** True for a fast call in the standard secure service range, whatever the number. */
    public static boolean isStandardServiceFastCall(final int functionId)
    {
        return (functionId & OWNER_AND_TYPE_MASK) == SMC32_BASE;
    }

    /** True when the ID names an FF-A function (either width) known to this table. */
    public static boolean isKnown(final int functionId)
    {
        return index(functionId) >= 0;
    }

    /** The function's name, e.g. "FFA_MSG_SEND_DIRECT_REQ_64", or null when not an FF-A ID. */
    public static String name(final int functionId)
    {
        final int index = index(functionId);
        if (index < 0)
        {
            return null;
        }
        return isSmc64(functionId) ? NAMES_64[index] : NAMES_32[index];
    }

    /** The name, or "0x...": never null, for traces. */
    public static String describe(final int functionId)
    {
        final String name = name(functionId);
        return name != null ? name : String.format("0x%08X", functionId);
    }

    /** The version that introduced this ID, or 0 when unknown. */
    public static int introducedIn(final int functionId)
    {
        final int index = index(functionId);
        if (index < 0)
        {
            return 0;
        }
        return isSmc64(functionId) ? INTRODUCED_64[index] : INTRODUCED_32[index];
    }

    /** The function ID for a name (exact match, case-insensitive), or 0 when not found. */
    public static int fromName(final String name)
    {
        if (name == null)
        {
            return 0;
        }
        for (int i = 0; i < TABLE_LENGTH; i++)
        {
            if (name.equalsIgnoreCase(NAMES_32[i]))
            {
                return smc32(FIRST_NUMBER + i);
            }
            if (name.equalsIgnoreCase(NAMES_64[i]))
            {
                return smc64(FIRST_NUMBER + i);
            }
        }
        return 0;
    }

    /** Every defined function ID in number order, SMC32 before SMC64. */
    public static int[] all()
    {
        int count = 0;
        for (int i = 0; i < TABLE_LENGTH; i++)
        {
            count += (NAMES_32[i] != null ? 1 : 0) + (NAMES_64[i] != null ? 1 : 0);
        }
        final int[] ids = new int[count];
        int n = 0;
        for (int i = 0; i < TABLE_LENGTH; i++)
        {
            if (NAMES_32[i] != null)
            {
                ids[n++] = smc32(FIRST_NUMBER + i);
            }
            if (NAMES_64[i] != null)
            {
                ids[n++] = smc64(FIRST_NUMBER + i);
            }
        }
        return ids;
    }

    private static int index(final int functionId)
    {
        if (!isStandardServiceFastCall(functionId))
        {
            return -1;
        }
        final int number = number(functionId);
        if (number < FIRST_NUMBER || number > LAST_NUMBER)
        {
            return -1;
        }
        final int index = number - FIRST_NUMBER;
        final String name = isSmc64(functionId) ? NAMES_64[index] : NAMES_32[index];
        return name != null ? index : -1;
    }
}
