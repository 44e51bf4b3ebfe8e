package org.ffafabric.bench.jmh;

import org.ffafabric.bench.baseline.Cleanup;
import org.ffafabric.bench.baseline.MappedFile;
import org.ffafabric.bench.baseline.ShmPingPongDescriptor;
import org.ffafabric.bench.baseline.ShmSpinEcho;
import org.ffafabric.bench.baseline.ShmSpinPing;
import org.ffafabric.bench.latency.EchoRunner;
import org.ffafabric.bench.latency.ScenarioContext;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Round trip of the 64-byte payload over one mapped cache line each way, the echo spinning on a
 * second thread of the fork. The in-JVM twin of the latency tool's {@code shm-spin-raw}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class ShmSpinPingPongBenchmark
{
    private Path path;
    private MappedFile file;
    private EchoRunner echo;
    private ShmSpinPing ping;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        TrialSetUp.run(this::make, this::tearDown);
    }

    private void make() throws Exception
    {
        path = ScenarioContext.newShmPath("jmh-shm");
        file = MappedFile.create(path, ShmPingPongDescriptor.FILE_LENGTH);
        echo = InJvmEcho.start(new ShmSpinEcho(), path.toString(), "shm-spin-echo");
        ping = new ShmSpinPing(file.buffer(), InJvmEcho.busyPeerWait(echo, "shm-spin-echo"));
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
            Cleanup.closeAllThenDelete(path, echo, file);
        }
        finally
        {
            path = null;
            echo = null;
            file = null;
            ping = null;
        }
    }
}
