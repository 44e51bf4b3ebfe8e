package org.ffafabric.bench.baseline;

import org.ffafabric.bench.latency.EchoContext;
import org.ffafabric.bench.latency.EchoSide;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.net.UnixDomainSocketAddress;

/**
 * The answering side of {@code uds-raw}: connects to the pinger's socket, then reads each 64-byte
 * message and writes it back. Blocking: the idle strategy never runs, the kernel wakes it.
 * Argument 0: the socket's path.
 */
public final class UdsEcho implements EchoSide
{
    private final ByteBuffer message = ByteBuffer.allocateDirect(Payload.LENGTH);
    private SocketChannel channel;

    public UdsEcho()
    {
    }

    @Override
    public void setUp(final EchoContext ctx) throws Exception
    {
        channel = SocketChannel.open(UnixDomainSocketAddress.of(ctx.arg(0)));
    }

    @Override
    public int doWork() throws Exception
    {
        message.clear();
        while (message.hasRemaining())
        {
            if (channel.read(message) < 0)
            {
                // The pinger closed its end: the run is over.
                return -1;
            }
        }

        message.flip();
        while (message.hasRemaining())
        {
            channel.write(message);
        }

        return 1;
    }

    @Override
    public void close() throws Exception
    {
        if (null != channel)
        {
            channel.close();
        }
    }
}
