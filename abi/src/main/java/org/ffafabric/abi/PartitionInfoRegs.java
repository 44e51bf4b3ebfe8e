package org.ffafabric.abi;

import org.ffafabric.abi.descriptor.PartitionInfoDescriptor;

/**
 * FFA_PARTITION_INFO_GET_REGS (v1.2, SMC64 only; reference §4.1): partition information
 * returned in registers instead of the RX buffer.
 * <pre>
 *  in   x1, x2: UUID bytes 0-7, 8-15 (little-endian u64s)
 *       x3:     [15:0] start index, [31:16] tag (0 when the start index is 0)
 *  out  x2:     [15:0] last index, [31:16] current index, [47:32] tag, [63:48] descriptor size
 *       x3..x17: up to 5 descriptors of 24 bytes, 3 registers each:
 *               +0: [15:0] ID, [31:16] execution contexts, [63:32] properties
 *               +1: UUID bytes 0-7     +2: UUID bytes 8-15
 * </pre>
 */
public final class PartitionInfoRegs
{
    public static final int LAST_INDEX_SHIFT = 0;
    public static final int CURRENT_INDEX_SHIFT = 16;
    public static final int TAG_SHIFT = 32;
    public static final int DESCRIPTOR_SIZE_SHIFT = 48;
    public static final int START_INDEX_SHIFT = 0;
    public static final int INPUT_TAG_SHIFT = 16;

    public static final int DESCRIPTOR_SIZE = 24;
    public static final int REGISTERS_PER_DESCRIPTOR = 3;
    public static final int MAX_DESCRIPTORS_PER_CALL = 5;
    public static final int FIRST_DESCRIPTOR_REGISTER = 3;

    private PartitionInfoRegs()
    {
    }

    // Input.

    /** x3 of the request. */
    public static long request(final int startIndex, final int tag)
    {
        return (startIndex & 0xFFFFL) | ((tag & 0xFFFFL) << INPUT_TAG_SHIFT);
    }

    public static int startIndex(final long x3)
    {
        return (int)(x3 >>> START_INDEX_SHIFT) & 0xFFFF;
    }

    public static int requestTag(final long x3)
    {
        return (int)(x3 >>> INPUT_TAG_SHIFT) & 0xFFFF;
    }

    /** Bits [63:32] of the request's x3 are MBZ. */
    public static boolean isValidRequest(final long x3)
    {
        return (x3 >>> 32) == 0;
    }

    // Output x2.

    public static long x2(final int lastIndex, final int currentIndex, final int tag, final int descriptorSize)
    {
        return (lastIndex & 0xFFFFL) |
            ((currentIndex & 0xFFFFL) << CURRENT_INDEX_SHIFT) |
            ((tag & 0xFFFFL) << TAG_SHIFT) |
            ((descriptorSize & 0xFFFFL) << DESCRIPTOR_SIZE_SHIFT);
    }

    public static int lastIndex(final long x2)
    {
        return (int)(x2 >>> LAST_INDEX_SHIFT) & 0xFFFF;
    }

    public static int currentIndex(final long x2)
    {
        return (int)(x2 >>> CURRENT_INDEX_SHIFT) & 0xFFFF;
    }

    public static int tag(final long x2)
    {
        return (int)(x2 >>> TAG_SHIFT) & 0xFFFF;
    }

    public static int descriptorSize(final long x2)
    {
        return (int)(x2 >>> DESCRIPTOR_SIZE_SHIFT) & 0xFFFF;
    }

    /** Descriptors in a reply to a request starting at {@code startIndex}; 0 if the reply is inconsistent. */
    public static int descriptorsInReply(final long x2, final int startIndex)
    {
        final int count = currentIndex(x2) - startIndex + 1;
        final int size = descriptorSize(x2);
        if (count < 1 || size < 8 || (size & 7) != 0 || currentIndex(x2) > lastIndex(x2))
        {
            return 0;
        }
        final int perCall = (RegisterFile.REGISTER_COUNT - FIRST_DESCRIPTOR_REGISTER) / (size / 8);
        return count <= perCall ? count : 0;
    }

    // Encoding.

    /** Starts an FFA_SUCCESS_64 reply with x2 filled and no descriptors. */
    public static RegisterFile reply(final RegisterFile registers, final int lastIndex, final int currentIndex, final int tag)
    {
        return registers.success64().x(2, x2(lastIndex, currentIndex, tag, DESCRIPTOR_SIZE));
    }

    /** Register holding word {@code word} (0-2) of descriptor {@code slot} (0-4). */
    public static int register(final int slot, final int word)
    {
        return FIRST_DESCRIPTOR_REGISTER + slot * REGISTERS_PER_DESCRIPTOR + word;
    }

    public static RegisterFile putDescriptor(
        final RegisterFile registers,
        final int slot,
        final int partitionId,
        final int executionContextCount,
        final int properties,
        final long uuidLo,
        final long uuidHi)
    {
        final long word0 = (partitionId & 0xFFFFL) | ((executionContextCount & 0xFFFFL) << 16) | ((long)properties << 32);
        return registers.x(register(slot, 0), word0).x(register(slot, 1), uuidLo).x(register(slot, 2), uuidHi);
    }

    /** Copies a v1.1+ partition info descriptor into slot {@code slot}. */
    public static RegisterFile putDescriptor(final RegisterFile registers, final int slot, final PartitionInfoDescriptor info)
    {
        return putDescriptor(
            registers, slot, info.partitionId(), info.executionContextCount(), info.properties(), info.uuidLo(), info.uuidHi());
    }

    // Decoding.

    public static int partitionId(final RegisterFile registers, final int slot)
    {
        return (int)registers.x(register(slot, 0)) & 0xFFFF;
    }

    public static int executionContextCount(final RegisterFile registers, final int slot)
    {
        return (int)(registers.x(register(slot, 0)) >>> 16) & 0xFFFF;
    }

    public static int properties(final RegisterFile registers, final int slot)
    {
        return (int)(registers.x(register(slot, 0)) >>> 32);
    }

    public static long uuidLo(final RegisterFile registers, final int slot)
    {
        return registers.x(register(slot, 1));
    }

    public static long uuidHi(final RegisterFile registers, final int slot)
    {
        return registers.x(register(slot, 2));
    }

    /** Writes slot {@code slot} into a v1.1+ partition info descriptor. */
    public static PartitionInfoDescriptor copyTo(final RegisterFile registers, final int slot, final PartitionInfoDescriptor info)
    {
        info.partitionId(partitionId(registers, slot))
            .executionContextCount(executionContextCount(registers, slot))
            .properties(properties(registers, slot));
        final long lo = uuidLo(registers, slot);
        final long hi = uuidHi(registers, slot);
        return info.uuid(FfaUuid.mostSigBits(lo), FfaUuid.leastSigBits(hi));
    }
}
