package org.ffafabric.bench.jmh;

import io.aeron.Aeron;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.ffafabric.bench.baseline.AeronIpcEcho;
import org.ffafabric.bench.baseline.AeronIpcPing;
import org.ffafabric.bench.baseline.AeronIpcPingSide;
import org.ffafabric.bench.baseline.AeronIpcStreams;
import org.ffafabric.bench.baseline.Cleanup;
import org.ffafabric.bench.fabric.EchoRequest;
import org.ffafabric.bench.fabric.FfaScenarios;
import org.ffafabric.bench.fabric.RawDirectMessagePeer;
import org.ffafabric.bench.latency.EchoContext;
import org.ffafabric.bench.latency.IdleMode;
import org.ffafabric.bench.latency.PeerWait;
import org.ffafabric.bench.latency.ScenarioContext;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.DirectRequestServer;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.launch.PartitionHostMain;
import org.ffafabric.pm.PartitionManager;
import org.ffafabric.transport.AeronTuning;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The CPU cost of a round trip, both sides on one thread: the requester's wait runs the
 * responder's duty cycle as its idle step, so a request is served the moment the requester
 * starts waiting for it. No cache line crosses a core, so what is measured is the work both
 * sides do, free of the transfers that dominate (and vary in) the two-core ping-pong, with the
 * resolution of an average rather than of a 10 ns clock step. {@code aeron-raw} is the same
 * loopback of the raw Aeron ping and echo: the difference is the fabric's own work per round trip.
 * {@code ffa-requester} and {@code ffa-responder} put a {@link RawDirectMessagePeer} on one side
 * of the same DIRECT_REQ_64 echo, so each measures the runtime's work on the other side alone.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class LoopbackBenchmark
{
    /**
     * {@code ffa-invoke}: DIRECT_REQ_64 (x0..x7); {@code ffa-invoke-req2}: DIRECT_REQ2 (x0..x17);
     * {@code ffa-requester}: the runtime's requester, a raw responder; {@code ffa-responder}: a raw
     * requester, the runtime's responder.
     */
    @Param({"aeron-raw", "ffa-invoke", "ffa-invoke-req2", "ffa-requester", "ffa-responder"})
    public String path;

    // aeron-raw
    private Path aeronDirectory;
    private AeronIpcPingSide pingSide;
    private AeronIpcEcho echo;
    private AeronIpcPing ping;

    // ffa-invoke
    private PartitionManager pm;
    private FabricClient requesterClient;
    private FabricClient responderClient;
    private Endpoint requester;
    private Endpoint responder;
    private ExecutionContext ec;
    private EchoRequest request;
    private PartnerIdle idle;

    // ffa-requester, ffa-responder
    private Aeron rawAeron;
    private RawDirectMessagePeer rawPeer;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        TrialSetUp.run("aeron-raw".equals(path) ? this::setUpAeron : this::setUpFabric, this::tearDown);
    }

    private void setUpAeron() throws Exception
    {
        aeronDirectory = ScenarioContext.newShmPath("jmh-loopback-aeron");
        pingSide = AeronIpcPingSide.launch(aeronDirectory);
        echo = new AeronIpcEcho();
        echo.setUp(new EchoContext(List.of(aeronDirectory.toString()), IdleMode.BUSY));
        pingSide.awaitEcho();
        idle = new PartnerIdle();
        idle.partner = echo::doWork;
        ping = pingSide.ping(AeronIpcPing.Send.TRY_CLAIM, new PeerWait(idle, () -> true, "loopback echo"));
    }

    private void setUpFabric() throws Exception
    {
        request = new EchoRequest("ffa-invoke-req2".equals(path));
        pm = PartitionManager.launch(new PartitionManager.Context()
            .directory(ScenarioContext.newShmPath("jmh-loopback-ffa"))
            .manifest(FfaScenarios.manifest()));
        idle = new PartnerIdle();
        final boolean rawResponder = "ffa-requester".equals(path);
        final boolean rawRequester = "ffa-responder".equals(path);
        if (rawResponder || rawRequester)
        {
            rawAeron = Aeron.connect(AeronTuning.client(new Aeron.Context()
                .aeronDirectoryName(FabricDirectory.aeronDirectory(pm.directory()).toString())));
        }
        if (!rawRequester)
        {
            requesterClient = FabricClient.connect(new FabricClient.Context()
                .directory(pm.directory())
                .idleStrategySupplier(() -> idle));
            requester = requesterClient.claim(FfaScenarios.REQUESTER_ID);
            ec = requester.executionContext(0);
        }
        if (rawResponder)
        {
            rawPeer = RawDirectMessagePeer.responder(rawAeron, pm.controlFile());
            // No context of the raw peer's claim was ever bound, so it is OFF; the raw peer stands for one that waits.
            final ControlFile controlFile = pm.controlFile();
            final int stateOffset = controlFile.ecStateOffset(controlFile.slotOf(FfaScenarios.RESPONDER_ID), 0);
            controlFile.ecStateOrdered(stateOffset, ExecutionContextState.waitingAfter(controlFile.ecState(stateOffset)));
            AeronIpcStreams.await(rawPeer::isConnected, "raw responder's publication");
            idle.partner = rawPeer::doWork;
            idle.requestSent = true;
            request.awaitResponder(ec);
            return;
        }

        responderClient = FabricClient.connect(new FabricClient.Context()
            .directory(pm.directory())
            .idleStrategySupplier(BusySpinIdleStrategy::new));
        responder = responderClient.claim(FfaScenarios.RESPONDER_ID);
        final DirectRequestServer server = new DirectRequestServer(
            responder.executionContext(0), PartitionHostMain::echo, TimeUnit.SECONDS.toNanos(1));
        if (rawRequester)
        {
            rawPeer = RawDirectMessagePeer.requester(rawAeron, pm.controlFile());
        }

        // The responder must be WAITING before a request is accepted, and only a wait makes it so:
        // it first waits on a thread of its own for one request; after answering it is WAITING
        // again, and this thread takes it over.
        final Thread firstWait = new Thread(() ->
        {
            while (server.served() == 0)
            {
                server.doWork();
            }
        }, "loopback-first-wait");
        firstWait.setDaemon(true);
        firstWait.start();
        if (rawRequester)
        {
            AeronIpcStreams.await(rawPeer::isConnected, "raw requester's publication");
            awaitWaiting(pm.controlFile());
            rawPeer.roundTrip(idle);
        }
        else
        {
            request.awaitResponder(ec);
        }
        firstWait.join(TimeUnit.SECONDS.toMillis(10));
        if (firstWait.isAlive())
        {
            throw new IllegalStateException("the responder's first wait did not end");
        }
        idle.partner = server::doWork;
        roundTrip();
    }

    private static void awaitWaiting(final ControlFile controlFile) throws InterruptedException
    {
        final int stateOffset = controlFile.ecStateOffset(controlFile.slotOf(FfaScenarios.RESPONDER_ID), 0);
        AeronIpcStreams.await(() -> ExecutionContextState.state(controlFile.ecState(stateOffset)) ==
            ExecutionContextState.WAITING, "responder waiting");
    }

    /** The shared-memory directory of this trial: Aeron's for aeron-raw, the fabric's otherwise. */
    Path directory()
    {
        return pm != null ? pm.directory() : aeronDirectory;
    }

    @Benchmark
    public long roundTrip()
    {
        idle.requestSent = true;
        if (ping != null)
        {
            return ping.roundTrip();
        }
        if (ec == null)
        {
            return rawPeer.roundTrip(idle);
        }
        return request.roundTrip(ec);
    }

    /** Closes whatever set-up made (each null until made), so it also serves after a set-up that failed part way. */
    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        try
        {
            Cleanup.closeAllThenDelete(aeronDirectory, echo, pingSide);
        }
        finally
        {
            try
            {
                CloseHelper.closeAll(rawPeer, responder, requester, responderClient, requesterClient, rawAeron, pm);
            }
            finally
            {
                // Forgotten once closed: a second tear-down (a test's, after a failed set-up) closes nothing twice.
                aeronDirectory = null;
                echo = null;
                pingSide = null;
                ping = null;
                rawPeer = null;
                responder = null;
                requester = null;
                responderClient = null;
                requesterClient = null;
                rawAeron = null;
                pm = null;
                ec = null;
            }
        }
    }

    /**
     * Idles by running the other side's duty cycle once per request, once it has one on this
     * thread: a wait that finds only padding at a term's end must not run the responder's wait
     * with nothing to serve.
     */
    static final class PartnerIdle implements IdleStrategy
    {
        java.util.function.IntSupplier partner;
        boolean requestSent;

        PartnerIdle()
        {
        }

        public void idle(final int workCount)
        {
            if (workCount <= 0)
            {
                idle();
            }
        }

        public void idle()
        {
            final java.util.function.IntSupplier p = partner;
            if (p != null && requestSent)
            {
                // Until it reports the request answered: a poll may first meet a term's end padding,
                // and the requester may idle on back pressure before its request is even sent.
                if (p.getAsInt() > 0)
                {
                    requestSent = false;
                }
            }
            else
            {
                Thread.onSpinWait();
            }
        }

        public void reset()
        {
        }
    }
}
