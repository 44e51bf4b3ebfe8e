package org.ffafabric.endpoint;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.LangUtil;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Serves direct requests on one execution context as an Agrona {@link Agent}: each duty cycle is
 * one {@link ExecutionContext#serveDirectRequestWithin}, so every request is answered in place, inside
 * the context's receive. A duty cycle ends when a wait runs past {@code dutyCycleTimeoutNs}, so
 * the runner can stop it; the context stays WAITING across that, so no request is ever answered
 * BUSY because the agent looked up. FFA_RUN from a scheduler is given back by the next wait. Once
 * the endpoint has closed, the agent ends itself with {@link AgentTerminationException}. When the agent
 * closes, the context leaves FFA_MSG_WAIT as a bounded wait does (FFA_INTERRUPT), serving any request
 * that took it first: from then on a request to it is BUSY, as before serving began, rather than taken
 * in with nobody to answer it.
 */
public final class DirectRequestServer implements Agent
{
    /** How long a duty cycle waits for a request by default: how long a runner may take to see it should stop. */
    static final long DUTY_CYCLE_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final VarHandle SERVED;
    private static final long REFUSED_PAUSE_NS = TimeUnit.MICROSECONDS.toNanos(100);
    // The bound of a wait at close, for a message that took the context first: out at its second look at the clock.
    private static final long LEAVE_TIMEOUT_NS = 1;

    private final ExecutionContext ec;
    private final DirectRequestHandler handler;
    private final long dutyCycleTimeoutNs;
    // What ended a wait that served nothing: FFA_RUN, FFA_ERROR, or nothing (cleared) at the duty cycle's end.
    private final RegisterFile other = new RegisterFile();
    // Read from any thread; written by the serving thread alone, with a release store (no fence per request).
    private volatile long served;
    private volatile boolean waited;

    static
    {
        try
        {
            SERVED = MethodHandles.lookup().findVarHandle(DirectRequestServer.class, "served", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    public DirectRequestServer(final ExecutionContext ec, final DirectRequestHandler handler)
    {
        this(ec, handler, DUTY_CYCLE_TIMEOUT_NS);
    }

    /**
     * As {@link #DirectRequestServer(ExecutionContext, DirectRequestHandler)}, a duty cycle waiting at most
     * {@code dutyCycleTimeoutNs}, which must be positive: a wait bounded by 0 never ends, nor would the agent.
     */
    public DirectRequestServer(final ExecutionContext ec, final DirectRequestHandler handler, final long dutyCycleTimeoutNs)
    {
        if (dutyCycleTimeoutNs <= 0)
        {
            throw new IllegalArgumentException("a duty cycle bounded by " + dutyCycleTimeoutNs +
                " ns would wait for ever, and its runner could not stop it: give a positive bound");
        }
        this.ec = ec;
        this.handler = handler;
        this.dutyCycleTimeoutNs = dutyCycleTimeoutNs;
    }

    public String roleName()
    {
        return "ffa-direct-server-" + Integer.toHexString(ec.partitionId()) + "-" + ec.index();
    }

    /** Requests answered so far; read from any thread. */
    public long served()
    {
        return served;
    }

    /** True once a duty cycle has waited for requests: the context takes them from then on. */
    public boolean hasWaited()
    {
        return waited;
    }

    public int doWork()
    {
        final boolean answered;
        try
        {
            answered = ec.serveDirectRequestWithin(handler, other, dutyCycleTimeoutNs);
        }
        catch (final Error ex)
        {
            // A handler's Error (a failed assertion, say) has aborted its request, as an exception does. Agrona's
            // runner ends its thread on an Error, which would leave the context waiting with no one serving it:
            // it is reported as an exception is, and the context serves on.
            throw new HandlerFailure(roleName(), ex);
        }
        if (answered)
        {
            SERVED.setRelease(this, served + 1);
            markWaited();
            return 1;
        }
        if (ec.endpoint().isClosed())
        {
            throw new AgentTerminationException("endpoint " + ec.endpoint().name() + " closed");
        }
        if (other.isError() && (other.errorCode() == ErrorCode.BUSY || other.errorCode() == ErrorCode.DENIED))
        {
            // Another thread is inside a call on this context, used by one thread at a time (BUSY), or has taken
            // a request on it and not yet answered (DENIED: no FFA_MSG_WAIT while serving): it has not waited.
            // The runner does not idle (a context idles inside its calls), so pause here, or spin a core away
            // from the thread we wait for, and take the context from under it between its calls.
            LockSupport.parkNanos(REFUSED_PAUSE_NS);
            return 0;
        }
        if (other.isError() && other.errorCode() == ErrorCode.ABORTED)
        {
            // Open, yet refused the wait with ABORTED: its partition's initialisation failed, and it never waits again.
            throw new AgentTerminationException(abortedMessage(ec));
        }
        markWaited();
        return 0;
    }

    /**
     * Leaves FFA_MSG_WAIT at once, with the context RUNNING as after FFA_INTERRUPT. A request (or a
     * scheduler's FFA_RUN) that took the context first is served (or given back by the wait) before it
     * tries again: each try comes straight after an answer, before its requester can ask again, so a
     * requester sending all along does not keep the context serving. On a closed endpoint nothing moves.
     */
    public void onClose()
    {
        Throwable failure = null;
        other.clear();
        while (other.functionId() == FunctionId.FFA_RUN || !ec.leaveWait())
        {
            other.clear();
            try
            {
                ec.serveDirectRequest(handler, other, LEAVE_TIMEOUT_NS);
            }
            catch (final Throwable ex)
            {
                // The handler failed on a request that took the context as it left: its requester has ABORTED.
                failure = failure == null ? ex : failure;
            }
        }
        if (failure != null)
        {
            LangUtil.rethrowUnchecked(failure);
        }
    }

    /** What serving a context of a partition whose initialisation failed is told. */
    static String abortedMessage(final ExecutionContext ec)
    {
        return "execution context " + ec.index() + " of " + ec.endpoint().name() +
            " is ABORTED (an initialisation of its partition failed with FFA_ERROR): it serves no requests";
    }

    private void markWaited()
    {
        // Stored once: after that the duty cycle only reads it, a plain load.
        if (!waited)
        {
            waited = true;
        }
    }

    /** A handler's Error, carried as an exception so that its serving thread goes on. */
    static final class HandlerFailure extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        HandlerFailure(final String roleName, final Error cause)
        {
            super("the handler of " + roleName + " threw " + cause, cause);
        }
    }
}
