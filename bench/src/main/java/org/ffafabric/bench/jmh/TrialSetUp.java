package org.ffafabric.bench.jmh;

/**
 * A trial's set-up that fails part way tears down what it made: JMH runs no {@code @TearDown} after a
 * {@code @Setup} that threw, and the fork would exit leaving its files in /dev/shm. Each tear-down
 * closes only what was made, and forgets it, so that running it again (a test's own tear-down) does
 * nothing more.
 */
final class TrialSetUp
{
    /** A step of a trial's life that may throw. */
    interface Step
    {
        void run() throws Exception;
    }

    private TrialSetUp()
    {
    }

    /** Runs {@code setUp}; when it throws, runs {@code tearDown} (its failure added as suppressed) and rethrows. */
    static void run(final Step setUp, final Step tearDown) throws Exception
    {
        try
        {
            setUp.run();
        }
        catch (final Throwable ex)
        {
            try
            {
                tearDown.run();
            }
            catch (final Throwable closeEx)
            {
                ex.addSuppressed(closeEx);
            }
            throw ex;
        }
    }
}
