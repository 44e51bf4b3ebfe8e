package org.ffafabric.bench.jmh;

import org.ffafabric.bench.baseline.AeronIpcEcho;
import org.ffafabric.bench.baseline.AeronIpcPing;
import org.ffafabric.bench.baseline.AeronIpcPingSide;
import org.ffafabric.bench.baseline.Cleanup;
import org.ffafabric.bench.latency.EchoRunner;
import org.ffafabric.bench.latency.ScenarioContext;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Round trip of the 64-byte payload over two {@code aeron:ipc} streams with the fabric's
 * {@link AeronTuning}, the echo polling on a second thread of the fork. The request is written
 * in place ({@code tryClaim}) or copied ({@code offer}); the echo always answers with tryClaim.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class AeronIpcPingPongBenchmark
{
    @Param({"tryClaim", "offer"})
    public String send;

    private Path aeronDirectory;
    private AeronIpcPingSide pingSide;
    private EchoRunner echo;
    private AeronIpcPing ping;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        TrialSetUp.run(this::make, this::tearDown);
    }

    private void make() throws Exception
    {
        aeronDirectory = ScenarioContext.newShmPath("jmh-aeron");
        pingSide = AeronIpcPingSide.launch(aeronDirectory);
        echo = InJvmEcho.start(new AeronIpcEcho(), aeronDirectory.toString(), "aeron-ipc-echo");
        pingSide.awaitEcho();
        ping = pingSide.ping(
            "offer".equals(send) ? AeronIpcPing.Send.OFFER : AeronIpcPing.Send.TRY_CLAIM,
            InJvmEcho.busyPeerWait(echo, "aeron-ipc-echo"));
    }

    @Benchmark
    public long roundTrip()
    {
        return ping.roundTrip();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        try
        {
            Cleanup.closeAllThenDelete(aeronDirectory, echo, pingSide);
        }
        finally
        {
            aeronDirectory = null;
            echo = null;
            pingSide = null;
            ping = null;
        }
    }
}
