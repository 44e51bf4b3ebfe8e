package org.ffafabric.conformance;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.endpoint.FabricClientProbe;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A handler that closes its own endpoint (a "shut down" request, say) answers its request and the
 * endpoint closes. The close waited for every thread inside a call to leave, the handler's own
 * thread included, so it waited for itself until the client's connect timeout ran out (10 s by
 * default, spinning on Thread.yield all along), and the requester waited that long for its answer.
 * The connect timeout here is 30 s and the request's bound 15 s, so the request, answered at once
 * once close does not wait for its caller, ends in FFA_INTERRUPT while it does.
 */
class CloseFromItsOwnHandlerTest
{
    static final int VM1 = 1;
    static final int SP1 = 0x8001;

    static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("d0000000-0000-0000-0000-000000000001")
                .directMessaging())
            .partition(p -> p.name("sp1").id(SP1).world(World.SP_EL1).uuid("d0000000-0000-0000-0000-000000008001")
                .directMessaging())
            .build();
    }

    @Test
    @Timeout(120)
    void aHandlerThatClosesItsOwnEndpointIsAnsweredWithoutWaitingForItself() throws Exception
    {
        final Queue<Throwable> told = new ConcurrentLinkedQueue<>();
        try (FabricFixture fx = FabricFixture.launch(manifest(), VM1);
            FabricClient client = FabricClient.connect(new FabricClient.Context()
                .directory(fx.fabric().directory()).connectTimeoutNs(TimeUnit.SECONDS.toNanos(30)).errorHandler(told::add)))
        {
            final Endpoint sp = client.claim(SP1);
            final CountDownLatch closed = new CountDownLatch(1);
            final AutoCloseable serving = sp.serve((request, response) ->
            {
                response.payload(0, request.payload(0) + 1);
                sp.close();
                closed.countDown();
            });
            try
            {
                final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 41);
                fx.ec(VM1).invoke(r, TimeUnit.SECONDS.toNanos(15));
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r::toString);
                assertEquals(42, r.x(3), r::toString);
            }
            finally
            {
                // Either way the handler's close returns (by its 30 s bound at the latest) before the fabric goes.
                assertTrue(closed.await(60, TimeUnit.SECONDS), "the handler's close returned");
                serving.close();
            }
            assertTrue(sp.isClosed());
        }
        // Finishing once the handler has returned is what a handler's own close does: nothing to tell.
        assertTrue(told.isEmpty(), told::toString);
    }

    /**
     * The target answers its first request from the requester (so on a log new to the requester's
     * inbox) and closes at once; the requester's client adds that log's image only after the target
     * has gone, long after (its conductor held here, as a starved one may be on a loaded machine).
     * The answer is still taken: the driver links the log to the inbox before the target can write
     * to it, and keeps the link until the answer is read. It was ABORTED once a fixed grace ran out.
     */
    @Test
    @Timeout(120)
    void anAnswerWhoseLogTheRequestersClientSeesOnlyAfterItsTargetWentIsTaken() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
            FabricClient requesterClient = FabricClient.connect(new FabricClient.Context().directory(fabric.directory()));
            FabricClient targetClient = FabricClient.connect(new FabricClient.Context().directory(fabric.directory())))
        {
            final Endpoint vm = requesterClient.claim(VM1);
            final Endpoint sp = targetClient.claim(SP1);
            final CountDownLatch received = new CountDownLatch(1);
            final CountDownLatch answer = new CountDownLatch(1);
            final AutoCloseable serving = sp.serve((request, response) ->
            {
                received.countDown();
                awaitUninterruptibly(answer);
                response.payload(0, request.payload(0) + 1);
                sp.close();
            });
            final ExecutorService exec = Executors.newSingleThreadExecutor();
            try
            {
                final Future<RegisterFile> answered = exec.submit(() ->
                {
                    final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 41);
                    vm.executionContext(0).invoke(r, WAIT_NS * 3);
                    return r;
                });
                assertTrue(received.await(30, TimeUnit.SECONDS), "the target received the request");
                final Lock conductor = FabricClientProbe.conductorLock(requesterClient);
                conductor.lock();
                try
                {
                    answer.countDown();
                    final ControlFile controlFile = fabric.partitionManager().controlFile();
                    final int stateOffset = controlFile.ecStateOffset(controlFile.slotOf(SP1), 0);
                    awaitUntil(System.nanoTime() + WAIT_NS,
                        () -> ExecutionContextState.state(controlFile.ecState(stateOffset)) == ExecutionContextState.OFF,
                        "the target has gone");
                    // Past the half second a requester once gave a target's new log to show: this is not a bound.
                    Thread.sleep(2_000);
                }
                finally
                {
                    conductor.unlock();
                }
                final RegisterFile r = get(answered);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r::toString);
                assertEquals(42, r.x(3), r::toString);
            }
            finally
            {
                exec.shutdown();
                assertTrue(exec.awaitTermination(60, TimeUnit.SECONDS), "the request returned");
                serving.close();
            }
        }
    }
}
