package org.ffafabric.abi.descriptor;

import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.MemoryHandle;

/**
 * Memory relinquish descriptor, in the borrower's TX buffer for FFA_MEM_RELINQUISH
 * (reference §5.8).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                       Handle (u64)                            |  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |   Flags: bit0 zero after relinquish, bit1 time-slice          |  8
 *  +---------------------------------------------------------------+
 *  |                     Endpoint count                            | 12
 *  +-------------------------------+-------------------------------+
 *  |        Endpoint ID 0          |        Endpoint ID 1   ...    | 16
 *  +-------------------------------+-------------------------------+
 * </pre>
 */
public final class MemoryRelinquishDescriptor extends VariableLengthFlyweight<MemoryRelinquishDescriptor>
{
    public static final int HANDLE_OFFSET = 0;
    public static final int FLAGS_OFFSET = 8;
    public static final int ENDPOINT_COUNT_OFFSET = 12;
    public static final int ENDPOINTS_OFFSET = 16;
    public static final int HEADER_LENGTH = 16;
    public static final int ENDPOINT_ID_LENGTH = 2;

    public static final int FLAG_ZERO_MEMORY = 1;
    public static final int FLAG_TIME_SLICE = 1 << 1;
    public static final int FLAGS_VALID_MASK = FLAG_ZERO_MEMORY | FLAG_TIME_SLICE;

    public MemoryRelinquishDescriptor()
    {
        super("MemoryRelinquish");
    }

    /** Length with {@code endpointCount} IDs, as a long. */
    public static long length(final long endpointCount)
    {
        return HEADER_LENGTH + ENDPOINT_ID_LENGTH * endpointCount;
    }

    public long encodedLength()
    {
        return length(endpointCount());
    }

    public long handle()
    {
        return buffer.getLong(offset + HANDLE_OFFSET, ORDER);
    }

    public MemoryRelinquishDescriptor handle(final long handle)
    {
        mutableBuffer.putLong(offset + HANDLE_OFFSET, handle, ORDER);
        return this;
    }

    public int flags()
    {
        return buffer.getInt(offset + FLAGS_OFFSET, ORDER);
    }

    public MemoryRelinquishDescriptor flags(final int flags)
    {
        mutableBuffer.putInt(offset + FLAGS_OFFSET, flags, ORDER);
        return this;
    }

    public long endpointCount()
    {
        return buffer.getInt(offset + ENDPOINT_COUNT_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public MemoryRelinquishDescriptor endpointCount(final int count)
    {
        mutableBuffer.putInt(offset + ENDPOINT_COUNT_OFFSET, count, ORDER);
        return this;
    }

    public int endpoint(final int i)
    {
        return buffer.getShort(offset + ENDPOINTS_OFFSET + i * ENDPOINT_ID_LENGTH, ORDER) & 0xFFFF;
    }

    public MemoryRelinquishDescriptor endpoint(final int i, final int id)
    {
        mutableBuffer.putShort(offset + ENDPOINTS_OFFSET + i * ENDPOINT_ID_LENGTH, (short)id, ORDER);
        return this;
    }

    /**
     * Window inside the buffer, header inside the length, flags only bits [1:0], exactly one
     * endpoint (Hafnium and TF-A both require it) and the IDs inside the length.
     *
     * @return 0 or INVALID_PARAMETERS.
     */
    public int validate()
    {
        if (!windowInBuffer(HEADER_LENGTH))
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        final long count = endpointCount();
        if ((flags() & ~FLAGS_VALID_MASK) != 0 || count != 1 || length(count) > length)
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        return 0;
    }

    public StringBuilder appendTo(final StringBuilder out)
    {
        if (!windowInBuffer(HEADER_LENGTH))
        {
            return appendTruncated(out);
        }
        out.append("MemoryRelinquish{handle=");
        MemoryHandle.appendTo(handle(), out);
        out.append(" flags=0x").append(Integer.toHexString(flags())).append(" endpoints=[");
        final long shown = Math.min(endpointCount(), (length - HEADER_LENGTH) / ENDPOINT_ID_LENGTH);
        for (int i = 0; i < shown; i++)
        {
            EndpointId.appendTo(endpoint(i), i > 0 ? out.append(',') : out);
        }
        if (shown < endpointCount())
        {
            out.append(",... ").append(endpointCount() - shown).append(" outside the length");
        }
        return out.append("]}");
    }
}
