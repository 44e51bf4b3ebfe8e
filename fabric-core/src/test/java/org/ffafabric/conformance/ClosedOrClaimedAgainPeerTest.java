package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.DirectRequestServer;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A peer that closes, or closes and is claimed again, while messages to or from it are still
 * unread: an inbox stream outlives a claim, so a new claim must not take the old one's messages,
 * and a requester that closed once its call returned must not keep its target from others.
 */
class ClosedOrClaimedAgainPeerTest
{
    static final int VM1 = 1;
    static final int VM2 = 2;
    static final int SP1 = 0x8001;
    static final int SP2 = 0x8002;
    // A payload word whose handler answers only once its requester's tight bound has interrupted the request.
    static final long SLOW = 0x5105;

    private FabricFixture fx;
    private final AtomicInteger served = new AtomicInteger();
    // A permit for each SLOW request whose requester has seen FFA_INTERRUPT: its handler waits for one.
    private final Semaphore interrupted = new Semaphore(0);

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
            .build(), VM2);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    private static RegisterFile request(final int from, final int to, final long tag, final long slow)
    {
        return ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, from, to).x(3, tag).x(4, slow);
    }

    private void echo(final DirectMessage request, final DirectMessage response)
    {
        if (request.payload(1) == SLOW)
        {
            awaitInterrupted();
        }
        response.payload(0, request.payload(0));
    }

    /**
     * Holds a SLOW request's handler until its requester has been interrupted. A handler that merely took
     * a while let a requester that was off the CPU for that long find the answer already there when it
     * first looked, and take it, bound or not (bounded here against a hang).
     */
    private void awaitInterrupted()
    {
        try
        {
            if (!interrupted.tryAcquire(WAIT_NS, TimeUnit.NANOSECONDS))
            {
                throw new IllegalStateException("the requester of a SLOW request was never interrupted");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Serves SP1's context with no bound on each wait (never FFA_INTERRUPT) until its endpoint
     * closes, counting the requests answered in {@link #served}; returns once SP1 waits.
     */
    private Future<?> serveUnbounded(final Endpoint sp, final DirectRequestHandler handler)
    {
        final Future<?> serving = fx.exec().submit(() ->
        {
            final RegisterFile other = new RegisterFile();
            while (!sp.isClosed())
            {
                if (sp.executionContext(0).serveDirectRequest(handler, other, 0))
                {
                    served.incrementAndGet();
                }
            }
            return null;
        });
        fx.awaitState(SP1, 0, ExecutionContextState.WAITING);
        return serving;
    }

    /**
     * VM1, claimed for this alone, sends SP1 a slow request whose call must return {@code returned}
     * (its bound ran out, or SP1 yielded), runs {@code beforeClose}, and closes without ever
     * taking the answer.
     */
    private void requestThenClose(final long timeoutNs, final int returned, final Runnable beforeClose)
    {
        try (Endpoint vm1 = fx.claim(VM1))
        {
            final RegisterFile first = request(VM1, SP1, 1, SLOW);
            vm1.executionContext(0).invoke(first, timeoutNs);
            assertEquals(returned, first.w(0), first::toString);
            if (returned == FunctionId.FFA_INTERRUPT)
            {
                interrupted.release();
            }
            beforeClose.run();
        }
    }

    /** Sends until answered, as long as the answer is BUSY and the cap allows; returns the last answer. */
    private static RegisterFile sendUntilServed(final ExecutionContext ec, final int from, final long tag)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        final RegisterFile r = new RegisterFile();
        do
        {
            r.copyFrom(request(from, SP1, tag, 0));
            ec.invoke(r, WAIT_NS);
        }
        while (r.w(0) == FunctionId.FFA_ERROR && r.w(2) == ErrorCode.BUSY && System.nanoTime() < deadline);
        return r;
    }

    private static void assertAnswered(final long tag, final RegisterFile r)
    {
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r::toString);
        assertEquals(tag, r.x(3), r::toString);
    }

    @Test
    @Timeout(60)
    void aRequesterClaimedAgainGetsItsOwnAnswersNotTheOldClaimsLateOne() throws Exception
    {
        try (Endpoint sp = fx.claim(SP1); AutoCloseable serving = sp.serve(this::echo))
        {
            for (int rep = 0; rep < 3; rep++)
            {
                try (Endpoint vm = fx.claim(VM1))
                {
                    final RegisterFile first = request(VM1, SP1, 1000 + rep, SLOW);
                    vm.executionContext(0).invoke(first, 2_000_000L);
                    assertEquals(FunctionId.FFA_INTERRUPT, first.w(0), first::toString);
                    interrupted.release();
                    // The late answer lands in the inbox; this claim closes without collecting it.
                    fx.awaitState(SP1, 0, ExecutionContextState.WAITING);
                }
                try (Endpoint again = fx.claim(VM1))
                {
                    for (final long tag : new long[] { 2000 + rep, 3000 + rep })
                    {
                        final RegisterFile r = request(VM1, SP1, tag, 0);
                        again.executionContext(0).invoke(r, WAIT_NS);
                        assertAnswered(tag, r);
                    }
                }
            }
        }
    }

    @Test
    @Timeout(60)
    void aResponderClaimedAgainIsNotAnsweredWithTheOldClaimsUnreadRequest() throws Exception
    {
        try (Endpoint sp2 = fx.claim(SP2))
        {
            final ExecutionContext requester = sp2.executionContext(0);
            try (Endpoint sp1 = fx.claim(SP1))
            {
                // WAITING, and nobody polls: the request stays unread in SP1's inbox.
                assertEquals(0, new DirectRequestServer(sp1.executionContext(0), this::echo,
                    1_000_000L).doWork());
                final RegisterFile first = request(SP2, SP1, 0x1111, 0);
                requester.invoke(first, 2_000_000L);
                assertEquals(FunctionId.FFA_INTERRUPT, first.w(0), first::toString);
            }
            final RegisterFile run = regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP1, 0));
            requester.invoke(run, WAIT_NS);
            assertError(ErrorCode.ABORTED, run);

            try (Endpoint again = fx.claim(SP1); AutoCloseable serving = sp2.serve(this::echo))
            {
                final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SP1, SP2).x(3, 0x2222);
                again.executionContext(0).invoke(r, WAIT_NS);
                assertAnswered(0x2222, r);
            }
        }
    }

    @Test
    @Timeout(60)
    void aRequesterThatClosedAfterItsInterruptDoesNotHoldAServingAgentsContext() throws Exception
    {
        try (Endpoint sp = fx.claim(SP1))
        {
            final DirectRequestServer server = new DirectRequestServer(sp.executionContext(0),
                this::echo, 1_000_000L);
            assertEquals(0, server.doWork());
            try (Endpoint vm1 = fx.claim(VM1))
            {
                final RegisterFile first = request(VM1, SP1, 1, 0);
                vm1.executionContext(0).invoke(first, 1_000_000L);
                assertEquals(FunctionId.FFA_INTERRUPT, first.w(0), first::toString);
            }
            // The agent serves the closed requester's request; its answer has nowhere to go, and the
            // agent must not wait for that inbox (the connect timeout is 10 s) while others are refused.
            final AtomicBoolean done = new AtomicBoolean();
            final Future<RegisterFile> other = fx.exec().submit(() ->
            {
                try
                {
                    return sendUntilServed(fx.ec(VM2), VM2, 77);
                }
                finally
                {
                    done.set(true);
                }
            });
            while (!done.get())
            {
                server.doWork();
            }
            assertAnswered(77, get(other));
        }
    }

    @Test
    @Timeout(60)
    void aRequesterThatClosedAfterItsInterruptDoesNotHoldAnUnboundedServe() throws Exception
    {
        final Endpoint sp = fx.claim(SP1);
        final Future<?> serving = serveUnbounded(sp, this::echo);
        try
        {
            // The answer lands in VM1's inbox; VM1 closes without taking it, so cannot release SP1.
            requestThenClose(1_000_000L, FunctionId.FFA_INTERRUPT, () -> awaitServed(1));
            // SP1 gives itself back once VM1's claim has ended.
            assertAnswered(2, sendUntilServed(fx.ec(VM2), VM2, 2));
        }
        finally
        {
            sp.close();
            get(serving);
        }
    }

    /** Waits until the unbounded serve has answered {@code count} requests. */
    private void awaitServed(final int count)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (served.get() < count && System.nanoTime() < deadline)
        {
            Thread.yield();
        }
        assertEquals(count, served.get(), "requests answered");
    }

    @Test
    @Timeout(60)
    void aHandlerStillRunningWhenItsRequesterClosesKeepsItsContext() throws Exception
    {
        // Another requester arrives while the handler still runs its nested call.
        handlerCallsDownTheChainAfterItsRequesterClosed(false);
    }

    @Test
    @Timeout(60)
    void aContextWhoseRequesterClosedDuringItsHandlerIsFreeAfterwards() throws Exception
    {
        // Another requester arrives once the handler has answered the closed requester.
        handlerCallsDownTheChainAfterItsRequesterClosed(true);
    }

    /**
     * SP1's handler outlives its requester's bound, which then closes; the handler makes a call of
     * its own afterwards. Nothing may take SP1's context from under the handler, and once it has
     * answered (into a closed inbox) SP1 serves others again.
     */
    private void handlerCallsDownTheChainAfterItsRequesterClosed(final boolean afterTheHandler) throws Exception
    {
        final Queue<RegisterFile> nested = new ConcurrentLinkedQueue<>();
        try (Endpoint sp2 = fx.claim(SP2); AutoCloseable servingSp2 = sp2.serve(this::echo))
        {
            final Endpoint sp = fx.claim(SP1);
            final ExecutionContext sp1 = sp.executionContext(0);
            final Future<?> serving = serveUnbounded(sp, (request, response) ->
            {
                if (request.payload(1) == SLOW)
                {
                    awaitInterrupted();
                    // Still running a while after that, most often past its requester's close.
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                    final RegisterFile down = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SP1, SP2).x(3, 9);
                    sp1.invoke(down, WAIT_NS);
                    nested.add(down);
                }
                response.payload(0, request.payload(0));
            });
            try
            {
                requestThenClose(1_000_000L, FunctionId.FFA_INTERRUPT, () -> { });
                if (afterTheHandler)
                {
                    awaitServed(1);
                }
                assertAnswered(2, sendUntilServed(fx.ec(VM2), VM2, 2));
                assertEquals(1, nested.size());
                assertAnswered(9, nested.peek());
            }
            finally
            {
                sp.close();
                get(serving);
            }
        }
    }

    @Test
    @Timeout(60)
    void aContextYieldedToARequesterThatClosedRunsOnAndIsNotResumedByItsNextClaim() throws Exception
    {
        final Queue<RegisterFile> yields = new ConcurrentLinkedQueue<>();
        final Endpoint sp = fx.claim(SP1);
        final ExecutionContext sp1 = sp.executionContext(0);
        final Future<?> serving = serveUnbounded(sp, (request, response) ->
        {
            if (request.payload(1) == SLOW)
            {
                final RegisterFile yield = regs(FunctionId.FFA_YIELD);
                sp1.invoke(yield, 0);
                yields.add(yield);
            }
            response.payload(0, request.payload(0));
        });
        try
        {
            requestThenClose(WAIT_NS, FunctionId.FFA_YIELD, () -> { });
            // Its owner's claim is over: the yield ends in ABORTED and the context is free again.
            assertAnswered(2, sendUntilServed(fx.ec(VM2), VM2, 2));
            assertEquals(1, yields.size());
            assertError(ErrorCode.ABORTED, yields.peek());
            try (Endpoint again = fx.claim(VM1))
            {
                final RegisterFile run = regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP1, 0));
                again.executionContext(0).invoke(run, WAIT_NS);
                assertError(ErrorCode.DENIED, run, "a VM may not run a context that owes it nothing");
            }
        }
        finally
        {
            sp.close();
            get(serving);
        }
    }

    @Test
    @Timeout(60)
    void requestsRacingTheirTargetsCloseAndNewClaimGetOnlyTheirOwnAnswers() throws Exception
    {
        final Queue<String> wrong = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stop = new AtomicBoolean();
        try (Endpoint vm1 = fx.claim(VM1))
        {
            Endpoint sp = fx.claim(SP1);
            AutoCloseable serving = sp.serve(this::echo);
            final List<Future<?>> loops = new ArrayList<>();
            for (final ExecutionContext ec : new ExecutionContext[] { vm1.executionContext(0), fx.ec(VM2) })
            {
                loops.add(fx.exec().submit(() ->
                {
                    final int id = ec.partitionId();
                    final RegisterFile r = new RegisterFile();
                    for (long n = 0; !stop.get(); n++)
                    {
                        final long tag = ((long)id << 40) | n;
                        r.copyFrom(request(id, SP1, tag, 0));
                        ec.invoke(r, 1_000_000_000L);
                        // An answer later than that is collected by FFA_RUN, as often as it takes: a loaded machine
                        // can keep SP1's handler off a core for seconds. Still outstanding past the cap is a hang.
                        final long cap = System.nanoTime() + WAIT_NS;
                        while (r.w(0) == FunctionId.FFA_INTERRUPT && System.nanoTime() < cap)
                        {
                            r.copyFrom(regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP1, 0)));
                            ec.invoke(r, 2_000_000_000L);
                        }
                        // BUSY and ABORTED are fair while SP1 closes; a response must be to this request.
                        if (r.w(0) == FunctionId.FFA_MSG_SEND_DIRECT_RESP_64 && r.x(3) != tag ||
                            r.w(0) != FunctionId.FFA_MSG_SEND_DIRECT_RESP_64 && r.w(0) != FunctionId.FFA_ERROR)
                        {
                            wrong.add(id + ": request " + Long.toHexString(tag) + " answered " + r);
                        }
                        if (r.w(0) != FunctionId.FFA_MSG_SEND_DIRECT_RESP_64)
                        {
                            LockSupport.parkNanos(20_000);
                        }
                    }
                    return null;
                }));
            }
            for (int cycle = 0; cycle < 15 && wrong.isEmpty(); cycle++)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                serving.close();
                sp.close();
                sp = fx.claim(SP1);
                serving = sp.serve(this::echo);
            }
            stop.set(true);
            for (final Future<?> loop : loops)
            {
                get(loop);
            }
            for (final ExecutionContext ec : new ExecutionContext[] { vm1.executionContext(0), fx.ec(VM2) })
            {
                assertAnswered(0xABC, sendUntilServed(ec, ec.partitionId(), 0xABC));
            }
            serving.close();
            sp.close();
        }
        assertTrue(wrong.isEmpty(), () -> String.join("\n", wrong));
    }
}
