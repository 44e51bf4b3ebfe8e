package org.ffafabric;

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
}
