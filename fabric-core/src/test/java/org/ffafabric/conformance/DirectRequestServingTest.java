package org.ffafabric.conformance;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.DirectRequestServer;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.FfaException;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link ExecutionContext#serveDirectRequest}: requests served where they lie in the log, the
 * response written into the requester's inbox, and everything a handler may do meanwhile.
 */
class DirectRequestServingTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;
    static final int SPV11 = 0x8004;
    static final UUID SPA_UUID = UUID.fromString("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    static final long SERVE_NS = 5_000_000_000L;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(manifest(), HYP, VM1, SPA, SPB, SPV11);
    }

    private static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0")
                .directMessaging())
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid(SPA_UUID.toString()).directMessaging()
                .property(PartitionProperties.VM_CREATED_MSG, true))
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .partition(p -> p.name("spv11").id(SPV11).world(World.SP_EL1).uuid("dddddddd-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().ffaVersion(V1_1))
            .build();
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    /** Serves exactly one request on another thread; the future holds what serveDirectRequest returned. */
    private Future<Boolean> serveOne(final ExecutionContext ec, final DirectRequestHandler handler)
    {
        final RegisterFile other = new RegisterFile();
        final Future<Boolean> served = fx.exec().submit(() -> ec.serveDirectRequest(handler, other, SERVE_NS));
        fx.awaitState(ec.partitionId(), ec.index(), org.ffafabric.control.ExecutionContextState.WAITING);
        return served;
    }

    @Test
    void shortRequestsAreViewsOfTheLogAndAnswersKeepTheirWidth() throws Exception
    {
        final AtomicInteger viewRegisters = new AtomicInteger();
        final AtomicReference<String> seen = new AtomicReference<>();
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) ->
        {
            viewRegisters.set(req.registers().registerCount());
            seen.set(Long.toHexString(req.registers().x(3)) + "/" + req.registers().isZero(8, 17));
            resp.payload(0, req.payload(0) + 1);
            // A RESP_32 carries w registers: the upper half set here must not arrive.
            resp.registers().x(7, 0xFFFF_FFFF_0000_0007L);
        });
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA);
        r.x(3, 0xDEAD_BEEF_0000_0041L);
        final RegisterFile out = call(fx.ec(VM1), r);
        assertTrue(get(served));
        assertEquals(8, viewRegisters.get(), "a 64-byte request is read in place, x0..x7");
        assertEquals("41/true", seen.get(), "w3 arrives zero-extended; x8..x17 read as zero");
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32 & 0xFFFF_FFFFL, out.x(0), out.toString());
        assertEquals(RegisterFile.packIds(SPA, VM1) & 0xFFFF_FFFFL, out.x(1));
        assertEquals(0x42L, out.x(3));
        assertEquals(7L, out.x(7), "SMC32 response zero-extended");
        assertTrue(out.isZero(8, 17));
    }

    @Test
    void req2IsServedInPlaceWithItsFourteenWords() throws Exception
    {
        final AtomicInteger viewRegisters = new AtomicInteger();
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) ->
        {
            viewRegisters.set(req.registers().registerCount());
            for (int i = 0; i < req.payloadWords(); i++)
            {
                resp.payload(i, req.payload(i) * 2);
            }
        });
        final DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2);
        for (int i = 0; i < DirectMessage.PAYLOAD2_WORDS; i++)
        {
            m.payload(i, 100 + i);
        }
        fx.ec(VM1).ops().sendDirect2(SPA, SPA_UUID, m, WAIT_NS);
        assertTrue(get(served));
        assertEquals(18, viewRegisters.get());
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, m.functionId());
        assertTrue(m.registers().isZero(2, 3), "RESP2 clears the UUID registers");
        for (int i = 0; i < DirectMessage.PAYLOAD2_WORDS; i++)
        {
            assertEquals(2L * (100 + i), m.payload(i));
        }
    }

    @Test
    void aHandlerMayCallDownTheChainAndStillReadsItsRequest() throws Exception
    {
        final Future<Boolean> spb = serveOne(fx.ec(SPB), (req, resp) -> resp.payload(0, req.payload(0) * 10));
        final AtomicInteger viewAfterCall = new AtomicInteger();
        final Future<Boolean> spa = serveOne(fx.ec(SPA), (req, resp) ->
        {
            final DirectMessage down = new DirectMessage();
            down.payload(0, req.payload(0) + 1);
            fx.ec(SPA).ops().sendDirect(SPB, down, WAIT_NS);
            // The call moved the request out of the log: it still reads the same.
            viewAfterCall.set(req.registers().registerCount());
            resp.payload(0, down.payload(0) + req.payload(0));
        });
        final DirectMessage m = new DirectMessage();
        m.payload(0, 4);
        fx.ec(VM1).ops().sendDirect(SPA, m, WAIT_NS);
        assertTrue(get(spb));
        assertTrue(get(spa));
        assertEquals(18, viewAfterCall.get());
        assertEquals((4 + 1) * 10 + 4, m.payload(0));
    }

    @Test
    void aHandlerWhoseOwnCallTimesOutStillCountsItsRequestServed() throws Exception
    {
        // SPB waits but never answers: SPA's call down the chain ends in FFA_INTERRUPT after a
        // bounded wait whose last poll found nothing.
        final Future<RegisterFile> spbWaiting = fx.msgWait(fx.ec(SPB));
        final AtomicReference<RegisterFile> down = new AtomicReference<>();
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) ->
        {
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
            fx.ec(SPA).invoke(r, 20_000_000L);
            down.set(r);
            resp.payload(0, 3);
        });
        assertEquals(3L, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)).x(3));
        assertEquals(FunctionId.FFA_INTERRUPT, down.get().w(0), down.get().toString());
        assertTrue(get(served), "serveDirectRequest returns once its request is answered");
        // SPB got the request. Its answer waits in SPA's inbox, untaken: SPB's bounded wait for the
        // next message must still end (it releases itself), and SPA's FFA_RUN collects the answer.
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(spbWaiting).w(0));
        final RegisterFile answer = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA);
        answer.x(3, 12);
        final RegisterFile spbNext = get(fx.respond(fx.ec(SPB), answer));
        assertEquals(FunctionId.FFA_INTERRUPT, spbNext.w(0), spbNext.toString());
        final RegisterFile collected = call(fx.ec(SPA), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0)));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, collected.w(0), collected.toString());
        assertEquals(12L, collected.x(3));
    }

    @Test
    void aHandlerMayYieldAndTheRequesterResumesIt() throws Exception
    {
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) ->
        {
            fx.ec(SPA).ops().yieldCycles(0);
            resp.payload(0, 77);
        });
        final RegisterFile r = call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        assertEquals(FunctionId.FFA_YIELD, r.w(0), r.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0), r.w(1));
        final RegisterFile done = call(fx.ec(VM1), regs(FunctionId.FFA_RUN, r.w(1)));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, done.w(0), done.toString());
        assertEquals(77L, done.x(3));
        assertTrue(get(served));
    }

    @Test
    void aHandlerCancelsWithAnErrorAndServingGoesOn() throws Exception
    {
        Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) -> resp.registers().error(ErrorCode.NO_MEMORY));
        assertError(ErrorCode.NO_MEMORY, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)));
        assertTrue(get(served));
        served = serveOne(fx.ec(SPA), (req, resp) -> resp.payload(0, 5));
        assertEquals(5L, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)).x(3));
        assertTrue(get(served));
    }

    @Test
    void aThrowingHandlerAbortsItsRequestThenRethrows() throws Exception
    {
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) ->
        {
            throw new IllegalArgumentException("handler bug");
        });
        assertError(ErrorCode.ABORTED, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)));
        final Exception ex = assertThrows(Exception.class, () -> get(served));
        assertInstanceOf(IllegalArgumentException.class, ex.getCause(), ex.toString());
        // The context went back to waiting: the next request is served.
        final Future<Boolean> again = serveOne(fx.ec(SPA), (req, resp) -> resp.payload(0, 6));
        assertEquals(6L, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)).x(3));
        assertTrue(get(again));
    }

    @Test
    void aResponseTheSpecRefusesAbortsTheRequest() throws Exception
    {
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) ->
            resp.registers().w(1, RegisterFile.packIds(SPA, SPB)));
        assertError(ErrorCode.ABORTED, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)));
        final Exception ex = assertThrows(Exception.class, () -> get(served));
        assertInstanceOf(IllegalStateException.class, ex.getCause());
        assertTrue(ex.getCause().getMessage().contains("DENIED"), ex.getCause().getMessage());
    }

    @Test
    void aHandlerAnsweringWithTheOtherWidthAbortsTheRequest() throws Exception
    {
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) ->
            resp.registers().w(0, FunctionId.FFA_MSG_SEND_DIRECT_RESP_64));
        assertError(ErrorCode.ABORTED, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA)));
        final Exception ex = assertThrows(Exception.class, () -> get(served));
        assertTrue(ex.getCause().getMessage().contains("DENIED"), ex.getCause().getMessage());
    }

    @Test
    void aHandlerCannotAnswerOrWaitByCalling() throws Exception
    {
        final AtomicReference<RegisterFile> resp = new AtomicReference<>();
        final AtomicReference<RegisterFile> wait = new AtomicReference<>();
        final AtomicReference<RegisterFile> error = new AtomicReference<>();
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, response) ->
        {
            resp.set(call(fx.ec(SPA), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1)));
            wait.set(call(fx.ec(SPA), regs(FunctionId.FFA_MSG_WAIT)));
            error.set(call(fx.ec(SPA), regs(FunctionId.FFA_ERROR, 0, ErrorCode.BUSY)));
            response.payload(0, 8);
        });
        assertEquals(8L, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)).x(3));
        assertTrue(get(served));
        assertError(ErrorCode.DENIED, resp.get());
        assertError(ErrorCode.DENIED, wait.get());
        assertError(ErrorCode.DENIED, error.get());
    }

    @Test
    void aWaitWithNothingToServeEndsInInterrupt() throws Exception
    {
        final RegisterFile other = new RegisterFile();
        assertFalse(fx.ec(SPA).serveDirectRequest((req, resp) -> fail("no request was sent"), other, 1_000_000L));
        assertEquals(FunctionId.FFA_INTERRUPT, other.w(0), other.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0), other.w(1));
        final FfaException refused = assertThrows(FfaException.class,
            () -> fx.ec(VM1).ops().sendDirect(SPB, new DirectMessage(), 1_000_000L));
        assertEquals(ErrorCode.BUSY, refused.errorCode(), "SPB never waited");
    }

    @Test
    void aServingAgentsDutyCycleEndsWithItsContextStillWaiting() throws Exception
    {
        final DirectRequestServer server = new DirectRequestServer(fx.ec(SPA),
            (req, resp) -> resp.payload(0, req.payload(0) + 1), 1_000_000L);
        for (int cycle = 0; cycle < 3; cycle++)
        {
            assertEquals(0, server.doWork(), "nothing was sent");
            // Not RUNNING for a moment: a request arriving as the agent looks up is not refused BUSY.
            assertEquals(org.ffafabric.control.ExecutionContextState.WAITING, fx.state(SPA, 0));
        }

        // A request sent between duty cycles is taken by the next one.
        final Future<DirectMessage> answered = fx.exec().submit(() ->
            fx.ec(VM1).ops().sendDirect(SPA, new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 41)));
        final long deadline = System.nanoTime() + WAIT_NS;
        while (server.served() == 0 && System.nanoTime() < deadline)
        {
            server.doWork();
        }
        assertEquals(1, server.served());
        assertEquals(42, get(answered).payload(0));
        assertEquals(0, server.doWork());
        assertEquals(org.ffafabric.control.ExecutionContextState.WAITING, fx.state(SPA, 0));
    }

    private long spaWord()
    {
        final org.ffafabric.control.ControlFile controlFile = fx.controlFile();
        return controlFile.ecState(controlFile.ecStateOffset(controlFile.slotOf(SPA), 0));
    }

    /**
     * A serving period of {@code sp} ends with nothing sent, its context WAITING; then VM1 wins its
     * compare-and-set on that word, its message still on its way. Returns the word VM1 installed.
     */
    private long requesterWinsAfterAServingPeriod(final ExecutionContext sp)
    {
        assertFalse(sp.serveDirectRequestWithin((req, resp) -> fail("nothing was sent"), new RegisterFile(), 1_000_000L));
        final org.ffafabric.control.ControlFile controlFile = fx.controlFile();
        final int offset = controlFile.ecStateOffset(controlFile.slotOf(SPA), 0);
        final long waiting = spaWord();
        assertEquals(org.ffafabric.control.ExecutionContextState.WAITING,
            org.ffafabric.control.ExecutionContextState.state(waiting));
        final long won = org.ffafabric.control.ExecutionContextState.pack(
            org.ffafabric.control.ExecutionContextState.RUNNING, org.ffafabric.control.ExecutionContextState.MODEL_DIRECT_REQ,
            false, VM1, 0, waiting);
        assertTrue(controlFile.ecStateCompareAndSet(offset, waiting, won));
        return won;
    }

    @Test
    void aServingPeriodThatEndsAfterARequesterWonItsCompareAndSetWaitsForItsMessage() throws Exception
    {
        // The serving thread's idles say when it was last inside its wait, on its own clock.
        fx.close();
        fx = FabricFixture.launch(manifest(), NotingIdle::new, HYP, VM1, SPA, SPB, SPV11);
        final ExecutionContext sp = fx.ec(SPA);
        requesterWinsAfterAServingPeriod(sp);

        final RegisterFile other = new RegisterFile();
        final long[] began = new long[1];
        final Future<Boolean> serving = fx.exec().submit(() ->
        {
            NotingIdle.watch(Thread.currentThread());
            began[0] = System.nanoTime();
            return sp.serveDirectRequestWithin((req, resp) -> fail("no message came"), other, 1_000_000L);
        });
        // Until the serve has been in its wait fifty periods after it began (a serve that gave up on the
        // message returned after one), however late its thread got to run: bounded, against a hang.
        final long deadline = System.nanoTime() + WAIT_NS;
        while (!serving.isDone() && !NotingIdle.idledSince(began, 50_000_000L))
        {
            assertTrue(System.nanoTime() < deadline, "the serve never waited fifty periods");
            Thread.yield();
        }
        assertFalse(serving.isDone(), "the period's end abandoned a request whose sender won its compare-and-set");
        fx.endpoint(SPA).close();
        assertFalse(get(serving));
        assertError(ErrorCode.ABORTED, other);
    }

    /**
     * A serving period leaves the context WAITING, a word any requester may take by compare-and-set.
     * FFA_MSG_WAIT called next (a loop that waits by the plain call between periods) must not store
     * WAITING over the requester's RUNNING word: a second requester could then take the context
     * while the first one's request is still on its way.
     */
    @Test
    void msgWaitAfterAServingPeriodKeepsTheWordARequesterWon() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final long won = requesterWinsAfterAServingPeriod(sp);

        final AtomicReference<Thread> caller = new AtomicReference<>();
        final Future<RegisterFile> waited = fx.exec().submit(() ->
        {
            caller.set(Thread.currentThread());
            final RegisterFile r = regs(FunctionId.FFA_MSG_WAIT);
            sp.invoke(r, 20_000_000L);
            return r;
        });
        // Parked by its idle strategy: past FFA_MSG_WAIT's way into WAITING, in the wait for the request.
        final long deadline = System.nanoTime() + WAIT_NS;
        while (caller.get() == null || caller.get().getState() != Thread.State.TIMED_WAITING)
        {
            assertFalse(waited.isDone(), "FFA_MSG_WAIT returned before the request came");
            assertTrue(System.nanoTime() < deadline, "FFA_MSG_WAIT never waited");
            Thread.onSpinWait();
        }
        assertEquals(won, spaWord(), "FFA_MSG_WAIT overwrote the word a requester had won");
        fx.endpoint(SPA).close();
        get(waited);
    }

    /**
     * The endpoints' default back-off, noting the time of the last idle of one watched thread: it idles
     * only inside a wait that has found nothing yet, so the time says when that wait was still going on.
     */
    static final class NotingIdle implements IdleStrategy
    {
        private static volatile Thread watched;
        private static volatile long lastIdleNs;
        private final IdleStrategy backoff = new BackoffIdleStrategy(
            100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));

        static void watch(final Thread thread)
        {
            lastIdleNs = 0;
            watched = thread;
        }

        /** True once the watched thread has idled {@code ns} or more after {@code began[0]}, as it set it. */
        static boolean idledSince(final long[] began, final long ns)
        {
            final long last = lastIdleNs;
            return last != 0 && last - began[0] >= ns;
        }

        private void note()
        {
            if (Thread.currentThread() == watched)
            {
                lastIdleNs = System.nanoTime();
            }
        }

        public void idle(final int workCount)
        {
            note();
            backoff.idle(workCount);
        }

        public void idle()
        {
            note();
            backoff.idle();
        }

        public void reset()
        {
            backoff.reset();
        }
    }

    /**
     * As above for a direct request made from a context a serving period left WAITING: leaving that
     * word for BLOCKED, and putting it back after the call, must not overwrite a requester's
     * compare-and-set that came between.
     */
    @Test
    void aCallAfterAServingPeriodKeepsTheWordARequesterWon() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final long won = requesterWinsAfterAServingPeriod(sp);

        final Future<Boolean> spb = serveOne(fx.ec(SPB), (req, resp) -> resp.payload(0, 7));
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
        sp.invoke(r, 2_000_000_000L);
        assertEquals(won, spaWord(), "a call from a WAITING context overwrote a requester's word");
        fx.endpoint(SPB).close();
        get(spb);
    }

    @Test
    void aLateAnswerToAHandlersInterruptedCallIsKeptAndServingGoesOn() throws Exception
    {
        final Future<RegisterFile> spbWaiting = fx.msgWait(fx.ec(SPB));
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) ->
        {
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
            fx.ec(SPA).invoke(r, 20_000_000L);
            resp.payload(0, r.w(0) == FunctionId.FFA_INTERRUPT ? 3 : -1);
        });
        assertEquals(3L, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)).x(3));
        assertTrue(get(served));
        get(spbWaiting);
        // SPA serves again; SPB's late answer lands meanwhile and must not be taken for a request.
        final Future<Boolean> next = serveOne(fx.ec(SPA), (req, resp) -> resp.payload(0, 44));
        final RegisterFile answer = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA);
        answer.x(3, 12);
        final Future<RegisterFile> spbNext = fx.respond(fx.ec(SPB), answer);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        fx.ec(VM1).invoke(r, WAIT_NS);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r.toString());
        assertEquals(44L, r.x(3));
        assertTrue(get(next));
        // The late answer freed SPB (SPB's own wait may end in a new request or FFA_INTERRUPT) and
        // waits in SPA's stash for the FFA_RUN that collects it.
        get(spbNext);
        final RegisterFile collected = call(fx.ec(SPA), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0)));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, collected.w(0), collected.toString());
        assertEquals(12L, collected.x(3));
    }

    @Test
    void aLateAnswerIsNotReturnedByMsgWait() throws Exception
    {
        final Future<RegisterFile> spbWaiting = fx.msgWait(fx.ec(SPB));
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
        fx.ec(SPA).invoke(r, 20_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, r.w(0));
        get(spbWaiting);
        final Future<RegisterFile> spaWaiting = fx.msgWait(fx.ec(SPA), 300_000_000L);
        fx.respond(fx.ec(SPB), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA));
        assertEquals(FunctionId.FFA_INTERRUPT, get(spaWaiting).w(0), "FFA_MSG_WAIT returns requests and FFA_RUN only");
    }

    @Test
    void aHandlerSeesARequestSentWithTheSveHintWithoutIt() throws Exception
    {
        final AtomicInteger seen = new AtomicInteger();
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) -> seen.set(req.registers().functionId()));
        final RegisterFile back = call(fx.ec(VM1),
            ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32 | FunctionId.SVE_HINT, VM1, SPA));
        assertTrue(get(served));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, seen.get());
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, back.w(0), back.toString());
    }

    @Test
    void frameworkRequestsAreServedInPlaceWithTheFrameworkResponse() throws Exception
    {
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) -> resp.registers().w(5, 9));
        final RegisterFile created = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, HYP, SPA);
        created.w(2, RegisterFile.frameworkMessageFlags(org.ffafabric.abi.FrameworkMessage.VM_CREATED_REQ)).w(5, 7);
        final RegisterFile back = call(fx.ec(HYP), created);
        assertTrue(get(served));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, back.w(0), back.toString());
        assertEquals(RegisterFile.frameworkMessageFlags(org.ffafabric.abi.FrameworkMessage.VM_CREATED_REQ + 1), back.w(2));
        assertEquals(9, back.w(5));
        // A plain (non-framework) answer to it is refused, as through invoke.
        final Future<Boolean> bad = serveOne(fx.ec(SPA), (req, resp) -> resp.registers().w(2, 0));
        final RegisterFile again = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, HYP, SPA);
        again.w(2, RegisterFile.frameworkMessageFlags(org.ffafabric.abi.FrameworkMessage.VM_CREATED_REQ));
        assertError(ErrorCode.ABORTED, call(fx.ec(HYP), again));
        assertThrows(Exception.class, () -> get(bad));
        // So is another framework response type than the request's own (VM destroyed ack to VM created).
        final Future<Boolean> wrongType = serveOne(fx.ec(SPA), (req, resp) -> resp.registers()
            .w(2, RegisterFile.frameworkMessageFlags(org.ffafabric.abi.FrameworkMessage.VM_DESTROYED_RESP)));
        final RegisterFile third = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, HYP, SPA);
        third.w(2, RegisterFile.frameworkMessageFlags(org.ffafabric.abi.FrameworkMessage.VM_CREATED_REQ));
        assertError(ErrorCode.ABORTED, call(fx.ec(HYP), third));
        assertThrows(Exception.class, () -> get(wrongType));
    }

    @Test
    void aHandlerThatCallsThenThrowsAbortsOnlyItsRequest() throws Exception
    {
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) ->
        {
            fx.ec(SPA).invoke(regs(FunctionId.FFA_ID_GET));
            throw new IllegalArgumentException("after a call");
        });
        assertError(ErrorCode.ABORTED, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA)));
        final Exception ex = assertThrows(Exception.class, () -> get(served));
        assertInstanceOf(IllegalArgumentException.class, ex.getCause());
        final Future<Boolean> again = serveOne(fx.ec(SPA), (req, resp) -> resp.payload(0, 6));
        assertEquals(6L, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA)).x(3));
        assertTrue(get(again));
    }

    /**
     * An Error from a handler (a failed assertion, say) aborts its request as an exception does, and the
     * serve goes on: Agrona's runner ends its thread on an Error, which left the context in FFA_MSG_WAIT
     * with no one serving it, taking the next request in and never answering.
     */
    @Test
    void aServeWhoseHandlerThrowsAnErrorAbortsThatRequestAndServesOn() throws Exception
    {
        final AtomicInteger calls = new AtomicInteger();
        final java.io.PrintStream stderr = System.err;
        final java.io.ByteArrayOutputStream told = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(told, true));
        try (AutoCloseable serving = fx.endpoint(SPA).serve((req, resp) ->
        {
            if (calls.getAndIncrement() == 0)
            {
                throw new AssertionError("a handler's failed check");
            }
            resp.payload(0, req.payload(0) + 1);
        }))
        {
            assertError(ErrorCode.ABORTED, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA)));
            final RegisterFile next = fx.bounded(fx.ec(VM1),
                ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA).x(3, 41), WAIT_NS).get();
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, next.w(0), next.toString());
            assertEquals(42L, next.x(3));
        }
        finally
        {
            System.setErr(stderr);
        }
        assertTrue(told.toString().contains("a handler's failed check"), "the Error is told: " + told);
    }

    /** With an error handler set on the client, a handler's failure is told to it, and not printed. */
    @Test
    void aHandlersFailureIsToldToTheClientsErrorHandlerAlone() throws Exception
    {
        fx.endpoint(SPB).close();
        final java.util.Queue<Throwable> told = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final java.io.PrintStream stderr = System.err;
        final java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(printed, true));
        try (FabricClient client = FabricClient.connect(new FabricClient.Context()
                .directory(fx.fabric().directory()).errorHandler(told::add));
            Endpoint spb = client.claim(SPB);
            AutoCloseable serving = spb.serve((req, resp) ->
            {
                throw new IllegalStateException("a handler's refusal of " + req.payload(0));
            }))
        {
            assertError(ErrorCode.ABORTED, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPB).x(3, 7)));
            awaitUntil(System.nanoTime() + WAIT_NS, () -> !told.isEmpty(), "the failure is told");
        }
        finally
        {
            System.setErr(stderr);
        }
        assertEquals(1, told.size(), told::toString);
        assertEquals("a handler's refusal of 7", told.peek().getMessage());
        assertFalse(printed.toString().contains("a handler's refusal"), "printed as well: " + printed);
    }

    /** An embedded fabric's own client tells its errors where its manager does. */
    @Test
    void anEmbeddedFabricsHandlerFailureIsToldToItsManagersErrorHandler() throws Exception
    {
        final java.util.Queue<Throwable> told = new java.util.concurrent.ConcurrentLinkedQueue<>();
        try (FabricFixture own = FabricFixture.launch(
                new org.ffafabric.pm.PartitionManager.Context().manifest(manifest()).errorHandler(told::add), null, VM1, SPB);
            AutoCloseable serving = own.endpoint(SPB).serve((req, resp) ->
            {
                throw new IllegalStateException("a handler's refusal of " + req.payload(0));
            }))
        {
            assertError(ErrorCode.ABORTED, call(own.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPB).x(3, 9)));
            awaitUntil(System.nanoTime() + WAIT_NS, () -> !told.isEmpty(), "the failure is told");
        }
        assertEquals("a handler's refusal of 9", told.peek().getMessage(), told::toString);
    }

    @Test
    void x8ToX17OfAShortResponseFollowTheVersionAsThroughInvoke() throws Exception
    {
        // v1.1: registers past x7 are not part of DIRECT_RESP_64 and are not sent.
        final Future<Boolean> v11 = serveOne(fx.ec(SPV11), (req, resp) -> resp.payload(0, 1).registers().x(8, 0x55));
        final RegisterFile r = call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPV11));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r.toString());
        assertTrue(r.isZero(8, 17));
        assertTrue(get(v11));
        // v1.2: they must be zero; the response is refused and the request cancelled.
        final Future<Boolean> served = serveOne(fx.ec(SPA), (req, resp) -> resp.payload(0, 1).registers().x(8, 0x55));
        assertError(ErrorCode.ABORTED, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)));
        final Exception ex = assertThrows(Exception.class, () -> get(served));
        assertTrue(ex.getCause().getMessage().contains("INVALID_PARAMETERS"), ex.getCause().getMessage());
    }

    @Test
    void manyRequestsAcrossTermRolloversAreServedOnceEach() throws Exception
    {
        // Tests run with 64 KiB terms: 3,000 round trips cross several, with every third handler
        // calling down the chain (a detach) on the way.
        final int requests = 3_000;
        final Future<?> spb = fx.exec().submit(() ->
        {
            final RegisterFile other = new RegisterFile();
            for (int i = 0; i < requests / 3; i++)
            {
                assertTrue(fx.ec(SPB).serveDirectRequest((req, resp) -> resp.payload(0, req.payload(0) + 1), other, SERVE_NS));
            }
            return null;
        });
        final AtomicInteger handled = new AtomicInteger();
        final Future<?> spa = fx.exec().submit(() ->
        {
            final RegisterFile other = new RegisterFile();
            final DirectMessage down = new DirectMessage();
            for (int i = 0; i < requests; i++)
            {
                assertTrue(fx.ec(SPA).serveDirectRequest((req, resp) ->
                {
                    handled.incrementAndGet();
                    long v = req.payload(0);
                    if (v % 3 == 0)
                    {
                        down.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, v);
                        fx.ec(SPA).ops().sendDirect(SPB, down, WAIT_NS);
                        v = down.payload(0) - 1;
                    }
                    resp.payload(0, v * 2).payload(1, req.payload(1));
                }, other, SERVE_NS));
            }
            return null;
        });
        fx.awaitState(SPA, 0, org.ffafabric.control.ExecutionContextState.WAITING);
        final DirectMessage m = new DirectMessage();
        for (long i = 0; i < requests; i++)
        {
            m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i).payload(1, ~i);
            fx.ec(VM1).ops().sendDirect(SPA, m, WAIT_NS);
            assertEquals(2 * i, m.payload(0), "request " + i);
            assertEquals(~i, m.payload(1), "request " + i);
        }
        get(spa);
        get(spb);
        assertEquals(requests, handled.get());
    }

    @Test
    void servingAllocatesNothingPerRequest() throws Exception
    {
        final int requests = 20_000;
        final long[] allocated = new long[1];
        final Future<?> server = fx.exec().submit(() ->
        {
            final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
            final RegisterFile other = new RegisterFile();
            final DirectRequestHandler echo = (req, resp) -> resp.payload(0, req.payload(0) + 1);
            final long thread = Thread.currentThread().getId();
            final ExecutionContext spa = fx.ec(SPA);   // looked up once: the fixture's map boxes IDs
            for (int i = 0; i < requests; i++)
            {
                if (i == requests / 2)
                {
                    allocated[0] = threads.getThreadAllocatedBytes(thread);
                }
                if (!spa.serveDirectRequest(echo, other, SERVE_NS))
                {
                    throw new AssertionError("request " + i + " not served: " + other);
                }
            }
            allocated[0] = threads.getThreadAllocatedBytes(thread) - allocated[0];
            return null;
        });
        fx.awaitState(SPA, 0, org.ffafabric.control.ExecutionContextState.WAITING);
        final DirectMessage m = new DirectMessage();
        for (int i = 0; i < requests; i++)
        {
            m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
            fx.ec(VM1).ops().sendDirect(SPA, m, WAIT_NS);
            assertEquals(i + 1, m.payload(0));
        }
        get(server);
        // The second half, after warm-up: 10,000 requests. A byte a request would be 10,000.
        assertTrue(allocated[0] < 4096, "the serving thread allocated " + allocated[0] + " bytes");
    }

    @Test
    void aRequestRightAfterAnAbortedClaimIsServedOnce() throws Exception
    {
        // Sleeping idles make the padding an aborted claim leaves, and the request behind it,
        // land in one scan of SPA's inbox.
        fx.close();
        fx = FabricFixture.launch(manifest(), () -> new SleepingIdleStrategy(200_000L), HYP, VM1, SPA, SPB, SPV11);
        final ExecutionContext spa = fx.ec(SPA);
        final ExecutionContext spb = fx.ec(SPB);
        final AtomicInteger spaHandled = new AtomicInteger();
        final AtomicReference<RegisterFile> spbGot = new AtomicReference<>();
        final Future<Boolean> spbServed = serveOne(spb, (req, resp) ->
        {
            // Once SPA serves (and sleeps between polls), a call while serving SPA's request gives up SPB's claimed answer slot (padding in
            // SPA's inbox) and sends SPB's own request to SPA right behind it.
            // SPA's serving periods end in FFA_INTERRUPT, RUNNING for a moment before the next: a request
            // that comes then is BUSY, and is sent again once SPA waits.
            RegisterFile r;
            do
            {
                r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPB, SPA);
                r.x(3, 5);
                fx.awaitState(SPA, 0, org.ffafabric.control.ExecutionContextState.WAITING);
                // Bounded only against a hang: SPA serves until this handler has returned.
                spb.invoke(r, WAIT_NS);
            }
            while (r.isError() && r.errorCode() == ErrorCode.BUSY);
            spbGot.set(r);
            resp.payload(0, 1);
        });
        final RegisterFile first = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
        spa.invoke(first, 20_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, first.w(0), first.toString());
        // SPA serves for 600 ms, and on until SPB's handler has returned however long SPB's thread took to
        // send, so that a request handled twice would be (bounded by a watchdog).
        final Future<?> spaServer = fx.exec().submit(() ->
        {
            final RegisterFile other = new RegisterFile();
            final long end = System.nanoTime() + 600_000_000L;
            final long deadline = end + WAIT_NS;
            while ((System.nanoTime() < end || !spbServed.isDone()) && System.nanoTime() < deadline)
            {
                spa.serveDirectRequest((req, resp) ->
                {
                    spaHandled.incrementAndGet();
                    spa.invoke(regs(FunctionId.FFA_ID_GET));   // any call: a detach
                    resp.payload(0, req.payload(0) * 7);
                }, other, 50_000_000L);
            }
            return null;
        });
        // Its loop may run to its deadline, past Fx.get's wait.
        spaServer.get(2 * WAIT_NS, TimeUnit.NANOSECONDS);
        assertEquals(35L, spbGot.get().x(3), spbGot.get().toString());
        assertEquals(1, spaHandled.get(), "SPB's request was handled " + spaHandled.get() + " times");
        assertTrue(get(spbServed));
    }
}
