package org.ffafabric.abi;

/**
 * 16-bit endpoint (partition) IDs (reference §5.12).
 * <p>
 * Bit 15 set means the secure world (SPs, the SPMC, SPMD logical partitions); clear means
 * the normal world, where 0 is the hypervisor (or the OS kernel with no hypervisor).
 */
public final class EndpointId
{
    public static final int HYPERVISOR = 0;
    public static final int SPMC = 0x8000;
    public static final int SPMD = 0xFFFF;
    /** Hafnium's "no such VM". */
    public static final int INVALID = 0x7FFF;
    public static final int SECURE_BIT = 0x8000;
    public static final int MASK = 0xFFFF;

    private EndpointId()
    {
    }

    public static boolean isSecure(final int id)
    {
        return (id & SECURE_BIT) != 0;
    }

    /** True when the value fits 16 bits; any such value can name an endpoint. */
    public static boolean isValid(final int id)
    {
        return id >= 0 && id <= MASK;
    }

    /** "0x8001": four hex digits, as the spec and Hafnium's logs print IDs. */
    public static String toString(final int id)
    {
        return appendTo(id, new StringBuilder(6)).toString();
    }

    public static StringBuilder appendTo(final int id, final StringBuilder out)
    {
        out.append("0x");
        for (int shift = 12; shift >= 0; shift -= 4)
        {
            out.append(Character.forDigit((id >>> shift) & 0xF, 16));
        }
        return out;
    }
}
