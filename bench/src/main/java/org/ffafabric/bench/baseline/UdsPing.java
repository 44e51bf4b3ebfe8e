package org.ffafabric.bench.baseline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;

/**
 * The requesting side of {@code uds-raw}: writes the 64-byte payload on a blocking Unix-domain
 * socket and reads the 64-byte answer, from and into direct buffers (no copy through the heap).
 */
public final class UdsPing
{
    private final SocketChannel channel;
    private final ByteBuffer request = ByteBuffer.allocateDirect(Payload.LENGTH).order(ByteOrder.nativeOrder());
    private final ByteBuffer response = ByteBuffer.allocateDirect(Payload.LENGTH).order(ByteOrder.nativeOrder());
    private long sequence;

    public UdsPing(final SocketChannel channel)
    {
        this.channel = channel;
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
            while (response.hasRemaining())
            {
                if (channel.read(response) < 0)
                {
                    throw new IllegalStateException("uds echo closed the socket");
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
