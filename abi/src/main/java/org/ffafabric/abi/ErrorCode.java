package org.ffafabric.abi;

/**
 * FF-A error codes, carried as a signed 32-bit value in w2 of FFA_ERROR.
 * <p>
 * Lookups go through {@link #name(int)} whose table is bounded by its own length, so a code
 * this version does not know maps to "UNKNOWN" and never indexes out of range.
 */
public final class ErrorCode
{
    public static final int NOT_SUPPORTED = -1;
    public static final int INVALID_PARAMETERS = -2;
    public static final int NO_MEMORY = -3;
    public static final int BUSY = -4;
    public static final int INTERRUPTED = -5;
    public static final int DENIED = -6;
    public static final int RETRY = -7;
    public static final int ABORTED = -8;
    /** v1.1. */
    public static final int NO_DATA = -9;
    /** Post-v1.1; present in Hafnium and Linux. */
    public static final int NOT_READY = -10;

    /** Names indexed by the negated code; index 0 is the host-side "SUCCESS" convention. */
    private static final String[] NAMES =
    {
        "SUCCESS",
        "NOT_SUPPORTED",
        "INVALID_PARAMETERS",
        "NO_MEMORY",
        "BUSY",
        "INTERRUPTED",
        "DENIED",
        "RETRY",
        "ABORTED",
        "NO_DATA",
        "NOT_READY",
    };

    public static final String UNKNOWN = "UNKNOWN";

    private ErrorCode()
    {
    }

    /** The error's name, or {@link #UNKNOWN} for codes outside the table. */
    public static String name(final int code)
    {
        final long index = -(long)code;
        return index >= 1 && index < NAMES.length ? NAMES[(int)index] : UNKNOWN;
    }

    /** True for codes the spec defines (NOT_SUPPORTED through NOT_READY). */
    public static boolean isKnown(final int code)
    {
        final long index = -(long)code;
        return index >= 1 && index < NAMES.length;
    }

    /** The code for a name such as "BUSY", or 0 when the name is not an error code. */
    public static int fromName(final String name)
    {
        for (int i = 1; i < NAMES.length; i++)
        {
            if (NAMES[i].equals(name))
            {
                return -i;
            }
        }
        return 0;
    }

    /** Number of defined error codes. */
    public static int count()
    {
        return NAMES.length - 1;
    }
}
