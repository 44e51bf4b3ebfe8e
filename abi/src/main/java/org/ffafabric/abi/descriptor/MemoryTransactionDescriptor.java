package org.ffafabric.abi.descriptor;

import org.agrona.DirectBuffer;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.MemoryHandle;

import static org.ffafabric.abi.descriptor.MemoryTransactionFlags.TYPE_DONATE;
import static org.ffafabric.abi.descriptor.MemoryTransactionFlags.TYPE_LEND;
import static org.ffafabric.abi.descriptor.MemoryTransactionFlags.TYPE_SHARE;

/**
 * Memory region (transaction) descriptor: the body of DONATE/LEND/SHARE, RETRIEVE_REQ and
 * RETRIEVE_RESP (reference §5.2). The header changed in v1.1.
 * <pre>
 *  v1.0 (32-byte header)                       v1.1 and v1.2 (48-byte header)
 *   0       2     3     4                        0       2           4
 *  +-------+-----+-----+-----------+           +-------+-----------+-----------+
 *  |sender |attr8| MBZ |   flags   |  0        |sender |  attr16   |   flags   |  0
 *  +-------+-----+-----+-----------+           +-------+-----------+-----------+
 *  |            handle (u64)       |  8        |            handle (u64)       |  8
 *  +-------------------------------+           +-------------------------------+
 *  |             tag (u64)         | 16        |             tag (u64)         | 16
 *  +---------------+---------------+           +---------------+---------------+
 *  |  MBZ (u32)    |  EMAD count   | 24        |  EMAD size    |  EMAD count   | 24
 *  +---------------+---------------+           +---------------+---------------+
 *  | EMAD array, 16 bytes each ... | 32        |  EMAD offset  |  MBZ (12 B)   | 32
 *  +-------------------------------+           +---------------+               |
 *                                              |                               | 40
 *                                              +-------------------------------+
 *                                              | EMAD array at "EMAD offset"   | 48 usually
 *                                              +-------------------------------+
 * </pre>
 * EMAD count stays at offset 28 in both layouts. The usual packing, which
 * {@link #compositeOffset(int, int)} and {@link #length(int, int, long)} describe, is header,
 * EMADs, then the composite descriptor ({@link CompositeMemoryRegionDescriptor}) with its
 * constituents. Every EMAD names the composite by its offset from the descriptor's start.
 * <p>
 * The accessors trust the bytes; call {@link #validate()} (or {@link #validateSend(int)})
 * first on anything another partition wrote. Validation never throws and never reads outside
 * {@code [offset, offset + length)}.
 */
public final class MemoryTransactionDescriptor extends VersionedFlyweight<MemoryTransactionDescriptor>
{
    public static final int SENDER_ID_OFFSET = 0;
    public static final int ATTRIBUTES_OFFSET = 2;
    /** v1.0: the byte after the 8-bit attributes is reserved. */
    public static final int V1_0_RESERVED_BYTE_OFFSET = 3;
    public static final int FLAGS_OFFSET = 4;
    public static final int HANDLE_OFFSET = 8;
    public static final int TAG_OFFSET = 16;
    /** v1.0: reserved u32; v1.1+: EMAD size. */
    public static final int V1_0_RESERVED_WORD_OFFSET = 24;
    public static final int EMAD_SIZE_OFFSET = 24;
    public static final int EMAD_COUNT_OFFSET = 28;
    /** v1.1+: offset of the EMAD array; v1.0: the array itself starts here. */
    public static final int EMAD_ARRAY_OFFSET_OFFSET = 32;
    public static final int V1_0_EMAD_ARRAY_OFFSET = 32;
    public static final int V1_1_RESERVED_OFFSET = 36;
    public static final int V1_1_RESERVED_LENGTH = 12;

    public static final int V1_0_HEADER_LENGTH = 32;
    public static final int V1_1_HEADER_LENGTH = 48;
    /** EMAD arrays and composites sit on 16-byte boundaries. */
    public static final int ALIGNMENT = 16;

