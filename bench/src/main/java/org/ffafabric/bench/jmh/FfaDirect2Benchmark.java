package org.ffafabric.bench.jmh;

import org.ffafabric.abi.FfaUuid;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.bench.fabric.FfaScenarios;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.FfaOps;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.UUID;

/**
 * Round trip of FFA_MSG_SEND_DIRECT_REQ2 (v1.2) to the echo secure partition's service UUID in
 * x2/x3, with the full fourteen-word payload x4..x17, and its FFA_MSG_SEND_DIRECT_RESP2 (each
 * word + 1): 144-byte frames each way instead of DIRECT_REQ_64's 64, plus the UUID lookup on the
 * target. Same set-up as {@link FfaDirectBenchmark}: {@code transport} inproc (responder thread in
 * the fork) or xproc (child JVM), {@code api} invoke (raw registers) or typed
 * ({@link FfaOps#sendDirect2} with a reused {@link DirectMessage} and UUID); everything busy-spins.
 */
@State(Scope.Benchmark)
public class FfaDirect2Benchmark extends DirectEchoState
{
    @Param({"inproc", "xproc"})
    public String transport;

    @Param({"invoke", "typed"})
    public String api;

    static final int PAYLOAD_WORDS = DirectMessage.PAYLOAD2_WORDS;
    static final int FIRST = 4;
    static final int LAST = FIRST + PAYLOAD_WORDS - 1;

    private UUID service;
    private long serviceLo;
    private long serviceHi;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        TrialSetUp.run(() ->
        {
            service = UUID.fromString(FfaScenarios.RESPONDER_UUID);
            serviceLo = FfaUuid.lo(service.getMostSignificantBits());
            serviceHi = FfaUuid.hi(service.getLeastSignificantBits());
            launch(transport, api, this::fillRaw);
            check(regs);
        }, this::tearDown);
    }

    @Benchmark
    public long roundTrip()
    {
        if (typed)
        {
            final DirectMessage m = nextTypedRequest(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, PAYLOAD_WORDS);
            ops.sendDirect2(FfaScenarios.RESPONDER_ID, service, m, 0);
        }
        else
        {
            fillRaw(regs);
            ec.invoke(regs);
        }
        return check(regs);
    }

    /** The raw request: x0 function, w1 sender/receiver, x2/x3 the service UUID, x4..x17 the payload. */
    private void fillRaw(final RegisterFile r)
    {
        final long s = ++sequence;
        r.w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ2)
            .w(1, RegisterFile.packIds(FfaScenarios.REQUESTER_ID, FfaScenarios.RESPONDER_ID))
            .x(2, serviceLo)
            .x(3, serviceHi);
        for (int i = 0; i < PAYLOAD_WORDS; i++)
        {
            r.x(FIRST + i, s + i);
        }
    }

    /** The response must be DIRECT_RESP2 with the first and last payload words echoed + 1. */
    private long check(final RegisterFile r)
    {
        final long s = sequence;
        if (r.functionId() != FunctionId.FFA_MSG_SEND_DIRECT_RESP2 ||
            r.x(FIRST) != s + 1 || r.x(LAST) != s + PAYLOAD_WORDS)
        {
            throw new IllegalStateException("unexpected response " + r);
        }
        return r.x(FIRST);
    }
}
