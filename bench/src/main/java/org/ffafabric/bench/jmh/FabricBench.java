package org.ffafabric.bench.jmh;

import org.agrona.CloseHelper;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.bench.fabric.FfaDirectEcho;
import org.ffafabric.bench.fabric.FfaScenarios;
import org.ffafabric.bench.latency.EchoContext;
import org.ffafabric.bench.latency.EchoProcess;
import org.ffafabric.bench.latency.EchoRunner;
import org.ffafabric.bench.latency.IdleMode;
import org.ffafabric.bench.latency.ScenarioContext;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.pm.PartitionManager;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The set-up the fabric benchmarks share, after {@code FfaDirectScenario}: a partition manager
 * and its media driver in the fork (fabric directory {@code /dev/shm/ffa-bench-<pid>-jmh-ffa-N},
 * deleted on close), a busy-spinning client with the requesting VM claimed, and optionally the
 * echo secure partition ({@link FfaDirectEcho}, payload + 1) answering on a thread of the fork or
 * in a child JVM, every side idling with a busy spin.
 */
final class FabricBench implements AutoCloseable
{
    /** Where the responding partition runs. */
    enum Responder
    {
        /** No responder: control-plane benchmarks. */
        NONE,
        /** A {@link org.ffafabric.endpoint.DirectRequestServer} on a daemon thread of the fork. */
        INPROC,
        /** The same server in a child JVM launched like the latency tool's {@code ffa-direct-xproc}. */
        XPROC;

        static Responder parse(final String transport)
        {
            switch (transport)
            {
                case "inproc": return INPROC;
                case "xproc": return XPROC;
                default: throw new IllegalArgumentException("transport must be inproc or xproc: " + transport);
            }
        }
    }

    private PartitionManager pm;
    private FabricClient client;
    private Endpoint requester;
    private EchoRunner echoRunner;
    private EchoProcess echoProcess;

    private FabricBench()
    {
    }

    /**
     * Launches the fabric; on failure everything started so far is closed.
     *
     * @param pmIdle    the partition manager's idle strategy; null keeps its default (back-off to 1 ms sleeps).
     * @param responder where the echo partition answers.
     */
    static FabricBench launch(final IdleStrategy pmIdle, final Responder responder) throws Exception
    {
        final FabricBench bench = new FabricBench();
        try
        {
            final PartitionManager.Context pmCtx = new PartitionManager.Context()
                .directory(ScenarioContext.newShmPath("jmh-ffa"))
                .manifest(FfaScenarios.manifest());
            if (pmIdle != null)
            {
                pmCtx.idleStrategy(pmIdle);
            }
            bench.pm = PartitionManager.launch(pmCtx);
            bench.client = FabricClient.connect(new FabricClient.Context()
                .directory(bench.pm.directory())
                .idleStrategySupplier(BusySpinIdleStrategy::new));
            bench.requester = bench.client.claim(FfaScenarios.REQUESTER_ID);
            final String directory = bench.pm.directory().toString();
            if (responder == Responder.INPROC)
            {
                bench.echoRunner = EchoRunner.start(
                    new FfaDirectEcho(), new EchoContext(List.of(directory), IdleMode.BUSY), "ffa-direct-echo");
            }
            else if (responder == Responder.XPROC)
            {
                bench.echoProcess = new ScenarioContext(IdleMode.BUSY).launchEcho(FfaDirectEcho.class, directory);
            }
            return bench;
        }
        catch (final Exception | Error ex)
        {
            bench.close();
            throw ex;
        }
    }

    /**
     * Sends requests until the responder stops answering BUSY, which it does until it first
     * waits in FFA_MSG_WAIT. {@code fill} writes a complete request into the registers each time.
     * On return the registers hold the first answer that was not BUSY.
     */
    void awaitResponder(final RegisterFile regs, final Consumer<RegisterFile> fill)
    {
        final ExecutionContext ec = requester.executionContext(0);
        final long deadline = System.nanoTime() + ScenarioContext.DEFAULT_READY_TIMEOUT.toNanos();
        while (true)
        {
            fill.accept(regs);
            ec.invoke(regs);
            if (!regs.isError() || regs.errorCode() != ErrorCode.BUSY)
            {
                return;
            }
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("responder never started waiting for requests");
            }
            Thread.yield();
        }
    }

    PartitionManager partitionManager()
    {
        return pm;
    }

    Endpoint requester()
    {
        return requester;
    }

    ExecutionContext requesterContext()
    {
        return requester.executionContext(0);
    }

    Path directory()
    {
        return pm == null ? null : pm.directory();
    }

    /** Responder first (it is answered before it stops), then our endpoint, client and the PM. */
    @Override
    public void close() throws Exception
    {
        final Path directory = directory();
        try
        {
            CloseHelper.closeAll(echoRunner, echoProcess, requester, client, pm);
        }
        finally
        {
            echoRunner = null;
            echoProcess = null;
            requester = null;
            client = null;
            pm = null;
            // The PM deletes its directory on close; this only matters when its launch failed half way.
            ScenarioContext.deleteQuietly(directory);
        }
    }
}
