package org.ffafabric.bench.baseline;

import org.ffafabric.bench.latency.EchoProcess;
import org.ffafabric.bench.latency.LatencyScenario;
import org.ffafabric.bench.latency.ScenarioContext;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code shm-spin-raw}: two processes spinning on one mapped cache line each way, the physical
 * floor for any shared-memory transport on this host. See {@link ShmPingPongDescriptor}.
 */
public final class ShmSpinScenario implements LatencyScenario
{
    private Path path;
    private MappedFile file;
    private EchoProcess echo;
    private ShmSpinPing ping;

    @Override
    public void setUp(final ScenarioContext ctx) throws Exception
    {
        path = ScenarioContext.newShmPath("shm");
        file = MappedFile.create(path, ShmPingPongDescriptor.FILE_LENGTH);
        echo = ctx.launchEcho(ShmSpinEcho.class, path.toString());

        // Both sides have it mapped: unlink it now, so even a killed tool leaves nothing in /dev/shm.
        Files.delete(path);

        ping = new ShmSpinPing(file.buffer(), ctx.newPeerWait(echo));
    }

    @Override
    public long roundTrip()
    {
        return ping.roundTrip();
    }

    @Override
    public void close()
    {
        // The echo stops spinning on the mapping before it is unmapped.
        Cleanup.closeAllThenDelete(path, echo, file);
    }
}
