package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A failed SP init aborts the whole partition, as Hafnium's does (VM_STATE_ABORTING): when one context of a
 * multi-context SP reports FFA_ERROR(ABORTED) from its init, every context of it is ABORTED, so requests to any
 * of them and FFA_RUN of any of them answer ABORTED, and none waits again until the claim ends. A WAITING
 * context goes ABORTED at once; a running one once it next waits; a request that took a context before the
 * abort and arrives after is answered ABORTED, its handler not run.
 */
@Timeout(60)
class PartitionAbortTest
{
    static final int HYP = 0;
    static final int VM = 1;
    static final int VM2 = 2;
    static final int SP = 0x8001;

    private FabricFixture fx;

    /** The scheduler, a VM of two contexts (a requester on each of the SP's first two CPUs), a VM of one, and an SP of three. */
    static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0"))
            .partition(p -> p.name("vm").id(VM).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .executionContexts(2).directMessaging())
            .partition(p -> p.name("vm2").id(VM2).world(World.VM).uuid("22222222-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("sp").id(SP).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .executionContexts(3).directMessaging())
            .build();
    }

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(manifest(), HYP, VM, VM2, SP);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    /**
     * Context 0 has ended its init and waits, with no thread in it (as between a serving loop's turns); context
     * 1's init fails: context 0 is ABORTED at once, by context 1's thread.
     */
    @Test
    void aFailedInitAbortsEveryContextOfThePartition() throws Exception
    {
        final ExecutionContext sp0 = fx.ec(SP, 0);
        final ExecutionContext sp1 = fx.ec(SP, 1);
        waitWithNoThreadIn(sp0);
        assertEquals(ExecutionContextState.RUNNING, fx.state(SP, 1), "context 1 still in its init");

        assertError(ErrorCode.ABORTED, call(sp1, regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        assertEquals(ExecutionContextState.ABORTED, fx.state(SP, 1));
        assertEquals(ExecutionContextState.ABORTED, fx.state(SP, 0), "the waiting context is ABORTED at once");
        assertTrue(fx.endpoint(SP).isAborted());

        assertError(ErrorCode.ABORTED, call(fx.ec(VM, 0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP)));
        assertError(ErrorCode.ABORTED, call(fx.ec(VM, 1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP)));
        assertError(ErrorCode.ABORTED, call(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP, 0))));
        assertError(ErrorCode.ABORTED, call(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP, 1))));
        assertError(ErrorCode.ABORTED, call(sp0, regs(FunctionId.FFA_MSG_WAIT)), "it never waits again");
        assertEquals(ExecutionContextState.ABORTED, fx.state(SP, 0));

