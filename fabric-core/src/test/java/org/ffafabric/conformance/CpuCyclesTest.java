package org.ffafabric.conformance;

import org.agrona.concurrent.IdleStrategy;
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

import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/** FFA_YIELD, FFA_RUN, FFA_INTERRUPT from bounded invokes, call-chain cycles. */
class CpuCyclesTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0"))
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging().executionContexts(2))
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().executionContexts(2))
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .build(), HYP, VM1, SPA, SPB);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    @Test
    void yieldGivesTheRequesterTheCpuAndRunResumes() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final ExecutionContext vm = fx.ec(VM1);
        final Future<RegisterFile> sent = fx.deliver(sp, vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        final Future<RegisterFile> yielded = fx.async(sp, regs(FunctionId.FFA_YIELD, 0, 0x1234_5678, 0x9ABC));
        final RegisterFile y = get(sent);
        assertEquals(FunctionId.FFA_YIELD & 0xFFFF_FFFFL, y.x(0), y.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0) & 0xFFFF_FFFFL, y.x(1));
        assertEquals(0x1234_5678L, y.x(2));
        assertEquals(0x9ABCL, y.x(3));
        assertTrue(y.isZero(4, 17));
        // Another request meanwhile: the yielded one must be resumed first.
        assertError(ErrorCode.BUSY, call(vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB)));
        assertFalse(yielded.isDone());
        final Future<RegisterFile> run = fx.async(vm, regs(FunctionId.FFA_RUN, y.w(1)));
        final RegisterFile resumed = get(yielded);
        assertSuccess32(resumed);
        assertTrue(resumed.isZero(1, 17));
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        out.x(3, 99);
        fx.respond(sp, out);
        final RegisterFile done = get(run);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, done.w(0), done.toString());
        assertEquals(99L, done.x(3));
    }

    /** The yielded context's endpoint closes: FFA_RUN ends the request with ABORTED, and the requester is free. */
    @Test
    void aYieldedRequestWhoseTargetClosesEndsInAborted() throws Exception
    {
        final ExecutionContext vm = fx.ec(VM1);
        final Future<RegisterFile> sent = fx.deliver(fx.ec(SPB), vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB));
        final Future<RegisterFile> yielded = fx.async(fx.ec(SPB), regs(FunctionId.FFA_YIELD));
        assertEquals(FunctionId.FFA_YIELD, get(sent).w(0));
        fx.endpoint(SPB).close();
        assertError(ErrorCode.ABORTED, get(yielded), "FFA_YIELD of a closing endpoint");
        assertEquals(ExecutionContextState.OFF, fx.state(SPB, 0));
        assertError(ErrorCode.ABORTED, call(vm, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0))));
        final Future<RegisterFile> next = fx.deliver(fx.ec(SPA), vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        fx.respond(fx.ec(SPA), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(next).w(0));
    }

    @Test
    void yieldOutsideARequestOrWithArgumentsIsRefused() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_YIELD)));
        final Future<RegisterFile> sent = fx.deliver(sp, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, regs(FunctionId.FFA_YIELD, 0, 0, 0, 1)));
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, regs(FunctionId.FFA_YIELD, 5)));
        fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    /**
     * Digest 6.3, secure interrupt row: FFA_YIELD is allowed there, and Hafnium's SPMC makes it a no-op
     * (ffa_cpu_cycles_yield_prepare: no scheduler owns the cycles, the context runs on) returning
     * FFA_SUCCESS. A timed FFA_MSG_WAIT that returned FFA_INTERRUPT left the context in that model.
     */
    @Test
    void yieldAfterATimedWaitWasInterruptedIsANoOp() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final RegisterFile w = regs(FunctionId.FFA_MSG_WAIT);
        sp.invoke(w, 20_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, w.w(0), w.toString());
        final long before = fx.controlFile().ecState(fx.controlFile().ecStateOffset(fx.controlFile().slotOf(SPA), 0));

        final RegisterFile y = call(sp, regs(FunctionId.FFA_YIELD, 0, 0x10, 0));
        assertSuccess32(y);
        assertTrue(y.isZero(1, 17), y.toString());
        final long after = fx.controlFile().ecState(fx.controlFile().ecStateOffset(fx.controlFile().slotOf(SPA), 0));
        assertEquals(ExecutionContextState.describe(before), ExecutionContextState.describe(after), "a no-op");
        assertEquals(before, after, "not even the sequence moves");
        // Malformed is still malformed there.
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, regs(FunctionId.FFA_YIELD, 0, 0, 0, 1)));

        // It runs on: it waits and serves the next request.
        final Future<RegisterFile> sent = fx.deliver(sp, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    /**
     * FFA_YIELD by the caller's version. v1.1 lets a context give back only cycles FFA_RUN lent it: in the
     * direct request and secure interrupt models it is DENIED (v1.1 EAC0 7.3 and 7.4, as Hafnium's rule
     * tables for v1.1 had them); v1.2 added both (8.3 and 8.4, the rules Hafnium cites now).
     */
    @Test
    void aV11ContextYieldsOnlyCyclesFfaRunLentIt() throws Exception
    {
        final ExecutionContext sp = fx.reclaim(SPB).executionContext(0);
        assertEquals(V1_2, call(sp, FunctionId.FFA_VERSION, V1_1).w(0));
        final Future<RegisterFile> sent = fx.deliver(sp, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB));
        // On another thread: a yield that went through would wait for an FFA_RUN.
        assertError(ErrorCode.DENIED, get(fx.async(sp, regs(FunctionId.FFA_YIELD, 0, 7, 9))), "v1.1, serving a request");
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPB, 0));
        assertFalse(sent.isDone(), "the requester still waits for its answer");
        final Future<RegisterFile> answered = fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
        // The answer's wait ran out: the secure interrupt model, where v1.1 has no FFA_YIELD either.
        assertEquals(FunctionId.FFA_INTERRUPT, get(answered).w(0));
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_YIELD)), "v1.1, in the secure interrupt model");

        // Run by the scheduler, it yields, timeout and all.
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0)));
        assertEquals(FunctionId.FFA_RUN, get(waiting).w(0));
        final Future<RegisterFile> yielded = fx.async(sp, regs(FunctionId.FFA_YIELD, 0, 0x10, 0x20));
        final RegisterFile y = get(run);
        assertEquals(FunctionId.FFA_YIELD, y.w(0), y.toString());
        assertEquals(RegisterFile.packTargetInfo(SPB, 0), y.w(1));
        assertEquals(0x10L, y.x(2));
        assertEquals(0x20L, y.x(3));
        final Future<RegisterFile> resumed = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, y.w(1)));
        assertSuccess32(get(yielded));
        fx.msgWait(sp, 300_000_000L);
        assertEquals(FunctionId.FFA_MSG_WAIT, get(resumed).w(0));
    }

    /** v1.0's FFA_YIELD carries no timeout, which came with v1.1: w2 and w3 are MBZ there. */
    @Test
    void aV10ContextsYieldHasNoTimeout() throws Exception
    {
        final ExecutionContext sp = fx.reclaim(SPB).executionContext(0);
        assertEquals(V1_2, call(sp, FunctionId.FFA_VERSION, V1_0).w(0));
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0)));
        assertEquals(FunctionId.FFA_RUN, get(waiting).w(0));
        // On another thread: a yield that went through would wait for an FFA_RUN.
        assertError(ErrorCode.INVALID_PARAMETERS, get(fx.async(sp, regs(FunctionId.FFA_YIELD, 0, 1))), "w2 at v1.0");
        assertError(ErrorCode.INVALID_PARAMETERS, get(fx.async(sp, regs(FunctionId.FFA_YIELD, 0, 0, 1))), "w3 at v1.0");
        assertFalse(run.isDone(), "a refused yield gives nothing back");
        final Future<RegisterFile> yielded = fx.async(sp, regs(FunctionId.FFA_YIELD));
        final RegisterFile y = get(run);
        assertEquals(FunctionId.FFA_YIELD, y.w(0), y.toString());
        assertEquals(RegisterFile.packTargetInfo(SPB, 0), y.w(1));
        assertTrue(y.isZero(2, 17), y.toString());
        final Future<RegisterFile> resumed = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, y.w(1)));
        assertSuccess32(get(yielded));
        fx.msgWait(sp, 300_000_000L);
        assertEquals(FunctionId.FFA_MSG_WAIT, get(resumed).w(0));
    }

    @Test
    void boundedRequestReturnsInterruptAndRunCollectsTheResponse() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final ExecutionContext vm = fx.ec(VM1);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        vm.invoke(r, 50_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT & 0xFFFF_FFFFL, r.x(0), r.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0) & 0xFFFF_FFFFL, r.x(1));
        assertTrue(r.isZero(2, 17));
        get(waiting);
        assertError(ErrorCode.BUSY, call(vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB)));
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        out.x(4, 0x77);
        fx.respond(sp, out);
        final RegisterFile done = call(vm, regs(FunctionId.FFA_RUN, r.w(1)));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, done.w(0), done.toString());
        assertEquals(0x77L, done.x(4));
        // The request is over: a new one may start.
        fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
    }

    @Test
    void theSchedulerRunsAWaitingSecureContext() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0)));
        final RegisterFile woke = get(waiting);
        assertEquals(FunctionId.FFA_RUN & 0xFFFF_FFFFL, woke.x(0), woke.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0) & 0xFFFF_FFFFL, woke.x(1));
        assertTrue(woke.isZero(2, 17));
        assertFalse(run.isDone());
        fx.msgWait(sp, 300_000_000L);
        final RegisterFile back = get(run);
        assertEquals(FunctionId.FFA_MSG_WAIT, back.w(0), back.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0), back.w(1));
    }

    /**
     * ffa-reference.md 6.4: FFA_RUN of a multi-context partition's context other than the caller's CPU is
     * INVALID_PARAMETERS (Hafnium and TF-A), before any state rule, and moves nothing: context N runs on CPU N.
     */
    @Test
    void runOfAnotherCpusContextOfAMultiContextPartitionIsInvalidParameters() throws Exception
    {
        final Future<RegisterFile> waiting = fx.msgWait(fx.ec(SPA, 0), 500_000_000L);
        assertError(ErrorCode.INVALID_PARAMETERS,
            call(fx.ec(VM1, 1), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0))), "vm1/1 runs spa/0");
        assertEquals(ExecutionContextState.RUNNING, fx.state(VM1, 1));
        final RegisterFile timedOut = get(waiting);
        assertEquals(FunctionId.FFA_INTERRUPT, timedOut.w(0), () -> "nothing ran spa/0: " + timedOut);
    }

    /**
     * Hafnium holds only a multi-context caller to the same-CPU rule (ffa_cpu_cycles_run_checks:
     * vm_is_mp(target) && vm_is_mp(current)). A one-context scheduler is on no one CPU: it runs spa/1 as spa/0.
     */
    @Test
    void aOneContextSchedulerRunsEveryContextOfAMultiContextPartition() throws Exception
    {
        final ExecutionContext spa1 = fx.ec(SPA, 1);
        final Future<RegisterFile> waiting = fx.msgWait(spa1);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 1)));
        final RegisterFile woke = get(waiting);
        assertEquals(FunctionId.FFA_RUN, woke.w(0), woke.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 1), woke.w(1));
        fx.msgWait(spa1, 300_000_000L);
        final RegisterFile back = get(run);
        assertEquals(FunctionId.FFA_MSG_WAIT, back.w(0), back.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 1), back.w(1));
    }

    /**
     * A one-context partition runs on whichever CPU lent it cycles, so it may have moved since its request
     * was interrupted: the FFA_RUN that collects that request resumes the context it went to, from any CPU.
     */
    @Test
    void aOneContextPartitionThatMovedCpusStillCollectsItsInterruptedRequest() throws Exception
    {
        final ExecutionContext b = fx.ec(SPB);
        final ExecutionContext spa1 = fx.ec(SPA, 1);
        final Future<RegisterFile> first = fx.deliver(b, fx.ec(VM1, 1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB));
        final Future<RegisterFile> spaWaiting = fx.msgWait(spa1);
        final RegisterFile down = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPB, SPA);
        b.invoke(down, 20_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, down.w(0), down.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 1), down.w(1), "vm1/1 lent spb CPU 1");
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(spaWaiting).w(0));

        // spb answers vm1/1 and takes vm1/0's request: it runs on CPU 0 now.
        final Future<RegisterFile> next = fx.bounded(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, VM1), WAIT_NS);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(first).w(0));
        final Future<RegisterFile> second = fx.async(fx.ec(VM1, 0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(next).w(0));

        final RegisterFile up = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, SPB);
        up.x(3, 5);
        fx.respond(spa1, up);
        final RegisterFile collected = call(b, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 1)));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, collected.w(0), collected.toString());
        assertEquals(5L, collected.x(3));
        fx.respond(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(second).w(0));
    }

    /**
     * ffa-reference.md 6.3: FFA_RUN, as a request, is DENIED when its target precedes the caller in its call
     * chain (Hafnium's ffa_direct_msg_precedes_in_call_chain, checked for FFA_RUN as for requests). Here
     * vm1 -> spa -> spb, and spb runs spa, which is BLOCKED on spb itself: DENIED, not BUSY.
     */
    @Test
    void runBackDownTheCallChainIsDenied() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final ExecutionContext b = fx.ec(SPB);
        final Future<RegisterFile> bWaits = fx.msgWait(b);
        final Future<RegisterFile> vmSent = fx.deliver(a, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        final Future<RegisterFile> aSent = fx.async(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(bWaits).w(0));
        assertEquals(ExecutionContextState.BLOCKED, fx.state(SPA, 0));

        assertError(ErrorCode.DENIED, call(b, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0))));
        assertEquals(ExecutionContextState.BLOCKED, fx.state(SPA, 0));
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPB, 0));
        assertFalse(aSent.isDone(), "spa still waits for spb's answer");
        fx.respond(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(aSent).w(0));
        fx.respond(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(vmSent).w(0));
    }

    /**
     * ffa-reference.md 6.4: only the scheduler may run an OFF context (Hafnium: "non-primary caller runs an
     * OFF vCPU", DENIED; its SPMC also denies an SP running an SP that is neither preempted nor blocked).
     * Here nobody can, as no process serves it: the scheduler is told BUSY, everyone else DENIED.
     */
    @Test
    void runOfAnOffContextIsDeniedToAllButTheScheduler() throws Exception
    {
        fx.endpoint(SPB).close();
        assertEquals(ExecutionContextState.OFF, fx.state(SPB, 0));
        // Past SP initialisation, which runs no one whatever the target.
        final RegisterFile wait = regs(FunctionId.FFA_MSG_WAIT);
        fx.ec(SPA).invoke(wait, 1_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, wait.w(0), wait.toString());
        final int spb = RegisterFile.packTargetInfo(SPB, 0);
        assertError(ErrorCode.DENIED, call(fx.ec(SPA), regs(FunctionId.FFA_RUN, spb)), "an SP");
        assertError(ErrorCode.DENIED, call(fx.ec(VM1), regs(FunctionId.FFA_RUN, spb)), "a VM");
        assertError(ErrorCode.BUSY, call(fx.ec(HYP), regs(FunctionId.FFA_RUN, spb)), "the scheduler");
        assertEquals(ExecutionContextState.OFF, fx.state(SPB, 0));
    }

    @Test
    void runRefusals() throws Exception
    {
        final ExecutionContext vm = fx.ec(VM1);
        assertError(ErrorCode.INVALID_PARAMETERS, call(vm, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(0x1234, 0))));
        assertError(ErrorCode.INVALID_PARAMETERS, call(vm, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 2))));
        assertError(ErrorCode.DENIED, call(fx.ec(SPB), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(VM1, 0))));
        // spa/0 was just claimed and runs: BUSY for the scheduler.
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPA, 0));
        assertError(ErrorCode.BUSY, call(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0))));
    }

    /**
     * A context's FFA_RUN of itself. Hafnium's SPMC takes its SP-to-SP rule (the digest's 6.4: only a
     * PREEMPTED or BLOCKED SP may be run) and the caller is RUNNING: DENIED, as for another running SP.
     * Hafnium as hypervisor lets only its primary VM run anything (DENIED for a VM), and the primary
     * only other VMs' vCPUs: INVALID_PARAMETERS for the scheduler. Another context of the caller's own
     * multi-context partition is on another CPU: INVALID_PARAMETERS, as for any partition's.
     */
    @Test
    void runOfItself() throws Exception
    {
        // Past SP initialisation, which runs no one (DENIED whatever the target): spb runs in the interrupt model.
        final RegisterFile wait = regs(FunctionId.FFA_MSG_WAIT);
        fx.ec(SPB).invoke(wait, 1_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, wait.w(0), wait.toString());
        assertError(ErrorCode.DENIED, call(fx.ec(SPB), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0))),
            "an SP past its init");
        // Serving a request.
        final ExecutionContext spa = fx.ec(SPA, 0);
        final Future<RegisterFile> sent = fx.deliver(spa, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        assertError(ErrorCode.DENIED, call(spa, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0))),
            "an SP serving a request");
        assertError(ErrorCode.INVALID_PARAMETERS, call(spa, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 1))),
            "its partition's context of another CPU");
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPA, 0));
        fx.respond(spa, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
        final ExecutionContext vm = fx.ec(VM1);
        assertError(ErrorCode.DENIED, call(vm, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(VM1, 0))), "a VM");
        assertError(ErrorCode.INVALID_PARAMETERS, call(vm, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(VM1, 1))),
            "a VM's context of another CPU");
        assertError(ErrorCode.INVALID_PARAMETERS, call(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(HYP, 0))),
            "the scheduler");
        // Nothing moved: each still runs.
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPB, 0));
        assertEquals(ExecutionContextState.RUNNING, fx.state(VM1, 0));
        assertEquals(ExecutionContextState.RUNNING, fx.state(HYP, 0));
    }

    @Test
    void onlyTheSchedulerGivesCyclesToAContextThatDidNotYieldToTheCaller() throws Exception
    {
        // FFA_RUN is the scheduler's (Hafnium: the primary VM only, DENIED for others; TF-A's SPMC:
        // the normal world's physical instance only). A VM may FFA_RUN only to resume its own request.
        final ExecutionContext vm = fx.ec(VM1);
        final int spa = RegisterFile.packTargetInfo(SPA, 0);
        assertError(ErrorCode.DENIED, call(vm, regs(FunctionId.FFA_RUN, spa)), "a running context");
        // Unbounded for the test's purposes: spa stays WAITING until its endpoint closes, whatever the timing.
        final Future<RegisterFile> waiting = fx.msgWait(fx.ec(SPA));
        assertError(ErrorCode.DENIED, call(vm, regs(FunctionId.FFA_RUN, spa)), "a waiting context");
        assertEquals(ExecutionContextState.WAITING, fx.state(SPA, 0));
        fx.endpoint(SPA).close();
        final RegisterFile ended = get(waiting);
        assertError(ErrorCode.ABORTED, ended, "nothing reached it before its endpoint closed");
        // The scheduler runs a waiting VM as it runs an SP.
        final Future<RegisterFile> vmWaiting = fx.msgWait(vm);
        final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(VM1, 0)));
        assertEquals(FunctionId.FFA_RUN, get(vmWaiting).w(0));
        fx.msgWait(vm, 300_000_000L);
        assertEquals(FunctionId.FFA_MSG_WAIT, get(run).w(0));
    }

    @Test
    void requestBackDownTheCallChainIsDenied() throws Exception
    {
        final ExecutionContext a = fx.ec(SPA);
        final Future<RegisterFile> sent = fx.deliver(a, fx.ec(SPB), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPB, SPA));
        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB)));
        fx.respond(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, SPB));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    /**
     * spb has one execution context, so it runs on the CPU of whoever lent it cycles (Hafnium picks
     * an MP target's vCPU by the current physical CPU): spa/1 -> spb -> spa reaches spa/1, which
     * waits on spb, so the request would close a cycle (reference 6.2): DENIED, though spa/0 waits.
     */
    @Test
    void requestBackDownTheCallChainFromAOneContextPartitionIsDenied() throws Exception
    {
        final ExecutionContext spa0 = fx.ec(SPA, 0);
        final Future<RegisterFile> waiting0 = fx.msgWait(spa0);
        final ExecutionContext b = fx.ec(SPB);
        final Future<RegisterFile> sent = fx.deliver(b, fx.ec(SPA, 1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB));
        assertError(ErrorCode.DENIED, call(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPB, SPA)));
        assertFalse(waiting0.isDone(), "nothing reached spa/0");
        fx.respond(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, SPA));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
        // spa/0 still waits, for vm1/0.
        final Future<RegisterFile> fromVm = fx.async(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(waiting0).w(0));
        fx.respond(spa0, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(fromVm).w(0));
    }

    /** vm1/1 -> spb -> spa: spb runs on vm1/1's CPU, so its request reaches spa/1, not spa/0. */
    @Test
    void aOneContextPartitionsRequestReachesTheContextOfItsLendersCpu() throws Exception
    {
        final ExecutionContext spa1 = fx.ec(SPA, 1);
        final Future<RegisterFile> waiting1 = fx.msgWait(spa1);
        final ExecutionContext b = fx.ec(SPB);
        final Future<RegisterFile> sent = fx.deliver(b, fx.ec(VM1, 1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB));
        final RegisterFile down = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPB, SPA);
        down.x(3, 21);
        final Future<RegisterFile> downSent = fx.async(b, down);
        final RegisterFile in = get(waiting1);
        assertEquals(21L, in.x(3), in.toString());
        assertEquals(RegisterFile.packIds(SPB, SPA), in.w(1));
        final RegisterFile up = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, SPB);
        up.x(3, 22);
        fx.respond(spa1, up);
        assertEquals(22L, get(downSent).x(3));
        fx.respond(b, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    @Test
    void requesterEcNReachesReceiverEcN() throws Exception
    {
        final ExecutionContext receiver1 = fx.ec(SPA, 1);
        final Future<RegisterFile> waiting = fx.msgWait(receiver1);
        // spa/0 is not waiting: a request from vm1/1 must go to spa/1 regardless.
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        r.x(3, 11);
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1, 1), r);
        final RegisterFile in = get(waiting);
        assertEquals(11L, in.x(3));
        assertEquals(ExecutionContextState.BLOCKED, fx.state(VM1, 1));
        assertEquals(ExecutionContextState.RUNNING, fx.state(VM1, 0));
        assertError(ErrorCode.BUSY, call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)));
        fx.respond(receiver1, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    /**
     * A multi-context receiver serves on the requester's CPU, so a requester on a CPU it has no context
     * for is refused (Hafnium's api_ffa_get_vm_vcpu: INVALID_PARAMETERS), and nothing moves.
     */
    @Test
    void aRequesterOnACpuBeyondTheReceiversContextsIsInvalidParameters() throws Exception
    {
        fx.close();
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("vm3").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging().executionContexts(3))
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().executionContexts(2))
            .build(), VM1, SPA);
        final Future<RegisterFile> waiting0 = fx.msgWait(fx.ec(SPA, 0), 500_000_000L);
        final Future<RegisterFile> waiting1 = fx.msgWait(fx.ec(SPA, 1), 500_000_000L);
        awaitStateOrDone(fx.fabric(), SPA, 0, ExecutionContextState.WAITING, waiting0);
        awaitStateOrDone(fx.fabric(), SPA, 1, ExecutionContextState.WAITING, waiting1);
        assertError(ErrorCode.INVALID_PARAMETERS, call(fx.ec(VM1, 2), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)));
        assertEquals(ExecutionContextState.RUNNING, fx.state(VM1, 2));
        assertEquals(FunctionId.FFA_INTERRUPT, get(waiting0).w(0), "nothing reached spa/0");
        assertEquals(FunctionId.FFA_INTERRUPT, get(waiting1).w(0), "nothing reached spa/1");
    }

    @Test
    void msgWaitTimeoutAndReturnsInvokedAsCalls() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final RegisterFile r = regs(FunctionId.FFA_MSG_WAIT);
        sp.invoke(r, 20_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, r.w(0), r.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0), r.w(1));
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_INTERRUPT)));
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_SUCCESS_32)));
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_SUCCESS_64)));
        assertError(ErrorCode.DENIED, call(fx.ec(VM1), regs(FunctionId.FFA_INTERRUPT)));
    }

    @Test
    void aBoundIsKeptToAboutOneIdlePeriodWhenTheWaitParks() throws Exception
    {
        // The idles spin, then park >= 1 ms each, as a back-off strategy does: once polls are that
        // slow, a 120 ms bound must end after at most ~120 parks, not at the next of a fixed stride
        // of 64 polls (156 parks).
        final Thread caller = Thread.currentThread();
        final int[] parks = new int[1];
        try (FabricFixture parked = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .build(), () -> new SpinThenParkIdle(caller, parks), VM1, SPA))
        {
            // Claiming the partitions waited on this thread too: count from here.
            parks[0] = 0;
            final RegisterFile wait = regs(FunctionId.FFA_MSG_WAIT);
            parked.ec(SPA).invoke(wait, BOUND_NS);
            assertEquals(FunctionId.FFA_INTERRUPT, wait.w(0), wait.toString());
            assertTrue(parks[0] <= MAX_PARKS, "FFA_MSG_WAIT's bound ended after " + parks[0] + " parks");

            parks[0] = 0;
            final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
            final Future<RegisterFile> waiting = parked.msgWait(parked.ec(SPA));
            parked.ec(VM1).invoke(request, BOUND_NS);
            assertEquals(FunctionId.FFA_INTERRUPT & 0xFFFF_FFFFL, request.x(0), request.toString());
            assertTrue(parks[0] <= MAX_PARKS, "a direct request's bound ended after " + parks[0] + " parks");
            get(waiting);
            parked.respond(parked.ec(SPA), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64,
                call(parked.ec(VM1), regs(FunctionId.FFA_RUN, request.w(1))).w(0));
        }
    }

    static final long BOUND_NS = 120_000_000L;
    static final int MAX_PARKS = 125;

    /** Spins 100 idles from a reset, then parks ~1 ms per idle, counting one thread's parks. */
    static final class SpinThenParkIdle implements IdleStrategy
    {
        private final Thread counted;
        private final int[] parks;
        private int idles;

        SpinThenParkIdle(final Thread counted, final int[] parks)
        {
            this.counted = counted;
            this.parks = parks;
        }

        public void idle(final int workCount)
        {
            if (workCount <= 0)
            {
                idle();
            }
            else
            {
                reset();
            }
        }

        public void idle()
        {
            if (++idles <= 100)
            {
                Thread.onSpinWait();
                return;
            }
            if (Thread.currentThread() == counted)
            {
                parks[0]++;
            }
            LockSupport.parkNanos(1_000_000L);
        }

        public void reset()
        {
            idles = 0;
        }
    }
}
