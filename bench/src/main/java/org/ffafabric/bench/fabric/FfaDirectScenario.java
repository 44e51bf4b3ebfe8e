package org.ffafabric.bench.fabric;

import org.agrona.CloseHelper;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaUuid;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
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
import java.util.UUID;

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
    private final RegisterFile regs = new RegisterFile();
    private PartitionManager pm;
    private FabricClient client;
    private Endpoint requester;
    private ExecutionContext ec;
    private EchoProcess echoProcess;
    private EchoRunner echoRunner;
    private long serviceLo;
    private long serviceHi;
    private long sequence;

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
        final UUID service = UUID.fromString(FfaScenarios.RESPONDER_UUID);
        serviceLo = FfaUuid.lo(service.getMostSignificantBits());
        serviceHi = FfaUuid.hi(service.getLeastSignificantBits());
        if (crossProcess)
        {
            echoProcess = ctx.launchEcho(FfaDirectEcho.class, pm.directory().toString());
        }
        else
        {
            echoRunner = EchoRunner.start(new FfaDirectEcho(),
                new EchoContext(List.of(pm.directory().toString()), ctx.idleMode()), "ffa-direct-echo");
        }
        // The responder is ready once it waits in FFA_MSG_WAIT: until then requests answer BUSY.
        final long deadline = System.nanoTime() + ScenarioContext.DEFAULT_READY_TIMEOUT.toNanos();
        while (true)
        {
            fill();
            ec.invoke(regs);
            if (!regs.isError() || regs.errorCode() != ErrorCode.BUSY)
            {
                break;
            }
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("responder never started waiting for requests");
            }
            Thread.yield();
        }
        check();
    }

    @Override
    public long roundTrip()
    {
        fill();
        ec.invoke(regs);
        return check();
    }

    /**
     * Writes the registers the call defines, as the baselines write their eight words: x0..x7 for
     * DIRECT_REQ_64 (x8..x17 are not part of it and never sent), x0..x17 for REQ2.
     */
    private void fill()
    {
        sequence++;
        regs.w(1, RegisterFile.packIds(FfaScenarios.REQUESTER_ID, FfaScenarios.RESPONDER_ID));
        if (req2)
        {
            regs.w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ2).x(2, serviceLo).x(3, serviceHi);
            for (int r = 4; r < RegisterFile.REGISTER_COUNT; r++)
            {
                regs.x(r, sequence + r);
            }
        }
        else
        {
            regs.w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).x(2, 0);
            for (int r = 3; r < RegisterFile.SMC32_REGISTER_COUNT; r++)
            {
                regs.x(r, sequence + r);
            }
        }
    }

    private long check()
    {
        final int first = req2 ? 4 : 3;
        if (regs.functionId() != (req2 ? FunctionId.FFA_MSG_SEND_DIRECT_RESP2 : FunctionId.FFA_MSG_SEND_DIRECT_RESP_64) ||
            regs.x(first) != sequence + first + 1)
        {
            throw new IllegalStateException("unexpected response " + regs);
        }
        return regs.x(first);
    }

    @Override
    public void close() throws Exception
    {
        CloseHelper.closeAll(echoRunner, echoProcess, requester, client, pm);
    }
}
