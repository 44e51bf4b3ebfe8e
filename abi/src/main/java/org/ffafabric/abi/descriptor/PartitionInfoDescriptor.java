package org.ffafabric.abi.descriptor;

import org.agrona.MutableDirectBuffer;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.FfaUuid;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.PartitionProperties;

import java.util.UUID;

/**
 * Partition information descriptor, written to the caller's RX buffer by
 * FFA_PARTITION_INFO_GET (DEN0077 v1.1 Table 6.1; reference §5.1).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |       Partition ID            |  Execution context count      |  0
 *  +-------------------------------+-------------------------------+
 *  |                      Partition properties                     |  4
 *  +---------------------------------------------------------------+  8  (v1.0 ends)
 *  |                     UUID (16 bytes, textual order)            |  8
 *  |                              ...                              |
 *  +---------------------------------------------------------------+ 24  (v1.1, v1.2)
 * </pre>
 * Properties are stored as given: a partition manager masks them for the caller's version
 * with {@link PartitionProperties#forVersion(int, int)}.
 */
public final class PartitionInfoDescriptor extends VersionedFlyweight<PartitionInfoDescriptor>
{
    public static final int PARTITION_ID_OFFSET = 0;
    public static final int EXECUTION_CONTEXT_COUNT_OFFSET = 2;
    public static final int PROPERTIES_OFFSET = 4;
    public static final int UUID_OFFSET = 8;

    public static final int V1_0_LENGTH = 8;
    public static final int V1_1_LENGTH = 24;

    public PartitionInfoDescriptor()
    {
        super("PartitionInfo", false);
    }

    /** Descriptor length for a negotiated version: 8 for v1.0, 24 for v1.1 and v1.2. */
    public static int length(final int version)
    {
        return hasUuid(version) ? V1_1_LENGTH : V1_0_LENGTH;
    }

    /** True when the layout carries the UUID (v1.1 onwards). */
    public static boolean hasUuid(final int version)
    {
        return FfaVersion.isValid(version) && version >= FfaVersion.V1_1;
    }

    /** Wraps exactly one descriptor of the version's length. */
    public PartitionInfoDescriptor wrap(final MutableDirectBuffer buffer, final int offset, final int version)
    {
        return wrap(buffer, offset, length(version), version);
    }

    public int encodedLength()
    {
        return length(version);
    }

    /** True when the wrapped window holds a whole descriptor of this version inside the buffer. */
    public boolean fits()
    {
        final int needed = encodedLength();
        return offset >= 0 && length >= needed && offset <= buffer.capacity() - needed;
    }

    public int partitionId()
    {
        return buffer.getShort(offset + PARTITION_ID_OFFSET, ORDER) & 0xFFFF;
    }

    public PartitionInfoDescriptor partitionId(final int id)
    {
        mutableBuffer.putShort(offset + PARTITION_ID_OFFSET, (short)id, ORDER);
        return this;
    }

    /** Execution contexts for a PE endpoint; the proxy ID for a dependent peripheral. */
    public int executionContextCount()
    {
        return buffer.getShort(offset + EXECUTION_CONTEXT_COUNT_OFFSET, ORDER) & 0xFFFF;
    }

    public PartitionInfoDescriptor executionContextCount(final int count)
    {
        mutableBuffer.putShort(offset + EXECUTION_CONTEXT_COUNT_OFFSET, (short)count, ORDER);
        return this;
    }

    public int properties()
    {
        return buffer.getInt(offset + PROPERTIES_OFFSET, ORDER);
    }

    public PartitionInfoDescriptor properties(final int properties)
    {
        mutableBuffer.putInt(offset + PROPERTIES_OFFSET, properties, ORDER);
        return this;
    }

    /** UUID bytes 0-7 as a little-endian u64 (0 for v1.0). */
    public long uuidLo()
    {
        return hasUuid(version) ? buffer.getLong(offset + UUID_OFFSET, ORDER) : 0;
    }

    /** UUID bytes 8-15 as a little-endian u64 (0 for v1.0). */
    public long uuidHi()
    {
        return hasUuid(version) ? buffer.getLong(offset + UUID_OFFSET + 8, ORDER) : 0;
    }

    /** Sets the UUID from a Java UUID's halves; ignored for v1.0, which has no UUID. */
    public PartitionInfoDescriptor uuid(final long mostSigBits, final long leastSigBits)
    {
        if (hasUuid(version))
        {
            FfaUuid.put(mutableBuffer, offset + UUID_OFFSET, mostSigBits, leastSigBits);
        }
        return this;
    }

    public PartitionInfoDescriptor uuid(final UUID uuid)
    {
        return uuid(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
    }

    /** The UUID (allocates); Nil for v1.0. */
    public UUID uuid()
    {
        return FfaUuid.fromWords(uuidLo(), uuidHi());
    }

    public StringBuilder appendTo(final StringBuilder out)
    {
        out.append("PartitionInfo{id=");
        EndpointId.appendTo(partitionId(), out);
        out.append(" execCtx=").append(executionContextCount());
        out.append(" properties=");
        PartitionProperties.appendTo(properties(), out);
        if (hasUuid(version))
        {
            out.append(" uuid=").append(uuid());
        }
        return out.append('}');
    }
}
