package org.ffafabric.abi;

/**
 * FFA_FEATURES inputs and outputs (reference §4.1).
 * <p>
 * w1 is either a function ID (bit 31 set) or a feature ID (bit 31 clear, bits [30:8] MBZ,
 * the feature number in [7:0]). w2/w3 of the success return describe the function.
 */
public final class FeatureId
{
    /** Notification pending interrupt: w2 = interrupt ID. */
    public static final int NPI = 1;
    /** Schedule receiver interrupt: w2 = interrupt ID. */
    public static final int SRI = 2;
    /** Managed exit interrupt: w2 = interrupt ID. */
    public static final int MEI = 3;

    public static final int FEATURE_NUMBER_MASK = 0xFF;
    /** Bits [30:8] of a feature ID must be zero. */
    public static final int FEATURE_MBZ_MASK = 0x7FFF_FF00;

    // FFA_RXTX_MAP: w2 bits [1:0] minimum size and alignment; [31:16] (v1.2) maximum pages.
    public static final int RXTX_MIN_SIZE_4K = 0;
    public static final int RXTX_MIN_SIZE_64K = 1;
    public static final int RXTX_MIN_SIZE_16K = 2;
    public static final int RXTX_MIN_SIZE_MASK = 0x3;
    public static final int RXTX_MAX_PAGES_SHIFT = 16;
    public static final int RXTX_MAX_PAGES_MASK = 0xFFFF;

    // Memory operations (DONATE/LEND/SHARE/RETRIEVE_REQ): w2 bits.
    /** The partition manager accepts descriptors in a dynamically allocated buffer. */
    public static final int MEM_DYNAMIC_BUFFER = 1;
    /** RETRIEVE_REQ: NS-bit handling (input: requested; output: supported). */
    public static final int MEM_NS_BIT = 1 << 1;
    /** RETRIEVE_REQ output (Hafnium): retrieval by the hypervisor is supported. */
    public static final int MEM_HYPERVISOR_RETRIEVAL = 1 << 2;
    /** RETRIEVE_REQ w3 bits [7:0]: retrieve reference-count width minus one. */
    public static final int MEM_RETRIEVE_REFCOUNT_MASK = 0xFF;

    private static final int FUNCTION_ID_BIT = 0x8000_0000;

    private FeatureId()
    {
    }

    /** True when w1 names a feature rather than a function (bit 31 clear). */
    public static boolean isFeatureId(final int w1)
    {
        return (w1 & FUNCTION_ID_BIT) == 0;
    }

    /** A feature ID with bits [30:8] zero. */
    public static boolean isValidFeatureId(final int w1)
    {
        return isFeatureId(w1) && (w1 & FEATURE_MBZ_MASK) == 0;
    }

    public static int featureNumber(final int w1)
    {
        return w1 & FEATURE_NUMBER_MASK;
    }

    /** w2 of FEATURES(RXTX_MAP): minimum size code in [1:0], maximum pages (v1.2) in [31:16]. */
    public static int rxtxMapProperties(final int minSizeCode, final int maxPages)
    {
        return (minSizeCode & RXTX_MIN_SIZE_MASK) | ((maxPages & RXTX_MAX_PAGES_MASK) << RXTX_MAX_PAGES_SHIFT);
    }

    public static int rxtxMinSizeCode(final int w2)
    {
        return w2 & RXTX_MIN_SIZE_MASK;
    }

    /** Maximum buffer size in 4K pages (0 = not reported, before v1.2). */
    public static int rxtxMaxPages(final int w2)
    {
        return (w2 >>> RXTX_MAX_PAGES_SHIFT) & RXTX_MAX_PAGES_MASK;
    }

    /** Minimum buffer size and alignment in bytes for a size code, or -1 for the reserved code 3. */
    public static int rxtxMinSizeBytes(final int minSizeCode)
    {
        switch (minSizeCode & RXTX_MIN_SIZE_MASK)
        {
            case RXTX_MIN_SIZE_4K:
                return 4096;
            case RXTX_MIN_SIZE_64K:
                return 65536;
            case RXTX_MIN_SIZE_16K:
                return 16384;
            default:
                return -1;
        }
    }

    public static String name(final int featureId)
    {
        switch (featureId)
        {
            case NPI:
                return "NPI";
            case SRI:
                return "SRI";
            case MEI:
                return "MEI";
            default:
                return "UNKNOWN";
        }
    }
}
