package org.ffafabric.launch;

import org.agrona.concurrent.ShutdownSignalBarrier;

import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * What stops a partition manager or partition host process: SIGINT, SIGTERM (and SIGHUP); or, where a
 * parent runs it with {@code --exit-on-stdin-eof}, the end of its standard input instead (so that the
 * parent's death ends it); or its own end ({@link #stop}).
 * <p>
 * A signal's shutdown counts the stop down and then waits, in its hook, while the process closes what it
 * holds; once closed, {@link #exit} ends the JVM with the process's own status. Left to itself the JVM
 * would end with 128 + the signal's number (130, 143), which a script reads as a failure after a clean
 * stop. The end is a halt, as the shutdown already under way cannot be given another status: it cuts
 * short any other shutdown hook, and a manager or a host process registers none (nor deleteOnExit
 * files). A shutdown begun by {@code System.exit} meanwhile would be taken for a signal: nothing in them
 * calls it.
 */
final class ProcessStop implements AutoCloseable
{
    private final CountDownLatch stop = new CountDownLatch(1);
    private final String stdinThreadName;
    // Null when the end of standard input stops the process instead.
    private final ShutdownSignalBarrier barrier;
    // Our own close signals the barrier too: only a signal before it is the shutdown's.
    private volatile boolean closing;
    private volatile boolean signalled;

    /**
     * @param atStdinEof      stopped by the end of standard input, not by signals.
     * @param stdinThreadName the name of the thread that waits for that end.
     */
    ProcessStop(final boolean atStdinEof, final String stdinThreadName)
    {
        this.stdinThreadName = stdinThreadName;
        barrier = atStdinEof ? null : new ShutdownSignalBarrier(() ->
        {
            signalled = !closing;
            stop.countDown();
        });
    }

    /** The process's own end: the fabric it runs, or the one it serves, has gone. */
    void stop()
    {
        stop.countDown();
    }

    /**
     * Prints {@code lines}, the last of them READY, unless told to stop meanwhile: whoever waits for READY
     * would find the process gone.
     */
    void ready(final List<String> lines)
    {
        if (stop.getCount() > 0)
        {
            lines.forEach(System.out::println);
            System.out.flush();
        }
    }

    /** Waits to be stopped; the end of standard input counts from here, after READY. */
    void await() throws InterruptedException
    {
        if (barrier == null)
        {
            ProcessLinks.countDownAtStdinEof(stop, stdinThreadName);
        }
        stop.await();
    }

    /**
     * Once everything is closed, ends the JVM with {@code status} if a signal asked for the stop (the
     * shutdown under way would end it with the signal's status); else returns {@code status}.
     */
    int exit(final int status)
    {
        if (signalled)
        {
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(status);
        }
        return status;
    }

    /** Lets the JVM's shutdown, when one is under way, go on. */
    public void close()
    {
        if (barrier != null)
        {
            closing = true;
            barrier.close();
        }
    }
}
