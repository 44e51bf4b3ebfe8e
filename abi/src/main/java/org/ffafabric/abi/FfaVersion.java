package org.ffafabric.abi;

/**
 * FF-A version words: bit 31 must be zero, major in bits [30:16], minor in bits [15:0].
 * <p>
 * A caller version is compatible with a callee version when the majors are equal and the
 * caller's minor is not greater than the callee's.
 */
public final class FfaVersion
{
    public static final int V1_0 = 0x0001_0000;
    public static final int V1_1 = 0x0001_0001;
    public static final int V1_2 = 0x0001_0002;
    public static final int V1_3 = 0x0001_0003;

    /** The newest version the fabric implements. */
    public static final int LATEST = V1_2;

    /** FFA_VERSION's failure value in w0: NOT_SUPPORTED as a raw SMCCC code, not FFA_ERROR. */
    public static final int NOT_SUPPORTED = 0xFFFF_FFFF;

    private static final int MBZ_BIT = 0x8000_0000;
    private static final int MAJOR_SHIFT = 16;
    private static final int MAJOR_MASK = 0x7FFF;
    private static final int MINOR_MASK = 0xFFFF;

    private FfaVersion()
    {
    }

    public static int pack(final int major, final int minor)
    {
        if (major < 0 || major > MAJOR_MASK || minor < 0 || minor > MINOR_MASK)
        {
            throw new IllegalArgumentException("version out of range: " + major + "." + minor);
        }
        return (major << MAJOR_SHIFT) | minor;
    }

    public static int major(final int version)
    {
        return (version >>> MAJOR_SHIFT) & MAJOR_MASK;
    }

    public static int minor(final int version)
    {
        return version & MINOR_MASK;
    }

    /** A version word is valid when its bit 31 is clear. */
    public static boolean isValid(final int version)
    {
        return (version & MBZ_BIT) == 0;
    }

    /** The spec's rule: same major, caller minor no greater than callee minor. */
    public static boolean isCompatible(final int callerVersion, final int calleeVersion)
    {
        return isValid(callerVersion) && isValid(calleeVersion) &&
            major(callerVersion) == major(calleeVersion) &&
            minor(callerVersion) <= minor(calleeVersion);
    }

    /** True for the versions this fabric produces layouts for: v1.0, v1.1 and v1.2. */
    public static boolean isImplemented(final int version)
    {
        return version == V1_0 || version == V1_1 || version == V1_2;
    }

    /** Parses "1.2" (also "v1.2"); answers {@link #NOT_SUPPORTED} for anything else. */
    public static int parse(final CharSequence text)
    {
        if (text == null)
        {
            return NOT_SUPPORTED;
        }
        int i = 0;
        final int length = text.length();
        if (length > 0 && (text.charAt(0) == 'v' || text.charAt(0) == 'V'))
        {
            i = 1;
        }
        int major = 0;
        int digits = 0;
        for (; i < length && text.charAt(i) != '.'; i++, digits++)
        {
            final char c = text.charAt(i);
            if (c < '0' || c > '9' || digits > 5)
            {
                return NOT_SUPPORTED;
            }
            major = major * 10 + (c - '0');
        }
        if (digits == 0 || i >= length || major > MAJOR_MASK)
        {
            return NOT_SUPPORTED;
        }
        i++;
        int minor = 0;
        digits = 0;
        for (; i < length; i++, digits++)
        {
            final char c = text.charAt(i);
            if (c < '0' || c > '9' || digits > 5)
            {
                return NOT_SUPPORTED;
            }
            minor = minor * 10 + (c - '0');
        }
        if (digits == 0 || minor > MINOR_MASK)
        {
            return NOT_SUPPORTED;
        }
        return (major << MAJOR_SHIFT) | minor;
    }

    /** "1.2", or "invalid(0x...)" for a word with bit 31 set. */
    public static String toString(final int version)
    {
        if (!isValid(version))
        {
            return "invalid(0x" + Integer.toHexString(version) + ")";
        }
        return major(version) + "." + minor(version);
    }
}
