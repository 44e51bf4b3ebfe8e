package org.ffafabric.endpoint;

import org.agrona.concurrent.Agent;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;

import java.util.concurrent.TimeUnit;

/**
 * Serves direct requests on one execution context as an Agrona {@link Agent}: FFA_MSG_WAIT,
 * hand each request to the handler, answer with DIRECT_RESP (which returns the next request).
 * A duty cycle ends when a wait runs past {@code dutyCycleTimeoutNs}, so the runner can stop it.
 */
public final class DirectRequestServer implements Agent
{
    private static final long DUTY_CYCLE_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ExecutionContext ec;
    private final DirectRequestHandler handler;
    private final long dutyCycleTimeoutNs;
    // The request and the response under construction swap roles every exchange: the response's
    // registers receive the next request, so nothing is copied.
    private DirectMessage request = new DirectMessage();
    private DirectMessage response = new DirectMessage();
    private boolean responding;
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
        final DirectMessage next = responding ? response : request;
        if (!responding)
        {
            next.registers().clear().w(0, FunctionId.FFA_MSG_WAIT);
        }
        // DIRECT_RESP and FFA_MSG_WAIT both return the next message in the same registers.
        ec.invoke(next.registers(), dutyCycleTimeoutNs);
        responding = false;
        if (next != request)
        {
            response = request;
            request = next;
        }
        final RegisterFile in = request.registers();
        final int requestId = in.functionId();
        switch (requestId)
        {
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_32:
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_64:
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ2:
                final int ids = in.w(1);
                final int flags = in.w(2);
                final RegisterFile out = response.registers().clear();
                out.w(0, responseFor(requestId))
                    .w(1, RegisterFile.packIds(RegisterFile.receiverOf(ids), RegisterFile.senderOf(ids)));
                if (requestId != FunctionId.FFA_MSG_SEND_DIRECT_REQ2 && RegisterFile.isFrameworkMessage(flags))
                {
                    // Framework requests take the matching framework response type (request + 1).
                    out.w(2, RegisterFile.frameworkMessageFlags(RegisterFile.frameworkMessageType(flags) + 1));
                }
                handler.onDirectRequest(request, response);
                responding = true;
                served++;
                return 1;
            default:
                // FFA_INTERRUPT (our own duty-cycle timeout), FFA_RUN, or an error: wait again.
                return 0;
        }
    }

    private static int responseFor(final int requestId)
    {
        switch (requestId)
        {
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_32: return FunctionId.FFA_MSG_SEND_DIRECT_RESP_32;
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ2: return FunctionId.FFA_MSG_SEND_DIRECT_RESP2;
            default: return FunctionId.FFA_MSG_SEND_DIRECT_RESP_64;
        }
    }

    /** A response not yet sent when the runner stops is answered so its requester is not left blocked. */
    public void onClose()
    {
        if (responding)
        {
            ec.invoke(response.registers(), 1);
            responding = false;
        }
    }
}
