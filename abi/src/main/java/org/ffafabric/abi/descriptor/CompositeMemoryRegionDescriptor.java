package org.ffafabric.abi.descriptor;

/**
 * Composite memory region descriptor: the page total and the constituent array
 * (reference §5.7).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |      Total page count (sum of the constituents' page counts)  |  0
 *  +---------------------------------------------------------------+
 *  |                    Constituent count                          |  4
 *  +---------------------------------------------------------------+
 *  |                    Reserved (MBZ, 8 bytes)                    |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Constituent descriptors, 16 bytes each       ...  16
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class CompositeMemoryRegionDescriptor extends VariableLengthFlyweight<CompositeMemoryRegionDescriptor>
{
    public static final int PAGE_COUNT_OFFSET = 0;
    public static final int CONSTITUENT_COUNT_OFFSET = 4;
    public static final int RESERVED_OFFSET = 8;
    public static final int CONSTITUENTS_OFFSET = 16;
    public static final int HEADER_LENGTH = 16;

    public CompositeMemoryRegionDescriptor()
    {
        super("Composite");
    }

    /** Length of a composite with {@code constituentCount} constituents, as a long: no overflow. */
    public static long length(final long constituentCount)
    {
        return HEADER_LENGTH + ConstituentDescriptor.LENGTH * constituentCount;
    }

    /** Header plus the constituents the count field names (may exceed the wrapped length if malformed). */
    public long encodedLength()
    {
        return length(constituentCount());
    }

    public long totalPageCount()
    {
        return buffer.getInt(offset + PAGE_COUNT_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public CompositeMemoryRegionDescriptor totalPageCount(final long pageCount)
    {
        mutableBuffer.putInt(offset + PAGE_COUNT_OFFSET, (int)pageCount, ORDER);
        return this;
    }

    public long constituentCount()
    {
        return buffer.getInt(offset + CONSTITUENT_COUNT_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public CompositeMemoryRegionDescriptor constituentCount(final long count)
    {
        mutableBuffer.putInt(offset + CONSTITUENT_COUNT_OFFSET, (int)count, ORDER);
        return this;
    }

    public long reserved()
    {
        return buffer.getLong(offset + RESERVED_OFFSET, ORDER);
    }

    public CompositeMemoryRegionDescriptor clearReserved()
    {
        mutableBuffer.putLong(offset + RESERVED_OFFSET, 0, ORDER);
        return this;
    }

    /** Offset of constituent {@code i} from the composite's start. */
    public static int constituentOffset(final int i)
    {
        return CONSTITUENTS_OFFSET + i * ConstituentDescriptor.LENGTH;
    }

    /** Wraps {@code constituent} over entry {@code i}; the caller has validated the count. */
    public ConstituentDescriptor constituent(final int i, final ConstituentDescriptor constituent)
    {
        return wrapChild(constituent, offset + constituentOffset(i), ConstituentDescriptor.LENGTH);
    }

    /**
     * Checks the composite on its own: header and constituents inside the wrapped length,
     * reserved fields zero, constituents 4K aligned without wrap-around, and the total page
     * count equal to their sum. Returns 0 or INVALID_PARAMETERS; never reads outside the window.
     */
    public int validate()
    {
        return MemoryTransactionDescriptor.validateComposite(buffer, offset, length, 0);
    }

    public StringBuilder appendTo(final StringBuilder out)
    {
        if (!windowInBuffer(HEADER_LENGTH))
        {
            return appendTruncated(out);
        }
        out.append("Composite{pages=").append(totalPageCount()).append(" constituents=").append(constituentCount());
        if (reserved() != 0)
        {
            out.append(" reserved=0x").append(Long.toHexString(reserved()));
        }
        final ConstituentDescriptor constituent = new ConstituentDescriptor();
        final long fit = Math.max(0, (length - HEADER_LENGTH) / ConstituentDescriptor.LENGTH);
        final long shown = Math.min(constituentCount(), fit);
        for (int i = 0; i < shown; i++)
        {
            out.append("\n    [").append(i).append("] ");
            constituent.wrap(buffer, offset + constituentOffset(i)).appendTo(out);
        }
        if (shown < constituentCount())
        {
            out.append("\n    ... ").append(constituentCount() - shown).append(" outside the buffer");
        }
        return out.append('}');
    }
}
