package org.ffafabric.tools;

import net.openhft.chronicle.bytes.HexDumpBytes;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaUuid;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.descriptor.PartitionInfoDescriptor;
import org.ffafabric.control.BufferOwnership;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricCounters;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.memory.EndpointMemory;

import java.nio.file.Path;

/**
 * Reads a running fabric from outside, as AeronStat reads Aeron's control file: partitions,
 * claims (and whether their claimants still run), versions, RX/TX ownership and execution-context
 * states, the fabric's counters, and annotated hex dumps (Chronicle Bytes' {@link HexDumpBytes}) of an endpoint's RX or TX buffer.
 */
public final class FabricDump
{
    private FabricDump()
    {
    }

    /** One block per partition: identity, claim, version, buffers, context states. */
    public static String describe(final ControlFile controlFile)
    {
        final StringBuilder out = new StringBuilder();
        final long pid = controlFile.pmPid();
        final boolean gone = isGone(controlFile);
        out.append("partition manager ").append(pid == 0 ? "closed" : "pid=" + pid)
            .append(gone ? " gone" : "")
            .append(" heartbeat=").append(System.currentTimeMillis() - controlFile.pmHeartbeat()).append("ms-ago")
            .append(" aeron=").append(controlFile.aeronDirectory() != null ? controlFile.aeronDirectory() : "aeron/")
            // A first message between contexts past the budget answers NO_MEMORY: this says why.
            .append(" peer-logs=").append(controlFile.peerLogs()).append('/').append(controlFile.peerLogBudget())
            .append('\n');
        if (gone && pid != 0)
        {
            // Nobody reaps claims or resets contexts after a death: what follows is as the dead manager left it.
            out.append("  (it died: the partitions below are as it left them, until ffa pm takes its directory over)\n");
        }
        for (int slot = 0; slot < controlFile.partitionCount(); slot++)
        {
            final long claimPid = controlFile.claimPid(slot);
            out.append(controlFile.name(slot)).append(" id=").append(EndpointId.toString(controlFile.partitionId(slot)))
                .append(" world=").append(controlFile.world(slot).manifestName())
                .append(" version=").append(FfaVersion.toString(controlFile.negotiatedVersion(slot)))
                // The bits, and what they are in the manifest's words.
                .append(" properties=0x").append(Integer.toHexString(controlFile.properties(slot)))
                .append(" (").append(PartitionProperties.describe(controlFile.properties(slot))).append(')')
                .append(" claimedBy=").append(claimPid == 0 ? "-" : Long.toString(claimPid))
                // Dead, or its PID given to a later process: the manager's next check reaps it.
                .append(claimPid != 0 && !controlFile.isClaimantAlive(slot, claimPid) ? " gone" : "")
                // An SP init of the claim failed: no context of it runs again until it ends.
                .append(controlFile.isClaimAborted(slot) ? " aborted" : "")
                .append('\n');
            for (int u = 0; u < controlFile.uuidCount(slot); u++)
            {
                out.append("  uuid ").append(controlFile.uuid(slot, u)).append('\n');
            }
            if (controlFile.rxtxMapped(slot))
            {
                out.append(String.format("  tx=0x%x rx=0x%x pages=%d rx-owner=%s%n", controlFile.txAddress(slot),
                    controlFile.rxAddress(slot), controlFile.rxtxPageCount(slot),
                    BufferOwnership.name(controlFile.rxOwnership(slot))));
            }
            else
            {
                out.append("  rx/tx not mapped\n");
            }
            if (controlFile.secondaryEntryPoint(slot) != 0)
            {
                out.append(String.format("  secondary-ep=0x%x%n", controlFile.secondaryEntryPoint(slot)));
            }
            for (int ec = 0; ec < controlFile.executionContextCount(slot); ec++)
            {
                out.append("  ec").append(ec).append(' ')
                    .append(ExecutionContextState.describe(controlFile.ecState(controlFile.ecStateOffset(slot, ec))))
                    .append('\n');
            }
        }
        return out.toString();
    }

