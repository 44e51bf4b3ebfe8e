package org.ffafabric.manifest;

import org.ffafabric.abi.EndpointId;

/**
 * The world a partition belongs to. Rules that differ by world (who may send direct
 * requests to whom, which calls each may make) key off this.
 */
public enum World
{
    /** A normal-world virtual machine: IDs 1..0x7FFE. */
    VM("vm"),
    /** A secure partition at S-EL1: IDs with bit 15 set. */
    SP_EL1("sp-el1"),
    /** A secure partition at S-EL0: IDs with bit 15 set. */
    SP_EL0("sp-el0"),
    /** The normal world's physical instance: scheduler/hypervisor role at ID 0. */
    HYPERVISOR("hypervisor");

    private static final World[] VALUES = values();

    private final String manifestName;

    World(final String manifestName)
    {
        this.manifestName = manifestName;
    }

    public String manifestName()
    {
        return manifestName;
    }

    public boolean isSecure()
    {
        return this == SP_EL1 || this == SP_EL0;
    }

    /** Whether a partition ID is one this world may use. */
    public boolean accepts(final int partitionId)
    {
        switch (this)
        {
            case HYPERVISOR:
                return partitionId == EndpointId.HYPERVISOR;
            case VM:
                return partitionId > 0 && partitionId < EndpointId.INVALID;
            default:
                // 0x8000 is the SPMC itself; 0xFFC0 and above are the SPMD's logical partitions.
                return partitionId > EndpointId.SPMC && partitionId < 0xFFC0;
        }
    }

    /** The world of a manifest's name for it, as written ("sp-el1"), or null. */
    public static World fromManifestName(final String name)
    {
        for (final World world : VALUES)
        {
            // As written, as the messaging methods are: Unicode's case folding took "hypervısor" (a dotless i) for one.
            if (world.manifestName.equals(name))
            {
                return world;
            }
        }
        return null;
    }

    public static World fromOrdinal(final int ordinal)
    {
        // values() clones its array on every call: keep one copy so lookups never allocate.
        return ordinal >= 0 && ordinal < VALUES.length ? VALUES[ordinal] : null;
    }
}
