package org.ffafabric.abi.descriptor;

/**
 * Memory region constituent: one contiguous range of 4K pages (reference §5.7).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                   Base address (u64, 4K aligned)              |  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   Page count (4K pages)                       |  8
 *  +---------------------------------------------------------------+
 *  |                   Reserved (MBZ)                              | 12
 *  +---------------------------------------------------------------+ 16
 * </pre>
 */
public final class ConstituentDescriptor extends FixedLengthFlyweight<ConstituentDescriptor>
{
    public static final int ADDRESS_OFFSET = 0;
    public static final int PAGE_COUNT_OFFSET = 8;
    public static final int RESERVED_OFFSET = 12;
    public static final int LENGTH = 16;

    public static final int PAGE_SIZE = 4096;
    public static final long PAGE_MASK = PAGE_SIZE - 1;

    public ConstituentDescriptor()
    {
        super("Constituent", LENGTH);
    }

    public long address()
    {
        return buffer.getLong(offset + ADDRESS_OFFSET, ORDER);
    }

    public ConstituentDescriptor address(final long address)
    {
        mutableBuffer.putLong(offset + ADDRESS_OFFSET, address, ORDER);
        return this;
    }

    /** Page count as an unsigned value. */
    public long pageCount()
    {
        return buffer.getInt(offset + PAGE_COUNT_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public ConstituentDescriptor pageCount(final long pageCount)
    {
        mutableBuffer.putInt(offset + PAGE_COUNT_OFFSET, (int)pageCount, ORDER);
        return this;
    }

    public int reserved()
    {
        return buffer.getInt(offset + RESERVED_OFFSET, ORDER);
    }

    /** Writes address and page count and clears the reserved word. */
    public ConstituentDescriptor set(final long address, final long pageCount)
    {
        mutableBuffer.putInt(offset + RESERVED_OFFSET, 0, ORDER);
        return address(address).pageCount(pageCount);
    }

    public StringBuilder appendTo(final StringBuilder out)
    {
        out.append("Constituent{address=0x").append(Long.toHexString(address()))
            .append(" pages=").append(pageCount());
        if (reserved() != 0)
        {
            out.append(" reserved=0x").append(Integer.toHexString(reserved()));
        }
        return out.append('}');
    }
}