    private static final int OK = 0;
    private static final int INVALID = ErrorCode.INVALID_PARAMETERS;

    public MemoryTransactionDescriptor()
    {
        super("MemoryTransaction", true);
    }

    // Layout arithmetic for a descriptor laid out the usual way.

    public static int headerLength(final int version)
    {
        return version == FfaVersion.V1_0 ? V1_0_HEADER_LENGTH : V1_1_HEADER_LENGTH;
    }

    /** EMAD size an endpoint of this version sends: 16 up to v1.1, 32 from v1.2. */
    public static int emadSizeFor(final int version)
    {
        return EndpointMemoryAccessDescriptor.length(version);
    }

    /** Composite offset right after the EMAD array. */
    public static int compositeOffset(final int version, final int emadCount)
    {
        return headerLength(version) + emadCount * emadSizeFor(version);
    }

    /** Total length with the composite right after the EMADs; a long so no count overflows. */
    public static long length(final int version, final int emadCount, final long constituentCount)
    {
        return headerLength(version) + (long)emadCount * emadSizeFor(version) +
            CompositeMemoryRegionDescriptor.length(constituentCount);
    }

    private boolean isV1_0()
    {
        return version == FfaVersion.V1_0;
    }

    /** Length the fields describe: the end of the composite's constituents, or of the EMADs without one. */
    public long encodedLength()
    {
        final long emadEnd = emadArrayOffset() + emadCount() * emadSize();
        if (emadCount() == 0)
        {
            return emadEnd;
        }
        final long compositeOffset = firstCompositeOffset();
        if (compositeOffset == 0)
        {
            return emadEnd;
        }
        final long countAt = compositeOffset + CompositeMemoryRegionDescriptor.CONSTITUENT_COUNT_OFFSET;
        if (countAt + 4 > length)
        {
            return compositeOffset + CompositeMemoryRegionDescriptor.HEADER_LENGTH;
        }
        return compositeOffset + CompositeMemoryRegionDescriptor.length(u32(buffer, offset, countAt));
    }

    /** Zeroes the header and fills the version's EMAD size and offset (48 in v1.1+). */
    public MemoryTransactionDescriptor initHeader()
    {
        mutableBuffer.setMemory(offset, headerLength(version), (byte)0);
        if (!isV1_0())
        {
            emadSize(emadSizeFor(version));
            emadArrayOffset(V1_1_HEADER_LENGTH);
        }
        return this;
    }

    public int senderId()
    {
        return buffer.getShort(offset + SENDER_ID_OFFSET, ORDER) & 0xFFFF;
    }

    public MemoryTransactionDescriptor senderId(final int id)
    {
        mutableBuffer.putShort(offset + SENDER_ID_OFFSET, (short)id, ORDER);
        return this;
    }

    /** Memory region attributes: 8 bits in v1.0, 16 bits later. */
    public int attributes()
    {
        return isV1_0() ?
            buffer.getByte(offset + ATTRIBUTES_OFFSET) & 0xFF :
            buffer.getShort(offset + ATTRIBUTES_OFFSET, ORDER) & 0xFFFF;
    }

    public MemoryTransactionDescriptor attributes(final int attributes)
    {
        if (isV1_0())
        {
            mutableBuffer.putByte(offset + ATTRIBUTES_OFFSET, (byte)attributes);
        }
        else
        {
            mutableBuffer.putShort(offset + ATTRIBUTES_OFFSET, (short)attributes, ORDER);
        }
        return this;
    }

    public int flags()
    {
        return buffer.getInt(offset + FLAGS_OFFSET, ORDER);
    }

    public MemoryTransactionDescriptor flags(final int flags)
    {
        mutableBuffer.putInt(offset + FLAGS_OFFSET, flags, ORDER);
        return this;
    }

    public long handle()
    {
        return buffer.getLong(offset + HANDLE_OFFSET, ORDER);
    }

    public MemoryTransactionDescriptor handle(final long handle)
    {
        mutableBuffer.putLong(offset + HANDLE_OFFSET, handle, ORDER);
        return this;
    }

