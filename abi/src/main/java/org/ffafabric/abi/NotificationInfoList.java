package org.ffafabric.abi;

/**
 * The FFA_NOTIFICATION_INFO_GET success return (reference §4.6): which partitions and
 * vCPUs have notifications pending.
 * <pre>
 *  x2/w2:  63 .. 12+2k+1:12+2k .. 12   11     7   6   1    0
 *         +----------------------+---+----------+-------+----+
 *         | vCPU count of list k ... | list count | MBZ   |more|
 *         +----------------------+---+----------+-------+----+
 *  x3..x7: 16-bit IDs from the low half of x3 upward, 4 per register (SMC64, 20 in all)
 *          or 2 per w register (SMC32, 10 in all)
 * </pre>
 * Each list is a partition ID followed by 0-3 vCPU IDs; no vCPU IDs means a global
 * notification for that partition. The encoder is a flyweight over a register file and
 * allocates nothing.
 */
public final class NotificationInfoList
{
    public static final long MORE_PENDING = 1;
    public static final int LIST_COUNT_SHIFT = 7;
    public static final int LIST_COUNT_MASK = 0x1F;
    public static final int LIST_SIZES_SHIFT = 12;
    public static final int LIST_SIZE_BITS = 2;
    public static final long MBZ_MASK_X2 = 0x7E;
    public static final int MAX_VCPUS_PER_LIST = 3;
    public static final int MAX_IDS_32 = 10;
    public static final int MAX_IDS_64 = 20;
    public static final int FIRST_ID_REGISTER = 3;

    private RegisterFile registers;
    private boolean smc64;
    private int idCount;
    private int listCount;

    /** Handler for {@link #decode(RegisterFile, ListHandler)}; unused vCPU arguments are 0. */
    @FunctionalInterface
    public interface ListHandler
    {
        void onList(int partitionId, int vcpuCount, int vcpu0, int vcpu1, int vcpu2);
    }

    /** Starts an empty FFA_SUCCESS_32/64 return in {@code registers}. */
    public NotificationInfoList wrap(final RegisterFile registers, final boolean smc64)
    {
        this.registers = registers;
        this.smc64 = smc64;
        this.idCount = 0;
        this.listCount = 0;
        if (smc64)
        {
            registers.success64();
        }
        else
        {
            registers.success();
        }
        return this;
    }

    public static int maxIds(final boolean smc64)
    {
        return smc64 ? MAX_IDS_64 : MAX_IDS_32;
    }

    private static int idsPerRegister(final boolean smc64)
    {
        return smc64 ? 4 : 2;
    }

    public int idCount()
    {
        return idCount;
    }

    public int listCount()
    {
        return listCount;
    }

    /** Adds a global-notification list (partition ID only); false if it does not fit. */
    public boolean add(final int partitionId)
    {
        return add(partitionId, 0, 0, 0, 0);
    }

    /**
     * Adds a list of a partition and {@code vcpuCount} (0-3) vCPU IDs; false, changing
     * nothing, when the IDs do not fit or the count is out of range. The caller then sets
     * {@link #morePending(boolean)}.
     */
    public boolean add(final int partitionId, final int vcpuCount, final int vcpu0, final int vcpu1, final int vcpu2)
    {
        if (vcpuCount < 0 || vcpuCount > MAX_VCPUS_PER_LIST || idCount + 1 + vcpuCount > maxIds(smc64))
        {
            return false;
        }
        putId(idCount++, partitionId);
        if (vcpuCount > 0)
        {
            putId(idCount++, vcpu0);
        }
        if (vcpuCount > 1)
        {
            putId(idCount++, vcpu1);
        }
        if (vcpuCount > 2)
        {
            putId(idCount++, vcpu2);
        }
        final long x2 = registers.x(2) & ~((long)LIST_COUNT_MASK << LIST_COUNT_SHIFT);
        final long size = (long)vcpuCount << (LIST_SIZES_SHIFT + LIST_SIZE_BITS * listCount);
        listCount++;
        registers.x(2, x2 | size | ((long)listCount << LIST_COUNT_SHIFT));
        return true;
    }

    public NotificationInfoList morePending(final boolean more)
    {
        final long x2 = registers.x(2);
        registers.x(2, more ? x2 | MORE_PENDING : x2 & ~MORE_PENDING);
        return this;
    }

    private void putId(final int index, final int id)
    {
        final int register = FIRST_ID_REGISTER + index / idsPerRegister(smc64);
        final int shift = 16 * (index % idsPerRegister(smc64));
        registers.x(register, registers.x(register) | ((long)(id & 0xFFFF) << shift));
    }

    // Decoding.

    public static boolean morePending(final long x2)
    {
        return (x2 & MORE_PENDING) != 0;
    }

    public static int listCount(final long x2)
    {
        return (int)(x2 >>> LIST_COUNT_SHIFT) & LIST_COUNT_MASK;
    }

    /** Number of vCPU IDs in list {@code k} (0-3). */
    public static int listSize(final long x2, final int k)
    {
        final int shift = LIST_SIZES_SHIFT + LIST_SIZE_BITS * k;
        return shift > 62 || k < 0 ? 0 : (int)(x2 >>> shift) & 0x3;
    }

    /** The 16-bit ID at {@code index} of the packed ID array. */
    public static int id(final RegisterFile registers, final boolean smc64, final int index)
    {
        final int register = FIRST_ID_REGISTER + index / idsPerRegister(smc64);
        final int shift = 16 * (index % idsPerRegister(smc64));
        return (int)(registers.x(register) >>> shift) & 0xFFFF;
    }

    /**
     * Walks the lists of a return in {@code registers} (width from x0's function ID).
     *
     * @return the number of lists, or INVALID_PARAMETERS when x2 is malformed: reserved bits
     * set, sizes beyond the list count, or more IDs than the registers hold.
     */
    public static int decode(final RegisterFile registers, final ListHandler handler)
    {
        final boolean smc64 = FunctionId.isSmc64(registers.functionId());
        final long x2 = smc64 ? registers.x(2) : registers.w(2) & 0xFFFF_FFFFL;
        final int lists = listCount(x2);
        if ((x2 & MBZ_MASK_X2) != 0 || lists > maxIds(smc64))
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        final int sizesEnd = LIST_SIZES_SHIFT + LIST_SIZE_BITS * lists;
        if (sizesEnd < 64 && (x2 >>> sizesEnd) != 0)
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        int total = 0;
        for (int k = 0; k < lists; k++)
        {
            total += 1 + listSize(x2, k);
        }
        if (total > maxIds(smc64))
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        int index = 0;
        for (int k = 0; k < lists; k++)
        {
            final int size = listSize(x2, k);
            final int partition = id(registers, smc64, index);
            final int v0 = size > 0 ? id(registers, smc64, index + 1) : 0;
            final int v1 = size > 1 ? id(registers, smc64, index + 2) : 0;
            final int v2 = size > 2 ? id(registers, smc64, index + 3) : 0;
            handler.onList(partition, size, v0, v1, v2);
            index += 1 + size;
        }
        return lists;
    }
}
