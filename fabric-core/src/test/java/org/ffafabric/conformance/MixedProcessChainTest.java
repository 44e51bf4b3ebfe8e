package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Several endpoints of this process talk to each other and, down a call chain (SP1's handler asks
 * SP2), to a partition in this process or another, while the middle of the chain is closed and
 * claimed again here, the far end's process is killed and replaced, or the far end in this process
 * is closed and claimed again: every request gets its own answer, ABORTED or BUSY, and all serve again.
 */
class MixedProcessChainTest
{
    static final int VM1 = 1;
    static final int VM2 = 2;
    static final int SP1 = 0x8001;
    static final int SP2 = 0x8002;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("d0000000-0000-0000-0000-000000000001")
                .directMessaging())
            .partition(p -> p.name("vm2").id(VM2).world(World.VM).uuid("d0000000-0000-0000-0000-000000000002")
                .directMessaging())
            .partition(p -> p.name("sp1").id(SP1).world(World.SP_EL1).uuid("d0000000-0000-0000-0000-000000008001")
                .directMessaging())
            .partition(p -> p.name("sp2").id(SP2).world(World.SP_EL1).uuid("d0000000-0000-0000-0000-000000008002")
                .directMessaging())
            .build(), VM1, VM2);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    /** SP1 asks SP2 (which adds one) and adds one more; SP2's failure cancels the request with ABORTED. */
    private static DirectRequestHandler forwarder(final Endpoint sp1)
    {
        return (request, response) ->
        {
            final ExecutionContext ec = sp1.executionContext(0);
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SP1, SP2).x(3, request.payload(0));
            ec.invoke(r, TimeUnit.SECONDS.toNanos(5));
            if (r.w(0) != FunctionId.FFA_MSG_SEND_DIRECT_RESP_64)
            {
                response.registers().error(ErrorCode.ABORTED);
                return;
            }
            response.payload(0, r.x(3) + 1);
        };
    }

    /**
     * VM1 and VM2 send tagged requests to SP1 until {@code stop}: each answer must be its own tag + 2;
     * ABORTED and BUSY are allowed (the chain is being closed and claimed again), anything else is wrong.
     */
    private List<Future<?>> requesters(final AtomicBoolean stop, final AtomicLong answered, final Queue<String> wrong)
    {
        final List<Future<?>> loops = new ArrayList<>();
        for (final int vm : new int[] { VM1, VM2 })
        {
            final ExecutionContext ec = fx.ec(vm);
            loops.add(fx.exec().submit(() ->
            {
                final RegisterFile r = new RegisterFile();
                for (long n = 0; !stop.get(); n++)
                {
                    final long tag = ((long)vm << 40) | n;
                    r.copyFrom(ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, vm, SP1).x(3, tag));
                    ec.invoke(r, TimeUnit.SECONDS.toNanos(20));
                    if (r.w(0) == FunctionId.FFA_MSG_SEND_DIRECT_RESP_64)
                    {
                        answered.incrementAndGet();
                        if (r.x(3) != tag + 2)
                        {
                            wrong.add(vm + ": request " + Long.toHexString(tag) + " answered " + r);
                        }
                    }
                    else if (r.w(0) != FunctionId.FFA_ERROR ||
                        r.w(2) != ErrorCode.ABORTED && r.w(2) != ErrorCode.BUSY)
                    {
                        wrong.add(vm + ": request " + Long.toHexString(tag) + " answered " + r);
                        return null;
                    }
                    else
                    {
                        LockSupport.parkNanos(100_000);
                    }
                }
                return null;
            }));
        }
        return loops;
    }

    private ChildProcess startSp2() throws Exception
    {
        final ChildProcess child = ChildProcess.start(DoomedPartitionProcess.class,
            "--dir", fx.fabric().directory().toString(), "--partition", SP2 + ":echo");
        child.awaitLine("READY", ChildProcess.START_NS);
        return child;
    }

    @Test
    @Timeout(300)
    void aChainThroughAClosedAndReclaimedMiddleToAKilledAndReplacedFarEndAnswersOnlyItsOwnRequests() throws Exception
    {
        final Queue<String> wrong = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong answered = new AtomicLong();
        ChildProcess sp2 = startSp2();
        Endpoint sp1 = fx.claim(SP1);
        AutoCloseable serving = sp1.serve(forwarder(sp1));
        final List<Future<?>> loops = new ArrayList<>();
        try
        {
            loops.addAll(requesters(stop, answered, wrong));
            for (int cycle = 0; cycle < 3 && wrong.isEmpty(); cycle++)
            {
                awaitMoreAnswers(answered, wrong, "before cycle " + cycle);
                // The middle closes while requests pass through it, and is claimed again here.
                serving.close();
                sp1.close();
                sp1 = fx.claim(SP1);
                serving = sp1.serve(forwarder(sp1));
                awaitMoreAnswers(answered, wrong, "after SP1 was claimed again, cycle " + cycle);
                // The far end's process dies mid-chain; another process claims SP2.
                sp2.process().destroyForcibly();
                assertTrue(sp2.process().waitFor(30, TimeUnit.SECONDS));
                sp2.close();
                sp2 = startSp2();
            }
            awaitMoreAnswers(answered, wrong, "at the end");
        }
        finally
        {
            stop.set(true);
            for (final Future<?> loop : loops)
            {
                get(loop);
            }
            serving.close();
            sp1.close();
            sp2.close();
        }
        assertTrue(wrong.isEmpty(), () -> String.join("\n", wrong));
    }

    @Test
    @Timeout(300)
    void aChainWhoseFarEndInThisProcessIsClosedAndClaimedAgainMidRequestAnswersOnlyItsOwnRequests() throws Exception
    {
        final Queue<String> wrong = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong answered = new AtomicLong();
        final DirectRequestHandler slowEcho = (request, response) ->
        {
            LockSupport.parkNanos(200_000);
            response.payload(0, request.payload(0) + 1);
        };
        Endpoint sp2 = fx.claim(SP2);
        AutoCloseable serving2 = sp2.serve(slowEcho);
        final Endpoint sp1 = fx.claim(SP1);
        final AutoCloseable serving = sp1.serve(forwarder(sp1));
        final List<Future<?>> loops = new ArrayList<>();
        try
        {
            loops.addAll(requesters(stop, answered, wrong));
            for (int cycle = 0; cycle < 40 && wrong.isEmpty(); cycle++)
            {
                awaitMoreAnswers(answered, wrong, "before cycle " + cycle);
                serving2.close();
                sp2.close();
                sp2 = fx.claim(SP2);
                serving2 = sp2.serve(slowEcho);
            }
            awaitMoreAnswers(answered, wrong, "at the end");
        }
        finally
        {
            stop.set(true);
            for (final Future<?> loop : loops)
            {
                get(loop);
            }
            serving.close();
            sp1.close();
            serving2.close();
            sp2.close();
        }
        assertTrue(wrong.isEmpty(), () -> String.join("\n", wrong));
    }

    private static void awaitMoreAnswers(final AtomicLong answered, final Queue<String> wrong, final String when)
    {
        final long before = answered.get();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (answered.get() < before + 20 && wrong.isEmpty())
        {
            assertTrue(System.nanoTime() < deadline, "answers " + when);
            LockSupport.parkNanos(1_000_000);
        }
    }
}
