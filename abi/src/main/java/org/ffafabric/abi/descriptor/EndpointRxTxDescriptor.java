package org.ffafabric.abi.descriptor;

import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;

/**
 * Endpoint RX/TX descriptor, v1.1 form (reference §5.10): the hypervisor forwards a VM's
 * FFA_RXTX_MAP to the SPMC with this in its own TX buffer. Each offset names a composite
 * memory region descriptor (§5.7) describing that buffer.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |          Endpoint ID          |          Reserved             |  0
 *  +-------------------------------+-------------------------------+
 *  |           Offset of the RX composite (8-byte aligned)         |  4
 *  +---------------------------------------------------------------+
 *  |           Offset of the TX composite (8-byte aligned)         |  8
 *  +---------------------------------------------------------------+
 *  |                 Padding (Hafnium), MBZ                        | 12
 *  +---------------------------------------------------------------+ 16
 * </pre>
 */
public final class EndpointRxTxDescriptor extends VariableLengthFlyweight<EndpointRxTxDescriptor>
{
    public static final int ENDPOINT_ID_OFFSET = 0;
    public static final int RESERVED_OFFSET = 2;
    public static final int RX_COMPOSITE_OFFSET_OFFSET = 4;
    public static final int TX_COMPOSITE_OFFSET_OFFSET = 8;
    public static final int PADDING_OFFSET = 12;
    public static final int LENGTH = 16;
    public static final int COMPOSITE_ALIGNMENT = 8;

    public EndpointRxTxDescriptor()
    {
        super("EndpointRxTx");
    }

    public int encodedLength()
    {
        return LENGTH;
    }

    public int endpointId()
    {
        return buffer.getShort(offset + ENDPOINT_ID_OFFSET, ORDER) & 0xFFFF;
    }

    public EndpointRxTxDescriptor endpointId(final int id)
    {
        mutableBuffer.putShort(offset + ENDPOINT_ID_OFFSET, (short)id, ORDER);
        mutableBuffer.putShort(offset + RESERVED_OFFSET, (short)0, ORDER);
        mutableBuffer.putInt(offset + PADDING_OFFSET, 0, ORDER);
        return this;
    }

    public long rxCompositeOffset()
    {
        return buffer.getInt(offset + RX_COMPOSITE_OFFSET_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public EndpointRxTxDescriptor rxCompositeOffset(final int compositeOffset)
    {
        mutableBuffer.putInt(offset + RX_COMPOSITE_OFFSET_OFFSET, compositeOffset, ORDER);
        return this;
    }

    public long txCompositeOffset()
    {
        return buffer.getInt(offset + TX_COMPOSITE_OFFSET_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public EndpointRxTxDescriptor txCompositeOffset(final int compositeOffset)
    {
        mutableBuffer.putInt(offset + TX_COMPOSITE_OFFSET_OFFSET, compositeOffset, ORDER);
        return this;
    }

    /** Wraps {@code composite} over the RX buffer's description (validate first). */
    public CompositeMemoryRegionDescriptor rxComposite(final CompositeMemoryRegionDescriptor composite)
    {
        final int at = (int)rxCompositeOffset();
        return composite.wrap(buffer, offset + at, length - at);
    }

    public CompositeMemoryRegionDescriptor txComposite(final CompositeMemoryRegionDescriptor composite)
    {
        final int at = (int)txCompositeOffset();
        return composite.wrap(buffer, offset + at, length - at);
    }

    /**
     * Header inside the window, reserved zero, both offsets 8-aligned, past the header, and
     * naming composites that are whole and well formed inside the length.
     *
     * @return 0 or INVALID_PARAMETERS.
     */
    public int validate()
    {
        if (!windowInBuffer(LENGTH) ||
            buffer.getShort(offset + RESERVED_OFFSET, ORDER) != 0 || buffer.getInt(offset + PADDING_OFFSET, ORDER) != 0)
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        final long rx = rxCompositeOffset();
        final long tx = txCompositeOffset();
        if (rx < LENGTH || tx < LENGTH || (rx & (COMPOSITE_ALIGNMENT - 1)) != 0 || (tx & (COMPOSITE_ALIGNMENT - 1)) != 0)
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        final int result = MemoryTransactionDescriptor.validateComposite(buffer, offset, length, rx);
        return result != 0 ? result : MemoryTransactionDescriptor.validateComposite(buffer, offset, length, tx);
    }

    public StringBuilder appendTo(final StringBuilder out)
    {
        if (!windowInBuffer(LENGTH))
        {
            return appendTruncated(out);
        }
        out.append("EndpointRxTx{endpoint=");
        EndpointId.appendTo(endpointId(), out);
        out.append(" rx@").append(rxCompositeOffset()).append(" tx@").append(txCompositeOffset());
        final CompositeMemoryRegionDescriptor composite = new CompositeMemoryRegionDescriptor();
        if (rxCompositeOffset() + CompositeMemoryRegionDescriptor.HEADER_LENGTH <= length)
        {
            rxComposite(composite).appendTo(out.append("\n  rx "));
        }
        if (txCompositeOffset() + CompositeMemoryRegionDescriptor.HEADER_LENGTH <= length)
        {
            txComposite(composite).appendTo(out.append("\n  tx "));
        }
        return out.append('}');
    }
}
