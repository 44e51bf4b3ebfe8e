package org.ffafabric.bench.latency;

import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Waits for a peer's answer with an idle strategy, and notices when the peer has died or is
 * stuck instead of spinning forever. The first check comes after 1024 idles, so a round trip that
 * flows (answered within a few dozen) never reads the clock nor looks at the peer: the baselines'
 * waits cost no more than the fabric's own, which look every 64 polls. After that the checks are
 * paced by time, cheaply, as an {@code ExecutionContext}'s waits are: the clock is read, and the peer
 * looked at, every 16 idles while idles are quick, and every idle once they take over a microsecond
 * each (an idle strategy that parks, {@code spin-park} up to 10 ms at a time: paced by idle counts
 * alone, checks 1024 idles apart came 10 s apart). So a peer that has gone is noticed within a few
 * parks, or, when parks begin within the first 1024 idles ({@code backoff}'s, of at most 1 ms), within
 * about a second. Nothing allocates until a failure is thrown.
 * <p>
 * Use: {@code wait.reset()} before a wait, then {@code while (!answered) wait.idle();}.
 */
public final class PeerWait
{
    /** How long one wait may take before the peer is declared stuck. */
    public static final long DEFAULT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    // Past any round trip that flows: the checks never slow one.
    private static final int FIRST_CHECK_IDLES = 1024;
    // A later stride that begins in spins and runs into parks is at most this many parks long.
    static final int QUICK_CHECK_STRIDE = 16;
    private static final long SLOW_IDLE_NS = 1_000;

    private final IdleStrategy idleStrategy;
    private final BooleanSupplier peerAlive;
    private final String peerName;
    private final long timeoutNs;
    private int idles;
    private int stride = FIRST_CHECK_IDLES;
    private long firstCheckNs;
    private long lastCheckNs;

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
        stride = FIRST_CHECK_IDLES;
        lastCheckNs = 0;
        idleStrategy.reset();
    }

    /** Idles once; at the end of each stride checks that the peer is alive and the wait not too long. */
    public void idle()
    {
        idleStrategy.idle();
        if (++idles >= stride)
        {
            check();
        }
    }

    private void check()
    {
        idles = 0;
        if (!peerAlive.getAsBoolean())
        {
            throw new IllegalStateException(gone(peerName));
        }

        final long nowNs = System.nanoTime();
        if (0 == lastCheckNs)
        {
            // The clock is read only once a wait is already long, so fast waits never read it.
            firstCheckNs = nowNs;
            stride = QUICK_CHECK_STRIDE;
        }
        else
        {
            stride = nowNs - lastCheckNs > stride * SLOW_IDLE_NS ? 1 : QUICK_CHECK_STRIDE;
            if (nowNs - firstCheckNs > timeoutNs)
            {
                throw new IllegalStateException(noAnswer(peerName, timeoutNs));
            }
        }
        lastCheckNs = nowNs;
    }

    /** What fails a wait whose peer has died. */
    static String gone(final String peerName)
    {
        return peerName + " has gone";
    }

    /** What fails a wait whose peer, alive, has not answered within the timeout: it is stuck. */
    public static String noAnswer(final String peerName, final long timeoutNs)
    {
        return peerName + " did not answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms";
    }
}
