package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.DirectRequestServer;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/** Usage patterns a real partition would try: serve, then act at once; mixed serving styles; racing requesters; closes. */
class AdversarialUsageTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int VM2 = 2;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;
    static final int SPC = 0x8003;
    static final UUID SPB_UUID = UUID.fromString("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee");
    static final long SERVE_NS = 5_000_000_000L;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0")
                .directMessaging())
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging().executionContexts(2))
            .partition(p -> p.name("vm2").id(VM2).world(World.VM).uuid("22222222-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().executionContexts(2).property(PartitionProperties.VM_CREATED_MSG, true))
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid(SPB_UUID.toString()).directMessaging())
            .partition(p -> p.name("spc").id(SPC).world(World.SP_EL1).uuid("cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .build(), HYP, VM1, VM2, SPA, SPB, SPC);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    /** Runs a DirectRequestServer's duty cycles on the executor until {@code stop}. */
    private Future<?> agent(final ExecutionContext ec, final DirectRequestHandler handler, final AtomicBoolean stop)
    {
        final DirectRequestServer server = new DirectRequestServer(ec, handler, 1_000_000L);
        return fx.exec().submit(() ->
        {
            while (!stop.get())
            {
                server.doWork();
            }
        });
    }

    interface Act
    {
        /** One call by SPA right after it served request {@code i}; asserts its outcome. */
        void run(int i) throws Exception;
    }

    /**
     * SPA serves VM1's request {@code i} in place, then at once acts ({@code act}); VM1 sends its next
     * request only once the act is done, so no request can win SPA's word in between.
     */
    private void serveThenAct(final int rounds, final Act act) throws Exception
    {
        final DirectRequestHandler doubling = (req, resp) -> resp.payload(0, req.payload(0) * 2);
        final RegisterFile other = new RegisterFile();
        assertFalse(fx.ec(SPA).serveDirectRequestWithin(doubling, other, 1_000_000L));
        final Semaphore actDone = new Semaphore(1);
        final Future<?> vm1 = fx.exec().submit(() ->
        {
            final DirectMessage m = new DirectMessage();
            for (int i = 0; i < rounds; i++)
            {
                actDone.acquire();
                m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                fx.ec(VM1).ops().sendDirect(SPA, m, WAIT_NS);
                assertEquals(2L * i, m.payload(0));
            }
            return null;
        });
        for (int i = 0; i < rounds; i++)
        {
            assertTrue(fx.ec(SPA).serveDirectRequest(doubling, other, SERVE_NS), "serving ended with " + other);
            act.run(i);
            actDone.release();
        }
        get(vm1);
    }

    /**
     * As DirectRequestServingTest.aCallRightAfterServingARequestGoesThrough, with REQ2 and REQ_32.
     * The context releases its word on its requester's behalf (the requester has taken the answer
     * but not yet stored the WAITING word); when the requester's own store lands between that
     * release's read and its compare-and-set, the call judged the stale RUNNING word it had read,
     * took it for a new requester's, and ended ABORTED (about one run in ten, at any round).
     */
    @Test
    void req2AndReq32RightAfterServingARequestGoThrough() throws Exception
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final Future<?> spb = agent(fx.ec(SPB), (req, resp) -> resp.payload(0, req.payload(0) + 1), stop);
        try
        {
            serveThenAct(1000, i ->
            {
                final RegisterFile r;
                if ((i & 1) == 0)
                {
                    r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, SPA, SPB);
                    r.uuidPair(2, SPB_UUID);
                    r.x(4, i);
                }
                else
                {
                    r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, SPA, SPB);
                    r.w(3, i);
                }
                fx.ec(SPA).invoke(r, WAIT_NS);
                assertTrue(FunctionId.isDirectResponse(r.functionId()), "round " + i + ": " + r);
                assertEquals(i + 1L, (i & 1) == 0 ? r.x(4) : r.x(3), "round " + i);
            });
        }
        finally
        {
            stop.set(true);
            get(spb);
        }
    }

    /**
     * SPA keeps a request to SPB outstanding (SPB yielded), serves VM1's request in place, and right
     * after resumes SPB with FFA_RUN: the run must collect SPB's answer. It ended ABORTED in about one
     * run in eight, for the same reason as above: FFA_RUN blocks the context through the same path.
     */
    @Test
    void aRunRightAfterServingARequestGoesThrough() throws Exception
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final Future<?> spb = agent(fx.ec(SPB), (req, resp) ->
        {
            fx.ec(SPB).ops().yieldCycles(0);
            resp.payload(0, req.payload(0) + 1);
        }, stop);
        final int rounds = 1000;
        final DirectRequestHandler doubling = (req, resp) -> resp.payload(0, req.payload(0) * 2);
        final RegisterFile other = new RegisterFile();
        final ExecutionContext sp = fx.ec(SPA);
        assertFalse(sp.serveDirectRequestWithin(doubling, other, 1_000_000L));
        final Semaphore actDone = new Semaphore(0);
        final Future<?> vm1 = fx.exec().submit(() ->
        {
            final DirectMessage m = new DirectMessage();
            for (int i = 0; i < rounds; i++)
            {
                actDone.acquire();
                m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                fx.ec(VM1).ops().sendDirect(SPA, m, WAIT_NS);
                assertEquals(2L * i, m.payload(0));
            }
            return null;
        });
        try
        {
            RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
            r.x(3, 0);
            sp.invoke(r, WAIT_NS);
            assertEquals(FunctionId.FFA_YIELD, r.functionId(), r.toString());
            actDone.release();
            for (int i = 0; i < rounds; i++)
            {
                assertTrue(sp.serveDirectRequest(doubling, other, SERVE_NS), "serving ended with " + other);
                r = regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0));
                sp.invoke(r, WAIT_NS);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.functionId(), "round " + i + ": " + r);
                assertEquals(i + 1L, r.x(3), "round " + i);
                r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SPA, SPB);
                r.x(3, i + 1);
                sp.invoke(r, WAIT_NS);
                assertEquals(FunctionId.FFA_YIELD, r.functionId(), "round " + i + ": " + r);
                actDone.release();
            }
            get(vm1);
            r = regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPB, 0));
            sp.invoke(r, WAIT_NS);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.functionId(), r.toString());
        }
        catch (final Throwable ex)
        {
            // SPB's handler may be left yielded: closing its endpoint ends the agent.
            stop.set(true);
            vm1.cancel(true);
            fx.endpoint(SPB).close();
            throw ex;
        }
        finally
        {
            stop.set(true);
            try
            {
                get(spb);
            }
            catch (final java.util.concurrent.ExecutionException ignored)
            {
                // The agent ended by the close above.
            }
        }
    }

}
