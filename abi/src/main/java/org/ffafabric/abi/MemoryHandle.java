package org.ffafabric.abi;

/**
 * 64-bit memory handles (reference §5.11): opaque, split lo/hi across two 32-bit registers,
 * lo first. Bit 63 names the allocator; all ones is the invalid handle.
 */
public final class MemoryHandle
{
    public static final long INVALID = -1L;
    /** Set: allocated by the hypervisor; clear: allocated by the SPMC. */
    public static final long ALLOCATOR_HYPERVISOR_BIT = 1L << 63;

    private MemoryHandle()
    {
    }

    public static int lo(final long handle)
    {
        return RegisterFile.handleLo(handle);
    }

    public static int hi(final long handle)
    {
        return RegisterFile.handleHi(handle);
    }

    public static long of(final int lo, final int hi)
    {
        return RegisterFile.handle(lo, hi);
    }

    public static boolean isValid(final long handle)
    {
        return handle != INVALID;
    }

    public static boolean isHypervisorAllocated(final long handle)
    {
        return (handle & ALLOCATOR_HYPERVISOR_BIT) != 0;
    }

    /** "0x0000000000000001", or "invalid". */
    public static String toString(final long handle)
    {
        return appendTo(handle, new StringBuilder(18)).toString();
    }

    public static StringBuilder appendTo(final long handle, final StringBuilder out)
    {
        if (handle == INVALID)
        {
            return out.append("invalid");
        }
        out.append("0x");
        for (int shift = 60; shift >= 0; shift -= 4)
        {
            out.append(Character.forDigit((int)(handle >>> shift) & 0xF, 16));
        }
        return out;
    }
}
