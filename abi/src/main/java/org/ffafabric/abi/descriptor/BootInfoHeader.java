package org.ffafabric.abi.descriptor;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;

/**
 * Boot information header (v1.1; reference §5.13): what a partition finds at its entry
 * point, followed by an array of {@link BootInfoDescriptor}s.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                   Signature 0x00000FFA                        |  0
 *  +---------------------------------------------------------------+
 *  |                   FF-A version                                |  4
 *  +---------------------------------------------------------------+
 *  |                   Blob size (header + descriptors + data)     |  8
 *  +---------------------------------------------------------------+
 *  |                   Descriptor size                             | 12
 *  +---------------------------------------------------------------+
 *  |                   Descriptor count                            | 16
 *  +---------------------------------------------------------------+
 *  |                   Offset of the descriptor array              | 20
 *  +---------------------------------------------------------------+
 *  |                   Reserved (MBZ, 8 bytes)                     | 24
 *  +---------------------------------------------------------------+ 32
 * </pre>
 */
public final class BootInfoHeader extends VariableLengthFlyweight<BootInfoHeader>
{
    public static final int SIGNATURE_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int BLOB_SIZE_OFFSET = 8;
    public static final int DESCRIPTOR_SIZE_OFFSET = 12;
    public static final int DESCRIPTOR_COUNT_OFFSET = 16;
    public static final int DESCRIPTOR_ARRAY_OFFSET_OFFSET = 20;
    public static final int RESERVED_OFFSET = 24;
    public static final int LENGTH = 32;

    public static final int SIGNATURE = 0x0FFA;

    public BootInfoHeader()
    {
        super("BootInfo");
    }

    public int encodedLength()
    {
        return LENGTH;
    }

    public int signature()
    {
        return buffer.getInt(offset + SIGNATURE_OFFSET, ORDER);
    }

    /** Writes the signature and clears the reserved field. */
    public BootInfoHeader signature(final int signature)
    {
        mutableBuffer.putInt(offset + SIGNATURE_OFFSET, signature, ORDER);
        mutableBuffer.putLong(offset + RESERVED_OFFSET, 0, ORDER);
        return this;
    }

    public int version()
    {
        return buffer.getInt(offset + VERSION_OFFSET, ORDER);
    }

    public BootInfoHeader version(final int version)
    {
        mutableBuffer.putInt(offset + VERSION_OFFSET, version, ORDER);
        return this;
    }

    public long blobSize()
    {
        return buffer.getInt(offset + BLOB_SIZE_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public BootInfoHeader blobSize(final int size)
    {
        mutableBuffer.putInt(offset + BLOB_SIZE_OFFSET, size, ORDER);
        return this;
    }

    public long descriptorSize()
    {
        return buffer.getInt(offset + DESCRIPTOR_SIZE_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public BootInfoHeader descriptorSize(final int size)
    {
        mutableBuffer.putInt(offset + DESCRIPTOR_SIZE_OFFSET, size, ORDER);
        return this;
    }

    public long descriptorCount()
    {
        return buffer.getInt(offset + DESCRIPTOR_COUNT_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public BootInfoHeader descriptorCount(final int count)
    {
        mutableBuffer.putInt(offset + DESCRIPTOR_COUNT_OFFSET, count, ORDER);
        return this;
    }

    public long descriptorArrayOffset()
    {
        return buffer.getInt(offset + DESCRIPTOR_ARRAY_OFFSET_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public BootInfoHeader descriptorArrayOffset(final int arrayOffset)
    {
        mutableBuffer.putInt(offset + DESCRIPTOR_ARRAY_OFFSET_OFFSET, arrayOffset, ORDER);
        return this;
    }

    /** Wraps {@code descriptor} over entry {@code i} (validate first). */
    public BootInfoDescriptor descriptor(final int i, final BootInfoDescriptor descriptor)
    {
        final int at = offset + (int)(descriptorArrayOffset() + (long)i * descriptorSize());
        return wrapChild(descriptor, at, BootInfoDescriptor.LENGTH);
    }

    /**
     * Signature, a valid version word, reserved zero, the blob inside the window, descriptors of
     * at least {@link BootInfoDescriptor#LENGTH} bytes in an 8-aligned array after the header
     * and inside the blob (64-bit arithmetic throughout).
     *
     * @return 0 or INVALID_PARAMETERS.
     */
    public int validate()
    {
        if (!windowInBuffer(LENGTH))
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        final long blobSize = blobSize();
        final long size = descriptorSize();
        final long arrayOffset = descriptorArrayOffset();
        if (signature() != SIGNATURE || !FfaVersion.isValid(version()) ||
            buffer.getLong(offset + RESERVED_OFFSET, ORDER) != 0 ||
            blobSize < LENGTH || blobSize > length ||
            size < BootInfoDescriptor.LENGTH || (size & 7) != 0 ||
            arrayOffset < LENGTH || (arrayOffset & 7) != 0 ||
            arrayOffset + descriptorCount() * size > blobSize)
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        return 0;
    }

    public StringBuilder appendTo(final StringBuilder out)
    {
        if (!windowInBuffer(LENGTH))
        {
            return appendTruncated(out);
        }
        out.append("BootInfo{signature=0x").append(Integer.toHexString(signature()))
            .append(" version=").append(FfaVersion.toString(version()))
            .append(" blobSize=").append(blobSize())
            .append(" descriptorSize=").append(descriptorSize())
            .append(" count=").append(descriptorCount())
            .append(" arrayOffset=").append(descriptorArrayOffset());
        if (validate() == 0)
        {
            final BootInfoDescriptor descriptor = new BootInfoDescriptor();
            for (int i = 0; i < descriptorCount(); i++)
            {
                descriptor(i, descriptor).appendTo(out.append("\n  [").append(i).append("] "));
            }
        }
        return out.append('}');
    }
}
