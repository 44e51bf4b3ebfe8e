package org.ffafabric.bench.latency;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launch of an echo's child JVM when the echo fails: the failure says why, and no child is left. */
class EchoProcessTest
{
    @Test
    @Timeout(60)
    void anEchoWhoseSetUpFailsIsReportedAsExitingBeforeItWasReady()
    {
        // The close after the failed launch threw its own "exited with code 1" in place of this.
        final IOException ex = assertThrows(IOException.class, () ->
            EchoProcess.launch(FailingEcho.class, IdleMode.BUSY, List.of(), Duration.ofSeconds(30)));
        assertTrue(ex.getMessage().contains("exited before it was ready"), ex.getMessage());
        assertEquals(0, ProcessHandle.current().children().filter(ProcessHandle::isAlive)
            .filter((child) -> child.info().arguments().map((args) -> List.of(args).contains(FailingEcho.class.getName()))
            .orElse(false)).count(), "the failed echo is left running");
    }

    /** An echo whose set-up always fails. */
    public static final class FailingEcho implements EchoSide
    {
        public FailingEcho()
        {
        }

        @Override
        public void setUp(final EchoContext ctx)
        {
            throw new IllegalStateException("cannot set up");
        }

        @Override
        public int doWork()
        {
            return 0;
        }

        @Override
        public void close()
        {
        }
    }
}
