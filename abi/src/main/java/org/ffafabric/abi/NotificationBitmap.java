package org.ffafabric.abi;

/**
 * 64-bit notification bitmaps (IDs 0-63) as they travel in a register pair, bits [31:0] in
 * the first and [63:32] in the second (reference §4.6), plus the flag words of the
 * notification calls.
 */
public final class NotificationBitmap
{
    public static final int MAX_ID = 63;

    // FFA_NOTIFICATION_BIND / SET w2.
    public static final int FLAG_PER_VCPU = 1;
    // FFA_NOTIFICATION_SET w2.
    public static final int SET_FLAG_DELAY_SRI = 1 << 1;
    public static final int SET_VCPU_SHIFT = 16;
    public static final int SET_MBZ_MASK = 0xFFFC;

    // FFA_NOTIFICATION_GET w2.
    public static final int GET_FLAG_SP = 1;
    public static final int GET_FLAG_VM = 1 << 1;
    public static final int GET_FLAG_SPM_FRAMEWORK = 1 << 2;
    public static final int GET_FLAG_HYP_FRAMEWORK = 1 << 3;
    public static final int GET_FLAGS_VALID_MASK = 0xF;

    /** Framework notification bit 0: "RX buffer full" (an indirect message arrived). */
    public static final int FRAMEWORK_RX_BUFFER_FULL = 1;

    private NotificationBitmap()
    {
    }

    public static boolean isValidId(final int id)
    {
        return id >= 0 && id <= MAX_ID;
    }

    /** The bitmap with only {@code id} set; 0 for an ID outside 0-63. */
    public static long bit(final int id)
    {
        return isValidId(id) ? 1L << id : 0;
    }

    public static int lo(final long bitmap)
    {
        return (int)bitmap;
    }

    public static int hi(final long bitmap)
    {
        return (int)(bitmap >>> 32);
    }

    public static long of(final int lo, final int hi)
    {
        return (lo & 0xFFFF_FFFFL) | ((long)hi << 32);
    }

    /** Writes the bitmap to w{first} (low) and w{first+1} (high). */
    public static RegisterFile put(final RegisterFile registers, final int first, final long bitmap)
    {
        return registers.w(first, lo(bitmap)).w(first + 1, hi(bitmap));
    }

    public static long get(final RegisterFile registers, final int first)
    {
        return of(registers.w(first), registers.w(first + 1));
    }

    /** w2 of NOTIFICATION_SET: per-vCPU flag, delay-SRI flag and target vCPU in [31:16]. */
    public static int setFlags(final boolean perVcpu, final boolean delaySri, final int vcpu)
    {
        return (perVcpu ? FLAG_PER_VCPU : 0) | (delaySri ? SET_FLAG_DELAY_SRI : 0) | ((vcpu & 0xFFFF) << SET_VCPU_SHIFT);
    }

    public static int setFlagsVcpu(final int flags)
    {
        return flags >>> SET_VCPU_SHIFT;
    }
}
