package org.ffafabric.conformance;

import org.agrona.concurrent.IdleStrategy;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.launch.PartitionHostMain;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The target of a request is closed and claimed again before the requester's wait reaches its first
 * liveness check (the requester's thread is held in its idle strategy, as a descheduled thread, or
 * one idling with a sleeping strategy, would be). The wait compares the target's claim generation
 * with the one the exchange began with, so the request ends in ABORTED rather than waiting on the
 * new claim, which owes it nothing, and the requester's next request is served by the new claim.
 */
class ReclaimBeforeFirstCheckTest
{
    static final int VM1 = 1;
    static final int SPB = 0x8002;

    /** Idles like a spin, but holds one chosen thread while the gate is shut. */
    static final class GatedIdle implements IdleStrategy
    {
        static volatile Thread gated;
        static volatile boolean shut;
        static volatile boolean held;

        @Override
        public void idle(final int workCount)
        {
            if (workCount > 0)
            {
                return;
            }
            while (shut && Thread.currentThread() == gated)
            {
                held = true;
                LockSupport.parkNanos(1_000_000);
            }
            Thread.onSpinWait();
        }

        @Override
        public void idle()
        {
            idle(0);
        }

        @Override
        public void reset()
        {
        }
    }

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .build(), GatedIdle::new, VM1, SPB);
    }

    @AfterEach
    void close() throws Exception
    {
        GatedIdle.shut = false;
        fx.close();
    }

    @Test
    void aRequestWhoseTargetIsClaimedAgainBeforeTheFirstCheckEndsInAborted() throws Exception
    {
        final ExecutionContext vm = fx.ec(VM1);
        final Future<RegisterFile> waiting = fx.msgWait(fx.ec(SPB));
        GatedIdle.shut = true;
        final Future<RegisterFile> sent = fx.exec().submit(() ->
        {
            GatedIdle.gated = Thread.currentThread();
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB);
            vm.invoke(r, TimeUnit.SECONDS.toNanos(2));
            return r;
        });
        // SPB has the request; the requester idles in its wait, before its first liveness check.
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(waiting).w(0));
        final long deadline = System.nanoTime() + WAIT_NS;
        while (!GatedIdle.held)
        {
            assertTrue(System.nanoTime() < deadline);
            Thread.yield();
        }
        // SPB closes (OFF, unclaimed) and is claimed again: a new generation that owes VM1 nothing.
        fx.endpoint(SPB).close();
        final Endpoint again = fx.claim(SPB);
        try (AutoCloseable serving = again.serve(PartitionHostMain::echo))
        {
            fx.awaitState(SPB, 0, ExecutionContextState.WAITING);
            GatedIdle.shut = false;
            // As when the wait sees the old claim go: ABORTED, not FFA_INTERRUPT after the bound with the
            // request left outstanding against the new claim.
            assertError(ErrorCode.ABORTED, get(sent), "request whose target was claimed again before the first check");
            final RegisterFile next = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPB).x(3, 41);
            vm.invoke(next, WAIT_NS);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, next.w(0), next::toString);
            assertEquals(42, next.x(3), "the new claim echoes the next request");
        }
        finally
        {
            again.close();
        }
    }
}
