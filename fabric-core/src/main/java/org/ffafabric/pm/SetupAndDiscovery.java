package org.ffafabric.pm;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FeatureId;
import org.ffafabric.abi.FfaUuid;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionInfoRegs;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.abi.descriptor.PartitionInfoDescriptor;
import org.ffafabric.control.BufferOwnership;
import org.ffafabric.control.ControlFile;
import org.ffafabric.manifest.World;
import org.ffafabric.memory.EndpointMemory;

/**
 * The setup-and-discovery ABIs as the partition manager answers them: one method per ABI,
 * each reading its arguments from {@code regs} and writing the return registers in place.
 */
final class SetupAndDiscovery
{
    /** RXTX_MAP's page-count field is bits [5:0]. */
    static final int RXTX_MAX_PAGES = 63;
    private static final int RXTX_PAGE_COUNT_MASK = 0x3F;
    private static final int PARTITION_INFO_COUNT_ONLY = 1;

    private final ControlFile controlFile;
    private final EndpointMemory[] memories;
    private final PartitionInfoDescriptor infoDescriptor = new PartitionInfoDescriptor();

    SetupAndDiscovery(final ControlFile controlFile, final EndpointMemory[] memories)
    {
        this.controlFile = controlFile;
        this.memories = memories;
    }

    /** FFA_VERSION: the fabric's choices in ffa-reference.md section 8, rows 1, 1b and 2. */
    void version(final Caller caller, final RegisterFile regs)
    {
        final int requested = regs.w(1);
        final int ours = controlFile.pmVersion();
        regs.clear();
        if (!FfaVersion.isValid(requested) || FfaVersion.major(requested) != FfaVersion.major(ours))
        {
            regs.w(0, FfaVersion.NOT_SUPPORTED);
            return;
        }
        final int negotiated = FfaVersion.minor(requested) > FfaVersion.minor(ours) ? ours : requested;
        if (!controlFile.negotiateVersion(caller.slot, negotiated))
        {
            // Locked, perhaps by another context's call a moment ago: the same version is still fine.
            regs.w(0, negotiated == controlFile.negotiatedVersion(caller.slot) ? ours : FfaVersion.NOT_SUPPORTED);
            return;
        }
        regs.w(0, ours);
    }

    void idGet(final Caller caller, final RegisterFile regs)
    {
        regs.success().w(2, caller.partitionId);
    }

    void spmIdGet(final RegisterFile regs)
    {
        regs.success().w(2, EndpointId.SPMC);
    }

    /** FFA_FEATURES: what this instance implements for this caller's world and version. */
    void features(final Caller caller, final RegisterFile regs)
    {
        final int w1 = regs.w(1);
        final int inputProperties = regs.w(2);
        final int version = controlFile.negotiatedVersion(caller.slot);
        if (FeatureId.isFeatureId(w1) || inputProperties != 0 || !isImplemented(caller, w1, version))
        {
            // No feature IDs yet: NPI, SRI and MEI arrive with notifications and interrupts.
            regs.error(ErrorCode.NOT_SUPPORTED);
            return;
        }
        regs.success();
        if (FunctionId.number(w1) == FunctionId.number(FunctionId.FFA_RXTX_MAP_32))
        {
            regs.w(2, FeatureId.rxtxMapProperties(FeatureId.RXTX_MIN_SIZE_4K,
                version >= FfaVersion.V1_2 ? RXTX_MAX_PAGES : 0));
        }
    }

