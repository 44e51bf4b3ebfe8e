package org.ffafabric.bench.fabric;

import org.ffafabric.bench.latency.EchoContext;
import org.ffafabric.bench.latency.EchoSide;
import org.ffafabric.endpoint.DirectRequestServer;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.launch.PartitionHostMain;

import java.nio.file.Paths;

/**
 * The answering partition of the {@code ffa-direct-*} scenarios: claims the echo secure
 * partition and serves direct requests with the host's echo (payload + 1) with a {@link DirectRequestServer}.
 * Arguments: fabric directory.
 */
public final class FfaDirectEcho implements EchoSide
{
    private FabricClient client;
    private Endpoint endpoint;
    private DirectRequestServer server;

    @Override
    public void setUp(final EchoContext ctx)
    {
        client = FabricClient.connect(new FabricClient.Context()
            .directory(Paths.get(ctx.arg(0)))
            .idleStrategySupplier(ctx.idleMode()::newIdleStrategy));
        endpoint = client.claim(FfaScenarios.RESPONDER_ID);
        server = new DirectRequestServer(endpoint.executionContext(0), PartitionHostMain::echo);
    }

    @Override
    public int doWork()
    {
        return server.doWork();
    }

    @Override
    public void close()
    {
        org.agrona.CloseHelper.quietCloseAll(endpoint, client);
    }
}
