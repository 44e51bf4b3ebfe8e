package org.ffafabric.manifest;

import org.ffafabric.abi.EndpointId;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The partitions a fabric hosts. Built in code with {@link #builder()} or read from a file
 * with {@link ManifestParser}; both paths end in the same validation.
 */
public final class Manifest
{
    public static final int MAX_PARTITIONS = 256;

    private final List<PartitionManifest> partitions;

    private Manifest(final List<PartitionManifest> partitions)
    {
        this.partitions = Collections.unmodifiableList(new ArrayList<>(partitions));
    }

    public static Builder builder()
    {
        return new Builder();
    }

    public List<PartitionManifest> partitions()
    {
        return partitions;
    }

    /** The execution contexts of every partition together. */
    public int executionContextCount()
    {
        int count = 0;
        for (final PartitionManifest partition : partitions)
        {
            count += partition.executionContextCount();
        }
        return count;
    }

    /** The most execution contexts any one partition has. */
    public int largestExecutionContextCount()
    {
        int largest = 0;
        for (final PartitionManifest partition : partitions)
        {
            largest = Math.max(largest, partition.executionContextCount());
        }
        return largest;
    }

    /** The entry with this ID, or null. */
    public PartitionManifest partition(final int id)
    {
        for (final PartitionManifest partition : partitions)
        {
            if (partition.id() == id)
            {
                return partition;
            }
        }
        return null;
    }

    /** The entry with this name, or null. */
    public PartitionManifest partition(final String name)
    {
        for (final PartitionManifest partition : partitions)
        {
            if (partition.name().equals(name))
            {
                return partition;
            }
        }
        return null;
    }

    public static final class Builder
    {
        private final List<PartitionManifest> partitions = new ArrayList<>();

        public Builder partition(final PartitionManifest partition)
        {
            partitions.add(partition);
            return this;
        }

        public Builder partition(final Consumer<PartitionManifest.Builder> spec)
        {
            final PartitionManifest.Builder builder = PartitionManifest.builder();
            spec.accept(builder);
            return partition(builder.build(partitions.size()));
        }

        /** Checks the entries against each other: unique names, IDs and UUIDs. */
        public Manifest build()
        {
            if (partitions.isEmpty())
            {
                throw new ManifestException("manifest: no partitions", "partitions", -1);
            }
            if (partitions.size() > MAX_PARTITIONS)
            {
                throw new ManifestException("manifest: more than " + MAX_PARTITIONS + " partitions", "partitions", -1);
            }
            int index = -1;
            final Map<String, Integer> names = new HashMap<>();
            final Map<Integer, String> ids = new HashMap<>();
            final Map<UUID, String> uuids = new HashMap<>();
            for (final PartitionManifest p : partitions)
            {
                index++;
                final String entry = "partition " + ManifestException.quote(p.name());
                // The name first: the other refusals name the entry that clashes by it.
                final Integer nameClash = names.putIfAbsent(p.name(), index);
                if (nameClash != null)
                {
                    throw new ManifestException(entry + ": field 'name' is already used by partitions[" +
                        nameClash + "]", "name", index);
                }
                final String idClash = ids.putIfAbsent(p.id(), p.name());
                if (idClash != null)
                {
                    throw new ManifestException(entry + ": field 'id' " + EndpointId.toString(p.id()) +
                        " is already used by partition " + ManifestException.quote(idClash), "id", index);
                }
                for (final UUID uuid : p.uuids())
                {
                    final String uuidClash = uuids.putIfAbsent(uuid, p.name());
                    if (uuidClash != null)
                    {
                        throw new ManifestException(entry + ": field 'uuid' " + uuid +
                            " is already used by partition " + ManifestException.quote(uuidClash), "uuid", index);
                    }
                }
            }
            return new Manifest(partitions);
        }
    }
}
