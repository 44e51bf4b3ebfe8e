package org.ffafabric.bench.latency;

import org.ffafabric.launch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An echo's child JVM when the echo fails, its parent goes, or its close waits on its parent: the failure
 * says why, no child is left, and a close is not cut short.
 */
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

    @Test
    @Timeout(60)
    void anEchoWhoseCloseWaitsOnItsPeerPastTheStopGraceIsNotHalted() throws Exception
    {
        // ffa-direct's echo closes its endpoint once its loop has ended, and that close waits for the
        // partition manager, in the parent: a parent stalled past the grace (a loaded machine) had the
        // echo halted, exit code 3, and the scenario failed. The grace is for a loop that does not end.
        final Path mayClose = Files.createTempFile("ffa-echo-may-close-", "");
        Files.delete(mayClose);
        final Process child = ChildJvm.processBuilder(ChildJvm.command(
            EchoMain.class, List.of(HeldCloseEcho.class.getName(), IdleMode.BUSY.label(), mayClose.toString())))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
        try
        {
            final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII));
            awaitLine(out, EchoMain.READY);
            final OutputStream in = child.getOutputStream();
            in.write((EchoMain.STOP + "\n").getBytes(StandardCharsets.US_ASCII));
            in.flush();
            awaitLine(out, HeldCloseEcho.CLOSING);
            // Its loop ended before its close began: hold the close past the grace from there.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(EchoMain.STOP_GRACE_MS + 2_000));
            Files.createFile(mayClose);
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the echo did not end");
            assertEquals(0, child.exitValue(), "the echo was halted while it closed");
        }
        finally
        {
            child.destroyForcibly().waitFor();
            Files.deleteIfExists(mayClose);
        }
    }

    /** Reads the child's stdout up to {@code expected}, past anything else it says. */
    private static void awaitLine(final BufferedReader out, final String expected) throws IOException
    {
        String line;
        while ((line = out.readLine()) != null && !expected.equals(line))
        {
            // Not what we wait for.
        }
        assertEquals(expected, line, "the echo ended first");
    }

    /**
     * An echo whose close, once it has said so on stdout, waits (up to a minute) for the file its argument
     * names, as ffa-direct's waits for its partition manager to let go of its partition.
     */
    public static final class HeldCloseEcho implements EchoSide
    {
        static final String CLOSING = "closing";
        private Path mayClose;

        public HeldCloseEcho()
        {
        }

        @Override
        public void setUp(final EchoContext ctx)
        {
            mayClose = Path.of(ctx.arg(0));
        }

        @Override
        public int doWork()
        {
            return 0;
        }

        @Override
        public void close() throws InterruptedException
        {
            System.out.println(CLOSING);
            System.out.flush();
            final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (!Files.exists(mayClose) && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
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
