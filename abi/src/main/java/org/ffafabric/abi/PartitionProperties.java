package org.ffafabric.abi;

/** The partition properties word of the partition information descriptor. */
public final class PartitionProperties
{
    public static final int DIRECT_REQ_RECV = 1;
    public static final int DIRECT_REQ_SEND = 1 << 1;
    public static final int INDIRECT_MSG = 1 << 2;
    public static final int NOTIFICATION_RECV = 1 << 3;
    public static final int ID_TYPE_SHIFT = 4;
    public static final int ID_TYPE_MASK = 3 << ID_TYPE_SHIFT;
    public static final int ID_TYPE_PE_ENDPOINT = 0;
    public static final int ID_TYPE_SEPID_INDEPENDENT = 1;
    public static final int ID_TYPE_SEPID_DEPENDENT = 2;
    public static final int ID_TYPE_AUX = 3;
    public static final int VM_CREATED_MSG = 1 << 6;
    public static final int VM_DESTROYED_MSG = 1 << 7;
    public static final int AARCH64 = 1 << 8;
    public static final int DIRECT_REQ2_RECV = 1 << 9;
    public static final int DIRECT_REQ2_SEND = 1 << 10;

    private PartitionProperties()
    {
    }

    public static int validMask(final int version)
    {
        if (version >= FfaVersion.V1_2)
        {
            return (1 << 11) - 1;
        }
        return version == FfaVersion.V1_1 ? (1 << 9) - 1 : (1 << 3) - 1;
    }

    public static int forVersion(final int properties, final int version)
    {
        return properties & validMask(version);
    }
}