    private boolean isImplemented(final Caller caller, final int functionId, final int version)
    {
        final int introduced = FunctionId.introducedIn(functionId);
        if (introduced == 0 || introduced > version ||
            (FunctionId.isSmc64(functionId) && !controlFile.isAarch64(caller.slot)))
        {
            // An AArch32 caller has no SMC64 forms (SMCCC): it could not make the call it asks about.
            return false;
        }
        switch (functionId)
        {
            case FunctionId.FFA_ERROR:
            case FunctionId.FFA_SUCCESS_32:
            case FunctionId.FFA_SUCCESS_64:
            case FunctionId.FFA_INTERRUPT:
            case FunctionId.FFA_VERSION:
            case FunctionId.FFA_FEATURES:
            case FunctionId.FFA_RX_RELEASE:
            case FunctionId.FFA_RXTX_MAP_32:
            case FunctionId.FFA_RXTX_MAP_64:
            case FunctionId.FFA_RXTX_UNMAP:
            case FunctionId.FFA_PARTITION_INFO_GET:
            case FunctionId.FFA_ID_GET:
            case FunctionId.FFA_RUN:
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_32:
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_64:
            case FunctionId.FFA_SPM_ID_GET:
            case FunctionId.FFA_PARTITION_INFO_GET_REGS:
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ2:
                return true;
            case FunctionId.FFA_RX_ACQUIRE:
                return caller.partitionId == EndpointId.HYPERVISOR;
            case FunctionId.FFA_SECONDARY_EP_REGISTER_64:
                // Hafnium reports it to secure partitions of more than one context only.
                return EndpointId.isSecure(caller.partitionId) && controlFile.executionContextCount(caller.slot) > 1;
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP_32:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP_64:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP2:
            case FunctionId.FFA_MSG_WAIT:
            case FunctionId.FFA_YIELD:
                // The scheduler is never sent a request nor run: it has none to answer, nothing would end its
                // wait, and it is lent no cycles to yield.
                return caller.partitionId != EndpointId.HYPERVISOR;
            default:
                return false;
        }
    }

    /** FFA_RXTX_MAP: TX in x1, RX in x2, page count in w3 bits [5:0]. */
    void rxtxMap(final Caller caller, final RegisterFile regs)
    {
        final boolean smc64 = FunctionId.isSmc64(regs.functionId());
        final long tx = smc64 ? regs.x(1) : regs.w(1) & 0xFFFF_FFFFL;
        final long rx = smc64 ? regs.x(2) : regs.w(2) & 0xFFFF_FFFFL;
        final int w3 = regs.w(3);
        final int pages = w3 & RXTX_PAGE_COUNT_MASK;
        final int slot = caller.slot;
        if (controlFile.rxtxMapped(slot))
        {
            regs.error(ErrorCode.DENIED);
            return;
        }
        final long length = (long)pages * EndpointMemory.PAGE_SIZE;
        final EndpointMemory memory = memories[slot];
        if ((w3 & ~RXTX_PAGE_COUNT_MASK) != 0 || pages == 0 ||
            !EndpointMemory.isPageAligned(tx) || !EndpointMemory.isPageAligned(rx) ||
            !memory.contains(tx, length) || !memory.contains(rx, length) ||
            (tx < rx + length && rx < tx + length))
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        controlFile.rxtxMap(slot, tx, rx, pages);
        regs.success();
    }

    /** FFA_RXTX_UNMAP: w1 [31:16] names another endpoint only for the hypervisor. */
    void rxtxUnmap(final Caller caller, final RegisterFile regs)
    {
        final int target = RegisterFile.senderOf(regs.w(1));
        int slot = caller.slot;
        if ((regs.w(1) & 0xFFFF) != 0)
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        if (target != 0)
        {
            slot = caller.partitionId == EndpointId.HYPERVISOR ? controlFile.slotOf(target) : -1;
            if (slot < 0 || controlFile.world(slot) != World.VM)
            {
                regs.error(ErrorCode.INVALID_PARAMETERS);
                return;
            }
        }
        if (!controlFile.rxtxMapped(slot))
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        controlFile.rxtxUnmap(slot);
        regs.success();
    }

    /** FFA_RX_ACQUIRE: the hypervisor takes a VM's empty RX buffer from the producer; w1 [15:0] names it. */
    void rxAcquire(final Caller caller, final RegisterFile regs)
    {
        final int vmId = regs.w(1) & 0xFFFF;
        if (caller.partitionId != EndpointId.HYPERVISOR || EndpointId.isSecure(vmId))
        {
            regs.error(ErrorCode.NOT_SUPPORTED);
            return;
        }
        final int slot = controlFile.slotOf(vmId);
        if ((regs.w(1) & 0xFFFF_0000) != 0 || slot < 0 || controlFile.world(slot) != World.VM ||
            !controlFile.rxtxMapped(slot))
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        if (controlFile.rxOwnership(slot) != BufferOwnership.PRODUCER)
        {
            regs.error(ErrorCode.DENIED);
            return;
        }
        controlFile.rxOwnership(slot, BufferOwnership.HYPERVISOR);
        regs.success();
    }

