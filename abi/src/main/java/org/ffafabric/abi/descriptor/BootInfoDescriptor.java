package org.ffafabric.abi.descriptor;

import org.ffafabric.abi.FfaUuid;

import java.nio.charset.StandardCharsets;

/**
 * One boot information descriptor (v1.1; reference §5.13).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |            Name: 16 bytes, a NUL-padded string or a UUID      |  0
 *  |                              ...                              |
 *  +---------------+---------------+-------------------------------+
 *  |     Type      |   Reserved    |            Flags              | 16
 *  +---------------+---------------+-------------------------------+
 *  |                      Size of the content                      | 20
 *  +---------------------------------------------------------------+
 *  |            Content: address, value or offset (u64)            | 24
 *  +---------------------------------------------------------------+ 32
 * </pre>
 * Type bit 7 marks an implementation-defined type; bits [6:0] of a standard type are
 * 0 (FDT) or 1 (HOB). Flags bits [1:0] give the name format, [3:2] the content format.
 */
public final class BootInfoDescriptor extends FixedLengthFlyweight<BootInfoDescriptor>
{
    public static final int NAME_OFFSET = 0;
    public static final int NAME_LENGTH = 16;
    public static final int TYPE_OFFSET = 16;
    public static final int RESERVED_OFFSET = 17;
    public static final int FLAGS_OFFSET = 18;
    public static final int SIZE_OFFSET = 20;
    public static final int CONTENT_OFFSET = 24;
    public static final int LENGTH = 32;

    public static final int TYPE_IMPDEF_BIT = 0x80;
    public static final int TYPE_ID_MASK = 0x7F;
    public static final int TYPE_FDT = 0;
    public static final int TYPE_HOB = 1;

    public static final int NAME_FORMAT_MASK = 0x3;
    public static final int NAME_FORMAT_STRING = 0;
    public static final int NAME_FORMAT_UUID = 1;
    public static final int CONTENT_FORMAT_SHIFT = 2;
    public static final int CONTENT_FORMAT_MASK = 0x3 << CONTENT_FORMAT_SHIFT;
    public static final int CONTENT_FORMAT_ADDRESS = 0;
    public static final int CONTENT_FORMAT_VALUE = 1;
    /** v1.3. */
    public static final int CONTENT_FORMAT_OFFSET = 2;

    public BootInfoDescriptor()
    {
        super("BootInfoDescriptor", LENGTH);
    }

    /** Name as up to 16 ASCII bytes, NUL padded; longer names are cut. Allocates. */
    public BootInfoDescriptor name(final String name)
    {
        final byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        mutableBuffer.setMemory(offset + NAME_OFFSET, NAME_LENGTH, (byte)0);
        mutableBuffer.putBytes(offset + NAME_OFFSET, bytes, 0, Math.min(bytes.length, NAME_LENGTH));
        return this;
    }

    /** The name up to its first NUL, as ASCII. Allocates. */
    public String name()
    {
        int end = 0;
        while (end < NAME_LENGTH && buffer.getByte(offset + NAME_OFFSET + end) != 0)
        {
            end++;
        }
        final byte[] bytes = new byte[end];
        buffer.getBytes(offset + NAME_OFFSET, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    public BootInfoDescriptor nameUuid(final long mostSigBits, final long leastSigBits)
    {
        FfaUuid.put(mutableBuffer, offset + NAME_OFFSET, mostSigBits, leastSigBits);
        return this;
    }

    public int type()
    {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    /** Writes the type and clears the reserved byte. */
    public BootInfoDescriptor type(final int type)
    {
        mutableBuffer.putByte(offset + TYPE_OFFSET, (byte)type);
        mutableBuffer.putByte(offset + RESERVED_OFFSET, (byte)0);
        return this;
    }

    public int flags()
    {
        return buffer.getShort(offset + FLAGS_OFFSET, ORDER) & 0xFFFF;
    }

    public BootInfoDescriptor flags(final int flags)
    {
        mutableBuffer.putShort(offset + FLAGS_OFFSET, (short)flags, ORDER);
        return this;
    }

    public static int flags(final int nameFormat, final int contentFormat)
    {
        return (nameFormat & NAME_FORMAT_MASK) | ((contentFormat << CONTENT_FORMAT_SHIFT) & CONTENT_FORMAT_MASK);
    }

    public long size()
    {
        return buffer.getInt(offset + SIZE_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public BootInfoDescriptor size(final int size)
    {
        mutableBuffer.putInt(offset + SIZE_OFFSET, size, ORDER);
        return this;
    }

    public long content()
    {
        return buffer.getLong(offset + CONTENT_OFFSET, ORDER);
    }

    public BootInfoDescriptor content(final long content)
    {
        mutableBuffer.putLong(offset + CONTENT_OFFSET, content, ORDER);
        return this;
    }

    public StringBuilder appendTo(final StringBuilder out)
    {
        out.append("BootInfoDescriptor{name=");
        if ((flags() & NAME_FORMAT_MASK) == NAME_FORMAT_UUID)
        {
            out.append(FfaUuid.get(buffer, offset + NAME_OFFSET));
        }
        else
        {
            out.append('"').append(name()).append('"');
        }
        final int type = type();
        out.append(" type=").append((type & TYPE_IMPDEF_BIT) != 0 ? "impdef:" : "")
            .append((type & TYPE_IMPDEF_BIT) == 0 && (type & TYPE_ID_MASK) == TYPE_FDT ? "fdt" :
                (type & TYPE_IMPDEF_BIT) == 0 && (type & TYPE_ID_MASK) == TYPE_HOB ? "hob" :
                String.valueOf(type & TYPE_ID_MASK))
            .append(" flags=0x").append(Integer.toHexString(flags()))
            .append(" size=").append(size())
            .append(" content=0x").append(Long.toHexString(content()));
        return out.append('}');
    }
}