    public long tag()
    {
        return buffer.getLong(offset + TAG_OFFSET, ORDER);
    }

    public MemoryTransactionDescriptor tag(final long tag)
    {
        mutableBuffer.putLong(offset + TAG_OFFSET, tag, ORDER);
        return this;
    }

    /** EMAD size in bytes: 16 in v1.0 (no field), the field's unsigned value from v1.1. */
    public long emadSize()
    {
        return isV1_0() ? EndpointMemoryAccessDescriptor.V1_0_LENGTH : u32(buffer, offset, EMAD_SIZE_OFFSET);
    }

    /** Sets the EMAD size field (v1.1+; v1.0 has none and this is ignored). */
    public MemoryTransactionDescriptor emadSize(final int emadSize)
    {
        if (!isV1_0())
        {
            mutableBuffer.putInt(offset + EMAD_SIZE_OFFSET, emadSize, ORDER);
        }
        return this;
    }

    public long emadCount()
    {
        return u32(buffer, offset, EMAD_COUNT_OFFSET);
    }

    public MemoryTransactionDescriptor emadCount(final int count)
    {
        mutableBuffer.putInt(offset + EMAD_COUNT_OFFSET, count, ORDER);
        return this;
    }

    /** Offset of the EMAD array: 32 in v1.0, the field's unsigned value from v1.1. */
    public long emadArrayOffset()
    {
        return isV1_0() ? V1_0_EMAD_ARRAY_OFFSET : u32(buffer, offset, EMAD_ARRAY_OFFSET_OFFSET);
    }

    /** Sets the EMAD array offset field (v1.1+; ignored for v1.0). */
    public MemoryTransactionDescriptor emadArrayOffset(final int emadArrayOffset)
    {
        if (!isV1_0())
        {
            mutableBuffer.putInt(offset + EMAD_ARRAY_OFFSET_OFFSET, emadArrayOffset, ORDER);
        }
        return this;
    }

    /** Offset of EMAD {@code i} from the descriptor's start, or -1 if it does not fit an int. */
    public int emadOffset(final int i)
    {
        final long at = emadArrayOffset() + (long)i * emadSize();
        return i < 0 || at > Integer.MAX_VALUE ? -1 : (int)at;
    }

    /**
     * The version the EMAD layout follows: v1.0 for a v1.0 descriptor, else from the EMAD
     * size (16: v1.1, 32: v1.2; 0 for any other size), as Hafnium derives it.
     */
    public int descriptorVersion()
    {
        if (isV1_0())
        {
            return FfaVersion.V1_0;
        }
        final long size = emadSize();
        return size > Integer.MAX_VALUE ? 0 : EndpointMemoryAccessDescriptor.versionForSize((int)size);
    }

    /** Wraps {@code emad} over EMAD {@code i}; the descriptor must have been validated. */
    public EndpointMemoryAccessDescriptor emad(final int i, final EndpointMemoryAccessDescriptor emad)
    {
        emad.version = descriptorVersion();
        return wrapChild(emad, offset + emadOffset(i), (int)emadSize());
    }

    /** Composite offset named by the first EMAD (0 when none or when it says "by handle"). */
    public long firstCompositeOffset()
    {
        final long at = emadArrayOffset() + EndpointMemoryAccessDescriptor.COMPOSITE_OFFSET_OFFSET;
        if (emadCount() == 0 || at + 4 > length)
        {
            return 0;
        }
        return u32(buffer, offset, at);
    }

    /** Wraps {@code composite} where the first EMAD points, over the rest of the descriptor. */
    public CompositeMemoryRegionDescriptor composite(final CompositeMemoryRegionDescriptor composite)
    {
        final int at = (int)firstCompositeOffset();
        return wrapChild(composite, offset + at, length - at);
    }

    // Validation.

