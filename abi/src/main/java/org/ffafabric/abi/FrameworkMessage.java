package org.ffafabric.abi;

/**
 * Framework direct message types: w2 bits [7:0] of a direct request/response whose bit 31
 * is set (reference §4.3).
 */
public final class FrameworkMessage
{
    public static final int PSCI_REQ = 0;
    public static final int WARM_BOOT_REQ = 1;
    public static final int PSCI_RESP = 2;
    public static final int VM_CREATED_REQ = 4;
    public static final int VM_CREATED_RESP = 5;
    public static final int VM_DESTROYED_REQ = 6;
    public static final int VM_DESTROYED_RESP = 7;
    public static final int VERSION_REQ = 8;
    public static final int VERSION_RESP = 9;

    public static final String UNKNOWN = "UNKNOWN";

    private static final String[] NAMES =
    {
        "PSCI_REQ",
        "WARM_BOOT_REQ",
        "PSCI_RESP",
        null,
        "VM_CREATED_REQ",
        "VM_CREATED_RESP",
        "VM_DESTROYED_REQ",
        "VM_DESTROYED_RESP",
        "VERSION_REQ",
        "VERSION_RESP",
    };

    private FrameworkMessage()
    {
    }

    /** The type's name, or {@link #UNKNOWN}; bounded by the table's own length. */
    public static String name(final int type)
    {
        if (type < 0 || type >= NAMES.length || NAMES[type] == null)
        {
            return UNKNOWN;
        }
        return NAMES[type];
    }

    public static boolean isKnown(final int type)
    {
        return name(type) != UNKNOWN;
    }

    /** True for the request types (0, 1, 4, 6, 8). */
    public static boolean isRequest(final int type)
    {
        switch (type)
        {
            case PSCI_REQ:
            case WARM_BOOT_REQ:
            case VM_CREATED_REQ:
            case VM_DESTROYED_REQ:
            case VERSION_REQ:
                return true;
            default:
                return false;
        }
    }

    /**
     * The response type for a request type, or -1 when it has none. A warm-boot request is
     * answered with a PSCI response, as a PSCI request is.
     */
    public static int responseFor(final int type)
    {
        switch (type)
        {
            case PSCI_REQ:
            case WARM_BOOT_REQ:
                return PSCI_RESP;
            case VM_CREATED_REQ:
                return VM_CREATED_RESP;
            case VM_DESTROYED_REQ:
                return VM_DESTROYED_RESP;
            case VERSION_REQ:
                return VERSION_RESP;
            default:
                return -1;
        }
    }
}
