package org.ffafabric.bench.latency;

import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Waits for a peer's answer with an idle strategy, and notices when the peer has died or is
 * stuck instead of spinning forever. The checks run once every {@link #CHECK_INTERVAL} idles,
 * so the fast path is one increment and a mask; nothing allocates until a failure is thrown.
 * <p>
 * Use: {@code wait.reset()} before a wait, then {@code while (!answered) wait.idle();}.
 */
public final class PeerWait
{
    /** Idles between liveness checks; a power of two. */
    public static final int CHECK_INTERVAL = 1024;

    /** How long one wait may take before the peer is declared stuck. */
    public static final long DEFAULT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final IdleStrategy idleStrategy;
    private final BooleanSupplier peerAlive;
    private final String peerName;
    private final long timeoutNs;
    private long idles;
    private long firstCheckNs;

    public PeerWait(final IdleStrategy idleStrategy, final BooleanSupplier peerAlive, final String peerName)
    {
        this(idleStrategy, peerAlive, peerName, DEFAULT_TIMEOUT_NS);
    }

    public PeerWait(
        final IdleStrategy idleStrategy, final BooleanSupplier peerAlive, final String peerName, final long timeoutNs)
    {
        this.idleStrategy = idleStrategy;
        this.peerAlive = peerAlive;
        this.peerName = peerName;
        this.timeoutNs = timeoutNs;
    }

    /** Starts a new wait. */
    public void reset()
    {
        idles = 0;
        idleStrategy.reset();
    }

    /** Idles once; every {@link #CHECK_INTERVAL} idles checks the peer is alive and the wait not too long. */
    public void idle()
    {
        idleStrategy.idle();
        if ((++idles & (CHECK_INTERVAL - 1)) == 0)
        {
            check();
        }
    }

    private void check()
    {
        if (!peerAlive.getAsBoolean())
        {
            throw new IllegalStateException(gone(peerName));
        }

        final long nowNs = System.nanoTime();
        if (idles == CHECK_INTERVAL)
        {
            // The clock is read only once a wait is already long, so fast waits never read it.
            firstCheckNs = nowNs;
        }
        else if (nowNs - firstCheckNs > timeoutNs)
        {
            throw new IllegalStateException(noAnswer(peerName, timeoutNs));
        }
    }

    /** What fails a wait whose peer has died. */
    static String gone(final String peerName)
    {
        return peerName + " has gone";
    }

    /** What fails a wait whose peer, alive, has not answered within the timeout: it is stuck. */
    static String noAnswer(final String peerName, final long timeoutNs)
    {
        return peerName + " did not answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms";
    }
}
