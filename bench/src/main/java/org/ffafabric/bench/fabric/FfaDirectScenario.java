package org.ffafabric.bench.fabric;

import org.agrona.CloseHelper;
import org.ffafabric.bench.latency.EchoContext;
import org.ffafabric.bench.latency.EchoProcess;
import org.ffafabric.bench.latency.EchoRunner;
import org.ffafabric.bench.latency.LatencyScenario;
import org.ffafabric.bench.latency.ScenarioContext;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.pm.PartitionManager;

import java.util.List;

/**
 * {@code ffa-direct-*}: a direct request and its response through the raw {@code invoke},
 * partition manager and media driver in this process, the responding partition in a child
 * process ({@code xproc}) or on a thread here ({@code inproc}). DIRECT_REQ_64 carries x0..x7,
 * the same 64 bytes as the baselines; DIRECT_REQ2 carries x0..x17.
 */
public final class FfaDirectScenario implements LatencyScenario
{
    private final boolean crossProcess;
    private final boolean req2;
    private PartitionManager pm;
    private FabricClient client;
    private Endpoint requester;
    private ExecutionContext ec;
    private EchoProcess echoProcess;
    private EchoRunner echoRunner;
    private EchoRequest request;

    private FfaDirectScenario(final boolean crossProcess, final boolean req2)
    {
        this.crossProcess = crossProcess;
        this.req2 = req2;
    }

    public static FfaDirectScenario inProcess()
    {
        return new FfaDirectScenario(false, false);
    }

    public static FfaDirectScenario crossProcess()
    {
        return new FfaDirectScenario(true, false);
    }

    public static FfaDirectScenario crossProcessReq2()
    {
        return new FfaDirectScenario(true, true);
    }

    @Override
    public void setUp(final ScenarioContext ctx) throws Exception
    {
        pm = PartitionManager.launch(new PartitionManager.Context()
            .directory(ScenarioContext.newShmPath("ffa"))
            .manifest(FfaScenarios.manifest()));
        client = FabricClient.connect(new FabricClient.Context()
            .directory(pm.directory())
            .idleStrategySupplier(ctx::newIdleStrategy));
        requester = client.claim(FfaScenarios.REQUESTER_ID);
        ec = requester.executionContext(0);
        if (crossProcess)
        {
            echoProcess = ctx.launchEcho(FfaDirectEcho.class, pm.directory().toString());
        }
        else
        {
            echoRunner = EchoRunner.start(new FfaDirectEcho(),
                new EchoContext(List.of(pm.directory().toString()), ctx.idleMode()), "ffa-direct-echo");
        }
        request = new EchoRequest(req2, ctx.answerTimeoutNs());
        request.awaitResponder(ec);
    }

    @Override
    public long roundTrip()
    {
        return request.roundTrip(ec);
    }

    @Override
    public void close() throws Exception
    {
        CloseHelper.closeAll(echoRunner, echoProcess, requester, client, pm);
    }
}
