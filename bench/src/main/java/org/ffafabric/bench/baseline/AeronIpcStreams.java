package org.ffafabric.bench.baseline;

import io.aeron.Aeron;
import io.aeron.Publication;
import org.ffafabric.transport.AeronTuning;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The two IPC streams of the {@code aeron-ipc-raw} baseline and how its sides connect: with
 * exactly the fabric's {@link AeronTuning}, so a ratio against it measures the fabric and not a
 * tuning difference.
 */
public final class AeronIpcStreams
{
    /** Both streams are IPC: same host, through the driver's shared log buffers. */
    public static final String CHANNEL = "aeron:ipc";

    /** Requests: pinger publishes, echo subscribes. */
    public static final int PING_STREAM_ID = 1001;

    /** Responses: echo publishes, pinger subscribes. */
    public static final int PONG_STREAM_ID = 1002;

    /** How long publications and subscriptions may take to see each other. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private AeronIpcStreams()
    {
    }

    /** A client of the driver in the directory, with the fabric's client settings. */
    public static Aeron connect(final String aeronDirectoryName)
    {
        return Aeron.connect(AeronTuning.client(new Aeron.Context().aeronDirectoryName(aeronDirectoryName)));
    }

    /**
     * Fails a publication that can never take the message: CLOSED or MAX_POSITION_EXCEEDED. Any other
     * result of an {@code offer} or {@code tryClaim} that took nothing may pass and be tried again.
     *
     * @throws IllegalStateException naming the publication and the result.
     */
    public static void checkUsable(final long result, final String publication)
    {
        if (Publication.CLOSED == result || Publication.MAX_POSITION_EXCEEDED == result)
        {
            throw new IllegalStateException(publication + " unusable: " + Publication.errorString(result));
        }
    }

    /**
     * Waits, sleeping 1 ms between looks, until the condition holds; set-up only.
     *
     * @throws IllegalStateException after {@link #CONNECT_TIMEOUT}.
     */
    public static void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException(what + " not connected within " + CONNECT_TIMEOUT.toMillis() + " ms");
            }
            Thread.sleep(1);
        }
    }
}
