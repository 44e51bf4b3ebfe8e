package org.ffafabric;

import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.pm.PartitionManager;

import java.nio.file.Path;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * A whole fabric in one JVM: the partition manager with its embedded media driver, and a
 * client to claim endpoints from. Same code path as separate processes; meant for tests,
 * demos and benchmarks. Closing it removes the fabric directory.
 */
public final class EmbeddedFabric implements AutoCloseable
{
    private final PartitionManager partitionManager;
    private final FabricClient client;

    private EmbeddedFabric(final PartitionManager partitionManager, final FabricClient client)
    {
        this.partitionManager = partitionManager;
        this.client = client;
    }

    /** Launches a fabric with a unique name so parallel fabrics never collide. */
    public static EmbeddedFabric launch(final Manifest manifest)
    {
        return launch(manifest, null);
    }

    public static EmbeddedFabric launch(final Manifest manifest, final Supplier<IdleStrategy> endpointIdle)
    {
        return launch(new PartitionManager.Context().manifest(manifest), endpointIdle);
    }

    /**
     * A fabric whose partition manager {@code pmContext} configures (its manifest, error handler, which the
     * fabric's own client shares, driver settings); unless it names a directory, the fabric is named
     * uniquely, as by {@link #launch(Manifest)}, whatever name it gives. The endpoints idle with
     * {@code endpointIdle} (null: the default).
     */
    public static EmbeddedFabric launch(final PartitionManager.Context pmContext, final Supplier<IdleStrategy> endpointIdle)
    {
        if (pmContext.directory() == null)
        {
            pmContext.fabricName("embedded-" + UUID.randomUUID().toString().substring(0, 8));
        }
        final PartitionManager pm = PartitionManager.launch(pmContext);
        try
        {
            // One fabric, one place for what goes wrong: the client's errors go where the manager's do.
            final FabricClient.Context clientCtx = new FabricClient.Context().directory(pm.directory())
                .errorHandler(pmContext.errorHandler());
            if (endpointIdle != null)
            {
                clientCtx.idleStrategySupplier(endpointIdle);
            }
            return new EmbeddedFabric(pm, FabricClient.connect(clientCtx));
        }
        catch (final RuntimeException ex)
        {
            pm.close();
            throw ex;
        }
    }

    public Endpoint claim(final int partitionId)
    {
        return client.claim(partitionId);
    }

    public Endpoint claim(final String name)
    {
        return client.claim(name);
    }

    public PartitionManager partitionManager()
    {
        return partitionManager;
    }

    public FabricClient client()
    {
        return client;
    }

    public Path directory()
    {
        return partitionManager.directory();
    }

    public void close()
    {
        CloseHelper.quietCloseAll(client, partitionManager);
    }
}
