package org.ffafabric;

import org.ffafabric.abi.ErrorCode;

/**
 * An FF-A error surfaced by the typed API: the call returned FFA_ERROR with {@link #errorCode()}.
 * Across the trap errors are registers, never exceptions; only the typed layer throws.
 */
public final class FfaException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int errorCode;

    public FfaException(final int errorCode, final String call)
    {
        super(call + " failed: " + ErrorCode.name(errorCode) + " (" + errorCode + ")");
        this.errorCode = errorCode;
    }

    /** As {@link #FfaException(int, String)}, with what the caller should know next. */
    public FfaException(final int errorCode, final String call, final String detail)
    {
        super(call + " failed: " + ErrorCode.name(errorCode) + " (" + errorCode + "): " + detail);
        this.errorCode = errorCode;
    }

    /** The spec's signed error code, e.g. {@link ErrorCode#BUSY}. */
    public int errorCode()
    {
        return errorCode;
    }

    /** The error's spec name, "UNKNOWN" for codes outside the table. */
    public String errorName()
    {
        return ErrorCode.name(errorCode);
    }
}
