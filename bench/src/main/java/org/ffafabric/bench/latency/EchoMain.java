package org.ffafabric.bench.latency;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Main of the child process that runs a scenario's {@link EchoSide}.
 * <p>
 * Command line: {@code EchoMain <echo class> <busy|backoff> [echo args...]}. The protocol with the
 * parent is two lines: the child prints {@link #READY} on stdout once the echo is set up; the
 * parent writes {@link #STOP} on stdin (or closes it) to end the child. The child also ends when
 * its parent process exits, so a killed tool never leaves an echo spinning on a core.
 */
public final class EchoMain
{
    /** Printed on stdout when the echo side is set up. */
    public static final String READY = "ffa-echo-ready";

    /** Written by the parent on the child's stdin to end it. */
    public static final String STOP = "stop";

    /** How long the child waits for its loop to end after a stop before it halts. */
    static final long STOP_GRACE_MS = 3_000;

    private static volatile boolean running = true;
    // The grace is the loop's: the echo's close that follows may wait on the parent (ffa-direct's, for its
    // partition manager), stalled on a loaded machine, and is bounded by its own timeouts.
    private static final CountDownLatch LOOP_ENDED = new CountDownLatch(1);

    private EchoMain()
    {
    }

    public static void main(final String[] args)
    {
        if (args.length < 2)
        {
            System.err.println("usage: EchoMain <echo class> <busy|backoff> [args...]");
            System.exit(2);
        }

        final Thread loopThread = Thread.currentThread();
        // Watched from the start: a set-up that waits (for a driver whose directory went with a killed
        // parent, say) is then halted after the grace period rather than left to its own timeouts or none.
        watchParent(loopThread);
        try (EchoSide echo = newEcho(args[0]))
        {
            final EchoContext ctx = new EchoContext(List.of(Arrays.copyOfRange(args, 2, args.length)), IdleMode.parse(args[1]));
            echo.setUp(ctx);

            System.out.println(READY);
            System.out.flush();

            try
            {
                EchoRunner.loop(echo, ctx.idleStrategy(), () -> running);
            }
            finally
            {
                LOOP_ENDED.countDown();
            }
        }
        catch (final Throwable ex)
        {
            System.err.println("echo " + args[0] + " failed: " + ex);
            ex.printStackTrace(System.err);
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }

        System.exit(0);
    }

    private static EchoSide newEcho(final String className) throws ReflectiveOperationException
    {
        return Class.forName(className).asSubclass(EchoSide.class).getDeclaredConstructor().newInstance();
    }

    private static void watchParent(final Thread loopThread)
    {
        ProcessHandle.current().parent().ifPresent((parent) -> parent.onExit().thenRun(() -> stop(loopThread)));

        final Thread stdinWatcher = new Thread(
            () ->
            {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII)))
                {
                    String line;
                    while ((line = in.readLine()) != null && !STOP.equals(line.trim()))
                    {
                        // Anything else on stdin is ignored.
                    }
                }
                catch (final Exception ignore)
                {
                    // A broken stdin means the parent has gone: stop as for EOF.
                }
                stop(loopThread);
            },
            "echo-stdin-watcher");
        stdinWatcher.setDaemon(true);
        stdinWatcher.start();
    }

    private static void stop(final Thread loopThread)
    {
        running = false;

        // An echo blocked in a read (a socket whose peer is still open) would never see the flag:
        // give it a grace period, then halt. The parent owns every file, so halting leaks nothing.
        boolean ended = false;
        try
        {
            ended = LOOP_ENDED.await(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ignore)
        {
            Thread.currentThread().interrupt();
        }

        if (!ended && loopThread.isAlive())
        {
            System.err.println("echo did not stop within " + STOP_GRACE_MS + " ms, halting");
            Runtime.getRuntime().halt(3);
        }
    }
}
