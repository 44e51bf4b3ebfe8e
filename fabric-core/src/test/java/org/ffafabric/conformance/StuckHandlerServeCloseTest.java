package org.ffafabric.conformance;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A serve whose handler is stuck in code no interrupt reaches (a busy loop, a call that is not
 * interruptible): closing the serve ran Agrona's runner close, which waits, interrupts and waits again
 * for ever, so the closing thread hung. The close now waits a bounded time and then fails, naming the
 * context whose handler runs on; the endpoint stays serving until that handler returns, and then
 * everything closes as usual. Each handler here spins until the test lets it go (the child process's,
 * until its JVM exits); the waits on the closes are bounded only against a hang, never timed.
 */
@Timeout(300)
class StuckHandlerServeCloseTest
{
    static final int VM1 = 1;
    static final int SP1 = 0x8001;
    static final int SP2 = 0x8002;
    /** The client's connect timeout, which bounds a serve's close: short, so that a failing close fails soon. */
    static final long CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);
    /** Only against a hang: a close that has not returned by then never will. */
    static final Duration HANG_GUARD = Duration.ofSeconds(60);

    private final ExecutorService exec = Executors.newCachedThreadPool();
    private final CountDownLatch spinning = new CountDownLatch(1);
    private final AtomicInteger interruptsIgnored = new AtomicInteger();
    private volatile boolean released;

    static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("5c000000-0000-0000-0000-000000000001")
                .executionContexts(2).directMessaging())
            .partition(p -> p.name("sp1").id(SP1).world(World.SP_EL1).uuid("5c000000-0000-0000-0000-000000008001")
                .executionContexts(2).directMessaging())
            .partition(p -> p.name("sp2").id(SP2).world(World.SP_EL1).uuid("5c000000-0000-0000-0000-000000008002")
                .directMessaging())
            .build();
    }

    @AfterEach
    void letGo() throws Exception
    {
        released = true;
        exec.shutdown();
        assertTrue(exec.awaitTermination(60, TimeUnit.SECONDS), "every call returned");
    }

    /** Answers with the first word plus one, once the test lets it go; an interrupt meanwhile is counted and ignored. */
    private void spinUntilReleased(final DirectMessage request, final DirectMessage response)
    {
        spinning.countDown();
        while (!released)
        {
            if (Thread.interrupted())
            {
                interruptsIgnored.incrementAndGet();
            }
            LockSupport.parkNanos(1_000_000);
        }
        response.payload(0, request.payload(0) + 1);
    }

    private static FabricClient shortWaitClient(final EmbeddedFabric fabric)
    {
        return client(fabric, CONNECT_TIMEOUT_NS);
    }

    private static FabricClient client(final EmbeddedFabric fabric, final long connectTimeoutNs)
    {
        return FabricClient.connect(new FabricClient.Context().directory(fabric.directory()).connectTimeoutNs(connectTimeoutNs));
    }

    /** DIRECT_REQ_64 from context {@code ec} of {@code from} to {@code to}, on a thread of the executor. */
    private Future<RegisterFile> request(final Endpoint from, final int ec, final int to, final long value)
    {
        return exec.submit(() ->
        {
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, from.partitionId(), to).x(3, value);
            from.executionContext(ec).invoke(r, WAIT_NS * 6);
            return r;
        });
    }

    private static void assertAnswered(final long expected, final RegisterFile r)
    {
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r::toString);
        assertEquals(expected, r.x(3), r::toString);
    }

    private static IllegalStateException closeFails(final AutoCloseable serving)
    {
        return assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(IllegalStateException.class, serving::close),
            "the serve's close returned");
    }

    private static void closes(final AutoCloseable serving)
    {
        assertTimeoutPreemptively(HANG_GUARD, serving::close, "the serve's close returned");
    }

    private static Thread thread(final String name)
    {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no thread " + name));
    }

    /** The fabric has closed: its directory is gone, and nothing in /dev/shm carries its name. */
    private static void assertNothingLeft(final Path directory) throws IOException
    {
        assertFalse(Files.exists(directory), () -> "fabric directory left behind: " + directory);
        final Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm))
        {
            final String name = directory.getFileName().toString();
            final List<String> left;
            try (Stream<Path> entries = Files.list(shm))
            {
                left = entries.map(p -> p.getFileName().toString()).filter(n -> n.contains(name)).collect(Collectors.toList());
            }
            assertTrue(left.isEmpty(), () -> "left in /dev/shm: " + left);
        }
    }

    @Test
    void closingAServeWhoseHandlerIgnoresInterruptsFailsNamingItsContextAndTheServeEndsOnceItReturns() throws Exception
    {
        final Path directory;
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
            FabricClient client = shortWaitClient(fabric))
        {
            directory = fabric.directory();
            final Endpoint vm = fabric.claim(VM1);
            final Endpoint sp = claimWithShortWait(client, SP1);
            final AutoCloseable serving = sp.serve(this::spinUntilReleased);
            final Future<RegisterFile> answer = request(vm, 0, SP1, 41);
            assertTrue(spinning.await(30, TimeUnit.SECONDS), "the handler took the request");

            final IllegalStateException stuck = closeFails(serving);
            final String message = stuck.getMessage();
            assertTrue(message.contains("sp1"), message);
            assertTrue(message.contains("execution context 0") && message.contains("ffa-direct-server-8001-0"), message);
            assertFalse(message.contains("context 1"), () -> "context 1's thread stopped, yet: " + message);
            assertTrue(interruptsIgnored.get() > 0, "the close interrupted the handler's thread before giving up");

            // The thread runs on, a daemon (it holds no JVM's exit), and nothing else may serve meanwhile.
            final Thread stuckThread = thread("ffa-direct-server-8001-0");
            assertTrue(stuckThread.isAlive());
            assertTrue(stuckThread.isDaemon(), "a serving thread holds the JVM's exit");
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> sp.serve((req, resp) -> fail("served by a second serve")));
            assertTrue(refused.getMessage().contains("execution context 0"), refused.getMessage());
            // A second close waits again, as bounded, and says the same: from an interrupted thread too (Agrona's
            // close returns at an interrupt, as though stopped), which keeps its interrupt.
            final IllegalStateException stillStuck = assertTimeoutPreemptively(HANG_GUARD, () ->
            {
                Thread.currentThread().interrupt();
                final IllegalStateException ex = assertThrows(IllegalStateException.class, serving::close);
                assertTrue(Thread.interrupted(), "the close lost its caller's interrupt");
                return ex;
            }, "the serve's close returned");
            assertTrue(stillStuck.getMessage().contains("execution context 0"), stillStuck.getMessage());

            released = true;
            assertAnswered(42, get(answer));
            closes(serving);
            assertFalse(stuckThread.isAlive(), "the close returned before the thread ended");

            // Once it has ended the endpoint serves again, and the stuck context with it.
            try (AutoCloseable again = sp.serve((req, resp) -> resp.payload(0, req.payload(0) + 2)))
            {
                assertAnswered(43, get(request(vm, 0, SP1, 41)));
                assertAnswered(44, get(request(vm, 1, SP1, 42)));
            }
            sp.close();
            vm.close();
        }
        assertNothingLeft(directory);
    }

    @Test
    void anEndpointClosedAfterItsServeFailedToStopLetsGoOnceTheHandlerReturns() throws Exception
    {
        final Path directory;
        final Queue<Throwable> told = new ConcurrentLinkedQueue<>();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(fabric.directory())
                .connectTimeoutNs(CONNECT_TIMEOUT_NS).errorHandler(told::add)))
        {
            directory = fabric.directory();
            final ControlFile controlFile = fabric.partitionManager().controlFile();
            final int slot = controlFile.slotOf(SP1);
            final Endpoint vm = fabric.claim(VM1);
            final Endpoint sp = claimWithShortWait(client, SP1);
            final AutoCloseable serving = sp.serve(this::spinUntilReleased);
            final Future<RegisterFile> answer = request(vm, 0, SP1, 41);
            assertTrue(spinning.await(30, TimeUnit.SECONDS), "the handler took the request");
            closeFails(serving);

            // The endpoint's close is bounded as it was: the handler's context is let go once it has returned.
            assertTimeoutPreemptively(HANG_GUARD, sp::close, "the endpoint's close returned");
            assertTrue(sp.isClosed());
            assertEquals(ProcessHandle.current().pid(), controlFile.claimPid(slot), "let go while its handler runs");
            // It returned with the partition still claimed, and says so to the client's error handler.
            assertEquals(1, told.size(), told::toString);
            final String message = told.peek().getMessage();
            assertTrue(message.startsWith("execution context 0 is still inside a call after 2000 ms: endpoint sp1 " +
                "stays claimed"), message);
            assertTrue(message.endsWith("thread ffa-close-sp1 once the call returns"), message);

            released = true;
            assertAnswered(42, get(answer));
            closes(serving);
            awaitUntil(System.nanoTime() + WAIT_NS, () -> controlFile.claimPid(slot) == 0, "still claimed");
            try (Endpoint again = claimWithShortWait(client, SP1);
                AutoCloseable serving2 = again.serve((req, resp) -> resp.payload(0, req.payload(0) + 2)))
            {
                assertAnswered(43, get(request(vm, 0, SP1, 41)));
            }
            vm.close();
        }
        assertNothingLeft(directory);
    }

    /**
     * A handler closes its serve while another context's handler is stuck: its close returns at once,
     * as a handler's close does, and a close from elsewhere then fails naming only the stuck context.
     */
    @Test
    void aHandlerThatClosesItsServeBesideAStuckOneReturnsAtOnce() throws Exception
    {
        final AtomicReference<AutoCloseable> serving = new AtomicReference<>();
        final AtomicReference<Throwable> handlersClose = new AtomicReference<>();
        final CountDownLatch closedByHandler = new CountDownLatch(1);
        final Path directory;
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
            FabricClient client = shortWaitClient(fabric))
        {
            directory = fabric.directory();
            final Endpoint vm = fabric.claim(VM1);
            final Endpoint sp = claimWithShortWait(client, SP1);
            serving.set(sp.serve((request, response) ->
            {
                if (sp.currentContext().index() == 0)
                {
                    spinUntilReleased(request, response);
                    return;
                }
                try
                {
                    serving.get().close();
                }
                catch (final Throwable ex)
                {
                    handlersClose.set(ex);
                }
                closedByHandler.countDown();
                response.payload(0, request.payload(0) + 1);
            }));
            final Future<RegisterFile> stuckAnswer = request(vm, 0, SP1, 41);
            assertTrue(spinning.await(30, TimeUnit.SECONDS), "the handler took the request");

            assertAnswered(43, get(request(vm, 1, SP1, 42)));
            assertTrue(closedByHandler.await(30, TimeUnit.SECONDS));
            assertNull(handlersClose.get(), "the handler's close threw");
            final IllegalStateException stuck = closeFails(serving.get());
            assertTrue(stuck.getMessage().contains("execution context 0"), stuck.getMessage());
            assertFalse(stuck.getMessage().contains("context 1"), stuck.getMessage());

            released = true;
            assertAnswered(42, get(stuckAnswer));
            closes(serving.get());
            sp.close();
            vm.close();
        }
        assertNothingLeft(directory);
    }

    /**
     * A serve that cannot start (one context never waits: another thread is inside a call on it) stops
     * the threads it started, bounded as a close is: one whose handler took a request meanwhile and is
     * stuck in it is named, and holds the endpoint's serving until it returns. The serve gives up after
     * the connect timeout: longer here, as the request must reach the handler before that.
     */
    @Test
    void aServeThatCannotStartBesideAStuckHandlerFailsRatherThanHangs() throws Exception
    {
        final CountDownLatch sp2Holds = new CountDownLatch(1);
        final CountDownLatch sp2LetGo = new CountDownLatch(1);
        final Path directory;
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
            FabricClient client = client(fabric, CONNECT_TIMEOUT_NS * 3))
        {
            directory = fabric.directory();
            final Endpoint vm = fabric.claim(VM1);
            final Endpoint sp = claimWithShortWait(client, SP1);
            final Endpoint sp2 = fabric.claim(SP2);
            final AutoCloseable sp2Serving = sp2.serve((request, response) ->
            {
                sp2Holds.countDown();
                awaitUninterruptibly(sp2LetGo);
            });
            // sp1's context 1 is inside a call, a request sp2 holds: a serve of sp1 cannot wait on it.
            final Future<RegisterFile> held = request(sp, 1, SP2, 1);
            assertTrue(sp2Holds.await(30, TimeUnit.SECONDS), "sp2 holds the request");

            final Future<AutoCloseable> serve = exec.submit(() -> sp.serve(this::spinUntilReleased));
            awaitState(fabric, SP1, 0, ExecutionContextState.WAITING);
            final Future<RegisterFile> answer = request(vm, 0, SP1, 41);
            assertTrue(spinning.await(30, TimeUnit.SECONDS), "the handler took the request");

            final ExecutionException failed = assertTimeoutPreemptively(HANG_GUARD,
                () -> assertThrows(ExecutionException.class, () -> serve.get(HANG_GUARD.toNanos(), TimeUnit.NANOSECONDS)),
                "the serve returned");
            final Throwable refusal = failed.getCause();
            assertInstanceOf(IllegalStateException.class, refusal, () -> "the serve failed with " + refusal);
            assertTrue(refusal.getMessage().contains("execution context 1") && refusal.getMessage().contains("did not start"),
                refusal.getMessage());
            assertEquals(1, refusal.getSuppressed().length, () -> "no word of the stuck handler: " + refusal);
            final String stuck = refusal.getSuppressed()[0].getMessage();
            assertTrue(stuck.contains("execution context 0") && !stuck.contains("context 1"), stuck);
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> sp.serve((req, resp) -> fail("served by a second serve")));
            assertTrue(refused.getMessage().contains("execution context 0"), refused.getMessage());

            released = true;
            sp2LetGo.countDown();
            assertAnswered(42, get(answer));
            final RegisterFile heldAnswer = get(held);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, heldAnswer.w(0), heldAnswer::toString);
            sp2Serving.close();
            final long deadline = System.nanoTime() + WAIT_NS;
            AutoCloseable again = null;
            while (again == null)
            {
                // The stuck thread ends just after its answer is out.
                try
                {
                    again = sp.serve((req, resp) -> resp.payload(0, req.payload(0) + 2));
                }
                catch (final IllegalStateException stillServing)
                {
                    assertTrue(System.nanoTime() < deadline, stillServing.getMessage());
                    LockSupport.parkNanos(1_000_000);
                }
            }
            try (AutoCloseable served = again)
            {
                assertAnswered(43, get(request(vm, 0, SP1, 41)));
            }
            sp.close();
            sp2.close();
            vm.close();
        }
        assertNothingLeft(directory);
    }

    /**
     * A process whose main returns after its serve's close failed, its handler still spinning and its
     * endpoint and client never closed: the JVM exits (no serving thread holds it), and the partition
     * manager reaps the claim, so the request held ends ABORTED.
     */
    @Test
    void aProcessWhoseStuckServeFailedToCloseStillExits() throws Exception
    {
        final Path directory;
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest()))
        {
            directory = fabric.directory();
            final ControlFile controlFile = fabric.partitionManager().controlFile();
            final Endpoint vm = fabric.claim(VM1);
            try (ChildProcess child = ChildProcess.start(StuckHandlerProcess.class,
                "--dir", directory.toString(), "--partition", Integer.toString(SP2)))
            {
                child.awaitLine("READY", ChildProcess.START_NS);
                final Future<RegisterFile> held = request(vm, 0, SP2, 41);
                child.awaitLine("HANDLING", TimeUnit.SECONDS.toNanos(30));
                child.send("close");
                final String failed = child.awaitLine("CLOSE", HANG_GUARD.toNanos());
                assertTrue(failed.startsWith("CLOSE FAILED") && failed.contains("execution context 0"), failed);
                assertTrue(child.process().waitFor(HANG_GUARD.toSeconds(), TimeUnit.SECONDS),
                    "the JVM did not exit with its handler still running");
                awaitUntil(System.nanoTime() + WAIT_NS * 3, () -> controlFile.claimPid(controlFile.slotOf(SP2)) == 0,
                    "the claim of the exited process was never reaped");
                assertError(ErrorCode.ABORTED, get(held), "the request the exited process held");
            }
            vm.close();
        }
        assertNothingLeft(directory);
    }
}
