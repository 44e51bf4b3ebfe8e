package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.Future;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Digest 6.3, the "SP init" row: a secure partition's context runs its initialisation from its claim
 * until FFA_MSG_WAIT, and in that run-time model FFA_RUN, FFA_YIELD and DIRECT_RESP are DENIED (Hafnium's
 * ffa_cpu_cycles_check_rtm_sp_init). The normal world has no such model.
 */
class SpInitialisationTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;
    static final int SPC = 0x8003;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(hypervisorVmAndThreeSps(), HYP, VM1, SPA, SPB, SPC);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    @Test
    void aClaimedSecureContextRunsItsInitialisation()
    {
        assertEquals("RUNNING(init", describe(SPA).substring(0, 12), describe(SPA));
        assertEquals("RUNNING(none", describe(VM1).substring(0, 12), "a VM has no initialisation: " + describe(VM1));
        assertEquals("RUNNING(none", describe(HYP).substring(0, 12), describe(HYP));
    }

    /** Hafnium's rule 6: FFA_RUN from SP init is DENIED whatever its target, once the arguments are good. */
    @Test
    void runFromInitIsDenied() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final int spb = RegisterFile.packTargetInfo(SPB, 0);
        assertError(ErrorCode.INVALID_PARAMETERS, call(a, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(0x8009, 0))));
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(VM1, 0))));
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_RUN, spb)), "spb runs its own init");
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPB, 0));
        final Future<RegisterFile> bWaits = fx.msgWait(fx.ec(SPB));
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_RUN, spb)), "spb waits");

        // FFA_MSG_WAIT ends init. Run by the scheduler, spa may resume only a PREEMPTED or BLOCKED SP
        // (Hafnium's ffa_cpu_cycles_run_checks): a running spb is DENIED, as a waiting one was.
        final Future<RegisterFile> aWaits = fx.msgWait(a);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0)));
        assertEquals(FunctionId.FFA_RUN, get(aWaits).w(0));
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(bWaits).w(0));
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_RUN, spb)), "spb serves vm1");
        fx.respond(fx.ec(SPB), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
        fx.msgWait(a, FabricFixture.RESPOND_NS);
        assertEquals(FunctionId.FFA_MSG_WAIT, get(run).w(0));
    }

    /** A context that yielded to a request from spa's init is not resumed from init; after init, it is. */
    @Test
    void runFromInitDoesNotResumeAContextThatYieldedToIt() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final ExecutionContext b = fx.ec(SPB);
        final Future<RegisterFile> sent = fx.deliver(b, a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB));
        final Future<RegisterFile> yielded = fx.async(b, regs(FunctionId.FFA_YIELD));
        final RegisterFile y = get(sent);
        assertEquals(FunctionId.FFA_YIELD, y.w(0), y.toString());
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_RUN, y.w(1))));
        assertEquals(ExecutionContextState.BLOCKED, fx.state(SPB, 0));
        assertFalse(yielded.isDone(), "spb was not resumed");

        final Future<RegisterFile> aWaits = fx.msgWait(a);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0)));
        assertEquals(FunctionId.FFA_RUN, get(aWaits).w(0));
        final Future<RegisterFile> resumed = fx.async(a, regs(FunctionId.FFA_RUN, y.w(1)));
        assertSuccess32(get(yielded));
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA);
        out.x(3, 5);
        fx.respond(b, out);
        final RegisterFile done = get(resumed);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, done.w(0), done.toString());
        assertEquals(5L, done.x(3));
        fx.msgWait(a, FabricFixture.RESPOND_NS);
        assertEquals(FunctionId.FFA_MSG_WAIT, get(run).w(0));
    }

    /**
     * Past its init, an SP resumes only a BLOCKED (or PREEMPTED) SP. Hafnium would let it resume one that
     * yielded to a VM; here only the one it yielded to may, and the SP is told BUSY.
     */
    @Test
    void aRunningSpFindsAContextThatYieldedToSomeoneElseBusy() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final ExecutionContext b = fx.ec(SPB);
        final ExecutionContext vm = fx.ec(VM1);
        final Future<RegisterFile> sent = fx.deliver(b, vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB));
        final Future<RegisterFile> yielded = fx.async(b, regs(FunctionId.FFA_YIELD));
        final RegisterFile y = get(sent);
        assertEquals(FunctionId.FFA_YIELD, y.w(0), y.toString());

        final Future<RegisterFile> aWaits = fx.msgWait(a);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0)));
        assertEquals(FunctionId.FFA_RUN, get(aWaits).w(0));
        assertError(ErrorCode.BUSY, call(a, regs(FunctionId.FFA_RUN, y.w(1))), "spb yielded to vm1");
        assertEquals(ExecutionContextState.BLOCKED, fx.state(SPB, 0));
        assertFalse(yielded.isDone(), "spb was not resumed");

        final Future<RegisterFile> resumed = fx.async(vm, regs(FunctionId.FFA_RUN, y.w(1)));
        assertSuccess32(get(yielded));
        fx.respond(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(resumed).w(0));
        fx.msgWait(a, FabricFixture.RESPOND_NS);
        assertEquals(FunctionId.FFA_MSG_WAIT, get(run).w(0));
    }

    /**
     * A bound on spa's own request is the fabric's interrupt, which Hafnium never delivers to an SP in its
     * init: the FFA_RUN that collects the answer is the rest of that request, not a run of another SP.
     */
    @Test
    void runFromInitCollectsTheAnswerToARequestItsBoundInterrupted() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final ExecutionContext b = fx.ec(SPB);
        final Future<RegisterFile> bWaits = fx.msgWait(b);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
        a.invoke(r, 20_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, r.w(0), r.toString());
        get(bWaits);
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA);
        out.x(3, 9);
        fx.respond(b, out);
        final RegisterFile done = call(a, regs(FunctionId.FFA_RUN, r.w(1)));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, done.w(0), done.toString());
        assertEquals(9L, done.x(3));
        assertEquals("RUNNING(init", describe(SPA).substring(0, 12), "still initialising");
    }

    /** Hafnium's rules 4 and 5; and a request to an SP that is not initialising is allowed (rule 1). */
    @Test
    void yieldAndDirectResponseFromInitAreDeniedAndMsgWaitEndsIt() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_YIELD)));
        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, VM1)));
        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1)));
        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SPA, VM1)));
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPA, 0));

        final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
        final Future<RegisterFile> sent = fx.deliver(fx.ec(SPB), a, request);
        assertEquals(ExecutionContextState.BLOCKED, fx.state(SPA, 0));
        fx.respond(fx.ec(SPB), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPA, 0));

        // Unbounded for the test's purposes, so that nothing but the close below moves spa on from WAITING.
        final Future<RegisterFile> waits = fx.msgWait(a);
        assertEquals(ExecutionContextState.WAITING, fx.state(SPA, 0));
        fx.endpoint(SPA).close();
        assertError(ErrorCode.ABORTED, get(waits), "the wait ends as its endpoint closes");
    }

    /**
     * Hafnium's rule 3 and ffa_cpu_cycles_error_32: FFA_ERROR(ABORTED) from SP init (v1.2 and before) reports
     * a failed init, and Hafnium aborts the partition: its boot_fail tests find FFA_RUN of it and direct
     * requests to it ABORTED. The context never runs again, so its own calls that would run it answer
     * ABORTED too, until the claim ends; a new claim initialises afresh.
     */
    @Test
    void errorAbortedFromInitAbortsTheContext() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final ExecutionContext c = fx.ec(SPC);
        // A request from init first, so that spa knows spc's next word.
        final Future<RegisterFile> cWaits = fx.msgWait(c);
        final Future<RegisterFile> sent = fx.async(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPC));
        get(cWaits);
        final Future<RegisterFile> cNext = fx.bounded(c, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPC, SPA), WAIT_NS);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));

        assertError(ErrorCode.ABORTED, call(a, regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        assertEquals(ExecutionContextState.ABORTED, fx.state(SPA, 0));
        assertError(ErrorCode.ABORTED, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)));
        assertError(ErrorCode.ABORTED, call(fx.ec(SPB), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPB, SPA)));
        assertError(ErrorCode.ABORTED, call(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0))));

        assertError(ErrorCode.ABORTED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPC)));
        assertError(ErrorCode.ABORTED, call(a, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPC, 0))));
        assertError(ErrorCode.ABORTED, call(a, regs(FunctionId.FFA_MSG_WAIT)));
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_YIELD)));
        assertEquals(ExecutionContextState.ABORTED, fx.state(SPA, 0));
        // Nothing reached spc: the next request it gets is vm1's.
        final RegisterFile fromVm = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPC);
        fromVm.x(3, 3);
        final Future<RegisterFile> vmSent = fx.async(fx.ec(VM1), fromVm);
        final RegisterFile in = get(cNext);
        assertEquals(RegisterFile.packIds(VM1, SPC), in.w(1), in.toString());
        assertEquals(3L, in.x(3));
        fx.respond(c, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPC, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(vmSent).w(0));

        final Endpoint again = fx.reclaim(SPA);
        assertEquals("RUNNING(init", describe(SPA).substring(0, 12), describe(SPA));
        final Future<RegisterFile> served = fx.deliver(
            again.executionContext(0), fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        fx.respond(again.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(served).w(0));
    }

    /**
     * spa's init sends spb a request, spb yields, and spa's init then fails: spa never runs again, so no
     * FFA_RUN of it will resume spb. spb resumes itself, its FFA_YIELD returning ABORTED as when the claim it
     * yielded to ends, rather than stay BLOCKED (BUSY to every requester) until spa's claim ends.
     */
    @Test
    void aContextThatYieldedToAnInitThatFailedResumesItself() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final ExecutionContext b = fx.ec(SPB);
        final Future<RegisterFile> sent = fx.deliver(b, a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB));
        final Future<RegisterFile> yielded = fx.async(b, regs(FunctionId.FFA_YIELD));
        assertEquals(FunctionId.FFA_YIELD, get(sent).w(0));

        assertError(ErrorCode.ABORTED, call(a, regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        assertError(ErrorCode.ABORTED, get(yielded), "the owner of spb's cycles aborted");
        // spb answers the request it was serving (the answer goes nowhere) and serves the next one: its wait for
        // that one is bounded only against a hang, as respond's short one could run out before vm1's request came.
        final Future<RegisterFile> bNext = fx.bounded(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA), WAIT_NS);
        fx.awaitState(SPB, 0, ExecutionContextState.WAITING);
        final RegisterFile fromVm = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB);
        fromVm.x(3, 4);
        final Future<RegisterFile> vmSent = fx.async(fx.ec(VM1), fromVm);
        final RegisterFile in = get(bNext);
        assertEquals(RegisterFile.packIds(VM1, SPB), in.w(1), in.toString());
        assertEquals(4L, in.x(3));
        fx.respond(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(vmSent).w(0));
    }

    /**
     * A context whose init failed never waits for a request: serving it is refused at once, naming
     * why, rather than returning as if it served (and its agent spinning on ABORTED until close).
     */
    @Test
    void servingAContextWhoseInitFailedIsRefused()
    {
        assertError(ErrorCode.ABORTED, call(fx.ec(SPA), regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        final Endpoint spa = fx.endpoint(SPA);
        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> spa.serve((req, resp) -> resp.payload(0, req.payload(0))));
        assertTrue(refused.getMessage().contains("ABORTED"), refused.getMessage());
        assertTrue(refused.getMessage().contains("execution context 0"), refused.getMessage());
        assertEquals(ExecutionContextState.ABORTED, fx.state(SPA, 0));
        // The refused serve left nothing serving: a later one is refused the same way, not as "already serving".
        final IllegalStateException again = assertThrows(IllegalStateException.class,
            () -> spa.serve((req, resp) -> resp.payload(0, req.payload(0))));
        assertTrue(again.getMessage().contains("ABORTED"), again.getMessage());
    }

    /** Hafnium's ffa_cpu_cycles_error_32 takes ABORTED alone as a failed init: any other code is NOT_SUPPORTED. */
    @Test
    void errorWithAnotherCodeFromInitIsNotSupported() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        assertError(ErrorCode.NOT_SUPPORTED, call(a, regs(FunctionId.FFA_ERROR, 0, ErrorCode.DENIED)));
        assertError(ErrorCode.NOT_SUPPORTED, call(a, regs(FunctionId.FFA_ERROR, 0, ErrorCode.BUSY)));
        assertEquals("RUNNING(init", describe(SPA).substring(0, 12), "init goes on: " + describe(SPA));
        final Future<RegisterFile> sent = fx.deliver(a, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        fx.respond(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    /** Only init ends that way: run by the scheduler once init is over, FFA_ERROR outside a request is DENIED. */
    @Test
    void errorAfterInitIsDeniedOutsideARequest() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final Future<RegisterFile> aWaits = fx.msgWait(a);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0)));
        assertEquals(FunctionId.FFA_RUN, get(aWaits).w(0));
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPA, 0));
        fx.msgWait(a, FabricFixture.RESPOND_NS);
        assertEquals(FunctionId.FFA_MSG_WAIT, get(run).w(0));
    }

    /**
     * Hafnium's rule 1: a request from SP init to an SP that is itself initialising is DENIED. Hafnium finds
     * a running target BUSY before it checks the run-time model (api_ffa_msg_send_direct_req), so the
     * answer is DENIED only while the target waits, BLOCKED, on a request from its own init; a requester
     * not in init, or in the normal world, finds it BUSY then.
     */
    @Test
    void aRequestFromInitToAnSpBlockedInItsOwnInitIsDenied() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final ExecutionContext b = fx.ec(SPB);
        assertError(ErrorCode.BUSY, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB)), "spb runs its init");
        final Future<RegisterFile> bSent = fx.deliver(fx.ec(SPC), b, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPB, SPC));
        assertEquals("BLOCKED(init", describe(SPB).substring(0, 12), describe(SPB));
        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB)));
        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, SPA, SPB)));
        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, SPA, SPB)));
        assertError(ErrorCode.BUSY, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB)));

        final Future<RegisterFile> aWaits = fx.msgWait(a);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0)));
        assertEquals(FunctionId.FFA_RUN, get(aWaits).w(0));
        assertError(ErrorCode.BUSY, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB)), "from the FFA_RUN model");
        fx.msgWait(a, FabricFixture.RESPOND_NS);
        assertEquals(FunctionId.FFA_MSG_WAIT, get(run).w(0));

        fx.respond(fx.ec(SPC), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPC, SPB));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(bSent).w(0));
        assertEquals("RUNNING(init", describe(SPB).substring(0, 12), describe(SPB));
    }

    /** A VM and the scheduler have no init model: none of the SP-init rules touches them. */
    @Test
    void theNormalWorldHasNoInitialisation() throws Exception
    {
        final ExecutionContext vm = fx.ec(VM1);
        final ExecutionContext hyp = fx.ec(HYP);
        // The scheduler finds an SP in its init BUSY, as any running context.
        assertError(ErrorCode.BUSY, call(hyp, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0))));
        // A VM fresh from its claim resumes a context that yielded to it.
        final ExecutionContext a = fx.ec(SPA);
        final Future<RegisterFile> sent = fx.deliver(a, vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        final Future<RegisterFile> yielded = fx.async(a, regs(FunctionId.FFA_YIELD));
        final RegisterFile y = get(sent);
        assertEquals(FunctionId.FFA_YIELD, y.w(0), y.toString());
        final Future<RegisterFile> resumed = fx.async(vm, regs(FunctionId.FFA_RUN, y.w(1)));
        assertSuccess32(get(yielded));
        fx.respond(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(resumed).w(0));
        // FFA_ERROR outside a request is DENIED, and ends nothing.
        assertError(ErrorCode.DENIED, call(vm, regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        assertError(ErrorCode.DENIED, call(hyp, regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        assertEquals(ExecutionContextState.RUNNING, fx.state(VM1, 0));
        assertEquals(ExecutionContextState.RUNNING, fx.state(HYP, 0));
        final Future<RegisterFile> again = fx.deliver(fx.ec(SPC), vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPC));
        fx.respond(fx.ec(SPC), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPC, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(again).w(0));
    }

    private String describe(final int id)
    {
        final ControlFile cf = fx.controlFile();
        return ExecutionContextState.describe(cf.ecState(cf.ecStateOffset(cf.slotOf(id), 0)));
    }
}
