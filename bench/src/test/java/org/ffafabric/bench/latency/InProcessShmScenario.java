package org.ffafabric.bench.latency;

import org.agrona.CloseHelper;
import org.ffafabric.bench.baseline.MappedFile;
import org.ffafabric.bench.baseline.ShmPingPongDescriptor;
import org.ffafabric.bench.baseline.ShmSpinEcho;
import org.ffafabric.bench.baseline.ShmSpinPing;

import java.nio.file.Path;
import java.util.List;

/**
 * A scenario with its echo on a thread of this JVM, registered under an {@code ffa-} name so the
 * tool prints a ratio line for it: how an in-process fabric scenario plugs in.
 */
final class InProcessShmScenario implements LatencyScenario
{
    private Path path;
    private MappedFile file;
    private EchoRunner echo;
    private ShmSpinPing ping;

    @Override
    public void setUp(final ScenarioContext ctx) throws Exception
    {
        path = ScenarioContext.newShmPath("test-inproc");
        file = MappedFile.create(path, ShmPingPongDescriptor.FILE_LENGTH);
        echo = EchoRunner.start(new ShmSpinEcho(), new EchoContext(List.of(path.toString()), ctx.idleMode()), "echo");
        ping = new ShmSpinPing(file.buffer(), new PeerWait(ctx.newIdleStrategy(), echo::isAlive, "echo thread"));
    }

    @Override
    public long roundTrip()
    {
        return ping.roundTrip();
    }

    @Override
    public void close()
    {
        try
        {
            CloseHelper.closeAll(echo, file);
        }
        finally
        {
            ScenarioContext.deleteQuietly(path);
        }
    }
}
