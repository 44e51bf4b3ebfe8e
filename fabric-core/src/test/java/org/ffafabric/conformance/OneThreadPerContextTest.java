package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * An execution context is used by one thread at a time, like a vCPU. A call from a second thread while
 * another is inside a call on the same context (waiting, say, or serving) is refused with BUSY, as a
 * vCPU running elsewhere is (digest 6.4), and moves nothing: the first call goes on as if it had not come.
 */
class OneThreadPerContextTest
{
    static final int VM1 = 1;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;
    // A hang guard for a second call that is not refused: it would wait for an answer nobody sends.
    static final long GUARD_NS = 500_000_000L;
    // How long two threads race their calls at most.
    static final long RACE_NS = 5_000_000_000L;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .build(), VM1, SPA, SPB);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    @Test
    void aCallFromASecondThreadWhileTheFirstWaitsIsBusyAndMovesNothing() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final Future<RegisterFile> bWaits = fx.msgWait(fx.ec(SPB));
        final Future<RegisterFile> aWaits = fx.msgWait(a);

        final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
        a.invoke(request, GUARD_NS);
        assertError(ErrorCode.BUSY, request, "spa's context waits on another thread");
        final RegisterFile wait = regs(FunctionId.FFA_MSG_WAIT);
        a.invoke(wait, GUARD_NS);
        assertError(ErrorCode.BUSY, wait, "a second wait");
        assertEquals(ExecutionContextState.WAITING, fx.state(SPA, 0));
        assertEquals(ExecutionContextState.WAITING, fx.state(SPB, 0));
        assertFalse(bWaits.isDone(), "nothing reached spb");

        // The first thread's wait takes the next request as if nothing had happened.
        final RegisterFile fromVm = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        fromVm.x(3, 7);
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), fromVm);
        final RegisterFile in = get(aWaits);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, in.w(0), in.toString());
        assertEquals(7L, in.x(3));
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        out.x(3, 8);
        fx.respond(a, out);
        final RegisterFile answer = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, answer.w(0), answer.toString());
        assertEquals(8L, answer.x(3));
    }

    @Test
    void aCallFromASecondThreadWhileTheEndpointServesIsBusy() throws Exception
    {
        try (AutoCloseable serving = fx.endpoint(SPA).serve((req, resp) -> resp.payload(0, req.payload(0) + 1)))
        {
            final Future<RegisterFile> bWaits = fx.msgWait(fx.ec(SPB));
            final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
            fx.ec(SPA).invoke(request, GUARD_NS);
            assertError(ErrorCode.BUSY, request, "a serving thread has spa's context");
            assertFalse(bWaits.isDone(), "nothing reached spb");
            assertEquals(ExecutionContextState.WAITING, fx.state(SPB, 0));

            for (int i = 0; i < 3; i++)
            {
                final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
                r.x(3, 40 + i);
                call(fx.ec(VM1), r);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r.toString());
                assertEquals(41L + i, r.x(3));
            }
        }
    }

    @Test
    void servingFromASecondThreadWhileTheFirstWaitsIsBusy() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final Future<RegisterFile> aWaits = fx.msgWait(a);
        final RegisterFile regs = new RegisterFile();
        assertFalse(a.serveDirectRequest((req, resp) -> resp.payload(0, 1), regs, GUARD_NS));
        assertError(ErrorCode.BUSY, regs, "spa's context waits on another thread");
        assertEquals(ExecutionContextState.WAITING, fx.state(SPA, 0));

        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(aWaits).w(0));
        fx.respond(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    /**
     * Two threads calling at the same instant: one gets in, the other is BUSY, never both. Had both got in,
     * the thread record and its nesting count, shared by them, would be left wrong (a context BUSY to
     * everyone from then on, or a second thread let in beside a first). A serving thread retries as often
     * as this while another thread calls, so this is the product's own use, not an abuse of it.
     */
    @Test
    void callsStartedOnTwoThreadsAtOnceNeverBothGetIn() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final int rounds = 500_000;
        final CyclicBarrier start = new CyclicBarrier(2);
        final Callable<int[]> caller = () ->
        {
            final RegisterFile regs = new RegisterFile();
            final int[] answered = new int[2];
            start.await();
            // Bounded in time too: on a loaded machine the two threads may get little of a core.
            final long end = System.nanoTime() + RACE_NS;
            for (int i = 0; i < rounds && System.nanoTime() - end < 0; i++)
            {
                a.invoke(regs.clear().w(0, FunctionId.FFA_ID_GET));
                if (regs.isError())
                {
                    assertEquals(ErrorCode.BUSY, regs.errorCode(), regs::toString);
                    answered[1]++;
                }
                else
                {
                    assertEquals(FunctionId.FFA_SUCCESS_32, regs.w(0), regs::toString);
                    assertEquals(SPA, regs.w(2), regs::toString);
                    answered[0]++;
                }
            }
            return answered;
        };
        final Future<int[]> one = fx.exec().submit(caller);
        final Future<int[]> two = fx.exec().submit(caller);
        final int[] first = get(one);
        final int[] second = get(two);
        assertTrue(first[0] + second[0] > 0, "a call got in");

        // Both have left: a third thread's call gets in.
        final RegisterFile regs = call(a, regs(FunctionId.FFA_ID_GET));
        assertEquals(FunctionId.FFA_SUCCESS_32, regs.w(0), regs::toString);
        assertEquals(SPA, regs.w(2), regs::toString);
    }

    /**
     * A serve started while another thread waits on one of its contexts is refused there until that
     * thread's call ends: its serving thread pauses between looks, rather than spinning a core away from
     * the thread it waits for, and serves once that call is over.
     */
    @Test
    void aServingThreadRefusedForAnotherThreadsCallPausesAndServesOnceItEnds() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        // One thread's calls: a wait bounded well past the test's own waits (it must hold the context when
        // they run out), then its answer, whose wait for a next message is short.
        final Future<RegisterFile> aServes = fx.exec().submit(() ->
        {
            final RegisterFile request = regs(FunctionId.FFA_MSG_WAIT);
            a.invoke(request, 3 * WAIT_NS);
            // Between its two calls the serving thread may look in (and be told DENIED): then this one is BUSY.
            RegisterFile answer;
            do
            {
                answer = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1).x(3, 7);
                a.invoke(answer, 100_000_000L);
            }
            while (answer.isError() && answer.errorCode() == ErrorCode.BUSY);
            return request;
        });
        fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
        try (AutoCloseable serving = fx.endpoint(SPA).serve((req, resp) -> resp.payload(0, req.payload(0) + 1)))
        {
            final String name = "ffa-direct-server-" + Integer.toHexString(SPA) + "-0";
            final Thread server = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
            awaitUntil(System.nanoTime() + WAIT_NS / 2, () -> server.getState() == Thread.State.TIMED_WAITING,
                "the refused serving thread pauses");

            final RegisterFile first = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
            call(fx.ec(VM1), first);
            assertEquals(7, first.x(3), "the other thread answers the request it waited for");
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(aServes).w(0));

            // The other thread's answer ran out its short wait and left spa RUNNING: the serving thread waits next.
            fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
            final RegisterFile next = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA).x(3, 41);
            call(fx.ec(VM1), next);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, next.w(0), next::toString);
            assertEquals(42, next.x(3), "the serving thread serves once the other thread's call is over");
        }
    }
}
