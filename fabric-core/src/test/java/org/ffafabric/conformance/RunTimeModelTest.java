package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.ExecutionContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.Future;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Digest 6.3's table of calls by the caller's run-time model, a row at a time through the raw {@code invoke},
 * with every register of every answer: the FFA_RUN model (an SP the scheduler ran), the direct request model
 * and the secure interrupt model (here, an SP whose timed FFA_MSG_WAIT returned FFA_INTERRUPT). The SP init
 * row is {@link SpInitialisationTest}'s.
 */
class RunTimeModelTest
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

    /** The FFA_RUN row: RESP and FFA_ERROR DENIED; a request and an FFA_RUN block; FFA_YIELD and FFA_MSG_WAIT give back. */
    @Test
    void theFfaRunModel() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final int spa = RegisterFile.packTargetInfo(SPA, 0);
        final Future<RegisterFile> aWaits = fx.msgWait(a);
        // The scheduler's cycles stay lent across the whole row, a second of calls and waits that a loaded machine
        // stretches: its FFA_RUN is bounded only against a hang, within the fixture's wait for calls at its close.
        final Future<RegisterFile> run = fx.bounded(fx.ec(HYP), regs(FunctionId.FFA_RUN, spa), 2 * WAIT_NS);
        assertEquals(FunctionId.FFA_RUN, get(aWaits).w(0));
        assertModel("RUNNING(run,");

        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, HYP)), "RESP_32");
        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, HYP)), "RESP_64");
        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SPA, HYP)), "RESP2");
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)), "FFA_ERROR");
        // An SP runs only a BLOCKED or PREEMPTED SP (digest 6.4): not a running one, nor a waiting one.
        final int spb = RegisterFile.packTargetInfo(SPB, 0);
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_RUN, spb)), "FFA_RUN of a running SP");
        final Future<RegisterFile> bWaits = fx.msgWait(fx.ec(SPB));
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_RUN, spb)), "FFA_RUN of a waiting SP");
        assertEquals(ExecutionContextState.WAITING, fx.state(SPB, 0));
        final Future<RegisterFile> fromVm = fx.async(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(bWaits).w(0), "spb still took requests");
        final Future<RegisterFile> bAnswered = fx.respond(fx.ec(SPB), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(fromVm).w(0));
        assertEquals(FunctionId.FFA_INTERRUPT, get(bAnswered).w(0));
        assertModel("RUNNING(run,");

        requestBlocksAndResumes(a, "BLOCKED(run,");
        assertModel("RUNNING(run,");
        runOfAContextThatYieldedResumesIt(a);
        assertModel("RUNNING(run,");
        assertFalse(run.isDone(), "the scheduler's cycles are still lent");

        // FFA_YIELD gives them back, timeout and all; the scheduler's FFA_RUN resumes; FFA_MSG_WAIT gives them back.
        final Future<RegisterFile> yielded = fx.async(a, regs(FunctionId.FFA_YIELD, 0, 0x71, 0x72));
        final RegisterFile y = get(run);
        assertEquals(FunctionId.FFA_YIELD & 0xFFFF_FFFFL, y.x(0), y.toString());
        assertEquals(spa & 0xFFFF_FFFFL, y.x(1), y.toString());
        assertEquals(0x71L, y.x(2), y.toString());
        assertEquals(0x72L, y.x(3), y.toString());
        assertTrue(y.isZero(4, 17), y.toString());
        final Future<RegisterFile> again = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, spa));
        final RegisterFile resumed = get(yielded);
        assertSuccess32(resumed);
        assertTrue(resumed.isZero(1, 17), resumed.toString());
        fx.msgWait(a, FabricFixture.RESPOND_NS);
        final RegisterFile back = get(again);
        assertEquals(FunctionId.FFA_MSG_WAIT & 0xFFFF_FFFFL, back.x(0), back.toString());
        assertEquals(spa & 0xFFFF_FFFFL, back.x(1), back.toString());
        assertTrue(back.isZero(2, 17), back.toString());
    }

    /** The direct request row's blocking cells: a request down the chain, and FFA_RUN of a context that yielded to it. */
    @Test
    void theDirectRequestModel() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final Future<RegisterFile> sent = fx.deliver(a, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        assertModel("RUNNING(direct-req,");
        requestBlocksAndResumes(a, "BLOCKED(direct-req,");
        assertModel("RUNNING(direct-req,");
        runOfAContextThatYieldedResumesIt(a);
        assertModel("RUNNING(direct-req,");
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        out.x(7, 0x77);
        fx.respond(a, out);
        final RegisterFile done = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, done.w(0), done.toString());
        assertEquals(RegisterFile.packIds(SPA, VM1) & 0xFFFF_FFFFL, done.x(1), done.toString());
        assertTrue(done.isZero(2, 6), done.toString());
        assertEquals(0x77L, done.x(7));
        assertTrue(done.isZero(8, 17), done.toString());
    }

    /**
     * The secure interrupt row. FFA_INTERRUPT carries the context's target info in w1 and the interrupt ID
     * (none: 0) in w2. RESP and FFA_ERROR are DENIED; a request blocks; FFA_RUN is allowed only of a PREEMPTED
     * target, so not of one BLOCKED after yielding to this context (Hafnium's
     * ffa_cpu_cycles_check_rtm_sec_interrupt): DENIED, and the context stays BLOCKED until the caller, run by
     * the scheduler, resumes it from the FFA_RUN model.
     */
    @Test
    void theSecureInterruptModel() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final ExecutionContext b = fx.ec(SPB);
        final RegisterFile wait = regs(FunctionId.FFA_MSG_WAIT);
        a.invoke(wait, 1_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT & 0xFFFF_FFFFL, wait.x(0), wait.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0) & 0xFFFF_FFFFL, wait.x(1), wait.toString());
        assertTrue(wait.isZero(2, 17), () -> "interrupt ID 0, the rest zero: " + wait);
        assertModel("RUNNING(interrupt,");

        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1)), "RESP_64");
        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SPA, VM1)), "RESP2");
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)), "FFA_ERROR");
        requestBlocksAndResumes(a, "BLOCKED(interrupt,");
        assertModel("RUNNING(interrupt,");

        // The FFA_RUN that collects the answer to a request its own bound interrupted is the rest of that request.
        final Future<RegisterFile> bWaits = fx.msgWait(b);
        final RegisterFile bounded = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
        a.invoke(bounded, 20_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, bounded.w(0), bounded.toString());
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(bWaits).w(0));
        final Future<RegisterFile> bAnswered = fx.respond(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, call(a, regs(FunctionId.FFA_RUN, bounded.w(1))).w(0));
        assertEquals(FunctionId.FFA_INTERRUPT, get(bAnswered).w(0));
        assertModel("RUNNING(interrupt,");

        final Future<RegisterFile> sent = fx.deliver(b, a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB));
        final Future<RegisterFile> yielded = fx.async(b, regs(FunctionId.FFA_YIELD));
        final RegisterFile y = get(sent);
        assertEquals(FunctionId.FFA_YIELD, y.w(0), y.toString());
        assertError(ErrorCode.DENIED, call(a, regs(FunctionId.FFA_RUN, y.w(1))), "FFA_RUN of a BLOCKED SP");
        assertEquals(ExecutionContextState.BLOCKED, fx.state(SPB, 0));
        assertFalse(yielded.isDone(), "spb was not resumed");
        assertModel("RUNNING(interrupt,");

        // Run by the scheduler, it resumes spb and collects the answer.
        final Future<RegisterFile> aWaits = fx.msgWait(a);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0)));
        assertEquals(FunctionId.FFA_RUN, get(aWaits).w(0));
        final Future<RegisterFile> resumed = fx.async(a, regs(FunctionId.FFA_RUN, y.w(1)));
        assertSuccess32(get(yielded));
        fx.respond(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(resumed).w(0));
        fx.msgWait(a, FabricFixture.RESPOND_NS);
        assertEquals(FunctionId.FFA_MSG_WAIT, get(run).w(0));
    }

    /**
     * The scheduler (ID 0) runs a VM's context as an SP's: the context's FFA_MSG_WAIT returns FFA_RUN, a bound on
     * the scheduler's FFA_RUN returns FFA_INTERRUPT with the target's info (no interrupt ID), and FFA_RUN of that
     * collects the context's FFA_MSG_WAIT. The scheduler serves no request and is lent no cycles: its
     * DIRECT_RESP is NOT_SUPPORTED (it is never sent a request), its FFA_ERROR DENIED.
     */
    @Test
    void theSchedulerRunsAVmsContext() throws Exception
    {
        final ExecutionContext hyp = fx.ec(HYP);
        assertError(ErrorCode.NOT_SUPPORTED, call(hyp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, HYP, VM1)), "RESP_64");
        assertError(ErrorCode.DENIED, call(hyp, regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)), "FFA_ERROR");

        final int vm1 = RegisterFile.packTargetInfo(VM1, 0);
        final Future<RegisterFile> vmWaits = fx.msgWait(fx.ec(VM1));
        final RegisterFile run = regs(FunctionId.FFA_RUN, vm1);
        hyp.invoke(run, 50_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT & 0xFFFF_FFFFL, run.x(0), run.toString());
        assertEquals(vm1 & 0xFFFF_FFFFL, run.x(1), run.toString());
        assertTrue(run.isZero(2, 17), run.toString());
        final RegisterFile woke = get(vmWaits);
        assertEquals(FunctionId.FFA_RUN & 0xFFFF_FFFFL, woke.x(0), woke.toString());
        assertEquals(vm1 & 0xFFFF_FFFFL, woke.x(1), woke.toString());
        assertTrue(woke.isZero(2, 17), woke.toString());

        fx.msgWait(fx.ec(VM1), FabricFixture.RESPOND_NS);
        final RegisterFile back = call(hyp, regs(FunctionId.FFA_RUN, run.w(1)));
        assertEquals(FunctionId.FFA_MSG_WAIT & 0xFFFF_FFFFL, back.x(0), back.toString());
        assertEquals(vm1 & 0xFFFF_FFFFL, back.x(1), back.toString());
        assertTrue(back.isZero(2, 17), back.toString());
    }

    /**
     * Digest 6.2 and 6.3: a request, or an FFA_RUN, whose target precedes the caller in its call chain is DENIED,
     * however far back: vm1 -> spa -> spb -> spc, and spc asks or runs spa or spb. Nothing moves, and the chain
     * unwinds as before.
     */
    @Test
    void aRequestOrRunUpALongerCallChainIsDenied() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final ExecutionContext b = fx.ec(SPB);
        final ExecutionContext c = fx.ec(SPC);
        final Future<RegisterFile> vmSent = fx.deliver(a, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        final Future<RegisterFile> aSent = fx.deliver(b, a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB));
        final Future<RegisterFile> bSent = fx.deliver(c, b, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPB, SPC));

        assertError(ErrorCode.DENIED, call(c, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPC, SPA)), "REQ to spa");
        assertError(ErrorCode.DENIED, call(c, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, SPC, SPB)), "REQ_32 to spb");
        assertError(ErrorCode.DENIED, call(c, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, SPC, SPA)), "REQ2 to spa");
        assertError(ErrorCode.DENIED, call(c, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0))), "run spa");
        assertError(ErrorCode.DENIED, call(c, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0))), "run spb");
        assertEquals(ExecutionContextState.BLOCKED, fx.state(SPA, 0));
        assertEquals(ExecutionContextState.BLOCKED, fx.state(SPB, 0));
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPC, 0));

        fx.respond(c, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPC, SPB));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(bSent).w(0));
        fx.respond(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(aSent).w(0));
        fx.respond(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(vmSent).w(0));
    }

    /**
     * The table's FFA_ABORT column is v1.3's, and the fabric stops at v1.2: NOT_SUPPORTED, from SP init as from a
     * request, and the context runs on in its model (a v1.2 SP reports a failed init with FFA_ERROR(ABORTED)).
     */
    @Test
    void abortIsNotSupported() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        assertModel("RUNNING(init,");
        assertError(ErrorCode.NOT_SUPPORTED, call(a, regs(FunctionId.FFA_ABORT_32)), "FFA_ABORT_32 from init");
        assertError(ErrorCode.NOT_SUPPORTED, call(a, regs(FunctionId.FFA_ABORT_64)), "FFA_ABORT_64 from init");
        assertModel("RUNNING(init,");
        final Future<RegisterFile> sent = fx.deliver(a, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        assertError(ErrorCode.NOT_SUPPORTED, call(a, regs(FunctionId.FFA_ABORT_32)), "FFA_ABORT_32 serving a request");
        assertModel("RUNNING(direct-req,");
        assertFalse(sent.isDone(), "the requester still waits");
        fx.respond(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    /** spa asks spb: spa is BLOCKED in its model ({@code blocked}) until the answer, which comes back whole. */
    private void requestBlocksAndResumes(final ExecutionContext a, final String blocked) throws Exception
    {
        final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
        request.x(3, 0x33);
        final Future<RegisterFile> sent = fx.deliver(fx.ec(SPB), a, request);
        assertModel(blocked);
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA);
        out.x(4, 0x44);
        final Future<RegisterFile> answered = fx.respond(fx.ec(SPB), out);
        final RegisterFile answer = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64 & 0xFFFF_FFFFL, answer.x(0), answer.toString());
        assertEquals(RegisterFile.packIds(SPB, SPA) & 0xFFFF_FFFFL, answer.x(1), answer.toString());
        assertTrue(answer.isZero(2, 3), answer.toString());
        assertEquals(0x44L, answer.x(4));
        assertTrue(answer.isZero(5, 17), answer.toString());
        // spb's wait after its answer ends (nothing else comes), so that the next request finds it free.
        assertEquals(FunctionId.FFA_INTERRUPT, get(answered).w(0));
    }

    /** spa asks spb, which yields to it; spa's FFA_RUN resumes spb (its FFA_YIELD returns FFA_SUCCESS) and returns the answer. */
    private void runOfAContextThatYieldedResumesIt(final ExecutionContext a) throws Exception
    {
        final ExecutionContext b = fx.ec(SPB);
        final Future<RegisterFile> sent = fx.deliver(b, a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB));
        final Future<RegisterFile> yielded = fx.async(b, regs(FunctionId.FFA_YIELD, 0, 5, 6));
        final RegisterFile y = get(sent);
        assertEquals(FunctionId.FFA_YIELD & 0xFFFF_FFFFL, y.x(0), y.toString());
        assertEquals(RegisterFile.packTargetInfo(SPB, 0) & 0xFFFF_FFFFL, y.x(1), y.toString());
        assertEquals(5L, y.x(2), y.toString());
        assertEquals(6L, y.x(3), y.toString());
        assertTrue(y.isZero(4, 17), y.toString());
        final Future<RegisterFile> resumed = fx.async(a, regs(FunctionId.FFA_RUN, y.w(1)));
        final RegisterFile success = get(yielded);
        assertSuccess32(success);
        assertTrue(success.isZero(1, 17), success.toString());
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA);
        out.x(5, 0x55);
        final Future<RegisterFile> answered = fx.respond(b, out);
        final RegisterFile answer = get(resumed);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64 & 0xFFFF_FFFFL, answer.x(0), answer.toString());
        assertEquals(RegisterFile.packIds(SPB, SPA) & 0xFFFF_FFFFL, answer.x(1), answer.toString());
        assertTrue(answer.isZero(2, 4), answer.toString());
        assertEquals(0x55L, answer.x(5));
        assertTrue(answer.isZero(6, 17), answer.toString());
        assertEquals(FunctionId.FFA_INTERRUPT, get(answered).w(0));
    }

    private void assertModel(final String prefix)
    {
        final ControlFile cf = fx.controlFile();
        final String state = ExecutionContextState.describe(cf.ecState(cf.ecStateOffset(cf.slotOf(SPA), 0)));
        assertTrue(state.startsWith(prefix), () -> "spa is " + state + ", expected " + prefix);
    }
}
