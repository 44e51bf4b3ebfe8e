package org.ffafabric.abi;

/** Endpoint IDs: 16 bits, bit 15 set for the secure world. */
public final class EndpointId
{
    public static final int HYPERVISOR = 0;
    public static final int SPMC = 0x8000;
    public static final int SPMD = 0xFFFF;
    public static final int INVALID = 0x7FFF;
    public static final int SECURE_BIT = 0x8000;

    private EndpointId()
    {
    }

    public static boolean isSecure(final int id)
    {
        return (id & SECURE_BIT) != 0;
    }

    public static boolean isValid(final int id)
    {
        return id >= 0 && id <= 0xFFFF;
    }

    public static String toString(final int id)
    {
        return String.format("0x%04X", id);
    }
}
