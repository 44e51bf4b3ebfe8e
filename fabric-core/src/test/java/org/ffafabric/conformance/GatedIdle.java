package org.ffafabric.conformance;

import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.locks.LockSupport;

/**
 * A partition manager's idle strategy for tests: a back-off, but it holds the duty cycle while the gate is
 * shut (through interrupts, such as a runner's close sends), and runs a task given it once, on the duty cycle's
 * own thread.
 */
final class GatedIdle implements IdleStrategy
{
    volatile boolean shut;
    volatile boolean held;
    // The duty cycle's thread, once it has idled.
    volatile Thread thread;
    volatile Runnable task;

    @Override
    public void idle(final int workCount)
    {
        thread = Thread.currentThread();
        final Runnable once = task;
        if (once != null)
        {
            task = null;
            once.run();
        }
        while (shut)
        {
            held = true;
            Thread.interrupted();
            LockSupport.parkNanos(1_000_000);
        }
        held = false;
        if (workCount == 0)
        {
            LockSupport.parkNanos(100_000);
        }
    }

    @Override
    public void idle()
    {
        idle(0);
    }

    @Override
    public void reset()
    {
    }
}
