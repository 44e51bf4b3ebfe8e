package org.ffafabric.bench.latency;

import org.agrona.concurrent.IdleStrategy;

import java.util.function.BooleanSupplier;

/**
 * Runs an {@link EchoSide} on a thread of this JVM: JMH's echo, and in-process scenarios.
 * The same loop runs in the child process of cross-process scenarios ({@link EchoMain}).
 */
public final class EchoRunner implements AutoCloseable
{
    private final EchoSide echo;
    private final IdleStrategy idleStrategy;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;

    private EchoRunner(final EchoSide echo, final IdleStrategy idleStrategy, final String name)
    {
        this.echo = echo;
        this.idleStrategy = idleStrategy;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Sets the echo up on the calling thread, then starts its loop on a new daemon thread.
     *
     * @param echo the echo side, not yet set up.
     * @param ctx  its arguments and idle strategy.
     * @param name the thread's name.
     * @return the running echo; close it to stop the thread and close the echo.
     * @throws Exception when the set-up fails; the echo is closed.
     */
    public static EchoRunner start(final EchoSide echo, final EchoContext ctx, final String name) throws Exception
    {
        try
        {
            echo.setUp(ctx);
        }
        catch (final Exception ex)
        {
            echo.close();
            throw ex;
        }

        return new EchoRunner(echo, ctx.idleStrategy(), name);
    }

    /**
     * The echo loop: {@code doWork} with the idle strategy between empty calls, until told to
     * stop or the peer has gone.
     *
     * @param echo         the echo side, set up.
     * @param idleStrategy idles between calls that did nothing.
     * @param running      read once per call: false ends the loop.
     * @throws Exception from the echo.
     */
    public static void loop(final EchoSide echo, final IdleStrategy idleStrategy, final BooleanSupplier running)
        throws Exception
    {
        while (running.getAsBoolean())
        {
            final int workCount = echo.doWork();
            if (workCount < 0)
            {
                break;
            }
            idleStrategy.idle(workCount);
        }
    }

    /** Whether the loop is still running; false once it ended, by close or by failure. */
    public boolean isAlive()
    {
        return thread.isAlive();
    }

    /** Why the loop ended early, or null. */
    public Throwable failure()
    {
        return failure;
    }

    private void run()
    {
        try
        {
            loop(echo, idleStrategy, () -> running);
        }
        catch (final Throwable ex)
        {
            failure = ex;
        }
    }

    /**
     * Stops the loop, waits for the thread, closes the echo. An echo blocked in a read ends
     * when its peer closes, so close the peer's side first for blocking transports.
     */
    @Override
    public void close() throws Exception
    {
        running = false;
        thread.join(EchoMain.STOP_GRACE_MS);
        echo.close();
        if (thread.isAlive())
        {
            throw new IllegalStateException(thread.getName() + " did not stop");
        }
    }
}