    /**
     * Checks everything the bytes alone decide (reference §5.2-5.7): the window lies in the
     * buffer, the header fits, reserved fields are zero, attributes and flag bits [31:11] are
     * valid, the EMAD size suits the version, the EMAD array is 16-aligned at or after 48,
     * non-empty and inside the length; every EMAD has valid permissions, zero reserved bits
     * and the same composite offset; the composite (if named) lies after the EMADs,
     * 16-aligned, with its constituents inside the length, 4K aligned, non-wrapping and not
     * overlapping, summing to its page count; and the length is exactly composite offset +
     * 16 + 16 * constituents (or the end of the EMADs when the composite offset is 0, as in a
     * retrieve request).
     *
     * @return 0, or a negative FF-A error code (INVALID_PARAMETERS; NOT_SUPPORTED for a
     * version this layout does not know).
     */
    public int validate()
    {
        return check(length, true);
    }

    /**
     * Checks the first fragment of a descriptor that is {@code totalLength} bytes long (w1 of
     * the send; the wrapped length is the fragment, w2). Everything {@link #validate()} checks
     * that lies in the fragment is checked the same way: the header, every EMAD and the
     * composite header must be in it, the constituents it holds must be well formed, both
     * lengths must be multiples of 16, and the total must be exactly what the composite's
     * constituent count implies. The page-count sum and overlaps need every constituent:
     * validate the reassembled descriptor once the last fragment arrives. A fragment as long
     * as the total is just {@link #validate()}.
     *
     * @return 0, INVALID_PARAMETERS, or NOT_SUPPORTED for an unknown major version.
     */
    public int validateFirstFragment(final long totalLength)
    {
        if (totalLength < length || length < 0)
        {
            return INVALID;
        }
        if (totalLength == length)
        {
            return validate();
        }
        if ((length & (ALIGNMENT - 1)) != 0 || (totalLength & (ALIGNMENT - 1)) != 0)
        {
            return INVALID;
        }
        return check(totalLength, false);
    }

    private int check(final long totalLength, final boolean whole)
    {
        if (!windowInBuffer(0))
        {
            return INVALID;
        }
        if (!FfaVersion.isValid(version) || FfaVersion.major(version) != 1)
        {
            return ErrorCode.NOT_SUPPORTED;
        }
        final boolean v10 = isV1_0();
        if (length < headerLength(version))
        {
            return INVALID;
        }
        if (v10)
        {
            if (buffer.getByte(offset + V1_0_RESERVED_BYTE_OFFSET) != 0 ||
                buffer.getInt(offset + V1_0_RESERVED_WORD_OFFSET, ORDER) != 0)
            {
                return INVALID;
            }
        }
        else if (buffer.getInt(offset + V1_1_RESERVED_OFFSET, ORDER) != 0 ||
            buffer.getLong(offset + V1_1_RESERVED_OFFSET + 4, ORDER) != 0)
        {
            return INVALID;
        }
        if (!MemoryRegionAttributes.isValid(attributes(), version) ||
            !MemoryTransactionFlags.isValidForRetrieveRequest(flags()))
        {
            return INVALID;
        }

        final long emadSize = emadSize();
        final int descriptorVersion = descriptorVersion();
        if (!v10 && (descriptorVersion == 0 || !FfaVersion.isCompatible(descriptorVersion, version)))
        {
            return INVALID;
        }
        final long arrayOffset = emadArrayOffset();
        if (arrayOffset < V1_1_HEADER_LENGTH && !v10 || (arrayOffset & (ALIGNMENT - 1)) != 0)
        {
            return INVALID;
        }
        final long count = emadCount();
        if (count == 0)
        {
            return INVALID;
        }
        final long emadEnd = arrayOffset + count * emadSize;
        if (emadEnd > length)
        {
            return INVALID;
        }

        final long reservedAt = emadSize == EndpointMemoryAccessDescriptor.V1_2_LENGTH ?
            EndpointMemoryAccessDescriptor.V1_2_RESERVED_OFFSET : EndpointMemoryAccessDescriptor.V1_0_RESERVED_OFFSET;
        long compositeOffset = 0;
        for (long i = 0; i < count; i++)
        {
            final int at = offset + (int)(arrayOffset + i * emadSize);
            if (!MemoryAccessPermissions.isValid(buffer.getByte(at + EndpointMemoryAccessDescriptor.PERMISSIONS_OFFSET) & 0xFF) ||
                (buffer.getByte(at + EndpointMemoryAccessDescriptor.FLAGS_OFFSET) &
                    EndpointMemoryAccessDescriptor.FLAGS_RESERVED_MASK) != 0 ||
                buffer.getLong(at + (int)reservedAt, ORDER) != 0)
            {
                return INVALID;
            }
            final long emadComposite = buffer.getInt(at + EndpointMemoryAccessDescriptor.COMPOSITE_OFFSET_OFFSET, ORDER) &
                0xFFFF_FFFFL;
            if (i == 0)
            {
                compositeOffset = emadComposite;
            }
            else if (emadComposite != compositeOffset)
            {
                return INVALID;
            }
        }

        if (compositeOffset == 0)
        {
            return whole && length == emadEnd ? OK : INVALID;
        }
        if (compositeOffset < emadEnd || (compositeOffset & (ALIGNMENT - 1)) != 0)
        {
            return INVALID;
        }
        final int result = validateComposite(buffer, offset, length, compositeOffset, whole);
        if (result != OK)
        {
            return result;
        }
        final long constituents = u32(buffer, offset, compositeOffset + CompositeMemoryRegionDescriptor.CONSTITUENT_COUNT_OFFSET);
        return totalLength == compositeOffset + CompositeMemoryRegionDescriptor.length(constituents) ? OK : INVALID;
    }

