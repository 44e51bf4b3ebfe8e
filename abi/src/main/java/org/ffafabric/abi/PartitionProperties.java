package org.ffafabric.abi;

/**
 * The partition properties word of the partition information descriptor (DEN0077 §6.2.3;
 * reference §5.1).
 * <pre>
 *   31                 11 10  9   8   7   6  5 4  3   2   1   0
 *  +---------------------+---+---+---+---+---+----+---+---+---+---+
 *  |        MBZ          |R2S|R2R|A64|VMD|VMC|type|NTF|IND|DRS|DRR|
 *  +---------------------+---+---+---+---+---+----+---+---+---+---+
 * </pre>
 * Bits [2:0] exist from v1.0, [8:3] from v1.1, [10:9] from v1.2. A partition manager
 * answering an older caller masks the word with {@link #forVersion(int, int)}.
 */
public final class PartitionProperties
{
    /** Can receive direct requests (FFA_MSG_SEND_DIRECT_REQ). */
    public static final int DIRECT_REQ_RECV = 1;
    /** Can send direct requests (FFA_MSG_SEND_DIRECT_REQ). */
    public static final int DIRECT_REQ_SEND = 1 << 1;
    /** Can send and receive indirect messages. */
    public static final int INDIRECT_MSG = 1 << 2;
    /** Supports receipt of notifications (v1.1). */
    public static final int NOTIFICATION_RECV = 1 << 3;

    public static final int ID_TYPE_SHIFT = 4;
    public static final int ID_TYPE_MASK = 0x3 << ID_TYPE_SHIFT;
    public static final int ID_TYPE_PE_ENDPOINT = 0;
    public static final int ID_TYPE_SEPID_INDEPENDENT = 1;
    public static final int ID_TYPE_SEPID_DEPENDENT = 2;
    public static final int ID_TYPE_AUX = 3;

    /** Must be told about VMs the hypervisor creates (v1.1). */
    public static final int VM_CREATED_MSG = 1 << 6;
    /** Must be told about VMs the hypervisor destroys (v1.1). */
    public static final int VM_DESTROYED_MSG = 1 << 7;
    /** Runs in AArch64 state; clear means AArch32 and SMC32 direct messages (v1.1). */
    public static final int AARCH64 = 1 << 8;
    /** Can receive direct requests via FFA_MSG_SEND_DIRECT_REQ2 (v1.2). */
    public static final int DIRECT_REQ2_RECV = 1 << 9;
    /** Can send direct requests via FFA_MSG_SEND_DIRECT_REQ2 (v1.2). */
    public static final int DIRECT_REQ2_SEND = 1 << 10;

    public static final int V1_0_MASK = 0x7;
    public static final int V1_1_MASK = 0x1FF;
    public static final int V1_2_MASK = 0x7FF;

    // The words a partition manifest sets each bit with (its messaging methods and flags), so that what the
    // tools show of a properties word is what its manifest says.
    private static final String[] BIT_NAMES =
    {
        "direct-req-recv",
        "direct-req-send",
        "indirect",
        "notifications",
        null,
        null,
        "vm-created-messages",
        "vm-destroyed-messages",
        "aarch64",
        "direct-req2-recv",
        "direct-req2-send",
    };

    private static final String[] ID_TYPE_NAMES = { "pe-endpoint", "sepid-independent", "sepid-dependent", "aux" };

    private PartitionProperties()
    {
    }

    /**
     * Bits defined for a negotiated version: v1.0 [2:0], v1.1 [8:0], v1.2 and later [10:0].
     * Versions before v1.0 or with a different major get the v1.0 mask.
     */
    public static int validMask(final int version)
    {
        if (FfaVersion.major(version) != 1 || !FfaVersion.isValid(version))
        {
            return V1_0_MASK;
        }
        final int minor = FfaVersion.minor(version);
        if (minor == 0)
        {
            return V1_0_MASK;
        }
        return minor == 1 ? V1_1_MASK : V1_2_MASK;
    }

    /** The properties a caller of this version may see. */
    public static int forVersion(final int properties, final int version)
    {
        return properties & validMask(version);
    }

    /** Partition ID type, bits [5:4]. */
    public static int idType(final int properties)
    {
        return (properties & ID_TYPE_MASK) >>> ID_TYPE_SHIFT;
    }

    public static int idType(final int properties, final int idType)
    {
        return (properties & ~ID_TYPE_MASK) | ((idType << ID_TYPE_SHIFT) & ID_TYPE_MASK);
    }

    /** The name of one property bit (e.g. {@link #AARCH64}: "aarch64"), as a manifest sets it; null for none. */
    public static String name(final int bit)
    {
        final int index = Integer.numberOfTrailingZeros(bit);
        return Integer.bitCount(bit) == 1 && index < BIT_NAMES.length ? BIT_NAMES[index] : null;
    }

    /** "direct-req-recv|direct-req-send|aarch64"; a non-PE ID type and unknown bits are named too. */
    public static String describe(final int properties)
    {
        return appendTo(properties, new StringBuilder()).toString();
    }

    public static StringBuilder appendTo(final int properties, final StringBuilder out)
    {
        final int start = out.length();
        for (int bit = 0; bit < BIT_NAMES.length; bit++)
        {
            if (BIT_NAMES[bit] != null && (properties & (1 << bit)) != 0)
            {
                separate(out, start).append(BIT_NAMES[bit]);
            }
        }
        final int idType = idType(properties);
        if (idType != ID_TYPE_PE_ENDPOINT)
        {
            separate(out, start).append("id-type=").append(ID_TYPE_NAMES[idType]);
        }
        final int unknown = properties & ~V1_2_MASK;
        if (unknown != 0)
        {
            separate(out, start).append("0x").append(Integer.toHexString(unknown));
        }
        if (out.length() == start)
        {
            out.append("none");
        }
        return out;
    }

    private static StringBuilder separate(final StringBuilder out, final int start)
    {
        return out.length() > start ? out.append('|') : out;
    }
}
