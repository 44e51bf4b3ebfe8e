package org.ffafabric.abi.descriptor;

import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.FfaVersion;

/**
 * Endpoint memory access descriptor (EMAD): one borrower of a memory transaction
 * (reference §5.3). 16 bytes up to v1.1; 32 bytes from v1.2 with an implementation-defined
 * value at 8.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+---------------+---------------+
 *  |     Receiver endpoint ID      |  Permissions  |     Flags     |  0
 *  +-------------------------------+---------------+---------------+
 *  |        Offset of the composite memory region descriptor      |  4
 *  +---------------------------------------------------------------+
 *  |   v1.0/v1.1: reserved (MBZ, 8 bytes)                          |  8
 *  |   v1.2: implementation-defined value (16 bytes)               |
 *  +---------------------------------------------------------------+ 16 (v1.0/v1.1 end)
 *  |   v1.2: ... impdef continued                                  |
 *  +---------------------------------------------------------------+ 24
 *  |   v1.2: reserved (MBZ, 8 bytes)                               |
 *  +---------------------------------------------------------------+ 32
 * </pre>
 * The composite offset counts from the start of the memory transaction descriptor;
 * 0 means "the region the handle names" (retrieve requests).
 */
public final class EndpointMemoryAccessDescriptor extends VersionedFlyweight<EndpointMemoryAccessDescriptor>
{
    public static final int RECEIVER_ID_OFFSET = 0;
    public static final int PERMISSIONS_OFFSET = 2;
    public static final int FLAGS_OFFSET = 3;
    public static final int COMPOSITE_OFFSET_OFFSET = 4;
    public static final int V1_0_RESERVED_OFFSET = 8;
    public static final int IMPDEF_OFFSET = 8;
    public static final int IMPDEF_LENGTH = 16;
    public static final int V1_2_RESERVED_OFFSET = 24;

    public static final int V1_0_LENGTH = 16;
    public static final int V1_2_LENGTH = 32;

    /** Flags bit 0: a retriever listing a borrower that will not retrieve ("non-retrieval borrower"). */
    public static final int FLAG_NON_RETRIEVAL_BORROWER = 1;
    public static final int FLAGS_RESERVED_MASK = 0xFE;

    public EndpointMemoryAccessDescriptor()
    {
        super("EMAD", false);
    }

    /** 16 bytes up to v1.1, 32 bytes from v1.2. */
    public static int length(final int version)
    {
        return hasImpdef(version) ? V1_2_LENGTH : V1_0_LENGTH;
    }

    public static boolean hasImpdef(final int version)
    {
        return FfaVersion.isValid(version) && version >= FfaVersion.V1_2;
    }

    /** The descriptor version an EMAD size stands for (16: v1.1, 32: v1.2), or 0 if neither (as Hafnium). */
    public static int versionForSize(final int emadSize)
    {
        switch (emadSize)
        {
            case V1_0_LENGTH:
                return FfaVersion.V1_1;
            case V1_2_LENGTH:
                return FfaVersion.V1_2;
            default:
                return 0;
        }
    }

    public int encodedLength()
    {
        return length(version);
    }

    public int receiverId()
    {
        return buffer.getShort(offset + RECEIVER_ID_OFFSET, ORDER) & 0xFFFF;
    }

    public EndpointMemoryAccessDescriptor receiverId(final int id)
    {
        mutableBuffer.putShort(offset + RECEIVER_ID_OFFSET, (short)id, ORDER);
        return this;
    }

    public int permissions()
    {
        return buffer.getByte(offset + PERMISSIONS_OFFSET) & 0xFF;
    }

    public EndpointMemoryAccessDescriptor permissions(final int permissions)
    {
        mutableBuffer.putByte(offset + PERMISSIONS_OFFSET, (byte)permissions);
        return this;
    }

    public int flags()
    {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    public EndpointMemoryAccessDescriptor flags(final int flags)
    {
        mutableBuffer.putByte(offset + FLAGS_OFFSET, (byte)flags);
        return this;
    }

    /** Offset of the composite from the transaction descriptor's start, unsigned. */
    public long compositeOffset()
    {
        return buffer.getInt(offset + COMPOSITE_OFFSET_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public EndpointMemoryAccessDescriptor compositeOffset(final long compositeOffset)
    {
        mutableBuffer.putInt(offset + COMPOSITE_OFFSET_OFFSET, (int)compositeOffset, ORDER);
        return this;
    }

    /** v1.2: implementation-defined bytes 0-7 (little-endian u64); 0 before v1.2. */
    public long impdefLo()
    {
        return hasImpdef(version) ? buffer.getLong(offset + IMPDEF_OFFSET, ORDER) : 0;
    }

    /** v1.2: implementation-defined bytes 8-15 (little-endian u64); 0 before v1.2. */
    public long impdefHi()
    {
        return hasImpdef(version) ? buffer.getLong(offset + IMPDEF_OFFSET + 8, ORDER) : 0;
    }

    /** Sets the v1.2 implementation-defined value; ignored before v1.2. */
    public EndpointMemoryAccessDescriptor impdef(final long lo, final long hi)
    {
        if (hasImpdef(version))
        {
            mutableBuffer.putLong(offset + IMPDEF_OFFSET, lo, ORDER);
            mutableBuffer.putLong(offset + IMPDEF_OFFSET + 8, hi, ORDER);
        }
        return this;
    }

    /** The reserved (MBZ) tail: bytes 8-15 up to v1.1, 24-31 in v1.2. */
    public long reserved()
    {
        return buffer.getLong(offset + (hasImpdef(version) ? V1_2_RESERVED_OFFSET : V1_0_RESERVED_OFFSET), ORDER);
    }

    /** Zeroes the whole descriptor, reserved fields included. */
    public EndpointMemoryAccessDescriptor clear()
    {
        mutableBuffer.setMemory(offset, encodedLength(), (byte)0);
        return this;
    }

    public StringBuilder appendTo(final StringBuilder out)
    {
        out.append("EMAD{receiver=");
        EndpointId.appendTo(receiverId(), out);
        out.append(" permissions=");
        MemoryAccessPermissions.appendTo(permissions(), out);
        out.append(" flags=0x").append(Integer.toHexString(flags()));
        out.append(" compositeOffset=").append(compositeOffset());
        if (hasImpdef(version))
        {
            out.append(" impdef=0x").append(Long.toHexString(impdefLo())).append(",0x").append(Long.toHexString(impdefHi()));
        }
        if (reserved() != 0)
        {
            out.append(" reserved=0x").append(Long.toHexString(reserved()));
        }
        return out.append('}');
    }
}
