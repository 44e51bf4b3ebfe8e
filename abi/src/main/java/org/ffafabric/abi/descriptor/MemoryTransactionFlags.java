package org.ffafabric.abi.descriptor;

import org.ffafabric.abi.FunctionId;

/**
 * Flags word of the memory transaction descriptor (offset 4; reference §5.6).
 * <pre>
 *   31          11  10    9    8     5  4   3   2    1    0
 *  +--------------+-----+----+--------+-----+----+----+----+
 *  |     MBZ      |bypas|hint| align  |type |zrel| ts |zero|
 *  +--------------+-----+----+--------+-----+----+----+----+
 * </pre>
 * Which bits may be set depends on the call: see the three valid masks.
 */
public final class MemoryTransactionFlags
{
    /** Zero the memory before the borrower maps it (LEND/DONATE; retrieve). */
    public static final int ZERO_MEMORY = 1;
    /** The operation may be time-sliced. */
    public static final int TIME_SLICE = 1 << 1;
    /** Zero the memory after relinquish or on borrower abort (retrieve, not SHARE). */
    public static final int ZERO_AFTER_RELINQUISH = 1 << 2;

    public static final int TRANSACTION_TYPE_SHIFT = 3;
    public static final int TRANSACTION_TYPE_MASK = 0x3 << TRANSACTION_TYPE_SHIFT;
    public static final int TYPE_UNSPECIFIED = 0;
    public static final int TYPE_SHARE = 1;
    public static final int TYPE_LEND = 2;
    public static final int TYPE_DONATE = 3;

    public static final int ALIGNMENT_HINT_SHIFT = 5;
    public static final int ALIGNMENT_HINT_MASK = 0xF << ALIGNMENT_HINT_SHIFT;
    public static final int ALIGNMENT_HINT_VALID = 1 << 9;
    /** v1.2 retrieve request: the retriever lists only itself in a multi-borrower transaction. */
    public static final int BYPASS_MULTIPLE_BORROWER_CHECK = 1 << 10;

    /** Bits a DONATE/LEND/SHARE may carry (Hafnium further rejects TIME_SLICE). */
    public static final int SEND_VALID_MASK = ZERO_MEMORY | TIME_SLICE;
    public static final int RETRIEVE_REQUEST_VALID_MASK = 0x7FF;
    public static final int RETRIEVE_RESPONSE_VALID_MASK = 0x1F;

    private static final String[] TYPE_NAMES = { "unspecified", "share", "lend", "donate" };

    private MemoryTransactionFlags()
    {
    }

    public static int transactionType(final int flags)
    {
        return (flags & TRANSACTION_TYPE_MASK) >>> TRANSACTION_TYPE_SHIFT;
    }

    public static int transactionType(final int flags, final int type)
    {
        return (flags & ~TRANSACTION_TYPE_MASK) | ((type << TRANSACTION_TYPE_SHIFT) & TRANSACTION_TYPE_MASK);
    }

    public static int alignmentHint(final int flags)
    {
        return (flags & ALIGNMENT_HINT_MASK) >>> ALIGNMENT_HINT_SHIFT;
    }

    public static String typeName(final int type)
    {
        return type >= 0 && type < TYPE_NAMES.length ? TYPE_NAMES[type] : "UNKNOWN";
    }

    /** The transaction type a DONATE/LEND/SHARE function ID (either width) stands for, or -1. */
    public static int typeOfFunction(final int functionId)
    {
        if (!FunctionId.isStandardServiceFastCall(functionId))
        {
            return -1;
        }
        switch (FunctionId.number(functionId))
        {
            case 0x71:
                return TYPE_DONATE;
            case 0x72:
                return TYPE_LEND;
            case 0x73:
                return TYPE_SHARE;
            default:
                return -1;
        }
    }

    public static boolean isValidForSend(final int flags)
    {
        return (flags & ~SEND_VALID_MASK) == 0;
    }

    public static boolean isValidForRetrieveRequest(final int flags)
    {
        return (flags & ~RETRIEVE_REQUEST_VALID_MASK) == 0;
    }

    public static boolean isValidForRetrieveResponse(final int flags)
    {
        return (flags & ~RETRIEVE_RESPONSE_VALID_MASK) == 0;
    }

    /** "zero|type=lend"; "none" for 0. */
    public static StringBuilder appendTo(final int flags, final StringBuilder out)
    {
        final int start = out.length();
        if ((flags & ZERO_MEMORY) != 0)
        {
            sep(out, start).append("zero");
        }
        if ((flags & TIME_SLICE) != 0)
        {
            sep(out, start).append("time-slice");
        }
        if ((flags & ZERO_AFTER_RELINQUISH) != 0)
        {
            sep(out, start).append("zero-after-relinquish");
        }
        if (transactionType(flags) != TYPE_UNSPECIFIED)
        {
            sep(out, start).append("type=").append(TYPE_NAMES[transactionType(flags)]);
        }
        if ((flags & (ALIGNMENT_HINT_MASK | ALIGNMENT_HINT_VALID)) != 0)
        {
            sep(out, start).append("align-hint=").append(alignmentHint(flags))
                .append((flags & ALIGNMENT_HINT_VALID) != 0 ? "(valid)" : "(invalid)");
        }
        if ((flags & BYPASS_MULTIPLE_BORROWER_CHECK) != 0)
        {
            sep(out, start).append("bypass-multi-borrower");
        }
        if ((flags & ~RETRIEVE_REQUEST_VALID_MASK) != 0)
        {
            sep(out, start).append("0x").append(Integer.toHexString(flags & ~RETRIEVE_REQUEST_VALID_MASK));
        }
        if (out.length() == start)
        {
            out.append("none");
        }
        return out;
    }

    public static String describe(final int flags)
    {
        return appendTo(flags, new StringBuilder()).toString();
    }

    private static StringBuilder sep(final StringBuilder out, final int start)
    {
        return out.length() > start ? out.append('|') : out;
    }
}
