package org.ffafabric.abi.descriptor;

import org.ffafabric.abi.FfaVersion;

/**
 * Memory region attributes of the memory transaction descriptor (offset 2; reference §5.4):
 * one byte in v1.0, two bytes from v1.1.
 * <pre>
 *   15 (v1.1+)      7    6    5   4   3   2   1   0
 *  +---------------+----+-------+-------+-------+
 *  |      MBZ      | NS | type  | cache | share |
 *  +---------------+----+-------+-------+-------+
 * </pre>
 * Bits [3:2] are cacheability for Normal memory and the device attributes for Device
 * memory. The NS bit exists from v1.1 and is only set by a partition manager in a retrieve
 * response; v1.0 treats bits [7:6] as reserved.
 */
public final class MemoryRegionAttributes
{
    public static final int SHAREABILITY_MASK = 0x3;
    public static final int NON_SHAREABLE = 0;
    public static final int SHAREABILITY_RESERVED = 1;
    public static final int OUTER_SHAREABLE = 2;
    public static final int INNER_SHAREABLE = 3;

    public static final int CACHEABILITY_SHIFT = 2;
    public static final int CACHEABILITY_MASK = 0x3 << CACHEABILITY_SHIFT;
    public static final int NON_CACHEABLE = 1;
    public static final int WRITE_BACK = 3;
    public static final int DEVICE_NGNRNE = 0;
    public static final int DEVICE_NGNRE = 1;
    public static final int DEVICE_NGRE = 2;
    public static final int DEVICE_GRE = 3;

    public static final int TYPE_SHIFT = 4;
    public static final int TYPE_MASK = 0x3 << TYPE_SHIFT;
    public static final int TYPE_NOT_SPECIFIED = 0;
    public static final int TYPE_DEVICE = 1;
    public static final int TYPE_NORMAL = 2;
    public static final int TYPE_RESERVED = 3;

    /** v1.1+: the memory is Non-secure; set only in retrieve responses. */
    public static final int NS_BIT = 1 << 6;

    public static final int V1_0_RESERVED_MASK = 0xC0;
    public static final int V1_1_RESERVED_MASK = 0xFF80;

    /** Normal, write-back cacheable, inner shareable: what Linux and OP-TEE send for SHARE. */
    public static final int NORMAL_WB_INNER_SHAREABLE = 0x2F;
    /** Device-nGnRnE, inner shareable: the only device attributes Hafnium shares. */
    public static final int DEVICE_NGNRNE_ATTRIBUTES = (TYPE_DEVICE << TYPE_SHIFT) | INNER_SHAREABLE;

    private static final String[] TYPE_NAMES = { "unspecified", "device", "normal", "type-reserved" };
    private static final String[] SHARE_NAMES = { "non-shareable", "share-reserved", "outer-shareable", "inner-shareable" };
    private static final String[] CACHE_NAMES = { "cache-reserved", "non-cacheable", "cache-reserved", "write-back" };
    private static final String[] DEVICE_NAMES = { "nGnRnE", "nGnRE", "nGRE", "GRE" };

    private MemoryRegionAttributes()
    {
    }

    /** Packs the three fields; {@code cacheability} is the device attribute for Device memory. */
    public static int encode(final int type, final int cacheability, final int shareability)
    {
        return ((type << TYPE_SHIFT) & TYPE_MASK) | ((cacheability << CACHEABILITY_SHIFT) & CACHEABILITY_MASK) |
            (shareability & SHAREABILITY_MASK);
    }

    public static int normal(final int cacheability, final int shareability)
    {
        return (TYPE_NORMAL << TYPE_SHIFT) | ((cacheability << CACHEABILITY_SHIFT) & CACHEABILITY_MASK) |
            (shareability & SHAREABILITY_MASK);
    }

    public static int device(final int deviceAttributes)
    {
        return (TYPE_DEVICE << TYPE_SHIFT) | ((deviceAttributes << CACHEABILITY_SHIFT) & CACHEABILITY_MASK);
    }

    public static int type(final int attributes)
    {
        return (attributes & TYPE_MASK) >>> TYPE_SHIFT;
    }

    public static int shareability(final int attributes)
    {
        return attributes & SHAREABILITY_MASK;
    }

    /** Cacheability for Normal memory, device attributes for Device memory. */
    public static int cacheability(final int attributes)
    {
        return (attributes & CACHEABILITY_MASK) >>> CACHEABILITY_SHIFT;
    }

    public static boolean isNonSecure(final int attributes)
    {
        return (attributes & NS_BIT) != 0;
    }

    /** Width of the field for a version: 1 byte in v1.0, 2 bytes later. */
    public static int fieldLength(final int version)
    {
        return version == FfaVersion.V1_0 ? 1 : 2;
    }

    public static int reservedMask(final int version)
    {
        return version == FfaVersion.V1_0 ? (V1_0_RESERVED_MASK | 0xFF00) : V1_1_RESERVED_MASK;
    }

    /**
     * Reserved bits clear and no reserved encoding: type 0b11, or for Normal memory
     * shareability 0b01 or cacheability 0b00/0b10. The NS bit is allowed (v1.1+); whether it
     * may be set depends on the call.
     */
    public static boolean isValid(final int attributes, final int version)
    {
        if ((attributes & ~0xFFFF) != 0 || (attributes & reservedMask(version)) != 0)
        {
            return false;
        }
        final int type = type(attributes);
        if (type == TYPE_RESERVED)
        {
            return false;
        }
        if (type == TYPE_NORMAL)
        {
            final int cacheability = cacheability(attributes);
            return shareability(attributes) != SHAREABILITY_RESERVED &&
                (cacheability == NON_CACHEABLE || cacheability == WRITE_BACK);
        }
        return true;
    }

    /** "normal,write-back,inner-shareable"; "device,nGnRnE"; "unspecified". */
    public static StringBuilder appendTo(final int attributes, final StringBuilder out)
    {
        final int type = type(attributes);
        out.append(TYPE_NAMES[type]);
        if (type == TYPE_NORMAL)
        {
            out.append(',').append(CACHE_NAMES[cacheability(attributes)])
                .append(',').append(SHARE_NAMES[shareability(attributes)]);
        }
        else if (type == TYPE_DEVICE)
        {
            out.append(',').append(DEVICE_NAMES[cacheability(attributes)]);
        }
        if (isNonSecure(attributes))
        {
            out.append(",ns");
        }
        final int other = attributes & ~0x7F;
        if (other != 0 || (type != TYPE_NORMAL && type != TYPE_DEVICE && (attributes & 0xF) != 0))
        {
            out.append(",raw=0x").append(Integer.toHexString(attributes));
        }
        return out;
    }

    public static String describe(final int attributes)
    {
        return appendTo(attributes, new StringBuilder()).toString();
    }
}
