package org.ffafabric.app;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FfaOps;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/** An application developer's uses of the typed API that found defects, each pinned here. */
@Timeout(600)
class TypedApiUsageTest
{
    static final int VM = 0x0001;
    static final int MP = 0x8001;
    static final int LEAF = 0x8002;
    static final long BOUND_NS = TimeUnit.SECONDS.toNanos(30);
    /**
     * A hang guard for a loop of hundreds or thousands of calls: seconds on an idle two-core machine, but each call
     * waits for a core beside busy processes (20,000 took more than 30 s beside six), so far past that.
     */
    static final long LOOP_NS = TimeUnit.MINUTES.toNanos(5);

    static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("client").id(VM).world(World.VM).uuid("c0ffee00-0000-4000-8000-0000000000aa")
                .executionContexts(2).directMessaging())
            .partition(p -> p.name("mp").id(MP).world(World.SP_EL1).uuid("c0ffee00-0000-4000-8000-000000000001")
                .executionContexts(2).directMessaging())
            .partition(p -> p.name("leaf").id(LEAF).world(World.SP_EL1).uuid("c0ffee00-0000-4000-8000-0000000000bb")
                .executionContexts(2).directMessaging())
            .build();
    }

    /**
     * serve() shares one handler between a partition's contexts, and the README says it may make
     * FF-A calls of its own, but the handler was not told which context it runs on: on a
     * multi-context partition the natural guess, executionContext(0), put context 1's thread on
     * context 0 while context 0's thread served it (a clashing Aeron session, NO_MEMORY, ABORTED).
     */
    @Test
    void aHandlerSharedByTwoContextsMakesItsNestedCallOnItsOwnContext() throws Exception
    {
        final ExecutorService exec = Executors.newFixedThreadPool(2);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint mp = fabric.claim(MP);
             Endpoint leaf = fabric.claim(LEAF);
             AutoCloseable leafServing = leaf.serve((req, resp) -> resp.payload(0, req.payload(0) + 1000));
             AutoCloseable mpServing = mp.serve((req, resp) ->
             {
                 final ExecutionContext own = mp.currentContext();
                 final DirectMessage down = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64)
                     .payload(0, req.payload(0));
                 own.ops().sendDirect(LEAF, down, BOUND_NS);
                 resp.payload(0, down.payload(0)).payload(1, own.index());
             }))
        {
            assertNull(mp.currentContext(), "no handler runs on the test's thread");
            final Future<?>[] requesters = new Future<?>[2];
            for (int c = 0; c < 2; c++)
            {
                final int ec = c;
                requesters[c] = exec.submit(() ->
                {
                    final FfaOps ops = client.executionContext(ec).ops();
                    final DirectMessage m = new DirectMessage();
                    for (int i = 0; i < 100; i++)
                    {
                        m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                        ops.sendDirect(MP, m, BOUND_NS);
                        assertEquals(i + 1000, m.payload(0));
                        // A multi-context partition's context N serves CPU N.
                        assertEquals(ec, m.payload(1));
                    }
                    return null;
                });
            }
            requesters[0].get(60, TimeUnit.SECONDS);
            requesters[1].get(60, TimeUnit.SECONDS);
        }
        finally
        {
            exec.shutdownNow();
        }
    }

    /**
     * A timed-out sendDirect throws INTERRUPTED with the request still pending, and only
     * run(target, vcpu, message, timeout) of the right context collects it: any other vcpu is
     * INVALID_PARAMETERS and a new request BUSY. The exception said only "INTERRUPTED (-5)", not
     * that the request is pending nor which context to run.
     */
    @Test
    void aTimedOutRequestSaysWhichContextToRunToCollectIt() throws Exception
    {
        final java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint mp = fabric.claim(MP);
             AutoCloseable serving = mp.serve((req, resp) ->
             {
                 try
                 {
                     assertTrue(gate.await(30, TimeUnit.SECONDS));
                 }
                 catch (final InterruptedException ex)
                 {
                     throw new IllegalStateException(ex);
                 }
                 resp.payload(0, req.payload(0) + 1);
             }))
        {
            final FfaOps ops = client.executionContext(1).ops();
            final DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 41);
            final org.ffafabric.FfaException timedOut = assertThrows(org.ffafabric.FfaException.class,
                () -> ops.sendDirect(MP, m, TimeUnit.MILLISECONDS.toNanos(20)));
            assertEquals(org.ffafabric.abi.ErrorCode.INTERRUPTED, timedOut.errorCode());
            assertTrue(timedOut.getMessage().contains("INTERRUPTED"), timedOut.getMessage());
            assertTrue(timedOut.getMessage().contains("run(0x8001, 1,"), timedOut.getMessage());
            // A new request meanwhile is BUSY, the spec's answer; it said only "BUSY (-4)", whose cause is our own.
            final org.ffafabric.FfaException busy = assertThrows(org.ffafabric.FfaException.class,
                () -> ops.sendDirect(MP, new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64), BOUND_NS));
            assertEquals(org.ffafabric.abi.ErrorCode.BUSY, busy.errorCode());
            assertTrue(busy.getMessage().contains("run(0x8001, 1,"), busy.getMessage());
            gate.countDown();
            int returned;
            do
            {
                returned = ops.run(MP, 1, m, BOUND_NS);
            }
            while (returned == FunctionId.FFA_INTERRUPT);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, returned);
            assertEquals(42, m.payload(0));
        }
    }

    /**
     * Linux's driver maps its RX/TX buffers at init, so its partition_info_get just works; here
     * the caller maps them, and partitionInfo before that failed "BUSY (-4)" (the spec's answer,
     * as Hafnium's) with nothing saying the buffers were missing, nor its javadoc.
     */
    @Test
    void partitionInfoBeforeTheBuffersAreMappedSaysToMapThem()
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM))
        {
            final FfaOps ops = client.executionContext(0).ops();
            final org.ffafabric.FfaException unmapped = assertThrows(org.ffafabric.FfaException.class,
                () -> ops.partitionInfo(null));
            assertEquals(org.ffafabric.abi.ErrorCode.BUSY, unmapped.errorCode());
            assertTrue(unmapped.getMessage().contains("rxtxMap"), unmapped.getMessage());
            // The count needs no buffer.
            assertEquals(3, ops.partitionCount(null));
            final long base = client.memory().base();
            ops.rxtxMap(base, base + 4096, 1);
            assertEquals(3, ops.partitionInfo(null).size());
            assertEquals(LEAF, ops.partitionInfo(java.util.UUID.fromString("c0ffee00-0000-4000-8000-0000000000bb")).get(0).id());
        }
    }

    /**
     * Linux's partition_info_get holds its driver's RX lock from the call to the release, so two
     * CPUs asking at once both get their answer. Here each context of a partition asks on its own
     * thread, and the RX buffer is the partition's: while one context held it to read, the other's
     * partitionInfo failed "BUSY (-4)", the spec's answer to a raw caller, not one a typed caller
     * sharing its own buffer with itself expects.
     */
    @Test
    void partitionInfoOnTwoContextsOfAPartitionAtOnce() throws Exception
    {
        final ExecutorService exec = Executors.newFixedThreadPool(2);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM))
        {
            final long base = client.memory().base();
            client.executionContext(0).ops().rxtxMap(base, base + 4096, 1);
            final Future<?>[] askers = new Future<?>[2];
            for (int c = 0; c < 2; c++)
            {
                final FfaOps ops = client.executionContext(c).ops();
                askers[c] = exec.submit(() ->
                {
                    for (int i = 0; i < 500; i++)
                    {
                        assertEquals(3, ops.partitionInfo(null).size());
                    }
                    return null;
                });
            }
            for (final Future<?> asker : askers)
            {
                asker.get(LOOP_NS, TimeUnit.NANOSECONDS);
            }
        }
        finally
        {
            exec.shutdownNow();
            assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    /**
     * From v1.1 FFA_MSG_WAIT gives the partition's RX buffer back to the producer, whichever context
     * waits: a context starting its wait (msgWait here; serve's loop as it starts, or gives FFA_RUN's
     * cycles back) took RX from another in the middle of its partitionInfo, whose release then failed
     * "DENIED (-6)", and whose read the producer was free to overwrite.
     */
    @Test
    void partitionInfoOnOneContextWhileAnotherStartsItsWaits() throws Exception
    {
        final ExecutorService exec = Executors.newFixedThreadPool(2);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM))
        {
            final FfaOps asking = client.executionContext(0).ops();
            final FfaOps waiting = client.executionContext(1).ops();
            final long base = client.memory().base();
            asking.rxtxMap(base, base + 4096, 1);
            final AtomicBoolean done = new AtomicBoolean();
            final CountDownLatch waited = new CountDownLatch(1);
            final Future<?> waits = exec.submit(() ->
            {
                final DirectMessage message = new DirectMessage();
                while (!done.get())
                {
                    // Nobody sends it anything: each wait ends in FFA_INTERRUPT at its bound.
                    waiting.msgWait(message, 1_000);
                    assertEquals(FunctionId.FFA_INTERRUPT, message.registers().functionId());
                    waited.countDown();
                }
                return null;
            });
            final Future<?> asks = exec.submit(() ->
            {
                try
                {
                    assertTrue(waited.await(BOUND_NS, TimeUnit.NANOSECONDS), "the other context waits");
                    for (int i = 0; i < 2000; i++)
                    {
                        assertEquals(3, asking.partitionInfo(null).size());
                    }
                }
                finally
                {
                    done.set(true);
                }
                return null;
            });
            asks.get(LOOP_NS, TimeUnit.NANOSECONDS);
            waits.get(LOOP_NS, TimeUnit.NANOSECONDS);
        }
        finally
        {
            exec.shutdownNow();
            assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    /**
     * Linux's driver maps and unmaps its RX/TX buffers under its locks, never under a reader. Here the
     * typed rxtxUnmap and rxtxMap did not take the RX lock partitionInfo holds from its trap to its
     * release, so a context unmapping, then mapping elsewhere, in the middle of another context's read
     * made that read fail (IndexOutOfBoundsException at the unmapped address 0, "DENIED (-6)" from a
     * release of an RX the unmap took back) or decode bytes from the new buffer. Each partitionInfo
     * now reads whole buffers: the full answer, or BUSY naming rxtxMap when it came between an unmap
     * and the next map.
     */
    @Test
    void partitionInfoOnOneContextWhileAnotherRemapsTheBuffers() throws Exception
    {
        final ExecutorService exec = Executors.newFixedThreadPool(2);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM))
        {
            final FfaOps asking = client.executionContext(0).ops();
            final FfaOps remapping = client.executionContext(1).ops();
            final long base = client.memory().base();
            asking.rxtxMap(base, base + 4096, 1);
            final String expected = asking.partitionInfo(null).toString();
            final AtomicBoolean done = new AtomicBoolean();
            final CountDownLatch remapped = new CountDownLatch(1);
            final Future<?> remaps = exec.submit(() ->
            {
                // Two RX/TX pairs in turn, each RX scribbled once unmapped (it is plain memory then), so a
                // read from a buffer no longer its RX decodes the scribble.
                final UnsafeBuffer memory = client.memory().buffer();
                for (long pair = 1; !done.get(); pair++)
                {
                    final int unmappedRx = (int)(((pair - 1) & 1) * 2 * 4096) + 4096;
                    final long tx = base + (pair & 1) * 2 * 4096;
                    remapping.rxtxUnmap();
                    memory.setMemory(unmappedRx, 4096, (byte)0xA5);
                    remapping.rxtxMap(tx, tx + 4096, 1);
                    remapped.countDown();
                }
                return null;
            });
            final Future<Integer> asks = exec.submit(() ->
            {
                int read = 0;
                try
                {
                    assertTrue(remapped.await(BOUND_NS, TimeUnit.NANOSECONDS), "the other context remaps");
                    for (int i = 0; i < 2000; i++)
                    {
                        try
                        {
                            assertEquals(expected, asking.partitionInfo(null).toString());
                            read++;
                        }
                        catch (final org.ffafabric.FfaException unmapped)
                        {
                            assertEquals(org.ffafabric.abi.ErrorCode.BUSY, unmapped.errorCode(), unmapped.getMessage());
                            assertTrue(unmapped.getMessage().contains("rxtxMap"), unmapped.getMessage());
                        }
                    }
                }
                finally
                {
                    done.set(true);
                }
                return read;
            });
            assertTrue(asks.get(LOOP_NS, TimeUnit.NANOSECONDS) > 0, "some reads came while the buffers were mapped");
            remaps.get(LOOP_NS, TimeUnit.NANOSECONDS);
        }
        finally
        {
            exec.shutdownNow();
            assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS));
        }
    }
    /**
     * A direct request to a partition no process has claimed is BUSY, the spec's answer for a target
     * not waiting, and sendDirect said only "BUSY (-4)", as if the target were merely occupied; ffa
     * send names the likely cause, and so must the typed call.
     */
    @Test
    void aRequestToAPartitionNobodyClaimedSaysSo()
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM))
        {
            final FfaOps ops = client.executionContext(0).ops();
            final DirectMessage m = new DirectMessage();
            final org.ffafabric.FfaException req = assertThrows(org.ffafabric.FfaException.class,
                () -> ops.sendDirect(LEAF, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 41)));
            assertEquals(org.ffafabric.abi.ErrorCode.BUSY, req.errorCode());
            assertTrue(req.getMessage().contains("0x8002 is not claimed"), req.getMessage());
            final org.ffafabric.FfaException req2 = assertThrows(org.ffafabric.FfaException.class,
                () -> ops.sendDirect2(LEAF, null, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, 41), 0));
            assertEquals(org.ffafabric.abi.ErrorCode.BUSY, req2.errorCode());
            assertTrue(req2.getMessage().contains("0x8002 is not claimed"), req2.getMessage());
            try (Endpoint leaf = fabric.claim(LEAF))
            {
                // Claimed and serving nothing: BUSY too, with nothing said of a claim.
                final org.ffafabric.FfaException claimed = assertThrows(org.ffafabric.FfaException.class,
                    () -> ops.sendDirect(LEAF, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 41)));
                assertEquals(org.ffafabric.abi.ErrorCode.BUSY, claimed.errorCode());
                assertFalse(claimed.getMessage().contains("claimed"), claimed.getMessage());
            }
        }
    }

    /**
     * A context is used by one thread at a time, and invoke refuses a second thread with BUSY, moving
     * nothing. The typed calls shared one register file per context, written before and read after
     * invoke: a second thread's call on the same context wrote its registers over the first's, whose
     * partitionCount then read 0 or another call's words, or failed NOT_SUPPORTED, and id() answered
     * 0, 4 or 65532; the refused call's BUSY landed in the other's registers.
     */
    @Test
    void typedCallsOnOneContextFromTwoThreadsAreRefusedBusyNotMixed() throws Exception
    {
        final ExecutorService exec = Executors.newFixedThreadPool(2);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM))
        {
            final FfaOps ops = client.executionContext(0).ops();
            final java.util.Queue<String> mixed = new java.util.concurrent.ConcurrentLinkedQueue<>();
            final CountDownLatch start = new CountDownLatch(2);
            final Future<?> counts = exec.submit(() -> callOften(start, mixed, "partitionCount", 3, () -> ops.partitionCount(null)));
            final Future<?> ids = exec.submit(() -> callOften(start, mixed, "id", VM, ops::id));
            counts.get(LOOP_NS, TimeUnit.NANOSECONDS);
            ids.get(LOOP_NS, TimeUnit.NANOSECONDS);
            assertTrue(mixed.isEmpty(), mixed.size() + " answers not the call's own, e.g. " + mixed.peek());
        }
        finally
        {
            exec.shutdownNow();
            assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    /** Makes {@code call} many times, noting each answer that is neither {@code expected} nor BUSY. */
    private static Void callOften(
        final CountDownLatch start, final java.util.Queue<String> mixed, final String name, final int expected,
        final java.util.function.IntSupplier call) throws InterruptedException
    {
        start.countDown();
        assertTrue(start.await(BOUND_NS, TimeUnit.NANOSECONDS));
        for (int i = 0; i < 20_000; i++)
        {
            try
            {
                final int answer = call.getAsInt();
                if (answer != expected)
                {
                    mixed.add(name + " answered " + answer);
                }
            }
            catch (final org.ffafabric.FfaException ex)
            {
                if (ex.errorCode() != org.ffafabric.abi.ErrorCode.BUSY)
                {
                    mixed.add(name + " threw " + ex.getMessage());
                }
            }
        }
        return null;
    }

    /**
     * executionContext(n) past the partition's contexts threw a bare ArrayIndexOutOfBoundsException,
     * and sendDirect2 had no form without a bound, as sendDirect has.
     */
    @Test
    void aContextPastThePartitionsIsNamedAndRequest2NeedsNoBound()
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint mp = fabric.claim(MP);
             AutoCloseable serving = mp.serve((req, resp) -> resp.payload(0, req.payload(0) + 1)))
        {
            final IllegalArgumentException past = assertThrows(IllegalArgumentException.class, () -> client.executionContext(2));
            assertTrue(past.getMessage().contains("client has 2 execution contexts"), past.getMessage());
            assertThrows(IllegalArgumentException.class, () -> client.executionContext(-1));
            final DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, 41);
            assertEquals(42, client.executionContext(0).ops().sendDirect2(MP, null, m).payload(0));
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }

    /**
     * serve() of a partition whose manifest gives it no way to receive a direct request (neither
     * DIRECT_REQ nor DIRECT_REQ2 receipt) is refused, naming why: it took the contexts into FFA_MSG_WAIT
     * for requests every requester is refused (DENIED), a serve that could never serve.
     */
    @Test
    void serveOfAPartitionThatReceivesNoDirectRequestsIsRefused()
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("sender").id(VM).world(World.VM).uuid("c0ffee00-0000-4000-8000-0000000000aa")
                .properties(PartitionProperties.DIRECT_REQ_SEND | PartitionProperties.DIRECT_REQ2_SEND |
                    PartitionProperties.AARCH64))
            .build();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest);
             Endpoint sender = fabric.claim(VM))
        {
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> sender.serve((req, resp) -> { }));
            assertTrue(refused.getMessage().contains("receive"), refused.getMessage());
            final ControlFile cf = fabric.partitionManager().controlFile();
            final long word = cf.ecState(cf.ecStateOffset(cf.slotOf(VM), 0));
            assertNotEquals(ExecutionContextState.WAITING, ExecutionContextState.state(word),
                "the context never waited: " + ExecutionContextState.describe(word));
        }
    }
}