    /**
     * {@link #validate()} plus the rules of DONATE/LEND/SHARE that the bytes and the call
     * decide (reference §6.5 "Send", Hafnium's choices): handle zero, a composite present,
     * flags only "zero memory" and never on SHARE, NS bit clear, exactly one borrower for
     * DONATE, no borrower equal to the sender or listed twice, data access specified for
     * SHARE/LEND and not for DONATE, instruction access never specified (a single borrower
     * names it when it retrieves), memory type unspecified for DONATE and single-borrower
     * LEND. Then, answering DENIED (Hafnium's attribute check): SHARE and multi-borrower LEND
     * must name inner-shareable memory, write-back if Normal, nGnRnE if Device; and device
     * memory is lent to one borrower only.
     *
     * @param transactionType {@link MemoryTransactionFlags#TYPE_SHARE}, {@code TYPE_LEND} or
     *                        {@code TYPE_DONATE}, from the function ID.
     * @return 0, INVALID_PARAMETERS or DENIED.
     */
    public int validateSend(final int transactionType)
    {
        final int result = validate();
        if (result != OK)
        {
            return result;
        }
        if (transactionType != TYPE_SHARE && transactionType != TYPE_LEND && transactionType != TYPE_DONATE)
        {
            return INVALID;
        }
        final int flags = flags();
        if (handle() != 0 || !MemoryTransactionFlags.isValidForSend(flags) ||
            (flags & MemoryTransactionFlags.TIME_SLICE) != 0 ||
            (transactionType == TYPE_SHARE && (flags & MemoryTransactionFlags.ZERO_MEMORY) != 0))
        {
            return INVALID;
        }
        final int attributes = attributes();
        if (MemoryRegionAttributes.isNonSecure(attributes) || firstCompositeOffset() == 0)
        {
            return INVALID;
        }
        final long count = emadCount();
        final boolean multiBorrower = count > 1;
        if (transactionType == TYPE_DONATE && count != 1)
        {
            return INVALID;
        }
        final int type = MemoryRegionAttributes.type(attributes);
        final boolean exclusive = transactionType == TYPE_DONATE || (transactionType == TYPE_LEND && !multiBorrower);
        if (exclusive && type != MemoryRegionAttributes.TYPE_NOT_SPECIFIED)
        {
            return INVALID;
        }

        final int sender = senderId();
        final long arrayOffset = emadArrayOffset();
        final long emadSize = emadSize();
        for (long i = 0; i < count; i++)
        {
            final int at = offset + (int)(arrayOffset + i * emadSize);
            final int receiver = buffer.getShort(at + EndpointMemoryAccessDescriptor.RECEIVER_ID_OFFSET, ORDER) & 0xFFFF;
            if (receiver == sender)
            {
                return INVALID;
            }
            for (long j = 0; j < i; j++)
            {
                final int other = offset + (int)(arrayOffset + j * emadSize);
                if ((buffer.getShort(other + EndpointMemoryAccessDescriptor.RECEIVER_ID_OFFSET, ORDER) & 0xFFFF) == receiver)
                {
                    return INVALID;
                }
            }
            final int permissions = buffer.getByte(at + EndpointMemoryAccessDescriptor.PERMISSIONS_OFFSET) & 0xFF;
            final int data = MemoryAccessPermissions.dataAccess(permissions);
            if ((transactionType == TYPE_DONATE) != (data == MemoryAccessPermissions.DATA_NOT_SPECIFIED))
            {
                return INVALID;
            }
            if (MemoryAccessPermissions.instructionAccess(permissions) != MemoryAccessPermissions.INSTRUCTION_NOT_SPECIFIED)
            {
                return INVALID;
            }
        }

        if (!exclusive)
        {
            final int cacheability = MemoryRegionAttributes.cacheability(attributes);
            if (MemoryRegionAttributes.shareability(attributes) != MemoryRegionAttributes.INNER_SHAREABLE ||
                type == MemoryRegionAttributes.TYPE_NORMAL && cacheability != MemoryRegionAttributes.WRITE_BACK ||
                type == MemoryRegionAttributes.TYPE_DEVICE &&
                (cacheability != MemoryRegionAttributes.DEVICE_NGNRNE || transactionType == TYPE_LEND))
            {
                return ErrorCode.DENIED;
            }
        }
        return OK;
    }

