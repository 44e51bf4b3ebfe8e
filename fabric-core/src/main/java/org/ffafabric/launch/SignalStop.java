package org.ffafabric.launch;

import org.agrona.concurrent.ShutdownSignalBarrier;

import java.util.concurrent.CountDownLatch;

/**
 * SIGINT and SIGTERM (and SIGHUP) as a stop asked for. The JVM's shutdown such a signal begins counts
 * {@code stop} down and then waits, in its hook, while the process closes what it holds; once closed,
 * {@link #endIfSignalled} ends the JVM with the process's own status. Left to itself the JVM would end
 * with 128 + the signal's number (130, 143), which a script reads as a failure after a clean stop.
 * <p>
 * The end is a halt, as the shutdown already under way cannot be given another status: it cuts short
 * any other shutdown hook, and a manager or a host process registers none (nor deleteOnExit files). A
 * shutdown begun by {@code System.exit} meanwhile would be taken for a signal: nothing in them calls it.
 */
final class SignalStop implements AutoCloseable
{
    private final ShutdownSignalBarrier barrier;
    // Our own close signals the barrier too: only a signal before it is the shutdown's.
    private volatile boolean closing;
    private volatile boolean signalled;

    SignalStop(final CountDownLatch stop)
    {
        barrier = new ShutdownSignalBarrier(() ->
        {
            signalled = !closing;
            stop.countDown();
        });
    }

    /**
     * Ends the JVM with {@code status} if a signal asked for the stop, once everything is closed: the
     * shutdown under way would end it with the signal's status. Returns otherwise.
     */
    void endIfSignalled(final int status)
    {
        if (signalled)
        {
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(status);
        }
    }

    /** Lets the JVM's shutdown, when one is under way, go on. */
    public void close()
    {
        closing = true;
        barrier.close();
    }
}
