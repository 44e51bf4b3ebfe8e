package org.ffafabric.conformance;

import org.agrona.IoUtil;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.endpoint.FabricClientProbe;
import org.ffafabric.launch.PartitionManagerMain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A fabric client closed while one of its threads claims a partition: the claim fails saying the
 * client closed, and the close, once it returns, has let go of all the client held. The partition
 * manager runs in a child JVM that the test stops (SIGSTOP) to hold a claim in its first step, and a
 * handler the test holds keeps the close inside its endpoints' closes while the claim ends.
 */
class ClientCloseWhileClaimingTest
{
    static final int VM1 = 1;
    static final int SP1 = 0x8001;
    static final int SP2 = 0x8002;
    /** Longer than any wait here: the close waits this long for a held handler before it goes on without it. */
    static final long CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);

    private final ExecutorService exec = Executors.newCachedThreadPool();
    private Path manifest;
    private Path dir;

    @BeforeEach
    void writeManifest() throws Exception
    {
        manifest = Files.createTempFile("ffa-close-claiming-", ".yaml");
        Files.writeString(manifest, String.join("\n",
            "partitions:",
            "  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, messaging: [direct-req-send]}",
            "  - {name: sp1, id: 0x8001, world: sp-el1, uuid: aaaaaaaa-0000-0000-0000-000000000001, messaging: [direct-req-recv]}",
            "  - {name: sp2, id: 0x8002, world: sp-el1, uuid: aaaaaaaa-0000-0000-0000-000000000002, messaging: [direct-req-recv]}",
            ""));
        dir = Path.of("/dev/shm", "ffa-close-claiming-" + UUID.randomUUID().toString().substring(0, 8));
    }

    @AfterEach
    void cleanUp() throws Exception
    {
        exec.shutdownNow();
        assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS), "every call returned");
        Files.deleteIfExists(manifest);
        if (Files.exists(dir))
        {
            IoUtil.delete(dir.toFile(), true);
            fail("the fabric directory was left behind: " + dir);
        }
    }

    /**
     * The claim began before the close and ends after the close took the endpoints to close: it
     * must not hand its caller an open endpoint of a client whose close then returns with Aeron and
     * the control file still open for it.
     */
    @Test
    @Timeout(180)
    void aClaimThatEndsWhileTheClientClosesFailsAndTheCloseLetsGoOfAllTheClientHeld() throws Exception
    {
        try (ChildProcess pm = ChildProcess.start(PartitionManagerMain.class,
            "--manifest", manifest.toString(), "--dir", dir.toString(), "--exit-on-stdin-eof"))
        {
            pm.awaitLine("READY", ChildProcess.START_NS);
            final FabricClient client = FabricClient.connect(
                new FabricClient.Context().directory(dir).connectTimeoutNs(CONNECT_TIMEOUT_NS));
            final CountDownLatch holding = new CountDownLatch(1);
            final CountDownLatch letGo = new CountDownLatch(1);
            Future<Endpoint> claiming = null;
            AutoCloseable serving = null;
            try (ControlFile watch = ControlFile.open(FabricDirectory.controlFile(dir)))
            {
                final Endpoint vm = client.claim(VM1);
                final Endpoint sp1 = client.claim(SP1);
                serving = sp1.serve((req, resp) ->
                {
                    holding.countDown();
                    awaitUninterruptibly(letGo);
                });
                // A request its handler holds: sp1's close waits for it to return.
                final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1);
                vm.executionContext(0).invoke(r, TimeUnit.MILLISECONDS.toNanos(500));
                assertEquals(FunctionId.FFA_INTERRUPT, r.w(0), r::toString);
                assertTrue(holding.await(30, TimeUnit.SECONDS), "the handler holds the request");

                // Stopped, the manager (its media driver too) holds the claim in its first step.
                signal(pm, "STOP");
                final Future<Endpoint> claim = exec.submit(() -> client.claim(SP2));
                claiming = claim;
                final int sp2Slot = watch.slotOf(SP2);
                final long pid = ProcessHandle.current().pid();
                awaitTrue(() -> watch.claimPid(sp2Slot) == pid, "the claim began");
                final Future<?> closing = exec.submit(client::close);
                // The close has taken the endpoints to close: it is closing the first.
                awaitTrue(vm::isClosed, "the close began");
                signal(pm, "CONT");

                // The claim ends while the held handler keeps the close from finishing.
                final ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> claim.get(60, TimeUnit.SECONDS), "a claim that ended under the close returned an endpoint");
                assertFalse(closing.isDone(), "the close still waits for the held handler");
                final Throwable cause = failed.getCause();
                assertInstanceOf(IllegalStateException.class, cause, () -> "the claim failed with " + cause);
                assertTrue(cause.getMessage().contains("closed while claiming"), cause.getMessage());

                letGo.countDown();
                closing.get(60, TimeUnit.SECONDS);
                assertTrue(FabricClientProbe.hasClosedWhatItsEndpointsShared(client), "the close closed Aeron");
                for (int slot = 0; slot < watch.partitionCount(); slot++)
                {
                    assertEquals(0, watch.claimPid(slot), "partition " + watch.name(slot) + " is let go");
                }
            }
            finally
            {
                // A failure with the manager stopped would leave the close waiting on it.
                signal(pm, "CONT");
                letGo.countDown();
                client.close();
                closeIfClaimed(claiming);
                if (serving != null)
                {
                    serving.close();
                }
            }
            assertEquals(0, pm.finish(), "the manager closes cleanly");
        }
    }

    /** An endpoint the claim returned, when it wrongly did, is closed: it would keep the client open. */
    private static void closeIfClaimed(final Future<Endpoint> claiming) throws Exception
    {
        if (claiming == null)
        {
            return;
        }
        try
        {
            claiming.get(60, TimeUnit.SECONDS).close();
        }
        catch (final ExecutionException expected)
        {
            // Refused, as it should be: nothing to close.
        }
    }

    private static void awaitTrue(final java.util.function.BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + ChildProcess.START_NS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.onSpinWait();
        }
    }

    private static void signal(final ChildProcess child, final String signal) throws Exception
    {
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(child.process().pid()))
            .inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, kill.exitValue(), "kill -" + signal);
    }
}
