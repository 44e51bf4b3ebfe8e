package org.ffafabric.bench.baseline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import org.ffafabric.bench.latency.BlockingPeerWait;
import org.ffafabric.bench.latency.PeerWait;

/**
 * The requesting side of {@code uds-raw} and {@code uds-spin}: writes the 64-byte payload on a
 * Unix-domain socket and reads the 64-byte answer, from and into direct buffers (no copy through
 * the heap). Blocking, bounded by a {@link BlockingPeerWait}, or non-blocking with the reads polled
 * by a {@link PeerWait}. Closing stops the blocking wait's watch; the channel is the caller's.
 */
public final class UdsPing implements AutoCloseable
{
    private final SocketChannel channel;
    private final PeerWait wait;
    private final BlockingPeerWait blockingWait;
    private final ByteBuffer request = ByteBuffer.allocateDirect(Payload.LENGTH).order(ByteOrder.nativeOrder());
    private final ByteBuffer response = ByteBuffer.allocateDirect(Payload.LENGTH).order(ByteOrder.nativeOrder());
    private long sequence;

    /** Blocking reads: the kernel wakes this thread when the answer comes, or {@code wait} ends the read. */
    public UdsPing(final SocketChannel channel, final BlockingPeerWait wait)
    {
        this.channel = channel;
        this.wait = null;
        this.blockingWait = wait;
    }

    /** Non-blocking reads, polled, idling with {@code wait} between empty ones. */
    public UdsPing(final SocketChannel channel, final PeerWait wait) throws IOException
    {
        channel.configureBlocking(false);
        this.channel = channel;
        this.wait = wait;
        this.blockingWait = null;
    }

    /** One round trip; returns x7 of the answer. */
    public long roundTrip()
    {
        final long sequence = ++this.sequence;
        if (null != blockingWait)
        {
            blockingWait.begin();
        }
        try
        {
            Payload.write(request, sequence);
            request.clear();
            while (request.hasRemaining())
            {
                channel.write(request);
            }

            response.clear();
            if (null != wait)
            {
                wait.reset();
            }
            while (response.hasRemaining())
            {
                final int read = channel.read(response);
                if (read < 0)
                {
                    throw new IllegalStateException("uds echo closed the socket");
                }
                if (read == 0 && null != wait)
                {
                    wait.idle();
                }
            }
        }
        catch (final IOException ex)
        {
            throw null != blockingWait ? blockingWait.failure(ex) : new UncheckedIOException(ex);
        }
        if (null != blockingWait)
        {
            blockingWait.end();
        }

        return Payload.verify(response, sequence);
    }

    @Override
    public void close() throws InterruptedException
    {
        if (null != blockingWait)
        {
            blockingWait.close();
        }
    }
}
