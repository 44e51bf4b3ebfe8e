package org.ffafabric.bench.baseline;

import org.ffafabric.bench.latency.EchoContext;
import org.ffafabric.bench.latency.EchoSide;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.net.UnixDomainSocketAddress;

/**
 * The answering side of {@code uds-raw} and {@code uds-spin}: connects to the pinger's socket, then
 * reads each 64-byte message and writes it back. Blocking (the idle strategy never runs, the kernel
 * wakes it), or with argument 1 {@code spin}, non-blocking: an empty read is no work, and the
 * echo's idle strategy runs. Argument 0: the socket's path.
 */
public final class UdsEcho implements EchoSide
{
    private final ByteBuffer message = ByteBuffer.allocateDirect(Payload.LENGTH);
    private SocketChannel channel;
    private boolean spin;

    public UdsEcho()
    {
    }

    @Override
    public void setUp(final EchoContext ctx) throws Exception
    {
        channel = SocketChannel.open(UnixDomainSocketAddress.of(ctx.arg(0)));
        spin = ctx.argCount() > 1 && "spin".equals(ctx.arg(1));
        channel.configureBlocking(!spin);
        message.clear();
    }

    @Override
    public int doWork() throws Exception
    {
        while (message.hasRemaining())
        {
            final int read = channel.read(message);
            if (read < 0)
            {
                // The pinger closed its end: the run is over.
                return -1;
            }
            if (read == 0 && message.position() == 0)
            {
                // Nothing yet (non-blocking): the loop idles. A message begun is read to its end.
                return 0;
            }
        }

        message.flip();
        try
        {
            while (message.hasRemaining())
            {
                channel.write(message);
            }
        }
        catch (final IOException ex)
        {
            // A connected socket's write fails when the pinger has closed its end (broken pipe): it gave up
            // on this answer (we were stopped, say), and the run is over, as at end of stream.
            return -1;
        }
        message.clear();

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