    /**
     * The fabric's counters ({@link FabricCounters}), read through their metadata as any Agrona counters
     * reader would: a line for the partition manager, then a line per partition with its contexts'
     * counts summed and its FFA_ERROR returns by code (those counted), and with {@code contexts} a
     * line per context. {@code all}: every counter instead, as AeronStat prints them (ID, value, label).
     */
    public static String counters(final ControlFile controlFile, final boolean contexts, final boolean all)
    {
        final CountersReader reader = controlFile.countersReader();
        final StringBuilder out = new StringBuilder();
        if (all)
        {
            reader.forEach((value, id, label) -> out.append(String.format("%4d: %,20d - %s%n", id, value, label)));
            return out.toString();
        }
        final int partitions = controlFile.partitionCount();
        final long[] fabric = new long[3];
        final long[][] bySlot = new long[partitions][4];
        final long[][] errors = new long[partitions][FabricCounters.COUNTED_ERROR_CODES + 1];
        final long[][][] byContext = new long[partitions][][];
        for (int slot = 0; slot < partitions; slot++)
        {
            byContext[slot] = new long[controlFile.executionContextCount(slot)][2];
        }
        reader.forEach((counterId, typeId, key, label) ->
        {
            final long value = reader.getCounterValue(counterId);
            final int partitionId = FabricCounters.partitionIdOf(key, 0);
            final int index = FabricCounters.indexOf(key, 0);
            final int slot = partitionId == FabricCounters.NO_PARTITION ? -1 : controlFile.slotOf(partitionId);
            if (typeId >= FabricCounters.TRAPS_TYPE_ID && (slot < 0 ||
                (typeId >= FabricCounters.DIRECT_REQUESTS_SENT_TYPE_ID && (index < 0 || index >= byContext[slot].length))))
            {
                // Not a counter this build makes: a file of another build's layout, or torn bytes.
                return;
            }
            switch (typeId)
            {
                case FabricCounters.TRAPS_DROPPED_TYPE_ID: fabric[0] += value; break;
                case FabricCounters.REPLIES_NOT_DELIVERED_TYPE_ID: fabric[1] += value; break;
                case FabricCounters.REPLIES_WAITING_TYPE_ID: fabric[2] += value; break;
                case FabricCounters.DIRECT_REQUESTS_SENT_TYPE_ID: bySlot[slot][0] += value; byContext[slot][index][0] += value; break;
                case FabricCounters.DIRECT_REQUESTS_RECEIVED_TYPE_ID: bySlot[slot][1] += value; byContext[slot][index][1] += value; break;
                case FabricCounters.TRAPS_TYPE_ID: bySlot[slot][2] += value; break;
                case FabricCounters.CLAIMS_REAPED_TYPE_ID: bySlot[slot][3] += value; break;
                case FabricCounters.ERRORS_TYPE_ID:
                    errors[slot][FabricCounters.errorIndex(index)] += value;
                    break;
                default: break;
            }
        });
        // Counters outlive a manager that died: a reader must not take them for a running fabric's.
        out.append(isGone(controlFile) ? "partition manager (gone): traps-dropped=" : "partition manager: traps-dropped=")
            .append(fabric[0])
            .append(" replies-not-delivered=").append(fabric[1])
            .append(" replies-waiting=").append(fabric[2]).append('\n');
        for (int slot = 0; slot < partitions; slot++)
        {
            out.append(controlFile.name(slot)).append(" id=").append(EndpointId.toString(controlFile.partitionId(slot)))
                .append(" direct-requests-sent=").append(bySlot[slot][0])
                .append(" direct-requests-received=").append(bySlot[slot][1])
                .append(" traps=").append(bySlot[slot][2])
                .append(" claims-reaped=").append(bySlot[slot][3])
                .append(" errors:");
            boolean any = false;
            for (int i = 0; i < errors[slot].length; i++)
            {
                if (errors[slot][i] != 0)
                {
                    any = true;
                    out.append(' ').append(i == FabricCounters.COUNTED_ERROR_CODES ? "other" : ErrorCode.name(-i - 1))
                        .append('=').append(errors[slot][i]);
                }
            }
            out.append(any ? "" : " none").append('\n');
            for (int ec = 0; contexts && ec < byContext[slot].length; ec++)
            {
                out.append("  ec").append(ec).append(" direct-requests-sent=").append(byContext[slot][ec][0])
                    .append(" direct-requests-received=").append(byContext[slot][ec][1]).append('\n');
            }
        }
        return out.toString();
    }

    /** The fabric's partitions, by name and ID, as a refusal of one it lacks lists them: "vm1 (0x0001), sp1 (0x8001)". */
    public static String partitionList(final ControlFile controlFile)
    {
        final StringBuilder list = new StringBuilder();
        for (int slot = 0; slot < controlFile.partitionCount(); slot++)
        {
            list.append(slot == 0 ? "" : ", ").append(controlFile.name(slot))
                .append(" (").append(EndpointId.toString(controlFile.partitionId(slot))).append(')');
        }
        return list.toString();
    }

    /** A partition ID the fabric lacks, in the words every command says it in, with the ones it has. */
    public static String noPartition(final ControlFile controlFile, final int partitionId)
    {
        return "the fabric has no partition " + EndpointId.toString(partitionId) + "; its partitions: " +
            partitionList(controlFile);
    }

    /** Closed, or died: not only after the control file's 5 s, but a manager killed a moment ago too. */
    private static boolean isGone(final ControlFile controlFile)
    {
        return controlFile.isPartitionManagerGone() || !controlFile.isPartitionManagerRunning();
    }

