package org.ffafabric.bench.jmh;

import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.bench.fabric.FfaScenarios;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FfaOps;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;


/**
 * Round trip of FFA_MSG_SEND_DIRECT_REQ_64 to the echo secure partition and its
 * FFA_MSG_SEND_DIRECT_RESP_64 (payload x3..x7, each word + 1), the JMH version of the latency
 * tool's {@code ffa-direct-*} scenarios.
 * <ul>
 *   <li>{@code transport=inproc}: the responder's {@code DirectRequestServer} on a daemon thread of
 *   the fork; {@code xproc}: in a child JVM, as {@code FfaDirectScenario} launches it.</li>
 *   <li>{@code api=invoke}: the raw call, a reused {@link RegisterFile} and
 *   {@link ExecutionContext#invoke}; {@code typed}: {@link FfaOps#sendDirect} with a reused
 *   {@link DirectMessage}.</li>
 * </ul>
 * Both sides busy-spin (the JMH thread in {@code invoke}, the responder in FFA_MSG_WAIT), so this
 * needs two free cores; the partition manager is off the path and keeps its back-off idle.
 * Each operation writes x0..x7, the registers DIRECT_REQ_64 defines, as a caller would.
 */
@State(Scope.Benchmark)
public class FfaDirectBenchmark extends DirectEchoState
{
    @Param({"inproc", "xproc"})
    public String transport;

    @Param({"invoke", "typed"})
    public String api;

    static final int PAYLOAD_WORDS = DirectMessage.PAYLOAD_WORDS;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        TrialSetUp.run(() ->
        {
            launch(transport, api, this::fillRaw);
            check(regs);
        }, this::tearDown);
    }

    @Benchmark
    public long roundTrip()
    {
        if (typed)
        {
            final DirectMessage m = nextTypedRequest(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, PAYLOAD_WORDS);
            ops.sendDirect(FfaScenarios.RESPONDER_ID, m);
        }
        else
        {
            fillRaw(regs);
            ec.invoke(regs);
        }
        return check(regs);
    }

    /** The raw request: x0 function, w1 sender/receiver, w2 flags 0, x3..x7 the payload. */
    private void fillRaw(final RegisterFile r)
    {
        final long s = ++sequence;
        r.w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64)
            .w(1, RegisterFile.packIds(FfaScenarios.REQUESTER_ID, FfaScenarios.RESPONDER_ID))
            .x(2, 0);
        for (int i = 0; i < PAYLOAD_WORDS; i++)
        {
            r.x(3 + i, s + i);
        }
    }

    /** The response must be DIRECT_RESP_64 with the first and last payload words echoed + 1. */
    private long check(final RegisterFile r)
    {
        final long s = sequence;
        if (r.functionId() != FunctionId.FFA_MSG_SEND_DIRECT_RESP_64 ||
            r.x(3) != s + 1 || r.x(3 + PAYLOAD_WORDS - 1) != s + PAYLOAD_WORDS)
        {
            throw new IllegalStateException("unexpected response " + r);
        }
        return r.x(3);
    }
}
