package org.ffafabric.bench.baseline;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import org.agrona.CloseHelper;
import org.ffafabric.bench.latency.EchoProcess;
import org.ffafabric.bench.latency.LatencyScenario;
import org.ffafabric.bench.latency.ScenarioContext;
import org.ffafabric.transport.AeronTuning;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code aeron-ipc-raw}: an embedded media driver in this process, the echo's client in a child
 * process, two {@code aeron:ipc} streams, all with the fabric's {@link AeronTuning}. The ratio
 * baseline for the fabric's {@code ffa-*} scenarios.
 */
public final class AeronIpcScenario implements LatencyScenario
{
    private final AeronIpcPing.Send send;
    private Path aeronDirectory;
    private MediaDriver driver;
    private Aeron aeron;
    private ExclusivePublication pingPublication;
    private Subscription pongSubscription;
    private EchoProcess echo;
    private AeronIpcPing ping;

    public AeronIpcScenario(final AeronIpcPing.Send send)
    {
        this.send = send;
    }

    /** Requests written in place with {@code tryClaim}: what {@code aeron-ipc-raw} measures. */
    public static AeronIpcScenario tryClaim()
    {
        return new AeronIpcScenario(AeronIpcPing.Send.TRY_CLAIM);
    }

    /** Requests copied with {@code offer}. */
    public static AeronIpcScenario offer()
    {
        return new AeronIpcScenario(AeronIpcPing.Send.OFFER);
    }

    @Override
    public void setUp(final ScenarioContext ctx) throws Exception
    {
        aeronDirectory = ScenarioContext.newShmPath("aeron");
        driver = MediaDriver.launch(AeronTuning.driver(
            new MediaDriver.Context().aeronDirectoryName(aeronDirectory.toString())));
        aeron = AeronIpcStreams.connect(aeronDirectory.toString());
        pingPublication = aeron.addExclusivePublication(AeronIpcStreams.CHANNEL, AeronIpcStreams.PING_STREAM_ID);
        pongSubscription = aeron.addSubscription(AeronIpcStreams.CHANNEL, AeronIpcStreams.PONG_STREAM_ID);

        echo = ctx.launchEcho(AeronIpcEcho.class, aeronDirectory.toString());
        AeronIpcStreams.await(pingPublication::isConnected, "ping publication");
        AeronIpcStreams.await(pongSubscription::isConnected, "pong subscription");

        ping = new AeronIpcPing(pingPublication, pongSubscription, send, ctx.newPeerWait(echo));
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
            // The echo's client goes first, so the driver never waits out a vanished client.
            CloseHelper.closeAll(echo, pingPublication, pongSubscription, aeron, driver);
        }
        finally
        {
            if (null != aeronDirectory && Files.exists(aeronDirectory))
            {
                ScenarioContext.deleteQuietly(aeronDirectory);
                if (null != driver)
                {
                    // AeronTuning sets dirDeleteOnShutdown: a directory still here is a bug to report.
                    throw new IllegalStateException("media driver left " + aeronDirectory + " behind; deleted it");
                }
            }
        }
    }
}
