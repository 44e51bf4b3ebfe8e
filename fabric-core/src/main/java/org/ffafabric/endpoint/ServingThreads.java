package org.ffafabric.endpoint;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.NoOpIdleStrategy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The threads of one {@link Endpoint#serve}: a {@link DirectRequestServer} per execution context, each
 * run by an Agrona {@link AgentRunner} on a daemon thread of its own. Closing it tells every runner to
 * stop, then waits for their threads, bounded; a thread whose handler ignores its interrupt and runs on
 * past that is named in the close's failure and left to end by itself.
 * <p>
 * The endpoint serves (a further serve is refused) from a serve's start until that serve has been
 * closed and every one of its threads has ended: the serve holds the endpoint once, and each thread
 * once until it ends, and whichever lets go last clears the endpoint's serve. So a thread that outlives
 * the close keeps a second serve from putting another thread on its context while it still runs.
 */
final class ServingThreads implements AutoCloseable
{
    /** A thread still running this long into the close's wait is interrupted, as Agrona's runner close does. */
    private static final long INTERRUPT_AFTER_MAX_NS = TimeUnit.MILLISECONDS.toNanos(AgentRunner.RETRY_CLOSE_TIMEOUT_MS);

    // A runner's close fail action: Agrona's close has told the runner to stop by then, and would wait for ever.
    private static final Consumer<Thread> STOP_WITHOUT_WAITING = thread ->
    {
        throw StopWithoutWaiting.INSTANCE;
    };

    private final Endpoint endpoint;
    private final ErrorHandler errorHandler;
    private final AtomicReference<ServingThreads> endpointServe;
    private final long stopTimeoutNs;
    private final DirectRequestServer[] servers;
    private final AgentRunner[] runners;
    private final Thread[] threads;
    // The serve's own hold until it is closed, and each started thread's until it ends.
    private final AtomicInteger holds = new AtomicInteger(1);
    private final AtomicBoolean stopping = new AtomicBoolean();
    // Threads started: each is in threads before this counts it, read by a close on any thread.
    private volatile int started;

    /**
     * @param endpointServe the endpoint's serve, which this takes only if none holds it (see {@link #hold}).
     * @param stopTimeoutNs how long a close waits for the threads past a duty cycle: the client's connect timeout.
     * @param errorHandler told of a handler's failure: the client's.
     */
    ServingThreads(
        final Endpoint endpoint,
        final ExecutionContext[] contexts,
        final DirectRequestHandler handler,
        final AtomicReference<ServingThreads> endpointServe,
        final long stopTimeoutNs,
        final ErrorHandler errorHandler)
    {
        this.endpoint = endpoint;
        this.errorHandler = errorHandler;
        this.endpointServe = endpointServe;
        this.stopTimeoutNs = Math.max(0, stopTimeoutNs);
        servers = new DirectRequestServer[contexts.length];
        runners = new AgentRunner[contexts.length];
        threads = new Thread[contexts.length];
        for (int ec = 0; ec < contexts.length; ec++)
        {
            servers[ec] = new DirectRequestServer(contexts[ec], handler);
        }
    }

    /** Takes the endpoint's serve: null when taken, else the serve that holds it. */
    ServingThreads hold()
    {
        return endpointServe.compareAndExchange(null, this);
    }

    /** Starts a thread per context; a thread that cannot be made stops those that were, and is thrown. */
    void start()
    {
        try
        {
            for (int ec = 0; ec < servers.length; ec++)
            {
                // The context idles inside invoke with its own strategy, so the runner never needs to.
                runners[ec] = new AgentRunner(NoOpIdleStrategy.INSTANCE, this::onServingError, null, servers[ec]);
                holds.incrementAndGet();
                try
                {
                    threads[ec] = AgentRunner.startOnThread(runners[ec], this::newThread);
                }
                catch (final RuntimeException | Error ex)
                {
                    // Never ran: its hold is never let go by it.
                    letGo();
                    runners[ec] = null;
                    throw ex;
                }
                started++;
            }
        }
        catch (final RuntimeException | Error ex)
        {
            closeAfterFailure(ex);
            throw ex;
        }
    }

    /** True once context {@code ec}'s server has waited for requests. */
    boolean hasWaited(final int ec)
    {
        return servers[ec].hasWaited();
    }

    /**
     * Stops the threads of a serve that failed to start, adding a failure to stop them to {@code failure}
     * (a handler that took a request meanwhile and runs on).
     */
    void closeAfterFailure(final Throwable failure)
    {
        try
        {
            stop(false);
        }
        catch (final IllegalStateException notStopped)
        {
            failure.addSuppressed(notStopped);
        }
    }

    private Thread newThread(final Runnable runner)
    {
        final Thread thread = new Thread(() ->
        {
            try
            {
                runner.run();
            }
            finally
            {
                letGo();
            }
        });
        // A handler that never returns must not hold the JVM's exit: a program serves while it waits, as ffa host does.
        thread.setDaemon(true);
        return thread;
    }

    private void letGo()
    {
        if (holds.decrementAndGet() == 0)
        {
            endpointServe.compareAndSet(this, null);
        }
    }

    /**
     * Tells every thread to stop, and waits for them: each ends at the end of the request it serves or
     * of its duty cycle's wait, and leaves FFA_MSG_WAIT. The wait is bounded by the client's connect
     * timeout past a duty cycle; a thread still running halfway through (5 s at most) is interrupted.
     * A thread still running after that (a handler that ignores the interrupt) is left to end by itself,
     * and the close throws {@link IllegalStateException} naming its contexts. A close from a handler of
     * this endpoint returns at once: its own thread cannot end until it has returned. Every close waits
     * so, the first or not; an interrupt of the closing thread does not cut the wait short, and is kept.
     */
    public void close()
    {
        stop(true);
    }

    /** The close, of the serve's result ({@code handed}) or of a serve that failed to start. */
    private void stop(final boolean handed)
    {
        if (stopping.compareAndSet(false, true))
        {
            for (int ec = 0; ec < started; ec++)
            {
                try
                {
                    // Sets the runner stopping, then waits a millisecond for its thread before the fail action throws.
                    runners[ec].close(1, STOP_WITHOUT_WAITING);
                }
                catch (final StopWithoutWaiting ignore)
                {
                    // Told to stop: the wait for every thread follows.
                }
            }
            letGo();
        }
        if (endpoint.isServedByCurrentThread())
        {
            return;
        }
        // Agrona's close keeps an interrupt it caught: the caller's, kept for it till the end.
        boolean interrupted = Thread.interrupted();
        final long startNs = System.nanoTime();
        final long limitNs = DirectRequestServer.DUTY_CYCLE_TIMEOUT_NS + Math.min(stopTimeoutNs, Long.MAX_VALUE / 2);
        final long interruptNs = DirectRequestServer.DUTY_CYCLE_TIMEOUT_NS + Math.min(INTERRUPT_AFTER_MAX_NS, stopTimeoutNs / 2);
        boolean interruptsSent = false;
        Thread running;
        while ((running = firstRunning()) != null)
        {
            final long elapsedNs = System.nanoTime() - startNs;
            if (elapsedNs >= limitNs)
            {
                break;
            }
            if (!interruptsSent && elapsedNs >= interruptNs)
            {
                interruptRunning();
                interruptsSent = true;
            }
            try
            {
                TimeUnit.NANOSECONDS.timedJoin(running, (interruptsSent ? limitNs : interruptNs) - elapsedNs);
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
        if (running != null)
        {
            throw new IllegalStateException("the serve of " + endpoint.name() + " did not stop within " +
                TimeUnit.NANOSECONDS.toMillis(limitNs) + " ms: " + describeRunning() + (interruptsSent ? ", though interrupted. " : ". ") +
                (runningCount() > 1 ? "Each thread runs" : "The thread runs") + " on, a daemon, and ends once its " +
                "handler returns; until then a request to its context is BUSY, and " + endpoint.name() +
                " stays serving: a serve is refused" + (handed ? ", and a close of this one waits again" : ""));
        }
    }

    /** Why a serve is refused while this one holds the endpoint. */
    String refusal()
    {
        if (!stopping.get())
        {
            return "endpoint " + endpoint.name() + " is already serving: close that serve first";
        }
        final int running = runningCount();
        return "endpoint " + endpoint.name() + " is still serving: its last serve was closed, but " + (running == 0 ?
            "its threads are ending; serve again once they have" :
            describeRunning() + "; serve again once " + (running > 1 ? "they have" : "it has"));
    }

    private Thread firstRunning()
    {
        for (int ec = 0; ec < started; ec++)
        {
            if (threads[ec].isAlive())
            {
                return threads[ec];
            }
        }
        return null;
    }

    private int runningCount()
    {
        int running = 0;
        for (int ec = 0; ec < started; ec++)
        {
            running += threads[ec].isAlive() ? 1 : 0;
        }
        return running;
    }

    private void interruptRunning()
    {
        for (int ec = 0; ec < started; ec++)
        {
            if (threads[ec].isAlive())
            {
                threads[ec].interrupt();
            }
        }
    }

    /** "the handler of execution context 0 (thread ...) has not returned", naming every context still running. */
    private String describeRunning()
    {
        final StringBuilder sb = new StringBuilder();
        int running = 0;
        for (int ec = 0; ec < started; ec++)
        {
            if (threads[ec].isAlive())
            {
                sb.append(running++ == 0 ? "" : ", ").append("execution context ").append(ec)
                    .append(" (thread ").append(threads[ec].getName()).append(')');
            }
        }
        return (running > 1 ? "the handlers of " : "the handler of ") + sb + (running > 1 ? " have" : " has") +
            " not returned";
    }

    private void onServingError(final Throwable ex)
    {
        if (!(ex instanceof AgentTerminationException))
        {
            // A handler's failure: its requester got ABORTED; the context serves on.
            errorHandler.onError(ex);
        }
    }

    /** Ends Agrona's close of a runner once it has told it to stop: thrown and caught here alone, so it has no stack. */
    private static final class StopWithoutWaiting extends RuntimeException
    {
        private static final long serialVersionUID = 1L;
        static final StopWithoutWaiting INSTANCE = new StopWithoutWaiting();

        private StopWithoutWaiting()
        {
            super("stop without waiting", null, false, false);
        }
    }
}
