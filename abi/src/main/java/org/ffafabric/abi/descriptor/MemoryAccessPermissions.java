package org.ffafabric.abi.descriptor;

/**
 * The memory access permissions byte of an endpoint memory access descriptor (offset 2;
 * reference §5.5).
 * <pre>
 *    7       4   3   2   1   0
 *  +-----------+-------+-------+
 *  |    MBZ    | instr | data  |
 *  +-----------+-------+-------+
 * </pre>
 * Not the same encoding as the FFA_MEM_PERM_GET/SET permission word.
 */
public final class MemoryAccessPermissions
{
    public static final int DATA_ACCESS_MASK = 0x3;
    public static final int DATA_NOT_SPECIFIED = 0;
    public static final int DATA_RO = 1;
    public static final int DATA_RW = 2;
    public static final int DATA_RESERVED = 3;

    public static final int INSTRUCTION_ACCESS_SHIFT = 2;
    public static final int INSTRUCTION_ACCESS_MASK = 0x3 << INSTRUCTION_ACCESS_SHIFT;
    public static final int INSTRUCTION_NOT_SPECIFIED = 0;
    public static final int INSTRUCTION_NX = 1;
    public static final int INSTRUCTION_X = 2;
    public static final int INSTRUCTION_RESERVED = 3;

    public static final int RESERVED_MASK = 0xF0;

    /**
     * Read-write, instruction access unspecified (0b00, not execute-never): what the sender of a SHARE
     * or a multi-borrower LEND names, as it may not name instruction access; the borrower gets XN.
     */
    public static final int RW = DATA_RW;
    public static final int RO = DATA_RO;
    public static final int RW_NX = DATA_RW | (INSTRUCTION_NX << INSTRUCTION_ACCESS_SHIFT);
    public static final int RO_NX = DATA_RO | (INSTRUCTION_NX << INSTRUCTION_ACCESS_SHIFT);
    public static final int RO_X = DATA_RO | (INSTRUCTION_X << INSTRUCTION_ACCESS_SHIFT);

    private static final String[] DATA_NAMES = { "data-unspecified", "ro", "rw", "data-reserved" };
    private static final String[] INSTRUCTION_NAMES = { "instr-unspecified", "nx", "x", "instr-reserved" };

    private MemoryAccessPermissions()
    {
    }

    public static int encode(final int dataAccess, final int instructionAccess)
    {
        return (dataAccess & DATA_ACCESS_MASK) | ((instructionAccess << INSTRUCTION_ACCESS_SHIFT) & INSTRUCTION_ACCESS_MASK);
    }

    public static int dataAccess(final int permissions)
    {
        return permissions & DATA_ACCESS_MASK;
    }

    public static int instructionAccess(final int permissions)
    {
        return (permissions & INSTRUCTION_ACCESS_MASK) >>> INSTRUCTION_ACCESS_SHIFT;
    }

    /** Reserved bits clear and neither field holds its reserved value. */
    public static boolean isValid(final int permissions)
    {
        return (permissions & ~0xFF) == 0 &&
            (permissions & RESERVED_MASK) == 0 &&
            dataAccess(permissions) != DATA_RESERVED &&
            instructionAccess(permissions) != INSTRUCTION_RESERVED;
    }

    /** "rw,nx"; reserved bits are shown in hex. */
    public static StringBuilder appendTo(final int permissions, final StringBuilder out)
    {
        out.append(DATA_NAMES[dataAccess(permissions)]).append(',').append(INSTRUCTION_NAMES[instructionAccess(permissions)]);
        if ((permissions & RESERVED_MASK) != 0)
        {
            out.append(",reserved=0x").append(Integer.toHexString(permissions & RESERVED_MASK));
        }
        return out;
    }

    public static String describe(final int permissions)
    {
        return appendTo(permissions, new StringBuilder()).toString();
    }
}