    /**
     * Hex dump of {@code length} bytes of a partition's RX (or TX) buffer. With
     * {@code partitionInfoCount > 0} the bytes are annotated as that many partition information
     * descriptors in the layout of the partition's negotiated version; with a negative count, RX is
     * annotated with as many as the partition manager last wrote there.
     */
    public static String dumpBuffer(
        final Path fabricDirectory, final ControlFile controlFile, final int partitionId, final boolean rx,
        final int length, final int partitionInfoCount)
    {
        final int slot = controlFile.slotOf(partitionId);
        if (slot < 0)
        {
            throw new IllegalArgumentException(noPartition(controlFile, partitionId));
        }
        if (!controlFile.rxtxMapped(slot))
        {
            return controlFile.name(slot) + ": rx/tx not mapped\n";
        }
        try (EndpointMemory memory = EndpointMemory.open(
            FabricDirectory.memoryFile(fabricDirectory, partitionId), controlFile.memoryBase()))
        {
            final long address = rx ? controlFile.rxAddress(slot) : controlFile.txAddress(slot);
            final int bufferLength = controlFile.rxtxPageCount(slot) * EndpointMemory.PAGE_SIZE;
            final int shown = Math.min(length, bufferLength);
            final UnsafeBuffer buffer = memory.buffer();
            final int base = memory.offsetOf(address);
            final HexDumpBytes dump = new HexDumpBytes();
            try
            {
                int offset = 0;
                final int version = controlFile.negotiatedVersion(slot);
                final int size = PartitionInfoDescriptor.length(version);
                final int descriptors = partitionInfoCount >= 0 ? partitionInfoCount :
                    rx ? controlFile.rxPartitionInfoCount(slot) : 0;
                for (int i = 0; i < descriptors && offset + size <= shown; i++, offset += size)
                {
                    annotatePartitionInfo(dump, controlFile, buffer, base + offset, version, i);
                }
                for (; offset < shown; offset += 16)
                {
                    dump.writeHexDumpDescription(String.format("+0x%03x", offset));
                    for (int b = offset; b < Math.min(offset + 16, shown); b++)
                    {
                        dump.writeByte(buffer.getByte(base + b));
                    }
                }
                final int owner = rx ? controlFile.rxOwnership(slot) : controlFile.txOwnership(slot);
                return String.format("%s %s at 0x%x (%d of %d bytes, owner %s: %s)%n%s", controlFile.name(slot),
                    rx ? "RX" : "TX", address, shown, bufferLength, BufferOwnership.name(owner), holder(rx, owner),
                    dump.toHexString());
            }
            finally
            {
                dump.releaseLast();
            }
        }
    }

    /** One descriptor's fields, its ID with the name the fabric has for it ("id 0x8001 (echo-sp)"). */
    private static void annotatePartitionInfo(
        final HexDumpBytes dump, final ControlFile controlFile, final UnsafeBuffer buffer, final int offset,
        final int version, final int index)
    {
        final PartitionInfoDescriptor info = new PartitionInfoDescriptor().wrap(
            buffer, offset, PartitionInfoDescriptor.length(version), version);
        // No descriptor describes the hypervisor: ID 0 here is the zeroed tail past the last one, not it.
        final int slot = info.partitionId() == EndpointId.HYPERVISOR ? -1 : controlFile.slotOf(info.partitionId());
        dump.writeHexDumpDescription("partition info[" + index + "] id " + EndpointId.toString(info.partitionId()) +
            (slot >= 0 ? " (" + controlFile.name(slot) + ")" : ""));
        dump.writeUnsignedShort(info.partitionId());
        dump.writeHexDumpDescription("execution contexts " + info.executionContextCount());
        dump.writeUnsignedShort(info.executionContextCount());
        dump.writeHexDumpDescription("properties " + PartitionProperties.describe(info.properties()));
        dump.writeInt(info.properties());
        if (PartitionInfoDescriptor.hasUuid(version))
        {
            dump.writeHexDumpDescription("uuid " + FfaUuid.fromWords(info.uuidLo(), info.uuidHi()));
            for (int b = 0; b < FfaUuid.LENGTH; b++)
            {
                dump.writeByte(buffer.getByte(offset + PartitionInfoDescriptor.UUID_OFFSET + b));
            }
        }
    }

    /** Who an ownership word names: the producer writes the buffer, the manager RX and the partition TX. */
    static String holder(final boolean rx, final int owner)
    {
        switch (owner)
        {
            case BufferOwnership.PRODUCER: return rx ? "the partition manager" : "the partition";
            case BufferOwnership.CONSUMER: return rx ? "the partition" : "the partition manager";
            case BufferOwnership.HYPERVISOR: return "the hypervisor";
            default: return "no one known";
        }
    }
}