    /**
     * FFA_PARTITION_INFO_GET: UUID in w1-w4 (Nil lists all), w5 bit 0 count only. Descriptors
     * go to the caller's RX buffer, whose ownership then passes to the caller.
     */
    void partitionInfoGet(final Caller caller, final RegisterFile regs)
    {
        final long lo = regs.uuidWordsLo(1);
        final long hi = regs.uuidWordsHi(1);
        final int flags = regs.w(5);
        final int version = controlFile.negotiatedVersion(caller.slot);
        if ((flags & ~PARTITION_INFO_COUNT_ONLY) != 0 || (flags != 0 && version < FfaVersion.V1_1))
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        final boolean nil = lo == 0 && hi == 0;
        final int count = countEntries(caller, lo, hi, version);
        if (count == 0)
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        final int size = PartitionInfoDescriptor.length(version);
        if ((flags & PARTITION_INFO_COUNT_ONLY) != 0)
        {
            regs.success().w(2, count);
            return;
        }
        final int slot = caller.slot;
        if (!controlFile.rxtxMapped(slot) || controlFile.rxOwnership(slot) != BufferOwnership.PRODUCER)
        {
            regs.error(ErrorCode.BUSY);
            return;
        }
        final long rxLength = (long)controlFile.rxtxPageCount(slot) * EndpointMemory.PAGE_SIZE;
        if ((long)count * size > rxLength)
        {
            regs.error(ErrorCode.NO_MEMORY);
            return;
        }
        final UnsafeBuffer memory = memories[slot].buffer();
        final int rxOffset = memories[slot].offsetOf(controlFile.rxAddress(slot));
        int offset = rxOffset;
        for (int s = 0; s < controlFile.partitionCount(); s++)
        {
            if (!isVisible(caller, s))
            {
                continue;
            }
            final int uuids = entriesFor(s, nil, lo, hi, version);
            for (int u = 0; u < uuids; u++)
            {
                final int uuidIndex = nil ? u : indexOfUuid(s, lo, hi);
                writeDescriptor(memory, offset, caller, s, uuidIndex, nil, version);
                offset += size;
            }
        }
        // Zero the unused tail so stale bytes from an earlier call never look like data.
        memory.setMemory(offset, (int)(rxOffset + rxLength - offset), (byte)0);
        controlFile.rxPartitionInfoCount(slot, count);
        controlFile.rxOwnership(slot, BufferOwnership.CONSUMER);
        // The size in w3 is v1.1's field: for a v1.0 caller w3 is reserved, MBZ (as TF-A answers).
        regs.success().w(2, count).w(3, version >= FfaVersion.V1_1 ? size : 0);
    }

    /**
     * FFA_PARTITION_INFO_GET_REGS (v1.2, SMC64): UUID in x1/x2, start index in x3 [15:0],
     * tag in x3 [31:16]; up to five 24-byte descriptors in x3..x17.
     */
    void partitionInfoGetRegs(final Caller caller, final RegisterFile regs)
    {
        final long lo = regs.x(1);
        final long hi = regs.x(2);
        final long x3 = regs.x(3);
        final int start = PartitionInfoRegs.startIndex(x3);
        final int version = controlFile.negotiatedVersion(caller.slot);
        if (PartitionInfoRegs.requestTag(x3) != 0)
        {
            regs.error(ErrorCode.RETRY);
            return;
        }
        final boolean nil = lo == 0 && hi == 0;
        final int count = countEntries(caller, lo, hi, version);
        if (count == 0 || start >= count || !PartitionInfoRegs.isValidRequest(x3))
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        final int last = Math.min(count - 1, start + PartitionInfoRegs.MAX_DESCRIPTORS_PER_CALL - 1);
        PartitionInfoRegs.reply(regs, count - 1, last, 0);
        int index = 0;
        for (int s = 0; s < controlFile.partitionCount() && index <= last; s++)
        {
            if (!isVisible(caller, s))
            {
                continue;
            }
            final int uuids = entriesFor(s, nil, lo, hi, version);
            for (int u = 0; u < uuids && index <= last; u++, index++)
            {
                if (index < start)
                {
                    continue;
                }
                final int uuidIndex = nil ? u : indexOfUuid(s, lo, hi);
                PartitionInfoRegs.putDescriptor(regs, index - start, controlFile.partitionId(s),
                    controlFile.executionContextCount(s), propertiesFor(caller, s, version),
                    nil ? controlFile.uuidLo(s, uuidIndex) : 0, nil ? controlFile.uuidHi(s, uuidIndex) : 0);
            }
        }
    }

