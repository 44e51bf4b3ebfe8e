package org.ffafabric.bench.latency;

import org.agrona.CloseHelper;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Bounds a blocking wait for a peer's answer, as {@link PeerWait} bounds a spinning one, and fails it
 * in the same words: when the peer has died, or is alive but has not answered within the timeout
 * (stuck, or stopped by SIGSTOP). A blocking read has no bound of its own (a Unix-domain socket
 * channel takes no read timeout), so a watch thread looks at the wait under way every tenth of the
 * timeout and ends one past its bound by closing the channel it is blocked on. The waiting thread
 * pays a release store at each end of a wait and never reads the clock: the round trip a scenario
 * measures is the same blocking read as without the watch.
 * <p>
 * Use: {@code wait.begin()} before the request, {@code wait.end()} once the answer is in, and
 * {@code throw wait.failure(ex)} for an {@link IOException} of the channel in between.
 */
public final class BlockingPeerWait implements AutoCloseable
{
    private static final VarHandle WAITS;

    static
    {
        try
        {
            WAITS = MethodHandles.lookup().findVarHandle(BlockingPeerWait.class, "waits", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Closeable channel;
    private final BooleanSupplier peerAlive;
    private final String peerName;
    private final long timeoutNs;
    private final Thread watch;
    private volatile boolean closed;
    private volatile String failure;
    // Begun and ended waits, odd while one is under way; written by the waiting thread only.
    private long waits;

    public BlockingPeerWait(final Closeable channel, final BooleanSupplier peerAlive, final String peerName)
    {
        this(channel, peerAlive, peerName, PeerWait.DEFAULT_TIMEOUT_NS);
    }

    public BlockingPeerWait(
        final Closeable channel, final BooleanSupplier peerAlive, final String peerName, final long timeoutNs)
    {
        this.channel = channel;
        this.peerAlive = peerAlive;
        this.peerName = peerName;
        this.timeoutNs = timeoutNs;
        watch = new Thread(this::watch, "peer-watch " + peerName);
        watch.setDaemon(true);
        watch.start();
    }

    /** A wait begins: from here until {@link #end()} the watch bounds it. */
    public void begin()
    {
        step();
    }

    /** The wait has its answer. */
    public void end()
    {
        step();
    }

    /** Odd once a wait has begun, even once it has ended: the watch reads which. */
    private void step()
    {
        WAITS.setRelease(this, waits + 1);
    }

    /**
     * What to throw for an exception of the channel during a wait: the watch's reason when it closed
     * the channel (the peer has gone, or did not answer in time), else the exception itself.
     */
    public RuntimeException failure(final IOException ex)
    {
        final String failure = this.failure;
        return null != failure ? new IllegalStateException(failure, ex) : new UncheckedIOException(ex);
    }

    /** Stops the watch; the channel is the caller's to close. */
    @Override
    public void close() throws InterruptedException
    {
        closed = true;
        LockSupport.unpark(watch);
        watch.join();
    }

    private void watch()
    {
        final long intervalNs = Math.max(TimeUnit.MILLISECONDS.toNanos(1), timeoutNs / 10);
        long watchedWait = 0;
        long sinceNs = 0;
        while (!closed)
        {
            LockSupport.parkNanos(intervalNs);
            final long waits = (long)WAITS.getAcquire(this);
            if ((waits & 1) == 0 || closed)
            {
                continue;
            }

            final long nowNs = System.nanoTime();
            if (waits != watchedWait)
            {
                // A new wait: timed from this look, so it is failed no sooner than its bound.
                watchedWait = waits;
                sinceNs = nowNs;
            }
            final String failure = !peerAlive.getAsBoolean() ? PeerWait.gone(peerName) :
                nowNs - sinceNs > timeoutNs ? PeerWait.noAnswer(peerName, timeoutNs) : null;
            if (null != failure)
            {
                this.failure = failure;
                CloseHelper.quietClose(channel);
                return;
            }
        }
    }
}
