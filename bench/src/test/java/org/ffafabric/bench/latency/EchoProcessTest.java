package org.ffafabric.bench.latency;

import org.ffafabric.launch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An echo's child JVM when the echo fails or its parent goes: the failure says why, and no child is left. */
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
            .filter((child) -> ChildJvm.runs(child, FailingEcho.class)).count(), "the failed echo is left running");
    }

    @Test
    @Timeout(60)
    void anEchoStillSettingUpEndsWhenItsParentClosesItsStdin() throws Exception
    {
        // As when the tool is killed while the echo sets up: the echo watched for that only once set up,
        // so a set-up that waits (for a driver whose directory went with the tool, say) outlived the tool.
        final Process child = ChildJvm.processBuilder(ChildJvm.command(
            EchoMain.class, List.of(BlockingEcho.class.getName(), IdleMode.BUSY.label())))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
        try
        {
            child.getOutputStream().close();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the echo did not end");
        }
        finally
        {
            child.destroyForcibly().waitFor();
        }
    }

    /** An echo whose set-up never ends. */
    public static final class BlockingEcho implements EchoSide
    {
        public BlockingEcho()
        {
        }

        @Override
        public void setUp(final EchoContext ctx) throws InterruptedException
        {
            Thread.sleep(Long.MAX_VALUE);
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