        // Context 2 is still in its init: it runs on until its next wait, but is run by no one meanwhile.
        assertEquals(ExecutionContextState.RUNNING, fx.state(SP, 2));
        assertError(ErrorCode.ABORTED, call(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP, 2))),
            "not BUSY: its partition is aborted");
        assertError(ErrorCode.ABORTED, call(fx.ec(SP, 2), regs(FunctionId.FFA_MSG_WAIT)), "its init's end");
        assertEquals(ExecutionContextState.ABORTED, fx.state(SP, 2));
        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> fx.endpoint(SP).serve((request, response) -> { }));
        assertEquals("execution context 1 of sp is ABORTED (an initialisation of its partition failed with FFA_ERROR): " +
            "it serves no requests", refused.getMessage());

        // Once the claim has ended the partition is unclaimed, BUSY as any, and a new claim initialises afresh.
        fx.endpoint(SP).close();
        assertFalse(fx.controlFile().isClaimAborted(fx.controlFile().slotOf(SP)));
        assertError(ErrorCode.BUSY, call(fx.ec(VM2), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM2, SP)));
        final Endpoint again = fx.reclaim(SP);
        assertFalse(again.isAborted());
        for (int ec = 0; ec < 3; ec++)
        {
            assertEquals("RUNNING(init", ExecutionContextState.describe(fx.controlFile().ecState(
                fx.controlFile().ecStateOffset(fx.controlFile().slotOf(SP), ec))).substring(0, 12), "context " + ec);
        }
        final Future<RegisterFile> served = fx.deliver(
            again.executionContext(0), fx.ec(VM, 0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP));
        fx.respond(again.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP, VM));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(served).w(0));
    }

    /** A context inside FFA_MSG_WAIT when its partition aborts: the wait returns ABORTED. */
    @Test
    void aWaitUnderWayWhenThePartitionAbortsReturnsAborted() throws Exception
    {
        final Future<RegisterFile> sp0Waits = fx.msgWait(fx.ec(SP, 0));
        assertError(ErrorCode.ABORTED, call(fx.ec(SP, 1), regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        assertError(ErrorCode.ABORTED, get(sp0Waits));
        assertEquals(ExecutionContextState.ABORTED, fx.state(SP, 0));
    }

    /** A context serving a request when its partition aborts answers it, and is ABORTED at its next wait. */
    @Test
    void aContextServingWhenItsPartitionAbortsAnswersThenAborts() throws Exception
    {
        final ExecutionContext sp0 = fx.ec(SP, 0);
        final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP);
        request.x(3, 41);
        final Future<RegisterFile> sent = fx.deliver(sp0, fx.ec(VM, 0), request);

        assertError(ErrorCode.ABORTED, call(fx.ec(SP, 1), regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        assertEquals(ExecutionContextState.RUNNING, fx.state(SP, 0), "serving, it runs on");
        assertError(ErrorCode.ABORTED, call(fx.ec(VM2), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM2, SP)),
            "a request to it meanwhile: not BUSY, its partition is aborted");
        assertError(ErrorCode.ABORTED, call(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP, 0))));

        final RegisterFile response = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP, VM);
        response.x(3, 42);
        final Future<RegisterFile> next = fx.async(sp0, response);
        final RegisterFile answered = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, answered.w(0), answered.toString());
        assertEquals(42L, answered.x(3), "the request it was serving is answered");
        assertError(ErrorCode.ABORTED, get(next), "the response's wait for the next message");
        assertEquals(ExecutionContextState.ABORTED, fx.state(SP, 0));
        assertError(ErrorCode.ABORTED, call(fx.ec(VM, 0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP)));
    }

    /**
     * A request that took a WAITING context before its partition aborted, while no thread waited in it, reaches
     * it after: it is answered ABORTED without running the handler, and the context is then ABORTED.
     */
    @Test
    void aRequestTakenBeforeTheAbortIsAnsweredAbortedOnArrival() throws Exception
    {
        final ExecutionContext sp0 = fx.ec(SP, 0);
        final AtomicInteger handled = new AtomicInteger();
        final DirectRequestHandler handler = (req, resp) -> handled.incrementAndGet();
        final RegisterFile nothing = new RegisterFile();
        // Ends init and waits a moment: nothing comes, and the context stays WAITING with no thread in it.
        assertFalse(sp0.serveDirectRequestWithin(handler, nothing, TimeUnit.MILLISECONDS.toNanos(1)));
        assertEquals(ExecutionContextState.WAITING, fx.state(SP, 0));

        final Future<RegisterFile> sent = fx.async(fx.ec(VM, 0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP));
        fx.awaitState(SP, 0, ExecutionContextState.RUNNING);
        assertError(ErrorCode.ABORTED, call(fx.ec(SP, 1), regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        assertEquals(ExecutionContextState.RUNNING, fx.state(SP, 0), "taken by the request: left to its own wait");

        final RegisterFile regs = new RegisterFile();
        assertTrue(sp0.serveDirectRequestWithin(handler, regs, WAIT_NS), "the request is answered");
        assertError(ErrorCode.ABORTED, get(sent), "answered ABORTED");
        assertEquals(0, handled.get(), "without running the handler");
        // ABORTED as it answers, not at its thread's next wait: a next request would take a WAITING word and wait
        // for a thread that may never come (the serve above has returned).
        assertEquals(ExecutionContextState.ABORTED, fx.state(SP, 0), "aborted as it answered");
        assertError(ErrorCode.ABORTED, call(fx.ec(VM, 0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP)),
            "the next request, with no thread in the context");
        assertFalse(sp0.serveDirectRequestWithin(handler, regs, WAIT_NS));
        assertError(ErrorCode.ABORTED, regs, "its next wait ends ABORTED");
        assertEquals(ExecutionContextState.ABORTED, fx.state(SP, 0));
    }

    /**
     * As above, received by FFA_MSG_WAIT itself: a request, or the scheduler's FFA_RUN, that took the context
     * before the abort is answered ABORTED, and the wait goes on to end ABORTED.
     */
    @Test
    void aRequestOrRunTakenBeforeTheAbortIsAnsweredAbortedByFfaMsgWait() throws Exception
    {
        final ExecutionContext sp0 = fx.ec(SP, 0);
        final ExecutionContext sp1 = fx.ec(SP, 1);
        waitWithNoThreadIn(sp0);
        waitWithNoThreadIn(sp1);
        final Future<RegisterFile> sent = fx.async(fx.ec(VM, 0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP));
        fx.awaitState(SP, 0, ExecutionContextState.RUNNING);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP, 1)));
        fx.awaitState(SP, 1, ExecutionContextState.RUNNING);

        assertError(ErrorCode.ABORTED, call(fx.ec(SP, 2), regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        assertEquals(ExecutionContextState.RUNNING, fx.state(SP, 0), "taken by the request: left to its own wait");
        assertEquals(ExecutionContextState.RUNNING, fx.state(SP, 1), "taken by the run: left to its own wait");
        assertError(ErrorCode.ABORTED, call(sp0, regs(FunctionId.FFA_MSG_WAIT)));
        assertError(ErrorCode.ABORTED, get(sent));
        assertError(ErrorCode.ABORTED, call(sp1, regs(FunctionId.FFA_MSG_WAIT)));
        assertError(ErrorCode.ABORTED, get(run));
    }

    /**
     * A request that took a WAITING context before its partition aborted (or by a predicted compare-and-set after
     * the mark, before the sweep reached the context: the same to it), where no thread waits: only that context's
     * thread, at its next wait, answers it. Till then its requester waits as for any answer: its bound interrupts
     * it, and its FFA_RUN of the context, the rest of that request, waits again rather than answer ABORTED at the
     * mark (a context serving at the abort still answers). The claim's end answers it ABORTED.
     */
    @Test
    void aRequestTakenBeforeTheAbortWaitsForItsContextsNextWaitOrItsClaimsEnd() throws Exception
    {
        final ExecutionContext vm0 = fx.ec(VM, 0);
        final int sp0 = RegisterFile.packTargetInfo(SP, 0);
        final long bound = TimeUnit.MILLISECONDS.toNanos(50);
        waitWithNoThreadIn(fx.ec(SP, 0));
        final Future<RegisterFile> sent = fx.bounded(vm0, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP), bound);
        fx.awaitState(SP, 0, ExecutionContextState.RUNNING);
        assertError(ErrorCode.ABORTED, call(fx.ec(SP, 1), regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));

        final RegisterFile interrupted = get(sent);
        assertEquals(FunctionId.FFA_INTERRUPT, interrupted.w(0), interrupted::toString);
        assertEquals(sp0, interrupted.w(1));
        final RegisterFile run = regs(FunctionId.FFA_RUN, sp0);
        vm0.invoke(run, bound);
        assertEquals(FunctionId.FFA_INTERRUPT, run.w(0), () -> "its FFA_RUN waits for the answer again: " + run);
        assertError(ErrorCode.BUSY, call(vm0, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP)), "its request is pending");
        assertEquals(ExecutionContextState.RUNNING, fx.state(SP, 0), "taken by the request, which nothing has read");

        final Future<RegisterFile> collected = fx.async(vm0, regs(FunctionId.FFA_RUN, sp0));
        fx.endpoint(SP).close();
        assertError(ErrorCode.ABORTED, get(collected), "the claim's end answers it");
    }

    /** Ends the context's init and waits a moment: nothing comes, and it stays WAITING with no thread in it. */
    private static void waitWithNoThreadIn(final ExecutionContext ec)
    {
        assertFalse(ec.serveDirectRequestWithin((req, resp) -> { }, new RegisterFile(), TimeUnit.MILLISECONDS.toNanos(1)));
    }

    /**
     * A context that yielded its requester's cycles when its partition aborts: its FFA_YIELD returns ABORTED, and
     * the requester's FFA_RUN of it finds it ABORTED.
     */
    @Test
    void aContextThatYieldedWhenItsPartitionAbortsIsAborted() throws Exception
    {
        final ExecutionContext sp0 = fx.ec(SP, 0);
        final ExecutionContext vm0 = fx.ec(VM, 0);
        final Future<RegisterFile> sent = fx.deliver(sp0, vm0, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP));
        final Future<RegisterFile> yielded = fx.async(sp0, regs(FunctionId.FFA_YIELD));
        final RegisterFile y = get(sent);
        assertEquals(FunctionId.FFA_YIELD, y.w(0), y.toString());
        assertEquals(ExecutionContextState.BLOCKED, fx.state(SP, 0));

        assertError(ErrorCode.ABORTED, call(fx.ec(SP, 1), regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        assertError(ErrorCode.ABORTED, get(yielded), "its FFA_YIELD returns ABORTED");
        assertEquals(ExecutionContextState.ABORTED, fx.state(SP, 0));
        assertError(ErrorCode.ABORTED, call(vm0, regs(FunctionId.FFA_RUN, y.w(1))), "the requester's FFA_RUN of it");
        assertError(ErrorCode.ABORTED, call(vm0, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP)),
            "a new request, not BUSY for the one the yield left pending");
    }
}
