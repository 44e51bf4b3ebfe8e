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
    static final long LONG_NS = 8_000_000_000L;

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
        fx.msgWait(sp);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        vm.invoke(r, 20_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT, r.w(0), r.toString());
        // The target answers, and waits (unbounded for the test's purposes) for its next request.
        final Future<RegisterFile> answered = fx.bounded(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1), LONG_NS);
        // Another requester: BUSY only until the target is WAITING again. The deadline guards a hang.
        final ExecutionContext other = fx.ec(SPB);
        final long deadline = System.nanoTime() + 3_000_000_000L;
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
            final String stuck = "spa answered vm1 and waits, yet is still not free for spb 3 s later: " + o +
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
}
