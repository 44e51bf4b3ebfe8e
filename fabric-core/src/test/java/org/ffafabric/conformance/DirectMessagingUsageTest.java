package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.DirectRequestServer;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/** Usage patterns a real partition would try: serve, then act at once; mixed serving styles; racing requesters; closes. */
class DirectMessagingUsageTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int VM2 = 2;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;
    static final int SPC = 0x8003;
    static final UUID SPB_UUID = UUID.fromString("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee");
    /** A serving wait for the next request, which comes at once: bounded only against a hang, past a stall. */
    static final long SERVE_NS = 2 * WAIT_NS;
    /**
     * A hang guard for a loop of hundreds of requests: a second or two on an idle two-core machine, half of WAIT_NS
     * beside six busy processes, where each request waits for a core; so far past that.
     */
    static final long LOOP_NS = TimeUnit.MINUTES.toNanos(5);

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0")
                .directMessaging())
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging().executionContexts(2))
            .partition(p -> p.name("vm2").id(VM2).world(World.VM).uuid("22222222-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().executionContexts(2).property(PartitionProperties.VM_CREATED_MSG, true))
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid(SPB_UUID.toString()).directMessaging())
            .partition(p -> p.name("spc").id(SPC).world(World.SP_EL1).uuid("cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .build(), HYP, VM1, VM2, SPA, SPB, SPC);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    /** Runs a DirectRequestServer's duty cycles on the executor until {@code stop}. */
    private Future<?> agent(final ExecutionContext ec, final DirectRequestHandler handler, final AtomicBoolean stop)
    {
        final DirectRequestServer server = new DirectRequestServer(ec, handler, 1_000_000L);
        return fx.exec().submit(() ->
        {
            while (!stop.get())
            {
                server.doWork();
            }
        });
    }

    interface Act
    {
        /** One call by SPA right after it served request {@code i}; asserts its outcome. */
        void run(int i) throws Exception;
    }

    /**
     * SPA serves VM1's request {@code i} in place, then at once acts ({@code act}); VM1 sends its next
     * request only once the act is done, so no request can win SPA's word in between.
     */
    private void serveThenAct(final int rounds, final Act act) throws Exception
    {
        final DirectRequestHandler doubling = (req, resp) -> resp.payload(0, req.payload(0) * 2);
        final RegisterFile other = new RegisterFile();
        assertFalse(fx.ec(SPA).serveDirectRequestWithin(doubling, other, 1_000_000L));
        final Semaphore actDone = new Semaphore(1);
        final Future<?> vm1 = fx.exec().submit(() ->
        {
            final DirectMessage m = new DirectMessage();
            for (int i = 0; i < rounds; i++)
            {
                actDone.acquire();
                m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                fx.ec(VM1).ops().sendDirect(SPA, m, WAIT_NS);
                assertEquals(2L * i, m.payload(0));
            }
            return null;
        });
        for (int i = 0; i < rounds; i++)
        {
            assertTrue(fx.ec(SPA).serveDirectRequest(doubling, other, SERVE_NS), "serving ended with " + other);
            act.run(i);
            actDone.release();
        }
        get(vm1);
    }

    /**
     * A thread that serves a request and then makes a direct request of its own: its context is
     * WAITING once it has answered, but its requester, on another core, stores that word only when
     * it takes the answer, most often after the call has begun. The call stores the word on the
     * requester's behalf, and the requester's own store may land between that store's read and its
     * compare-and-set; either way the call must go through, not end ABORTED as if a new requester
     * had won the context. (The first always ended ABORTED, the second about one run in ten.)
     */
    @Test
    void aDirectRequestRightAfterServingARequestGoesThrough() throws Exception
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final Future<?> spb = agent(fx.ec(SPB), (req, resp) -> resp.payload(0, req.payload(0) + 1), stop);
        try
        {
            serveThenAct(1000, i ->
            {
                final RegisterFile r;
                final int kind = i % 3;
                if (kind == 0)
                {
                    r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, SPA, SPB);
                    r.uuidPair(2, SPB_UUID);
                    r.x(4, i);
                }
                else
                {
                    r = ids(kind == 1 ? FunctionId.FFA_MSG_SEND_DIRECT_REQ_32 : FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
                    r.w(3, i);
                }
                fx.ec(SPA).invoke(r, WAIT_NS);
                assertTrue(FunctionId.isDirectResponse(r.functionId()), "round " + i + ": " + r);
                assertEquals(i + 1L, kind == 0 ? r.x(4) : r.x(3), "round " + i);
            });
        }
        finally
        {
            stop.set(true);
            get(spb);
        }
    }

    /**
     * SPA keeps a request to SPB outstanding (SPB yielded), serves VM1's request in place, and right
     * after resumes SPB with FFA_RUN: the run must collect SPB's answer. It ended ABORTED in about one
     * run in eight, for the second reason above: FFA_RUN blocks the context through the same path.
     */
    @Test
    void aRunRightAfterServingARequestGoesThrough() throws Exception
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final Future<?> spb = agent(fx.ec(SPB), (req, resp) ->
        {
            fx.ec(SPB).ops().yieldCycles(0);
            resp.payload(0, req.payload(0) + 1);
        }, stop);
        final int rounds = 1000;
        final DirectRequestHandler doubling = (req, resp) -> resp.payload(0, req.payload(0) * 2);
        final RegisterFile other = new RegisterFile();
        final ExecutionContext sp = fx.ec(SPA);
        assertFalse(sp.serveDirectRequestWithin(doubling, other, 1_000_000L));
        final Semaphore actDone = new Semaphore(0);
        final Future<?> vm1 = fx.exec().submit(() ->
        {
            final DirectMessage m = new DirectMessage();
            for (int i = 0; i < rounds; i++)
            {
                actDone.acquire();
                m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                fx.ec(VM1).ops().sendDirect(SPA, m, WAIT_NS);
                assertEquals(2L * i, m.payload(0));
            }
            return null;
        });
        try
        {
            RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
            r.x(3, 0);
            sp.invoke(r, WAIT_NS);
            assertEquals(FunctionId.FFA_YIELD, r.functionId(), r.toString());
            actDone.release();
            for (int i = 0; i < rounds; i++)
            {
                assertTrue(sp.serveDirectRequest(doubling, other, SERVE_NS), "serving ended with " + other);
                r = regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0));
                sp.invoke(r, WAIT_NS);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.functionId(), "round " + i + ": " + r);
                assertEquals(i + 1L, r.x(3), "round " + i);
                r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
                r.x(3, i + 1);
                sp.invoke(r, WAIT_NS);
                assertEquals(FunctionId.FFA_YIELD, r.functionId(), "round " + i + ": " + r);
                actDone.release();
            }
            get(vm1);
            r = regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0));
            sp.invoke(r, WAIT_NS);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.functionId(), r.toString());
        }
        catch (final Throwable ex)
        {
            // SPB's handler may be left yielded: closing its endpoint ends the agent.
            stop.set(true);
            vm1.cancel(true);
            fx.endpoint(SPB).close();
            throw ex;
        }
        finally
        {
            stop.set(true);
            try
            {
                get(spb);
            }
            catch (final java.util.concurrent.ExecutionException ignored)
            {
                // The agent ended by the close above.
            }
        }
    }

    /** Serve in place, then FFA_MSG_WAIT by invoke and answer the next request with DIRECT_RESP by invoke. */
    @Test
    void servingInPlaceAndByInvokeInterleaveWithOneRequester() throws Exception
    {
        final int rounds = 600;
        final DirectRequestHandler doubling = (req, resp) -> resp.payload(0, req.payload(0) * 2);
        final Future<?> vm1 = fx.exec().submit(() ->
        {
            final DirectMessage m = new DirectMessage();
            for (int i = 0; i < rounds; i++)
            {
                m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                while (true)
                {
                    final RegisterFile r = m.registers();
                    r.w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).w(1, RegisterFile.packIds(VM1, SPA)).x(2, 0);
                    fx.ec(VM1).invoke(r, WAIT_NS);
                    if (r.isError() && r.errorCode() == ErrorCode.BUSY)
                    {
                        // SPA is between serving styles; the spec has the requester retry.
                        m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                        Thread.onSpinWait();
                        continue;
                    }
                    assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.functionId(), "round " + i + ": " + r);
                    assertEquals(2L * i, r.x(3), "round " + i);
                    break;
                }
            }
            return null;
        });
        final ExecutionContext sp = fx.ec(SPA);
        final RegisterFile r = new RegisterFile();
        int served = 0;
        boolean pending = false;
        while (served < rounds)
        {
            if (!pending)
            {
                if ((served % 3) == 0)
                {
                    if (sp.serveDirectRequest(doubling, r, SERVE_NS))
                    {
                        served++;
                        continue;
                    }
                    fail("serve ended with " + r);
                }
                r.clear().w(0, FunctionId.FFA_MSG_WAIT);
                sp.invoke(r, SERVE_NS);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, r.functionId(), "wait returned " + r);
                pending = true;
            }
            final long x3 = r.x(3);
            final int ids = r.w(1);
            r.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_RESP_64)
                .w(1, RegisterFile.packIds(RegisterFile.receiverOf(ids), RegisterFile.senderOf(ids))).x(3, x3 * 2);
            served++;
            // Short bound every other time: the response's wait ends in FFA_INTERRUPT and SPA goes on.
            sp.invoke(r, (served & 1) == 0 ? 1 : SERVE_NS);
            if (served == rounds)
            {
                break;
            }
            if (r.functionId() == FunctionId.FFA_INTERRUPT)
            {
                pending = false;
                continue;
            }
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, r.functionId(), "response returned " + r);
        }
        get(vm1);
    }

    /** Two requesters race for one context that answers through invoke; each gets its own answers, BUSY otherwise. */
    @Test
    void twoRequestersRaceForAContextAnsweringThroughInvoke() throws Exception
    {
        final int perRequester = 400;
        final AtomicInteger busy = new AtomicInteger();
        final Future<?>[] requesters = new Future<?>[2];
        final int[] ids = {VM1, VM2};
        for (int k = 0; k < 2; k++)
        {
            final int me = ids[k];
            requesters[k] = fx.exec().submit(() ->
            {
                final RegisterFile r = new RegisterFile();
                for (int i = 0; i < perRequester; i++)
                {
                    while (true)
                    {
                        r.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).w(1, RegisterFile.packIds(me, SPA));
                        r.x(3, ((long)me << 32) | i);
                        fx.endpoint(me).executionContext(0).invoke(r, WAIT_NS);
                        if (r.isError() && r.errorCode() == ErrorCode.BUSY)
                        {
                            busy.incrementAndGet();
                            Thread.yield();
                            continue;
                        }
                        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.functionId(), me + " round " + i + ": " + r);
                        assertEquals(RegisterFile.packIds(SPA, me), r.w(1), me + " round " + i);
                        assertEquals((((long)me << 32) | i) + 7, r.x(3), me + " round " + i + " got another's answer");
                        break;
                    }
                }
                return null;
            });
        }
        final ExecutionContext sp = fx.ec(SPA);
        final RegisterFile r = regs(FunctionId.FFA_MSG_WAIT);
        sp.invoke(r, SERVE_NS);
        for (int served = 0; served < 2 * perRequester; served++)
        {
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, r.functionId(), "served " + served + ": " + r);
            final int w1 = r.w(1);
            final long x3 = r.x(3);
            r.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_RESP_64)
                .w(1, RegisterFile.packIds(RegisterFile.receiverOf(w1), RegisterFile.senderOf(w1))).x(3, x3 + 7);
            sp.invoke(r, served == 2 * perRequester - 1 ? 1 : SERVE_NS);
        }
        get(requesters[0]);
        get(requesters[1]);
    }

    /**
     * VM1 -> SPA (served in place, its handler calls SPB) -> SPB (answers through invoke, calling SPC
     * first) -> SPC (an agent). Every answer carries each hop's mark.
     */
    @Test
    void aCallChainServedInPlaceAndThroughInvoke() throws Exception
    {
        final int rounds = 500;
        final AtomicBoolean stop = new AtomicBoolean();
        final Future<?> spc = agent(fx.ec(SPC), (req, resp) -> resp.payload(0, req.payload(0) + 1000), stop);
        final Future<?> spb = fx.exec().submit(() ->
        {
            final ExecutionContext ec = fx.ec(SPB);
            final RegisterFile r = regs(FunctionId.FFA_MSG_WAIT);
            ec.invoke(r, SERVE_NS);
            for (int i = 0; i < rounds; i++)
            {
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, r.functionId(), "SPB round " + i + ": " + r);
                final long x3 = r.x(3);
                final RegisterFile down = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPB, SPC);
                down.x(3, x3);
                ec.invoke(down, WAIT_NS);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, down.functionId(), "SPB's call " + i + ": " + down);
                r.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_RESP_64).w(1, RegisterFile.packIds(SPB, SPA))
                    .x(3, down.x(3) * 2);
                ec.invoke(r, i == rounds - 1 ? 1 : SERVE_NS);
            }
            return null;
        });
        final Future<?> spa = fx.exec().submit(() ->
        {
            final ExecutionContext ec = fx.ec(SPA);
            final DirectMessage down = new DirectMessage();
            final RegisterFile other = new RegisterFile();
            for (int i = 0; i < rounds; i++)
            {
                assertTrue(ec.serveDirectRequest((req, resp) ->
                {
                    down.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, req.payload(0));
                    ec.ops().sendDirect(SPB, down, WAIT_NS);
                    resp.payload(0, down.payload(0) + 1);
                }, other, SERVE_NS), "SPA ended with " + other);
            }
            return null;
        });
        try
        {
            fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
            fx.awaitState(SPB, 0, ExecutionContextState.WAITING);
            final DirectMessage m = new DirectMessage();
            for (int i = 0; i < rounds; i++)
            {
                m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                while (true)
                {
                    try
                    {
                        fx.ec(VM1).ops().sendDirect(SPA, m, WAIT_NS);
                        break;
                    }
                    catch (final org.ffafabric.FfaException ex)
                    {
                        assertEquals(ErrorCode.BUSY, ex.errorCode(), "round " + i);
                        m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                        Thread.yield();
                    }
                }
                assertEquals((i + 1000L) * 2 + 1, m.payload(0), "round " + i);
            }
            get(spa);
            get(spb);
        }
        finally
        {
            stop.set(true);
            get(spc);
        }
    }

    /**
     * Two contexts of VM1 call the matching contexts of SPA, each served by its own agent whose
     * handler calls SPB (one context, so the two handlers race for it and retry on BUSY).
     */
    @Test
    void twoContextsOfOnePartitionCallThroughASharedTarget() throws Exception
    {
        final int rounds = 300;
        final AtomicBoolean stop = new AtomicBoolean();
        final Future<?> spb = agent(fx.ec(SPB), (req, resp) -> resp.payload(0, req.payload(0) + 1), stop);
        final Future<?>[] agents = new Future<?>[2];
        for (int k = 0; k < 2; k++)
        {
            final ExecutionContext ec = fx.ec(SPA, k);
            final DirectMessage down = new DirectMessage();
            agents[k] = agent(ec, (req, resp) ->
            {
                while (true)
                {
                    down.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, req.payload(0));
                    try
                    {
                        ec.ops().sendDirect(SPB, down, WAIT_NS);
                        break;
                    }
                    catch (final org.ffafabric.FfaException ex)
                    {
                        if (ex.errorCode() != ErrorCode.BUSY)
                        {
                            throw ex;
                        }
                        Thread.yield();
                    }
                }
                resp.payload(0, down.payload(0) * 10 + ec.index());
            }, stop);
        }
        try
        {
            fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
            fx.awaitState(SPA, 1, ExecutionContextState.WAITING);
            final Future<?>[] vms = new Future<?>[2];
            for (int k = 0; k < 2; k++)
            {
                final int index = k;
                vms[k] = fx.exec().submit(() ->
                {
                    final ExecutionContext ec = fx.ec(VM1, index);
                    final DirectMessage m = new DirectMessage();
                    for (int i = 0; i < rounds; i++)
                    {
                        final long v = index * 100_000L + i;
                        m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, v);
                        ec.ops().sendDirect(SPA, m, WAIT_NS);
                        assertEquals((v + 1) * 10 + index, m.payload(0), "VM1/" + index + " round " + i);
                    }
                    return null;
                });
            }
            vms[0].get(LOOP_NS, TimeUnit.NANOSECONDS);
            vms[1].get(LOOP_NS, TimeUnit.NANOSECONDS);
        }
        finally
        {
            stop.set(true);
            get(agents[0]);
            get(agents[1]);
            get(spb);
        }
    }

    /**
     * A requester's endpoint closes while its call waits on a handler: the call ends ABORTED, and the
     * target, once its handler returns, serves the next requester.
     */
    @Test
    void aRequesterClosedMidCallEndsAbortedAndItsTargetServesOn() throws Exception
    {
        final int rounds = 20;
        final AtomicBoolean stop = new AtomicBoolean();
        final Semaphore entered = new Semaphore(0);
        final Semaphore proceed = new Semaphore(0);
        final Future<?> spa = agent(fx.ec(SPA), (req, resp) ->
        {
            if (req.sender() != VM1)
            {
                entered.release();
                proceed.acquireUninterruptibly();
            }
            resp.payload(0, req.payload(0) + 1);
        }, stop);
        try
        {
            fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
            fx.endpoint(VM2).close();
            for (int i = 0; i < rounds; i++)
            {
                final org.ffafabric.endpoint.Endpoint vm2 = fx.claim(VM2);
                final Future<RegisterFile> call = fx.exec().submit(() ->
                {
                    final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM2, SPA);
                    vm2.executionContext(0).invoke(r, WAIT_NS);
                    return r;
                });
                assertTrue(entered.tryAcquire(WAIT_NS, java.util.concurrent.TimeUnit.NANOSECONDS));
                final Future<?> closing = fx.exec().submit(vm2::close);
                assertError(ErrorCode.ABORTED, get(call), "round " + i + ": the closed requester's call");
                proceed.release();
                get(closing);
                final DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                while (true)
                {
                    final RegisterFile r = m.registers();
                    r.w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).w(1, RegisterFile.packIds(VM1, SPA)).x(2, 0).x(3, i);
                    fx.ec(VM1).invoke(r, WAIT_NS);
                    if (r.isError() && r.errorCode() == ErrorCode.BUSY)
                    {
                        // SPA may still be answering the closed requester.
                        Thread.yield();
                        continue;
                    }
                    assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.functionId(), "round " + i + ": " + r);
                    assertEquals(i + 1L, r.x(3));
                    break;
                }
            }
        }
        finally
        {
            stop.set(true);
            proceed.release(100);
            get(spa);
        }
    }

    /**
     * Two requesters hammer SPA while its endpoint closes: every call returns (its answer, BUSY or
     * ABORTED), none hangs, and no answer is someone else's.
     */
    @Test
    void closingATargetWhileTwoRequestersHammerItEndsEveryCall() throws Exception
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicBoolean closed = new AtomicBoolean();
        final AtomicInteger answered = new AtomicInteger();
        final Future<?> spa = fx.exec().submit(() ->
        {
            final DirectRequestServer server = new DirectRequestServer(fx.ec(SPA),
                (req, resp) -> resp.payload(0, req.payload(0) + 3), 1_000_000L);
            try
            {
                while (!stop.get())
                {
                    server.doWork();
                }
            }
            catch (final org.agrona.concurrent.AgentTerminationException expected)
            {
                // The endpoint closed.
            }
        });
        fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
        final int[] ids = {VM1, VM2};
        final Future<?>[] requesters = new Future<?>[2];
        for (int k = 0; k < 2; k++)
        {
            final int me = ids[k];
            requesters[k] = fx.exec().submit(() ->
            {
                final RegisterFile r = new RegisterFile();
                int afterClose = 0;
                for (long i = 0; afterClose < 200; i++)
                {
                    if (closed.get())
                    {
                        afterClose++;
                    }
                    final long v = ((long)me << 32) | i;
                    r.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).w(1, RegisterFile.packIds(me, SPA)).x(3, v);
                    fx.endpoint(me).executionContext(0).invoke(r, WAIT_NS);
                    if (r.isError())
                    {
                        assertTrue(r.errorCode() == ErrorCode.BUSY || r.errorCode() == ErrorCode.ABORTED, r.toString());
                        Thread.yield();
                        continue;
                    }
                    assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.functionId(), r.toString());
                    assertEquals(v + 3, r.x(3), "someone else's answer");
                    answered.incrementAndGet();
                }
                return null;
            });
        }
        final long deadline = System.nanoTime() + WAIT_NS;
        while (answered.get() < 500 && System.nanoTime() < deadline)
        {
            Thread.yield();
        }
        assertTrue(answered.get() >= 500, "no traffic before the close");
        fx.endpoint(SPA).close();
        closed.set(true);
        get(requesters[0]);
        get(requesters[1]);
        stop.set(true);
        get(spa);
        assertEquals(ExecutionContextState.OFF, fx.state(SPA, 0));
    }

    /**
     * SPA's handler calls SPB with a short bound and resumes it with FFA_RUN until the answer comes,
     * while VM1 and VM2 race for SPA: every answer is right, and the interrupted chain never leaks
     * into another request.
     */
    @Test
    void aHandlersInterruptedCallResumedWithRunUnderRacingRequesters() throws Exception
    {
        final int perRequester = 300;
        final AtomicBoolean stop = new AtomicBoolean();
        final Future<?> spb = agent(fx.ec(SPB), (req, resp) ->
        {
            final long until = System.nanoTime() + (req.payload(0) & 0xFF) * 200L;
            while (System.nanoTime() < until)
            {
                Thread.onSpinWait();
            }
            resp.payload(0, req.payload(0) * 2);
        }, stop);
        final ExecutionContext a = fx.ec(SPA);
        final Future<?> spa = agent(a, (req, resp) ->
        {
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
            r.x(3, req.payload(0));
            a.invoke(r, 5_000L);
            while (r.functionId() == FunctionId.FFA_INTERRUPT)
            {
                final int info = r.w(1);
                r.clear().w(0, FunctionId.FFA_RUN).w(1, info);
                a.invoke(r, 5_000L);
            }
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.functionId(), r.toString());
            resp.payload(0, r.x(3) + 1);
        }, stop);
        try
        {
            fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
            final int[] ids = {VM1, VM2};
            final Future<?>[] requesters = new Future<?>[2];
            for (int k = 0; k < 2; k++)
            {
                final int me = ids[k];
                requesters[k] = fx.exec().submit(() ->
                {
                    final RegisterFile r = new RegisterFile();
                    for (int i = 0; i < perRequester; i++)
                    {
                        final long v = ((long)me << 32) | i;
                        while (true)
                        {
                            r.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).w(1, RegisterFile.packIds(me, SPA)).x(3, v);
                            fx.endpoint(me).executionContext(0).invoke(r, WAIT_NS);
                            if (r.isError() && r.errorCode() == ErrorCode.BUSY)
                            {
                                Thread.yield();
                                continue;
                            }
                            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.functionId(), me + "/" + i + ": " + r);
                            assertEquals(v * 2 + 1, r.x(3), me + "/" + i);
                            break;
                        }
                    }
                    return null;
                });
            }
            requesters[0].get(LOOP_NS, TimeUnit.NANOSECONDS);
            requesters[1].get(LOOP_NS, TimeUnit.NANOSECONDS);
        }
        finally
        {
            stop.set(true);
            get(spa);
            get(spb);
        }
    }
}
