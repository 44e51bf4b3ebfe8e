package org.ffafabric.conformance;

import org.ffafabric.control.NonReapingParent;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/** The test's child processes end with the process that started them, however it ends. */
class ChildProcessTest
{
    /** A child that would run for ever, as a partition process whose test died before killing it. */
    public static final class Forever
    {
        public static void main(final String[] args)
        {
            ChildProcess.haltWithParent();
            System.out.println("READY");
            while (true)
            {
                LockSupport.park();
            }
        }
    }

    @Test
    void aChildWhoseParentIsKilledEndsToo() throws Exception
    {
        try (ChildProcess child = ChildProcess.startUnreaped(Forever.class))
        {
            child.awaitLine("READY", ChildProcess.START_NS);
            final long pid = child.pid();
            try
            {
                assertNotEquals('\0', NonReapingParent.state(pid), "the child runs");
                child.process().destroyForcibly();
                assertTrue(child.process().waitFor(30, TimeUnit.SECONDS), "its parent killed");
                // Ended: reaped by whoever adopted it, or a zombie if that does not reap.
                awaitUntil(System.nanoTime() + WAIT_NS, () ->
                {
                    final char state = NonReapingParent.state(pid);
                    return state == '\0' || state == 'Z';
                }, "the orphaned child ended");
            }
            finally
            {
                // Its parent gone, nothing else would end it if this failed.
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