    /**
     * Checks a composite at {@code compositeOffset} inside the window {@code [base, base + length)}:
     * header inside, reserved zero, at least one constituent, all constituents inside, each 4K
     * aligned with zero reserved word and no wrap past 2^64, no two overlapping, and their page
     * counts (summed in a long) equal to the total. The window must already lie in the buffer.
     */
    static int validateComposite(final DirectBuffer buffer, final int base, final int length, final long compositeOffset)
    {
        return validateComposite(buffer, base, length, compositeOffset, true);
    }

    /** As above; when not {@code whole}, only the constituents inside the window are checked, one by one. */
    static int validateComposite(
        final DirectBuffer buffer, final int base, final int length, final long compositeOffset, final boolean whole)
    {
        if (!windowInBuffer(buffer, base, length, 0) ||
            compositeOffset < 0 || compositeOffset + CompositeMemoryRegionDescriptor.HEADER_LENGTH > length)
        {
            return INVALID;
        }
        final int at = base + (int)compositeOffset;
        if (buffer.getLong(at + CompositeMemoryRegionDescriptor.RESERVED_OFFSET, ORDER) != 0)
        {
            return INVALID;
        }
        final long count = u32(buffer, at, CompositeMemoryRegionDescriptor.CONSTITUENT_COUNT_OFFSET);
        final long room = (length - compositeOffset - CompositeMemoryRegionDescriptor.HEADER_LENGTH) / ConstituentDescriptor.LENGTH;
        if (count == 0 || (whole && count > room))
        {
            return INVALID;
        }
        final long present = Math.min(count, room);
        long pages = 0;
        for (int i = 0; i < present; i++)
        {
            final int c = at + CompositeMemoryRegionDescriptor.constituentOffset(i);
            final long address = buffer.getLong(c + ConstituentDescriptor.ADDRESS_OFFSET, ORDER);
            final long pageCount = u32(buffer, c, ConstituentDescriptor.PAGE_COUNT_OFFSET);
            if ((address & ConstituentDescriptor.PAGE_MASK) != 0 ||
                buffer.getInt(c + ConstituentDescriptor.RESERVED_OFFSET, ORDER) != 0 ||
                Long.compareUnsigned(address, -1L - (pageCount << 12) + 1) > 0 && pageCount != 0)
            {
                return INVALID;
            }
            pages += pageCount;
        }
        if (!whole)
        {
            return OK;
        }
        if (pages != u32(buffer, at, CompositeMemoryRegionDescriptor.PAGE_COUNT_OFFSET))
        {
            return INVALID;
        }
        return hasOverlap(buffer, at, (int)count) ? INVALID : OK;
    }

