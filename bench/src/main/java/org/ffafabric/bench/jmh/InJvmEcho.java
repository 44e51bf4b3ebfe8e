package org.ffafabric.bench.jmh;

import org.agrona.concurrent.BusySpinIdleStrategy;
import org.ffafabric.bench.latency.EchoContext;
import org.ffafabric.bench.latency.EchoRunner;
import org.ffafabric.bench.latency.EchoSide;
import org.ffafabric.bench.latency.IdleMode;
import org.ffafabric.bench.latency.PeerWait;

import java.util.List;

/**
 * How the baseline ping-pong benchmarks run their echo: on a busy-spinning {@link EchoRunner}
 * thread of the fork, the JMH thread busy-spinning for its answers.
 */
final class InJvmEcho
{
    private InJvmEcho()
    {
    }

    /**
     * Sets {@code echo} up with the one argument {@code argument} on this thread and starts its
     * busy-spinning loop on a daemon thread called {@code name}.
     */
    static EchoRunner start(final EchoSide echo, final String argument, final String name) throws Exception
    {
        return EchoRunner.start(echo, new EchoContext(List.of(argument), IdleMode.BUSY), name);
    }

    /** A busy-spinning wait for the echo's answer that fails once its thread {@code name} has ended. */
    static PeerWait busyPeerWait(final EchoRunner echo, final String name)
    {
        return new PeerWait(new BusySpinIdleStrategy(), echo::isAlive, name);
    }
}
