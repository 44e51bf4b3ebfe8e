package org.ffafabric.bench.jmh;

import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FfaOps;

import java.util.function.Consumer;

/**
 * The state of the direct-request round trips ({@link FfaDirectBenchmark}, {@link FfaDirect2Benchmark}):
 * the launch of the fabric with the echo partition, the requester's context,
 * the reused message and its registers, and the request sequence number. Each subclass keeps its
 * request and the check of the response.
 */
public abstract class DirectEchoState extends FabricState
{
    ExecutionContext ec;
    FfaOps ops;
    RegisterFile regs;
    DirectMessage message;
    boolean typed;
    long sequence;

    /**
     * Checks {@code api}, launches the fabric with the echo where {@code transport} says and sends
     * raw requests written by {@code fillRaw} until the echo answers one; the registers then hold
     * that answer.
     *
     * @param transport {@code inproc}: the responder on a daemon thread of the fork; {@code xproc}: in a child JVM.
     * @param api       {@code invoke}: raw registers and {@link ExecutionContext#invoke}; {@code typed}: {@link FfaOps}.
     * @param fillRaw   writes a complete raw request.
     */
    final void launch(final String transport, final String api, final Consumer<RegisterFile> fillRaw) throws Exception
    {
        typed = "typed".equals(api);
        if (!typed && !"invoke".equals(api))
        {
            throw new IllegalArgumentException("api must be invoke or typed: " + api);
        }
        fabric = FabricBench.launch(null, FabricBench.Responder.parse(transport));
        ec = fabric.requesterContext();
        ops = ec.ops();
        message = new DirectMessage();
        regs = message.registers();
        fabric.awaitResponder(regs, fillRaw);
    }

    /** The reused message reset to {@code functionId}, with payload words 0..words-1 the next sequence + i. */
    final DirectMessage nextTypedRequest(final int functionId, final int words)
    {
        final DirectMessage m = message.reset(functionId);
        final long s = ++sequence;
        for (int i = 0; i < words; i++)
        {
            m.payload(i, s + i);
        }
        return m;
    }

    /** The sequence number of the last request: the test checks the payload against it. */
    long sequence()
    {
        return sequence;
    }

    RegisterFile registers()
    {
        return regs;
    }
}