    /** Pairwise: no allocation, and constituent lists are bounded by the buffer they arrive in. */
    private static boolean hasOverlap(final DirectBuffer buffer, final int compositeAt, final int count)
    {
        for (int i = 1; i < count; i++)
        {
            final int ci = compositeAt + CompositeMemoryRegionDescriptor.constituentOffset(i);
            final long startI = buffer.getLong(ci + ConstituentDescriptor.ADDRESS_OFFSET, ORDER);
            final long endI = startI + (u32(buffer, ci, ConstituentDescriptor.PAGE_COUNT_OFFSET) << 12);
            for (int j = 0; j < i; j++)
            {
                final int cj = compositeAt + CompositeMemoryRegionDescriptor.constituentOffset(j);
                final long startJ = buffer.getLong(cj + ConstituentDescriptor.ADDRESS_OFFSET, ORDER);
                final long endJ = startJ + (u32(buffer, cj, ConstituentDescriptor.PAGE_COUNT_OFFSET) << 12);
                // Half-open ranges [start, end); end == 0 only when the range ends exactly at 2^64.
                if (startI != endI && startJ != endJ &&
                    Long.compareUnsigned(startI, endJ - 1) <= 0 && Long.compareUnsigned(startJ, endI - 1) <= 0)
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static long u32(final DirectBuffer buffer, final int base, final long relative)
    {
        return buffer.getInt(base + (int)relative, ORDER) & 0xFFFF_FFFFL;
    }

    // Rendering.

    /** Field by field; EMADs and the composite only as far as they lie inside the length. */
    public StringBuilder appendTo(final StringBuilder out)
    {
        if (!windowInBuffer(headerLength(version)))
        {
            return appendTruncated(out);
        }
        out.append("MemoryTransaction{v").append(FfaVersion.toString(version)).append(" sender=");
        EndpointId.appendTo(senderId(), out);
        out.append(" attributes=");
        MemoryRegionAttributes.appendTo(attributes(), out);
        out.append(" flags=");
        MemoryTransactionFlags.appendTo(flags(), out);
        out.append(" handle=");
        MemoryHandle.appendTo(handle(), out);
        out.append(" tag=0x").append(Long.toHexString(tag()));
        out.append(" emadSize=").append(emadSize()).append(" emadCount=").append(emadCount())
            .append(" emadOffset=").append(emadArrayOffset());
        final long size = emadSize();
        if (size == EndpointMemoryAccessDescriptor.V1_0_LENGTH || size == EndpointMemoryAccessDescriptor.V1_2_LENGTH)
        {
            final EndpointMemoryAccessDescriptor emad = new EndpointMemoryAccessDescriptor();
            for (long i = 0; i < emadCount(); i++)
            {
                final long at = emadArrayOffset() + i * size;
                if (at + size > length)
                {
                    out.append("\n  ... ").append(emadCount() - i).append(" EMADs outside the length");
                    break;
                }
                out.append("\n  [").append(i).append("] ");
                emad.wrap(buffer, offset + (int)at, (int)size, descriptorVersion()).appendTo(out);
            }
        }
        final long compositeOffset = firstCompositeOffset();
        if (compositeOffset != 0 && compositeOffset + CompositeMemoryRegionDescriptor.HEADER_LENGTH <= length)
        {
            out.append("\n  @").append(compositeOffset).append(' ');
            new CompositeMemoryRegionDescriptor()
                .wrap(buffer, offset + (int)compositeOffset, length - (int)compositeOffset).appendTo(out);
        }
        return out.append('}');
    }
}
