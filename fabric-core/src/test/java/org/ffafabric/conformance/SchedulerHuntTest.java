package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FrameworkMessage;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.Future;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/** The scheduler's FFA_RUN, yield/run loops, call chains and framework messages, under races. */
class SchedulerHuntTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;
    static final int SPC = 0x8003;
    /** A wait that must outlast the test's own waits (a hang guard of WAIT_NS each), and end within the fixture's close. */
    static final long LONG_NS = 2 * WAIT_NS;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0")
                .directMessaging())
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging().executionContexts(2))
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().executionContexts(2).property(PartitionProperties.VM_CREATED_MSG, true)
                .property(PartitionProperties.VM_DESTROYED_MSG, true))
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .partition(p -> p.name("spc").id(SPC).world(World.SP_EL1).uuid("cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .build(), HYP, VM1, SPA, SPB, SPC);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    /**
     * Digest 6.3: DIRECT_RESP moves the responder to WAITING; 6.2: only a context that is not WAITING
     * is BUSY. A requester whose bounded request returned FFA_INTERRUPT, and which has not yet come
     * back with FFA_RUN, must not keep the target from everyone else once the target has answered.
     */
    @Test
    void anAnsweredTargetIsFreeForOthersBeforeItsInterruptedRequesterComesBack() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final ExecutionContext vm = fx.ec(VM1);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        vm.invoke(r, 20_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, r.w(0), r.toString());
        // The target's FFA_MSG_WAIT has returned the request (not merely been taken by it) before it answers.
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(waiting).w(0));
        // The target answers, and waits (unbounded for the test's purposes) for its next request.
        final Future<RegisterFile> answered = fx.bounded(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1), LONG_NS);
        // Another requester: BUSY only until the target is WAITING again. The deadline guards a hang: the answering
        // thread may be off the CPU for seconds on a loaded machine, and its wait is bounded well past this.
        final ExecutionContext other = fx.ec(SPB);
        final long deadline = System.nanoTime() + WAIT_NS;
        RegisterFile o;
        do
        {
            o = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPB, SPA);
            o.x(3, 5);
            other.invoke(o, 1_000_000_000L);
        }
        while (o.w(0) == FunctionId.FFA_ERROR && o.w(2) == ErrorCode.BUSY && System.nanoTime() < deadline);
        if (o.w(0) == FunctionId.FFA_ERROR)
        {
            final String stuck = "spa answered vm1 and waits, yet is still not free for spb 10 s later: " + o +
                ", spa/0 is " + ExecutionContextState.stateName(fx.state(SPA, 0));
            // Let the first requester collect its answer (this releases the target), then fail.
            call(vm, regs(FunctionId.FFA_RUN, r.w(1)));
            fail(stuck);
        }
        final RegisterFile in = get(answered);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, in.w(0), in.toString());
        assertEquals(5L, in.x(3));
        fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, SPB));
        // The other requester's invoke was bounded at 1 s; collect with FFA_RUN if it was interrupted.
        if (o.w(0) == FunctionId.FFA_INTERRUPT)
        {
            o = call(other, regs(FunctionId.FFA_RUN, o.w(1)));
        }
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, o.w(0), o.toString());
        final RegisterFile late = call(vm, regs(FunctionId.FFA_RUN, r.w(1)));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, late.w(0), late.toString());
    }

    /**
     * A call whose bound ran out leaves its answer to come: only FFA_RUN of that target collects it
     * (digest 6.2, completion; 2.2: FFA_INTERRUPT means "resume with FFA_RUN"). As a direct request
     * is BUSY meanwhile, so is the scheduler's FFA_RUN of another context: otherwise that context's
     * FFA_YIELD or its own bound takes the one record of what is outstanding, and the first
     * target's answer is never collected (a later FFA_RUN of it runs it anew).
     */
    @Test
    void theSchedulerRunsNoOtherContextWhileAnInterruptedRequestIsOutstanding() throws Exception
    {
        interruptedThenRunAnother(ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, HYP, SPA));
    }

    @Test
    void theSchedulerRunsNoOtherContextWhileAnInterruptedFrameworkRequestIsOutstanding() throws Exception
    {
        final RegisterFile vmCreated = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, HYP, SPA);
        vmCreated.w(2, RegisterFile.frameworkMessageFlags(FrameworkMessage.VM_CREATED_REQ));
        vmCreated.w(3, -1).w(4, -1).w(5, VM1);
        interruptedThenRunAnother(vmCreated);
    }

    @Test
    void theSchedulerRunsNoOtherContextWhileAnInterruptedRunIsOutstanding() throws Exception
    {
        interruptedThenRunAnother(regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0)));
    }

    private void interruptedThenRunAnother(final RegisterFile first) throws Exception
    {
        final ExecutionContext hyp = fx.ec(HYP);
        final ExecutionContext spa = fx.ec(SPA);
        final ExecutionContext spb = fx.ec(SPB);
        final Future<RegisterFile> aWaiting = fx.msgWait(spa);
        final int firstCall = first.w(0);
        hyp.invoke(first, 20_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, first.w(0), first.toString());
        final RegisterFile aGot = get(aWaiting);
        assertEquals(firstCall, aGot.w(0), aGot.toString());

        final Future<RegisterFile> bWaiting = fx.msgWait(spb, LONG_NS);
        final RegisterFile other = regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0));
        hyp.invoke(other, 50_000_000L);
        if (other.w(0) != FunctionId.FFA_ERROR)
        {
            // spb was run (and the bound took the CPU back): let it give its cycles back before failing.
            final String mixedUp = "FFA_RUN of spb while spa's answer is still to come returned " + other +
                ", spb got " + get(bWaiting);
            fx.msgWait(spb, 300_000_000L);
            final int answered = answer(spa, aGot);
            final RegisterFile late = regs(FunctionId.FFA_RUN, first.w(1));
            hyp.invoke(late, 1_000_000_000L);
            fail(mixedUp + "; spa answered " + FunctionId.name(answered) + ", and FFA_RUN of spa then returned " + late);
        }
        assertError(ErrorCode.BUSY, other);
        assertFalse(bWaiting.isDone());
        assertEquals(ExecutionContextState.WAITING, fx.state(SPB, 0));

        // spa answers; the scheduler collects it with FFA_RUN and may then run spb.
        final int answered = answer(spa, aGot);
        final RegisterFile late = call(hyp, regs(FunctionId.FFA_RUN, first.w(1)));
        assertEquals(answered, late.w(0), late.toString());
        final Future<RegisterFile> runB = fx.async(hyp, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0)));
        assertEquals(FunctionId.FFA_RUN, get(bWaiting).w(0));
        fx.msgWait(spb, 300_000_000L);
        assertEquals(FunctionId.FFA_MSG_WAIT, get(runB).w(0));
    }

    /** Answers what spa received, as its model requires; returns what its giver will see. */
    private int answer(final ExecutionContext spa, final RegisterFile received)
    {
        switch (received.w(0))
        {
            case FunctionId.FFA_RUN:
                fx.msgWait(spa, 300_000_000L);
                return FunctionId.FFA_MSG_WAIT;
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_32:
                final RegisterFile ack = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, HYP);
                ack.w(2, RegisterFile.frameworkMessageFlags(FrameworkMessage.VM_CREATED_RESP));
                fx.respond(spa, ack);
                return FunctionId.FFA_MSG_SEND_DIRECT_RESP_32;
            default:
                fx.respond(spa, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, HYP));
                return FunctionId.FFA_MSG_SEND_DIRECT_RESP_64;
        }
    }
}
