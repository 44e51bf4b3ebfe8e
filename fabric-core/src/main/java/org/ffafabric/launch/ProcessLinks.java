package org.ffafabric.launch;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;

/** Ties a child process's life to its parent's: the child ends when its standard input closes. */
final class ProcessLinks
{
    private ProcessLinks()
    {
    }

    /** Counts {@code stop} down, from a daemon thread, once standard input ends. */
    static void countDownAtStdinEof(final CountDownLatch stop, final String threadName)
    {
        final Thread stdin = new Thread(() ->
        {
            awaitStdinEof();
            stop.countDown();
        }, threadName);
        stdin.setDaemon(true);
        stdin.start();
    }

    static void awaitStdinEof()
    {
        final InputStream in = System.in;
        try
        {
            while (in.read() >= 0)
            {
                // Drain: only end-of-file matters.
            }
        }
        catch (final IOException ignore)
        {
            // A broken pipe means the parent is gone, same as end-of-file.
        }
    }
}
