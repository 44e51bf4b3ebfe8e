package org.ffafabric.endpoint;

import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.PartitionProperties;

import java.util.UUID;

/** One partition information descriptor, decoded (Linux's {@code ffa_partition_info}). */
public final class PartitionInfo
{
    private final int id;
    private final int executionContextCount;
    private final int properties;
    private final UUID uuid;

    public PartitionInfo(final int id, final int executionContextCount, final int properties, final UUID uuid)
    {
        this.id = id;
        this.executionContextCount = executionContextCount;
        this.properties = properties;
        this.uuid = uuid;
    }

    public int id()
    {
        return id;
    }

    public int executionContextCount()
    {
        return executionContextCount;
    }

    public int properties()
    {
        return properties;
    }

    /** The UUID, or null for a v1.0 descriptor (which carries none) or a UUID-filtered query. */
    public UUID uuid()
    {
        return uuid;
    }

    public boolean supportsDirectRequestReceive()
    {
        return (properties & PartitionProperties.DIRECT_REQ_RECV) != 0;
    }

    public boolean supportsDirectRequest2Receive()
    {
        return (properties & PartitionProperties.DIRECT_REQ2_RECV) != 0;
    }

    public String toString()
    {
        return "PartitionInfo{id=" + EndpointId.toString(id) + ", ecs=" + executionContextCount +
            ", properties=0x" + Integer.toHexString(properties) + ", uuid=" + uuid + '}';
    }
}
