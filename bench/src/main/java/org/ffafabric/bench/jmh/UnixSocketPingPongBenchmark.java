package org.ffafabric.bench.jmh;

import org.ffafabric.bench.baseline.Cleanup;
import org.ffafabric.bench.baseline.UdsEcho;
import org.ffafabric.bench.baseline.UdsPing;
import org.ffafabric.bench.latency.BlockingPeerWait;
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

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Round trip of the 64-byte payload over a blocking Unix-domain socket, the echo on a second
 * thread of the fork. The in-JVM twin of the latency tool's {@code uds-raw}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class UnixSocketPingPongBenchmark
{
    private Path directory;
    private SocketChannel channel;
    private EchoRunner echo;
    private UdsPing ping;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        TrialSetUp.run(this::make, this::tearDown);
    }

    private void make() throws Exception
    {
        directory = ScenarioContext.newTempDirectory("jmh-uds");
        final Path socket = directory.resolve("echo.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            server.bind(UnixDomainSocketAddress.of(socket));
            // The echo connects on this thread, into the backlog; accept then finds it.
            echo = InJvmEcho.start(new UdsEcho(), socket.toString(), "uds-echo");
            channel = server.accept();
        }
        ScenarioContext.deleteQuietly(directory);

        ping = new UdsPing(channel, new BlockingPeerWait(channel, echo::isAlive, "uds-echo"));
    }

    @Benchmark
    public long roundTrip()
    {
        return ping.roundTrip();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        // Our end first: the echo is blocked in a read and ends at end of stream.
        try
        {
            Cleanup.closeAllThenDelete(directory, ping, channel, echo);
        }
        finally
        {
            directory = null;
            channel = null;
            echo = null;
            ping = null;
        }
    }
}
