package org.ffafabric;

import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

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
        uninterruptibly(() -> !thread.isAlive(), thread::join);
    }

    /** As {@link #joinUninterruptibly}, for {@code latch} to reach zero: another thread's close to return, say. */
    public static void awaitUninterruptibly(final CountDownLatch latch)
    {
        uninterruptibly(() -> latch.getCount() == 0, latch::await);
    }

    private interface Wait
    {
        void await() throws InterruptedException;
    }

    private static void uninterruptibly(final BooleanSupplier done, final Wait wait)
    {
        boolean interrupted = false;
        while (!done.getAsBoolean())
        {
            try
            {
                wait.await();
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
