package org.ffafabric.conformance;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/** FFA_YIELD, FFA_RUN, FFA_INTERRUPT from bounded invokes, call-chain cycles. */
class CpuCyclesTest
{
    static final int VM1 = 1;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;

    private EmbeddedFabric fabric;
    private ExecutorService exec;
    private Endpoint vm1;
    private Endpoint spa;
    private Endpoint spb;

    @BeforeEach
    void launch()
    {
        fabric = EmbeddedFabric.launch(Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging().executionContexts(2))
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().executionContexts(2))
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .build());
        exec = Executors.newCachedThreadPool();
        vm1 = fabric.claim(VM1);
        spa = fabric.claim(SPA);
        spb = fabric.claim(SPB);
    }

    @AfterEach
    void close() throws Exception
    {
        shutdown(exec, fabric);
    }

    @Test
    void yieldGivesTheRequesterTheCpuAndRunResumes() throws Exception
    {
        final ExecutionContext sp = spa.executionContext(0);
        final ExecutionContext vm = vm1.executionContext(0);
        final Future<RegisterFile> waiting = msgWait(exec, fabric, sp);
        final Future<RegisterFile> sent = async(exec, vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        get(waiting);
        final Future<RegisterFile> yielded = async(exec, sp, regs(FunctionId.FFA_YIELD, 0, 0x1234_5678, 0x9ABC));
        final RegisterFile y = get(sent);
        assertEquals(FunctionId.FFA_YIELD & 0xFFFF_FFFFL, y.x(0), y.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0) & 0xFFFF_FFFFL, y.x(1));
        assertEquals(0x1234_5678L, y.x(2));
        assertEquals(0x9ABCL, y.x(3));
        assertTrue(y.isZero(4, 17));
        // Another request meanwhile: the yielded one must be resumed first.
        assertError(ErrorCode.BUSY, call(vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB)));
        assertFalse(yielded.isDone());
        final Future<RegisterFile> run = async(exec, vm, regs(FunctionId.FFA_RUN, y.w(1)));
        final RegisterFile resumed = get(yielded);
        assertSuccess32(resumed);
        assertTrue(resumed.isZero(1, 17));
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        out.x(3, 99);
        bounded(exec, sp, out, 300_000_000L);
        final RegisterFile done = get(run);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, done.w(0), done.toString());
        assertEquals(99L, done.x(3));
    }

    @Test
    void yieldOutsideARequestOrWithArgumentsIsRefused() throws Exception
    {
        final ExecutionContext sp = spa.executionContext(0);
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_YIELD)));
        final Future<RegisterFile> waiting = msgWait(exec, fabric, sp);
        final Future<RegisterFile> sent = async(exec, vm1.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        get(waiting);
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, regs(FunctionId.FFA_YIELD, 0, 0, 0, 1)));
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, regs(FunctionId.FFA_YIELD, 5)));
        bounded(exec, sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1), 300_000_000L);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    @Test
    void boundedRequestReturnsInterruptAndRunCollectsTheResponse() throws Exception
    {
        final ExecutionContext sp = spa.executionContext(0);
        final ExecutionContext vm = vm1.executionContext(0);
        final Future<RegisterFile> waiting = msgWait(exec, fabric, sp);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        vm.invoke(r, 50_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT & 0xFFFF_FFFFL, r.x(0), r.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0) & 0xFFFF_FFFFL, r.x(1));
        assertTrue(r.isZero(2, 17));
        get(waiting);
        assertError(ErrorCode.BUSY, call(vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB)));
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        out.x(4, 0x77);
        bounded(exec, sp, out, 300_000_000L);
        final RegisterFile done = call(vm, regs(FunctionId.FFA_RUN, r.w(1)));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, done.w(0), done.toString());
        assertEquals(0x77L, done.x(4));
        // The request is over: a new one may start.
        awaitState(fabric, SPA, 0, ExecutionContextState.WAITING);
    }

    @Test
    void normalWorldRunsAWaitingSecureContext() throws Exception
    {
        final ExecutionContext sp = spa.executionContext(0);
        final ExecutionContext vm = vm1.executionContext(0);
        final Future<RegisterFile> waiting = msgWait(exec, fabric, sp);
        final Future<RegisterFile> run = async(exec, vm, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0)));
        final RegisterFile woke = get(waiting);
        assertEquals(FunctionId.FFA_RUN & 0xFFFF_FFFFL, woke.x(0), woke.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0) & 0xFFFF_FFFFL, woke.x(1));
        assertTrue(woke.isZero(2, 17));
        assertFalse(run.isDone());
        msgWait(exec, fabric, sp, 300_000_000L);
        final RegisterFile back = get(run);
        assertEquals(FunctionId.FFA_MSG_WAIT, back.w(0), back.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0), back.w(1));
    }

    @Test
    void runRefusals() throws Exception
    {
        final ExecutionContext vm = vm1.executionContext(0);
        assertError(ErrorCode.INVALID_PARAMETERS, call(vm, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(0x1234, 0))));
        assertError(ErrorCode.INVALID_PARAMETERS, call(vm, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 2))));
        assertError(ErrorCode.INVALID_PARAMETERS, call(vm, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(VM1, 0))));
        assertError(ErrorCode.DENIED, call(spb.executionContext(0), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(VM1, 0))));
        // spa/0 was just claimed and runs: BUSY.
        assertEquals(ExecutionContextState.RUNNING, state(fabric, SPA, 0));
        assertError(ErrorCode.BUSY, call(vm, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0))));
    }

    @Test
    void requestBackDownTheCallChainIsDenied() throws Exception
    {
        final ExecutionContext a = spa.executionContext(0);
        final Future<RegisterFile> waiting = msgWait(exec, fabric, a);
        final Future<RegisterFile> sent = async(exec, spb.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPB, SPA));
        get(waiting);
        assertError(ErrorCode.DENIED, call(a, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB)));
        bounded(exec, a, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, SPB), 300_000_000L);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    @Test
    void requesterEcNReachesReceiverEcN() throws Exception
    {
        final ExecutionContext receiver1 = spa.executionContext(1);
        final Future<RegisterFile> waiting = msgWait(exec, fabric, receiver1);
        // spa/0 is not waiting: a request from vm1/1 must go to spa/1 regardless.
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        r.x(3, 11);
        final Future<RegisterFile> sent = async(exec, vm1.executionContext(1), r);
        final RegisterFile in = get(waiting);
        assertEquals(11L, in.x(3));
        assertEquals(ExecutionContextState.BLOCKED, state(fabric, VM1, 1));
        assertEquals(ExecutionContextState.RUNNING, state(fabric, VM1, 0));
        assertError(ErrorCode.BUSY, call(vm1.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA)));
        bounded(exec, receiver1, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1), 300_000_000L);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    @Test
    void msgWaitTimeoutAndReturnsInvokedAsCalls() throws Exception
    {
        final ExecutionContext sp = spa.executionContext(0);
        final RegisterFile r = regs(FunctionId.FFA_MSG_WAIT);
        sp.invoke(r, 20_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, r.w(0), r.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0), r.w(1));
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_INTERRUPT)));
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_SUCCESS_32)));
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_SUCCESS_64)));
        assertError(ErrorCode.DENIED, call(vm1.executionContext(0), regs(FunctionId.FFA_INTERRUPT)));
    }
}