    /** Secure partitions discover secure partitions only; the normal world sees everyone but the hypervisor. */
    private boolean isVisible(final Caller caller, final int slot)
    {
        final World world = controlFile.world(slot);
        if (world == World.HYPERVISOR)
        {
            return false;
        }
        return !EndpointId.isSecure(caller.partitionId) || world.isSecure();
    }

    /** v1.2 callers get one entry per UUID of a partition on a Nil query; older callers one per partition. */
    private int entriesFor(final int slot, final boolean nil, final long lo, final long hi, final int version)
    {
        if (nil)
        {
            return version >= FfaVersion.V1_2 ? controlFile.uuidCount(slot) : 1;
        }
        return controlFile.hasUuid(slot, lo, hi) ? 1 : 0;
    }

    private int countEntries(final Caller caller, final long lo, final long hi, final int version)
    {
        final boolean nil = lo == 0 && hi == 0;
        int count = 0;
        for (int s = 0; s < controlFile.partitionCount(); s++)
        {
            if (isVisible(caller, s))
            {
                count += entriesFor(s, nil, lo, hi, version);
            }
        }
        return count;
    }

    private int indexOfUuid(final int slot, final long lo, final long hi)
    {
        for (int i = 0; i < controlFile.uuidCount(slot); i++)
        {
            if (controlFile.uuidLo(slot, i) == lo && controlFile.uuidHi(slot, i) == hi)
            {
                return i;
            }
        }
        return 0;
    }

    /**
     * A partition's properties as this caller is shown them: masked for the caller's version, and
     * VM created/destroyed subscriptions (bits 6/7) only at the NS physical instance (the
     * hypervisor) and only with bit 0 set (reference §5.1). REQ2 bits only for a partition at v1.2
     * or later: a REQ2 to an older one is DENIED, so it is not advertised (as Hafnium). An SP's send
     * bits are not shown to the normal world, which its requests may not reach (Hafnium's SPMC).
     */
    private int propertiesFor(final Caller caller, final int slot, final int version)
    {
        int properties = controlFile.properties(slot);
        if (!EndpointId.isSecure(caller.partitionId) && controlFile.world(slot).isSecure())
        {
            properties &= ~(PartitionProperties.DIRECT_REQ_SEND | PartitionProperties.DIRECT_REQ2_SEND);
        }
        if (controlFile.negotiatedVersion(slot) < FfaVersion.V1_2)
        {
            properties &= ~(PartitionProperties.DIRECT_REQ2_RECV | PartitionProperties.DIRECT_REQ2_SEND);
        }
        if (caller.partitionId != EndpointId.HYPERVISOR || (properties & PartitionProperties.DIRECT_REQ_RECV) == 0)
        {
            properties &= ~(PartitionProperties.VM_CREATED_MSG | PartitionProperties.VM_DESTROYED_MSG);
        }
        return PartitionProperties.forVersion(properties, version);
    }

    private void writeDescriptor(
        final UnsafeBuffer memory, final int offset, final Caller caller, final int slot, final int uuidIndex,
        final boolean nil, final int version)
    {
        infoDescriptor.wrap(memory, offset, version)
            .partitionId(controlFile.partitionId(slot))
            .executionContextCount(controlFile.executionContextCount(slot))
            .properties(propertiesFor(caller, slot, version));
        if (PartitionInfoDescriptor.hasUuid(version))
        {
            // The UUID field is MBZ when the caller asked for a specific UUID.
            final long lo = nil ? controlFile.uuidLo(slot, uuidIndex) : 0;
            final long hi = nil ? controlFile.uuidHi(slot, uuidIndex) : 0;
            infoDescriptor.uuid(FfaUuid.mostSigBits(lo), FfaUuid.leastSigBits(hi));
        }
    }
}
