package org.ffafabric.abi.descriptor;

import org.agrona.DirectBuffer;
import org.ffafabric.abi.FunctionId;

/**
 * Renders the descriptor an FF-A call carries in a TX or RX buffer, field by field, for
 * traces and the {@code ffa dump} tool. Never throws on malformed bytes: each flyweight's
 * {@code appendTo} renders only what lies inside the window it is given.
 */
public final class DescriptorDecoder
{
    private final PartitionInfoDescriptor partitionInfo = new PartitionInfoDescriptor();
    private final MemoryTransactionDescriptor memoryTransaction = new MemoryTransactionDescriptor();
    private final MemoryRelinquishDescriptor relinquish = new MemoryRelinquishDescriptor();
    private final IndirectMessageHeader indirectMessage = new IndirectMessageHeader();
    private final EndpointRxTxDescriptor endpointRxTx = new EndpointRxTxDescriptor();

    /**
     * Renders the buffer as the descriptor that {@code functionId} reads or writes, for an
     * endpoint of {@code version}; answers false, appending nothing, when the call carries
     * no descriptor.
     */
    public boolean decode(
        final int functionId,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int version,
        final StringBuilder out)
    {
        switch (functionId)
        {
            case FunctionId.FFA_MEM_DONATE_32:
            case FunctionId.FFA_MEM_DONATE_64:
            case FunctionId.FFA_MEM_LEND_32:
            case FunctionId.FFA_MEM_LEND_64:
            case FunctionId.FFA_MEM_SHARE_32:
            case FunctionId.FFA_MEM_SHARE_64:
            case FunctionId.FFA_MEM_RETRIEVE_REQ_32:
            case FunctionId.FFA_MEM_RETRIEVE_REQ_64:
            case FunctionId.FFA_MEM_RETRIEVE_RESP:
                memoryTransaction.wrap(buffer, offset, length, version).appendTo(out);
                return true;
            case FunctionId.FFA_MEM_RELINQUISH:
                relinquish.wrap(buffer, offset, length).appendTo(out);
                return true;
            case FunctionId.FFA_MSG_SEND2:
                indirectMessage.wrap(buffer, offset, length, version).appendTo(out);
                return true;
            case FunctionId.FFA_RXTX_MAP_32:
            case FunctionId.FFA_RXTX_MAP_64:
                endpointRxTx.wrap(buffer, offset, length).appendTo(out);
                return true;
            case FunctionId.FFA_PARTITION_INFO_GET:
                partitionInfo(buffer, offset, length, version, Integer.MAX_VALUE, out);
                return true;
            default:
                return false;
        }
    }

    /** Up to {@code count} partition info descriptors of the version's size, one per line. */
    public StringBuilder partitionInfo(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int version,
        final int count,
        final StringBuilder out)
    {
        final int size = PartitionInfoDescriptor.length(version);
        int i = 0;
        for (long at = offset; i < count && at + size <= (long)offset + length; at += size, i++)
        {
            if (i > 0)
            {
                out.append('\n');
            }
            partitionInfo.wrap(buffer, (int)at, size, version);
            if (!partitionInfo.fits())
            {
                return out.append("PartitionInfo{outside the buffer}");
            }
            partitionInfo.appendTo(out.append('[').append(i).append("] "));
        }
        return out;
    }
}
