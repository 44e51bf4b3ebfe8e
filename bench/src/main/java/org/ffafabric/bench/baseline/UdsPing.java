package org.ffafabric.bench.baseline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import org.ffafabric.bench.latency.PeerWait;

/**
 * The requesting side of {@code uds-raw} and {@code uds-spin}: writes the 64-byte payload on a
 * Unix-domain socket and reads the 64-byte answer, from and into direct buffers (no copy through
 * the heap). Blocking, or, given a {@link PeerWait}, non-blocking with the reads polled.
 */
public final class UdsPing
{
    private final SocketChannel channel;
    private final PeerWait wait;
    private final ByteBuffer request = ByteBuffer.allocateDirect(Payload.LENGTH).order(ByteOrder.nativeOrder());
    private final ByteBuffer response = ByteBuffer.allocateDirect(Payload.LENGTH).order(ByteOrder.nativeOrder());
    private long sequence;

    /** Blocking reads: the kernel wakes this thread when the answer comes. */
    public UdsPing(final SocketChannel channel)
    {
        this.channel = channel;
        this.wait = null;
    }

    /** Non-blocking reads, polled, idling with {@code wait} between empty ones. */
    public UdsPing(final SocketChannel channel, final PeerWait wait) throws IOException
    {
        channel.configureBlocking(false);
        this.channel = channel;
        this.wait = wait;
    }

    /** One round trip; returns x7 of the answer. */
    public long roundTrip()
    {
        final long sequence = ++this.sequence;
        try
        {
            Payload.write(request, sequence);
            request.clear();
            while (request.hasRemaining())
            {
                channel.write(request);
            }

            response.clear();
            if (wait != null)
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
                if (read == 0 && wait != null)
                {
                    wait.idle();
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }

        return Payload.verify(response, sequence);
    }
}
