package org.ffafabric;

import java.util.concurrent.CountDownLatch;

/** Waits a close cannot skip. */
public final class Threads
{
    private Threads()
    {
    }

    /**
     * Waits for {@code thread} to end even if the caller is interrupted, and then restores the caller's
     * interrupt. A close must not unmap what a thread still reads because its caller was interrupted
     * (JUnit's timeout, an executor's shutdownNow): Agrona's {@code AgentRunner.close} and
     * {@code Thread.join} both return at once then.
     */
    public static void joinUninterruptibly(final Thread thread)
    {
        boolean interrupted = false;
        while (thread.isAlive())
        {
            try
            {
                thread.join();
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** As {@link #joinUninterruptibly}, for {@code latch} to reach zero: another thread's close to return, say. */
    public static void awaitUninterruptibly(final CountDownLatch latch)
    {
        boolean interrupted = false;
        while (latch.getCount() > 0)
        {
            try
            {
                latch.await();
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
