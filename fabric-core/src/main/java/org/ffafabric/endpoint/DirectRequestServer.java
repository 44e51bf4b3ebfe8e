package org.ffafabric.endpoint;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.ffafabric.abi.RegisterFile;

import java.util.concurrent.TimeUnit;

/**
 * Serves direct requests on one execution context as an Agrona {@link Agent}: each duty cycle is
 * one {@link ExecutionContext#serveDirectRequestWithin}, so every request is answered in place, inside
 * the context's receive. A duty cycle ends when a wait runs past {@code dutyCycleTimeoutNs}, so
 * the runner can stop it; the context stays WAITING across that, so no request is ever answered
 * BUSY because the agent looked up. FFA_RUN from a scheduler is given back by the next wait. Once
 * the endpoint has closed, the agent ends itself with {@link AgentTerminationException}.
 */
public final class DirectRequestServer implements Agent
{
    private static final long DUTY_CYCLE_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ExecutionContext ec;
    private final DirectRequestHandler handler;
    private final long dutyCycleTimeoutNs;
    // What ended a wait that served nothing: FFA_RUN, FFA_ERROR, or nothing (cleared) at the duty cycle's end.
    private final RegisterFile other = new RegisterFile();
    private long served;

    public DirectRequestServer(final ExecutionContext ec, final DirectRequestHandler handler)
    {
        this(ec, handler, DUTY_CYCLE_TIMEOUT_NS);
    }

    public DirectRequestServer(final ExecutionContext ec, final DirectRequestHandler handler, final long dutyCycleTimeoutNs)
    {
        this.ec = ec;
        this.handler = handler;
        this.dutyCycleTimeoutNs = dutyCycleTimeoutNs;
    }

    public String roleName()
    {
        return "ffa-direct-server-" + Integer.toHexString(ec.partitionId()) + "-" + ec.index();
    }

    /** Requests answered so far. */
    public long served()
    {
        return served;
    }

    public int doWork()
    {
        if (ec.serveDirectRequestWithin(handler, other, dutyCycleTimeoutNs))
        {
            served++;
            return 1;
        }
        if (ec.endpoint().isClosed())
        {
            throw new AgentTerminationException("endpoint " + ec.endpoint().name() + " closed");
        }
        return 0;
    }
}
