package org.ffafabric.conformance;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.endpoint.FabricClientProbe;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.pm.PartitionManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Closes that race one another or something else: two threads closing one client or one endpoint,
 * a serve whose endpoint closes as it starts, and a client whose partition manager goes while its
 * own handler for that fails. A handler the test holds keeps the first close inside its wait for as
 * long as the test needs, so no timing decides what is seen.
 */
class ClosingRacesTest
{
    static final int VM1 = 1;
    static final int SP1 = 0x8001;
    static final int SP2 = 0x8002;
    /** Longer than any wait here: a close waits this long for a held handler before it goes on without it. */
    static final long CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);

    private final ExecutorService exec = Executors.newCachedThreadPool();
    private final CountDownLatch holding = new CountDownLatch(1);
    private final CountDownLatch letGo = new CountDownLatch(1);

    static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("c1000000-0000-0000-0000-000000000001")
                .directMessaging())
            .partition(p -> p.name("sp1").id(SP1).world(World.SP_EL1).uuid("c1000000-0000-0000-0000-000000008001")
                .directMessaging())
            .partition(p -> p.name("sp2").id(SP2).world(World.SP_EL1).uuid("c1000000-0000-0000-0000-000000008002")
                .directMessaging())
            .build();
    }

    @AfterEach
    void cleanUp() throws Exception
    {
        letGo.countDown();
        exec.shutdown();
        assertTrue(exec.awaitTermination(60, TimeUnit.SECONDS), "every call returned");
    }

    /** A handler that holds the request it serves until the test lets it go. */
    private void hold()
    {
        holding.countDown();
        awaitUninterruptibly(letGo);
    }

    /** Sends {@code from} a request to {@code to}, whose handler holds it, on a thread of the executor. */
    private Future<RegisterFile> requestHeld(final Endpoint from, final int to) throws Exception
    {
        final Future<RegisterFile> answer = exec.submit(() ->
        {
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, from.partitionId(), to);
            from.executionContext(0).invoke(r, WAIT_NS * 6);
            return r;
        });
        assertTrue(holding.await(30, TimeUnit.SECONDS), "the handler holds the request");
        return answer;
    }

    /** Runs {@code close} on a thread of its own, and lets the held handler go once it has returned or waits. */
    private void closeAgainAndLetGo(final Runnable close) throws Exception
    {
        final Thread second = new Thread(close, "second-close");
        second.start();
        awaitUntil(System.nanoTime() + WAIT_NS, () -> second.getState() == Thread.State.TERMINATED ||
            second.getState() == Thread.State.WAITING || second.getState() == Thread.State.TIMED_WAITING,
            "the second close returned or waits");
        letGo.countDown();
        second.join(TimeUnit.NANOSECONDS.toMillis(CONNECT_TIMEOUT_NS));
        assertFalse(second.isAlive(), "the second close returned");
    }

    /**
     * A second close of a client, made while the first still waits for a handler, returns once the
     * first has: not at once, with the client's Aeron, control file and watch thread still open.
     */
    @Test
    @Timeout(120)
    void aSecondCloseOfAClientReturnsOnceTheFirstHas() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
            FabricClient client = FabricClient.connect(
                new FabricClient.Context().directory(fabric.directory()).connectTimeoutNs(CONNECT_TIMEOUT_NS)))
        {
            final Endpoint sp = client.claim(SP1);
            final AutoCloseable serving = sp.serve((req, resp) -> hold());
            final Future<RegisterFile> answer = requestHeld(fabric.claim(VM1), SP1);
            final Future<?> first = exec.submit(client::close);
            awaitUntil(System.nanoTime() + WAIT_NS, sp::isClosed, "the first close began");

            final AtomicBoolean closedWhenReturned = new AtomicBoolean();
            closeAgainAndLetGo(() ->
            {
                client.close();
                closedWhenReturned.set(FabricClientProbe.hasClosedWhatItsEndpointsShared(client));
            });
            assertTrue(closedWhenReturned.get(), "the second close returned with the client's Aeron still open");
            first.get(60, TimeUnit.SECONDS);
            final RegisterFile answered = get(answer);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, answered.w(0), answered::toString);
            serving.close();
        }
    }

    /**
     * A second close of an endpoint, made while the first still waits for its handler, returns once
     * the claim is let go: a claim of the partition then, on the second closer's thread, is not refused
     * as "already claimed by this process".
     */
    @Test
    @Timeout(120)
    void aSecondCloseOfAnEndpointReturnsOnceItsClaimIsLetGo() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
            FabricClient client = FabricClient.connect(
                new FabricClient.Context().directory(fabric.directory()).connectTimeoutNs(CONNECT_TIMEOUT_NS)))
        {
            final ControlFile controlFile = fabric.partitionManager().controlFile();
            final int slot = controlFile.slotOf(SP1);
            final Endpoint sp = client.claim(SP1);
            final AutoCloseable serving = sp.serve((req, resp) -> hold());
            final Future<RegisterFile> answer = requestHeld(fabric.claim(VM1), SP1);
            final Future<?> first = exec.submit(sp::close);
            awaitUntil(System.nanoTime() + WAIT_NS, sp::isClosed, "the first close began");

            final AtomicLong claimantWhenReturned = new AtomicLong(-1);
            closeAgainAndLetGo(() ->
            {
                sp.close();
                claimantWhenReturned.set(controlFile.claimPid(slot));
            });
            assertEquals(0, claimantWhenReturned.get(), "the second close returned with the partition still claimed");
            first.get(60, TimeUnit.SECONDS);
            get(answer);
            try (Endpoint again = client.claim(SP1))
            {
                assertSuccess32(call(again.executionContext(0), FunctionId.FFA_ID_GET));
            }
            serving.close();
        }
    }

    /**
     * A close raced by a call that comes too late to see anything but the close (ABORTED, touching nothing)
     * still returns with the claim let go: the partition is claimed again at once. The late call is inside
     * its context for a moment; a close that met it there left the claim to a finisher thread and returned
     * with the partition still claimed, so the next claim was refused as "already claimed by this process".
     */
    @Test
    @Timeout(120)
    void aCloseRacedByALateCallStillLetsGoOfTheClaimBeforeItReturns() throws Exception
    {
        final int rounds = 200;
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest()))
        {
            Endpoint vm = fabric.claim(VM1);
            for (int i = 0; i < rounds; i++)
            {
                final Endpoint closing = vm;
                final CountDownLatch calling = new CountDownLatch(1);
                final Future<?> caller = exec.submit(() ->
                {
                    final RegisterFile r = new RegisterFile();
                    calling.countDown();
                    for (int aborted = 0; aborted < 3; )
                    {
                        closing.executionContext(0).invoke(r.clear().w(0, FunctionId.FFA_ID_GET));
                        if (r.isError())
                        {
                            assertEquals(ErrorCode.ABORTED, r.errorCode(), r::toString);
                            aborted++;
                        }
                    }
                    return null;
                });
                calling.await();
                closing.close();
                try
                {
                    vm = fabric.claim(VM1);
                }
                finally
                {
                    caller.get(60, TimeUnit.SECONDS);
                }
            }
            assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_ID_GET));
            vm.close();
        }
    }

    /**
     * An endpoint that closes while its serve waits for the contexts to start waiting: the serve fails
     * saying the endpoint closed, as a serve of a closed endpoint does, rather than waiting out the
     * connect timeout and then saying a context did not start.
     */
    @Test
    @Timeout(120)
    void aServeWhoseEndpointClosesAsItStartsFailsSayingSo() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest()))
        {
            final Endpoint sp1 = fabric.claim(SP1);
            final AutoCloseable serving = sp1.serve((req, resp) -> hold());
            // sp2's only context is inside a call, a request sp1 holds: a serve of sp2 cannot wait on it.
            final Endpoint sp2 = fabric.claim(SP2);
            final Future<RegisterFile> request = requestHeld(sp2, SP1);
            final Future<AutoCloseable> serve = exec.submit(() -> sp2.serve((req, resp) -> fail("served")));
            awaitUntil(System.nanoTime() + WAIT_NS, () -> Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("ffa-direct-server-8002-0")), "the serve started its thread");

            sp2.close();
            assertError(ErrorCode.ABORTED, get(request));
            final ExecutionException failed = assertThrows(ExecutionException.class, () -> serve.get(60, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, failed.getCause(), () -> "the serve failed with " + failed.getCause());
            assertTrue(failed.getCause().getMessage().contains("sp2 is closed"), failed.getCause().getMessage());
            letGo.countDown();
            serving.close();
        }
    }

    /**
     * A partition manager gone handler that throws: the client still closes itself, as it does after
     * a handler that returns, rather than leave its endpoints open on a fabric that has gone.
     */
    @Test
    @Timeout(120)
    void aClientWhosePartitionManagerGoneHandlerThrowsStillClosesItself() throws Exception
    {
        final CountDownLatch handled = new CountDownLatch(1);
        final PartitionManager pm = PartitionManager.launch(new PartitionManager.Context()
            .fabricName("embedded-" + UUID.randomUUID().toString().substring(0, 8)).manifest(manifest()));
        try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory())
            .partitionManagerGoneHandler(() ->
            {
                handled.countDown();
                throw new IllegalStateException("the application's handler fails (expected by the test)");
            })))
        {
            final Endpoint vm = client.claim(VM1);
            pm.close();
            assertTrue(handled.await(30, TimeUnit.SECONDS), "the handler ran");
            awaitUntil(System.nanoTime() + WAIT_NS, vm::isClosed, "the client closed its endpoint");
            awaitUntil(System.nanoTime() + WAIT_NS, () -> FabricClientProbe.hasClosedWhatItsEndpointsShared(client),
                "the client closed its Aeron");
        }
        finally
        {
            pm.close();
        }
    }

    /**
     * A claim after the client closed itself because its partition manager went says that the manager
     * has gone, as a claim under way then does, not that the client is closed, which reads as the
     * application's own doing.
     */
    @Test
    @Timeout(120)
    void aClaimAfterTheClientClosedForItsGoneManagerSaysTheManagerHasGone() throws Exception
    {
        final PartitionManager pm = PartitionManager.launch(new PartitionManager.Context()
            .fabricName("embedded-" + UUID.randomUUID().toString().substring(0, 8)).manifest(manifest()));
        try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory())
            .partitionManagerGoneHandler(() -> { })))
        {
            final Endpoint vm = client.claim(VM1);
            pm.close();
            awaitUntil(System.nanoTime() + WAIT_NS, vm::isClosed, "the client closed itself");
            final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> client.claim(SP1));
            assertTrue(refused.getMessage().contains("partition manager of " + pm.directory() + " has gone"),
                refused.getMessage());
        }
        finally
        {
            pm.close();
        }
    }
}
