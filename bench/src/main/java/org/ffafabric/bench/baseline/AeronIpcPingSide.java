package org.ffafabric.bench.baseline;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import org.agrona.CloseHelper;
import org.ffafabric.bench.latency.PeerWait;
import org.ffafabric.transport.AeronTuning;

import java.nio.file.Path;

/**
 * The requesting half of the {@code aeron-ipc-raw} set-up, shared by the latency tool and the JMH
 * benchmarks: a media driver in this process with the fabric's {@link AeronTuning}, a client, the
 * ping publication and the pong subscription. Closing closes them, driver last; the driver
 * deletes its directory on shutdown.
 */
public final class AeronIpcPingSide implements AutoCloseable
{
    private final MediaDriver driver;
    private final Aeron aeron;
    private final ExclusivePublication pingPublication;
    private final Subscription pongSubscription;

    private AeronIpcPingSide(
        final MediaDriver driver, final Aeron aeron, final ExclusivePublication pingPublication,
        final Subscription pongSubscription)
    {
        this.driver = driver;
        this.aeron = aeron;
        this.pingPublication = pingPublication;
        this.pongSubscription = pongSubscription;
    }

    /** Launches the driver in {@code aeronDirectory} and adds both streams; on failure closes what it made. */
    public static AeronIpcPingSide launch(final Path aeronDirectory)
    {
        MediaDriver driver = null;
        Aeron aeron = null;
        try
        {
            driver = MediaDriver.launch(AeronTuning.driver(
                new MediaDriver.Context().aeronDirectoryName(aeronDirectory.toString())));
            aeron = AeronIpcStreams.connect(aeronDirectory.toString());
            return new AeronIpcPingSide(driver, aeron,
                aeron.addExclusivePublication(AeronIpcStreams.CHANNEL, AeronIpcStreams.PING_STREAM_ID),
                aeron.addSubscription(AeronIpcStreams.CHANNEL, AeronIpcStreams.PONG_STREAM_ID));
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(aeron, driver);
            throw ex;
        }
    }

    /** Waits until an echo subscribes to the pings and publishes the pongs. */
    public void awaitEcho() throws InterruptedException
    {
        AeronIpcStreams.await(pingPublication::isConnected, "ping publication");
        AeronIpcStreams.await(pongSubscription::isConnected, "pong subscription");
    }

    /** The pinger over these streams. */
    public AeronIpcPing ping(final AeronIpcPing.Send send, final PeerWait wait)
    {
        return ping(send, Payload.REGISTER_COUNT, wait);
    }

    /** The pinger over these streams, with messages of {@code registers} registers. */
    public AeronIpcPing ping(final AeronIpcPing.Send send, final int registers, final PeerWait wait)
    {
        return new AeronIpcPing(pingPublication, pongSubscription, send, registers, wait);
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(pingPublication, pongSubscription, aeron, driver);
    }
}
