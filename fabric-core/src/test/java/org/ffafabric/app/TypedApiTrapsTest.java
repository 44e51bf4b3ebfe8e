package org.ffafabric.app;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.FfaException;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.DirectRequestServer;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FfaOps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.ffafabric.app.KeyValueAppTest.*;
import static org.junit.jupiter.api.Assertions.*;

/** Traps a user of the typed API falls into, each pinned by the behaviour it should have. */
@Timeout(120)
class TypedApiTrapsTest
{
    static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(30);

    /**
     * sendDirect's javadoc says a timed-out request stays pending and is resumed with run(); but
     * run() left the response in FfaOps' private register file, so the answer to the resumed
     * request could not be read through the typed API at all.
     */
    @Test
    void aRequestThatTimedOutIsResumedWithRunAndItsResponseLandsInTheMessage() throws Exception
    {
        final CountDownLatch gate = new CountDownLatch(1);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV);
             AutoCloseable serving = kv.serve((req, resp) ->
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
            final FfaOps ops = client.executionContext(0).ops();
            final DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, 10);
            final FfaException timedOut = assertThrows(FfaException.class,
                () -> ops.sendDirect2(KV, STORE, m, TimeUnit.MILLISECONDS.toNanos(20)));
            assertEquals(ErrorCode.INTERRUPTED, timedOut.errorCode());
            // One outstanding request per context.
            final FfaException busy = assertThrows(FfaException.class,
                () -> ops.sendDirect(KV, new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64)));
            assertEquals(ErrorCode.BUSY, busy.errorCode());
            gate.countDown();
            int returned = ops.run(KV, 0, m, DEADLINE_NS);
            while (returned == FunctionId.FFA_INTERRUPT)
            {
                returned = ops.run(KV, 0, m, DEADLINE_NS);
            }
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, returned);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, m.functionId());
            assertEquals(11, m.payload(0));
            // The context may send again.
            m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 1);
            ops.sendDirect(KV, m);
            assertEquals(2, m.payload(0));
        }
    }

    /**
     * sendDirect resumes a yielded request with FFA_RUN; an error that FFA_RUN returns ends the user's
     * request, so the exception names the request the user made, not the FFA_RUN made for it.
     */
    @Test
    void anErrorAfterTheResumeOfAYieldedRequestNamesTheRequest() throws Exception
    {
        final AtomicBoolean resumed = new AtomicBoolean();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV);
             AutoCloseable serving = kv.serve((req, resp) ->
             {
                 kv.currentContext().ops().yieldCycles(0);
                 resumed.set(true);
                 throw new IllegalStateException("the handler fails after its resume: the request ends ABORTED");
             }))
        {
            final DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 1);
            final FfaException aborted = assertThrows(FfaException.class,
                () -> client.executionContext(0).ops().sendDirect(KV, m, DEADLINE_NS));
            assertTrue(resumed.get(), "the error came after sendDirect's FFA_RUN resumed the handler");
            assertEquals(ErrorCode.ABORTED, aborted.errorCode());
            assertTrue(aborted.getMessage().startsWith("FFA_MSG_SEND_DIRECT_REQ_64 failed"), aborted.getMessage());
        }
    }

    /**
     * A second Endpoint.serve while the first still runs was accepted: its threads, one more per
     * context, found the context inside the first one's call and threw on every duty cycle, spinning
     * a core each and printing a stack trace per cycle, while the first handler went on answering.
     */
    @Test
    void aSecondServeWhileTheFirstRunsIsRefusedAndAServeAfterItsCloseIsNot() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV))
        {
            final FfaOps ops = client.executionContext(0).ops();
            final DirectMessage m = new DirectMessage();
            try (AutoCloseable first = kv.serve((req, resp) -> resp.payload(0, 1)))
            {
                AutoCloseable second = null;
                try
                {
                    second = kv.serve((req, resp) -> resp.payload(0, 2));
                }
                catch (final IllegalStateException expected)
                {
                    assertTrue(expected.getMessage().contains("serv"), expected.getMessage());
                }
                if (second != null)
                {
                    second.close();
                    fail("a second serve while the first runs was accepted");
                }
                ops.sendDirect(KV, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64));
                assertEquals(1, m.payload(0));
            }
            try (AutoCloseable again = kv.serve((req, resp) -> resp.payload(0, 3)))
            {
                ops.sendDirect(KV, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64));
                assertEquals(3, m.payload(0));
            }
        }
    }

    /**
     * Closing a serve stopped its threads but left every context WAITING, as FFA_MSG_WAIT leaves it:
     * a request sent after that was taken in (the compare-and-set from WAITING succeeded) and never
     * answered, so a blocking sendDirect hung and a bounded one ended INTERRUPTED, its context then
     * BUSY to everyone until something served the target again. A context nobody serves is not
     * waiting: BUSY at once, as before the serve began.
     */
    @Test
    void aRequestAfterTheServeClosedIsBusyNotTakenInAndLeftUnanswered() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV))
        {
            final DirectMessage m = new DirectMessage();
            try (AutoCloseable serving = kv.serve((req, resp) -> resp.payload(0, req.payload(0) + 1)))
            {
                for (int ec = 0; ec < 2; ec++)
                {
                    client.executionContext(ec).ops().sendDirect(KV, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64));
                    assertEquals(1, m.payload(0));
                }
            }
            for (int ec = 0; ec < 2; ec++)
            {
                // Context ec of the client reaches context ec of kv: each serving thread left its own.
                final FfaOps ops = client.executionContext(ec).ops();
                final FfaException busy = assertThrows(FfaException.class,
                    () -> ops.sendDirect(KV, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64), DEADLINE_NS));
                assertEquals(ErrorCode.BUSY, busy.errorCode(), busy.getMessage());
            }
            try (AutoCloseable again = kv.serve((req, resp) -> resp.payload(0, req.payload(0) + 2)))
            {
                for (int ec = 0; ec < 2; ec++)
                {
                    client.executionContext(ec).ops().sendDirect(KV, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64));
                    assertEquals(2, m.payload(0));
                }
            }
        }
    }

    /**
     * A handler may close its own endpoint (a "shut down" request), and likewise its serve (a "stop
     * serving" one). The serve's close waited for every serving thread to end, the handler's own
     * included: it waited for itself, for Agrona's 5 s close timeout, then interrupted its own thread and,
     * interrupted, gave up waiting for the other contexts' threads, which ran on past the close. From a
     * handler the close must return at once and the serve end once the handler has answered.
     */
    @Test
    void aHandlerThatClosesItsOwnServeIsAnsweredAndTheServeEnds() throws Exception
    {
        final AtomicReference<AutoCloseable> serving = new AtomicReference<>();
        final AtomicReference<Throwable> closeFailure = new AtomicReference<>();
        final AtomicBoolean interruptedByTheClose = new AtomicBoolean();
        final CountDownLatch closed = new CountDownLatch(1);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV))
        {
            serving.set(kv.serve((req, resp) ->
            {
                try
                {
                    serving.get().close();
                }
                catch (final Throwable ex)
                {
                    closeFailure.set(ex);
                }
                interruptedByTheClose.set(Thread.currentThread().isInterrupted());
                closed.countDown();
                resp.payload(0, req.payload(0) + 1);
            }));
            final FfaOps ops = client.executionContext(0).ops();
            final DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 41);
            ops.sendDirect(KV, m, DEADLINE_NS);
            assertEquals(42, m.payload(0));
            assertTrue(closed.await(30, TimeUnit.SECONDS));
            assertNull(closeFailure.get());
            assertFalse(interruptedByTheClose.get(), "the handler's close interrupted its own thread");
            // The serve ends once the handler has answered: then a new one may start, and it answers.
            final long deadline = System.nanoTime() + DEADLINE_NS;
            AutoCloseable again = null;
            while (again == null)
            {
                try
                {
                    again = kv.serve((req, resp) -> resp.payload(0, req.payload(0) + 2));
                }
                catch (final IllegalStateException stillServing)
                {
                    assertTrue(System.nanoTime() < deadline, stillServing.getMessage());
                    Thread.sleep(1);
                }
            }
            try (AutoCloseable served = again)
            {
                for (int ec = 0; ec < 2; ec++)
                {
                    client.executionContext(ec).ops().sendDirect(KV, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64), DEADLINE_NS);
                    assertEquals(2, m.payload(0));
                }
            }
            // A second close of the first serve, from the test's thread, changes nothing.
            serving.get().close();
        }
    }

    /**
     * A bound of Long.MAX_VALUE, Java's usual "no bound", ran out at once: the wait's deadline was
     * now + bound, which overflows to a time long past, so msgWait returned FFA_INTERRUPT at its first
     * look at the clock (the context then RUNNING, and a request to it BUSY), and run, and a serving
     * loop's serveDirectRequest, did the same. It must wait as long as it says.
     */
    @Test
    void aWaitBoundedByLongMaxValueWaitsForItsMessage() throws Exception
    {
        final ExecutorService exec = Executors.newSingleThreadExecutor();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV))
        {
            final ExecutionContext target = kv.executionContext(0);
            final Future<Integer> waited = exec.submit(() ->
            {
                final DirectMessage request = target.ops().msgWait(new DirectMessage(), Long.MAX_VALUE);
                if (FunctionId.isDirectRequest(request.functionId()))
                {
                    final RegisterFile response = new RegisterFile().w(0, FunctionId.FFA_MSG_SEND_DIRECT_RESP_64)
                        .w(1, RegisterFile.packIds(KV, VM)).x(3, request.payload(0) + 1);
                    // Answers, and waits for the next message: bounded, so that the thread ends.
                    target.invoke(response, TimeUnit.MILLISECONDS.toNanos(1));
                }
                return request.functionId();
            });
            // Sent a while after the wait began: a wait that ran out at once has returned by then.
            Thread.sleep(200);
            final FfaOps ops = client.executionContext(0).ops();
            final DirectMessage m = new DirectMessage();
            final long deadline = System.nanoTime() + DEADLINE_NS;
            while (true)
            {
                try
                {
                    ops.sendDirect(KV, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 41), DEADLINE_NS);
                    break;
                }
                catch (final FfaException ex)
                {
                    // BUSY until the waiting thread has begun its wait.
                    assertEquals(ErrorCode.BUSY, ex.errorCode(), ex.getMessage());
                    assertFalse(waited.isDone() && waited.get() == FunctionId.FFA_INTERRUPT,
                        "msgWait(Long.MAX_VALUE) returned FFA_INTERRUPT");
                    assertTrue(System.nanoTime() < deadline, ex.getMessage());
                    Thread.yield();
                }
            }
            assertEquals(42, m.payload(0));
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, waited.get(30, TimeUnit.SECONDS));
        }
        finally
        {
            exec.shutdownNow();
        }
    }

    /**
     * A bound of 0 waits for ever, and so did a negative one: a budget computed as deadline - now,
     * spent by the time of the call, made msgWait wait for ever, and sendDirect, sendDirect2 and run
     * wait with no bound, where java.util.concurrent's bounds run out at once. The typed calls refuse
     * it before making the call. A DirectRequestServer's duty cycle bounded by 0 (or less) waited for
     * ever, so its runner could not stop it: its close retried every 5 s until the endpoint closed.
     */
    @Test
    void aNegativeBoundIsRefusedRatherThanWaitedOutForEver() throws Exception
    {
        final ExecutorService exec = Executors.newSingleThreadExecutor();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV))
        {
            final FfaOps ops = client.executionContext(0).ops();
            final DirectMessage m = new DirectMessage();
            assertThrows(IllegalArgumentException.class,
                () -> ops.sendDirect(KV, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 41), -1));
            assertThrows(IllegalArgumentException.class,
                () -> ops.sendDirect2(KV, STORE, m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, 41), -1));
            assertThrows(IllegalArgumentException.class, () -> ops.run(KV, 0, m, -1));
            for (final long period : new long[]{0, -1})
            {
                assertThrows(IllegalArgumentException.class,
                    () -> new DirectRequestServer(kv.executionContext(0), (request, response) -> { }, period));
            }
            final Future<?> waited = exec.submit(() ->
                assertThrows(IllegalArgumentException.class, () -> kv.executionContext(0).ops().msgWait(m, -1)));
            // A hang guard: the wait that did not end ends with the endpoint's close (ABORTED).
            waited.get(30, TimeUnit.SECONDS);
        }
        finally
        {
            exec.shutdownNow();
            assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    /**
     * A DirectMessage's payload word i is x(3 + i) while w0 is a REQ/RESP and x(4 + i) while it is a
     * REQ2/RESP2, so the layout is the one of the last reset or response. sendDirect2 of a message
     * laid out for REQ (a fresh one, or one holding a RESP_64) overwrote payload 0 with the UUID and
     * sent every other word one place down; sendDirect of one holding a RESP2 sent every word one
     * place up. Either must be refused, not sent shifted.
     */
    @Test
    void aMessageLaidOutForTheOtherKindOfRequestIsRefusedNotSentShifted() throws Exception
    {
        final AtomicInteger served = new AtomicInteger();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV);
             AutoCloseable serving = kv.serve((req, resp) ->
             {
                 served.incrementAndGet();
                 resp.payload(0, req.payload(0));
             }))
        {
            final FfaOps ops = client.executionContext(0).ops();
            assertThrows(IllegalArgumentException.class,
                () -> ops.sendDirect2(KV, STORE, new DirectMessage().payload(0, 3), 0));

            final DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 1);
            ops.sendDirect(KV, m);
            assertEquals(1, served.get());
            // Holds RESP_64: the same layout as REQ_64, so it may go again as it is.
            m.payload(0, 5);
            ops.sendDirect(KV, m);
            assertEquals(5, m.payload(0));
            assertEquals(2, served.get());
            m.payload(0, 7);
            assertThrows(IllegalArgumentException.class, () -> ops.sendDirect2(KV, STORE, m, 0));

            m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, 8);
            ops.sendDirect2(KV, STORE, m, 0);
            assertEquals(8, m.payload(0));
            assertEquals(3, served.get());
            // Holds RESP2: may go again as REQ2, not as REQ_64.
            m.payload(0, 9);
            ops.sendDirect2(KV, null, m, 0);
            assertEquals(9, m.payload(0));
            assertThrows(IllegalArgumentException.class, () -> ops.sendDirect(KV, m));
            assertEquals(4, served.get());
        }
    }

    /**
     * sendDirect always sent REQ_64, so a partition could not make the 32-bit call through the typed
     * API (Linux's driver has a 32-bit mode for the same reason). A message reset to REQ_32, or
     * holding the RESP_32 that answered one, goes as REQ_32: w registers, answered by RESP_32.
     */
    @Test
    void aMessageResetToReq32GoesAsReq32() throws Exception
    {
        final AtomicInteger requestId = new AtomicInteger();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV);
             AutoCloseable serving = kv.serve((req, resp) ->
             {
                 requestId.set(req.functionId());
                 resp.payload(0, req.payload(0) + 1);
             }))
        {
            final FfaOps ops = client.executionContext(0).ops();
            final DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32)
                .payload(0, 0x1_0000_0005L);
            ops.sendDirect(KV, m);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, requestId.get());
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, m.functionId());
            assertEquals(6, m.payload(0), "w3 only: the upper half was never sent");
            // Holding RESP_32, it goes as REQ_32 again; reset to REQ_64 (or fresh) it goes as REQ_64.
            ops.sendDirect(KV, m.payload(0, 1));
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, requestId.get());
            assertEquals(2, m.payload(0));
            ops.sendDirect(KV, new DirectMessage().payload(0, 0x1_0000_0000L));
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, requestId.get());
        }
    }

    /**
     * FfaOps turns FFA_ERROR into FfaException, but features() returned false for any error: after
     * the endpoint closed, FEATURES(FFA_VERSION) answered "not implemented" where every other typed
     * call throws ABORTED. Only NOT_SUPPORTED means "not implemented" (digest 4.1).
     */
    @Test
    void featuresOfAClosedEndpointThrowsAbortedRatherThanAnsweringNotImplemented()
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest()))
        {
            final Endpoint client = fabric.claim(VM);
            final FfaOps ops = client.executionContext(0).ops();
            assertTrue(ops.features(FunctionId.FFA_VERSION));
            // A v1.3 ID is not implemented: false, not an exception.
            assertFalse(ops.features(FunctionId.FFA_MSG_WAIT_64));
            client.close();
            final FfaException closed = assertThrows(FfaException.class, () -> ops.features(FunctionId.FFA_VERSION));
            assertEquals(ErrorCode.ABORTED, closed.errorCode());
        }
    }

    /**
     * A REQ/RESP carries five payload words (w/x3..7) and a REQ2/RESP2 fourteen (x4..x17), but
     * DirectMessage.payload took any index: payload(5, v) of a REQ_64 wrote x8, which a REQ_64 does
     * not carry, so the word was silently dropped; payload(14) of a REQ2 failed with "Index 18 out of
     * bounds for length 18", a register index the caller never used.
     */
    @Test
    void aPayloadWordBeyondTheMessageKindIsRefusedNamingThePayloadWord()
    {
        final DirectMessage req = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64);
        req.payload(4, 1);
        final IndexOutOfBoundsException five = assertThrows(IndexOutOfBoundsException.class, () -> req.payload(5, 6));
        assertTrue(five.getMessage().contains("payload word 5"), five.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> req.payload(5));
        assertThrows(IndexOutOfBoundsException.class, () -> req.payload(-1));
        final DirectMessage req2 = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2);
        req2.payload(13, 1);
        final IndexOutOfBoundsException fourteen = assertThrows(IndexOutOfBoundsException.class, () -> req2.payload(14, 1));
        assertTrue(fourteen.getMessage().contains("payload word 14"), fourteen.getMessage());
    }
}
