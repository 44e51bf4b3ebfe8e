package org.ffafabric.bench.baseline;

import org.ffafabric.bench.latency.EchoProcess;
import org.ffafabric.bench.latency.LatencyScenario;
import org.ffafabric.bench.latency.ScenarioContext;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * {@code uds-raw}: a blocking Unix-domain socket between two processes, what a conventional
 * kernel-mediated IPC costs; {@code uds-spin}: the same socket non-blocking, both sides polling
 * their reads, the best a hand-rolled socket IPC does at the price of a core each. The socket file
 * lives in a fresh temp directory, removed as soon as the echo has connected.
 */
public final class UdsScenario implements LatencyScenario
{
    private final boolean spin;
    private Path directory;
    private ServerSocketChannel server;
    private SocketChannel channel;
    private EchoProcess echo;
    private UdsPing ping;

    private UdsScenario(final boolean spin)
    {
        this.spin = spin;
    }

    public static UdsScenario blocking()
    {
        return new UdsScenario(false);
    }

    public static UdsScenario spinning()
    {
        return new UdsScenario(true);
    }

    @Override
    public void setUp(final ScenarioContext ctx) throws Exception
    {
        directory = ScenarioContext.newTempDirectory("uds");
        final Path socket = directory.resolve("echo.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));

        // The echo connects before it reports ready, so accept finds it in the backlog at once.
        echo = spin ? ctx.launchEcho(UdsEcho.class, socket.toString(), "spin") :
            ctx.launchEcho(UdsEcho.class, socket.toString());
        channel = server.accept();

        // Connected sockets outlive their file: remove it and the listener now.
        server.close();
        ScenarioContext.deleteQuietly(directory);

        ping = spin ? new UdsPing(channel, ctx.newPeerWait(echo)) :
            new UdsPing(channel, ctx.newBlockingPeerWait(echo, channel));
    }

    @Override
    public long roundTrip()
    {
        return ping.roundTrip();
    }

    @Override
    public void close()
    {
        // Our end first, once its watch has stopped: the echo is blocked in a read and ends at end of stream.
        Cleanup.closeAllThenDelete(directory, ping, channel, echo, server);
    }
}
