package org.ffafabric.bench.fabric;

import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaUuid;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.bench.latency.PeerWait;
import org.ffafabric.bench.latency.ScenarioContext;
import org.ffafabric.endpoint.ExecutionContext;

import java.util.UUID;

/**
 * The raw request of the {@code ffa-direct} measurements and the check of the echo's answer.
 * Each request writes the registers its call defines, as the baselines write their eight words:
 * x0..x7 for DIRECT_REQ_64 (x8..x17 are not part of it and never sent), x0..x17 for REQ2 to the
 * responder's service UUID. Payload word r is the sequence + r; the echo adds one to each. The
 * answer is checked as the baselines check theirs: its function ID, and its first and last payload
 * word, so that neither a stale answer nor a message cut short passes. Each call is bounded as the
 * baselines' waits are: a responder that has gone ends it ABORTED, and one that is alive but stuck
 * (stopped by SIGSTOP, say) fails it once the bound runs out.
 */
public final class EchoRequest
{
    private static final String RESPONDER = "responder " + EndpointId.toString(FfaScenarios.RESPONDER_ID);

    private final RegisterFile regs = new RegisterFile();
    private final boolean req2;
    private final long timeoutNs;
    private final long serviceLo;
    private final long serviceHi;
    private long sequence;

    /** Requests whose calls wait {@link PeerWait#DEFAULT_TIMEOUT_NS} at most. */
    public EchoRequest(final boolean req2)
    {
        this(req2, PeerWait.DEFAULT_TIMEOUT_NS);
    }

    /** Requests whose calls wait {@code timeoutNs} at most for the answer. */
    public EchoRequest(final boolean req2, final long timeoutNs)
    {
        this.req2 = req2;
        this.timeoutNs = timeoutNs;
        final UUID service = UUID.fromString(FfaScenarios.RESPONDER_UUID);
        serviceLo = FfaUuid.lo(service.getMostSignificantBits());
        serviceHi = FfaUuid.hi(service.getLeastSignificantBits());
    }

    /** One request through the raw {@code invoke}; returns the answer's first payload word. */
    public long roundTrip(final ExecutionContext ec)
    {
        fill(++sequence);
        ec.invoke(regs, timeoutNs);
        return check();
    }

    /**
     * Sends until the responder stops answering BUSY, which it does until it first waits in
     * FFA_MSG_WAIT, then checks the answer.
     */
    public void awaitResponder(final ExecutionContext ec)
    {
        final long deadline = System.nanoTime() + ScenarioContext.DEFAULT_READY_TIMEOUT.toNanos();
        while (true)
        {
            fill(++sequence);
            ec.invoke(regs, timeoutNs);
            if (!regs.isError() || regs.errorCode() != ErrorCode.BUSY)
            {
                check();
                return;
            }
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("responder never started waiting for requests");
            }
            Thread.yield();
        }
    }

    private void fill(final long sequence)
    {
        regs.w(1, RegisterFile.packIds(FfaScenarios.REQUESTER_ID, FfaScenarios.RESPONDER_ID));
        if (req2)
        {
            regs.w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ2).x(2, serviceLo).x(3, serviceHi);
            for (int r = 4; r < RegisterFile.REGISTER_COUNT; r++)
            {
                regs.x(r, sequence + r);
            }
        }
        else
        {
            regs.w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).x(2, 0);
            for (int r = 3; r < RegisterFile.SMC32_REGISTER_COUNT; r++)
            {
                regs.x(r, sequence + r);
            }
        }
    }

    private long check()
    {
        final int first = req2 ? 4 : 3;
        final int last = (req2 ? RegisterFile.REGISTER_COUNT : RegisterFile.SMC32_REGISTER_COUNT) - 1;
        if (regs.functionId() != (req2 ? FunctionId.FFA_MSG_SEND_DIRECT_RESP2 : FunctionId.FFA_MSG_SEND_DIRECT_RESP_64) ||
            regs.x(first) != sequence + first + 1 || regs.x(last) != sequence + last + 1)
        {
            // FFA_INTERRUPT: the bound ran out, as when an interrupt takes the CPU back (the request is left pending).
            throw new IllegalStateException(regs.functionId() == FunctionId.FFA_INTERRUPT ?
                PeerWait.noAnswer(RESPONDER, timeoutNs) : "unexpected response " + regs);
        }
        return regs.x(first);
    }
}
