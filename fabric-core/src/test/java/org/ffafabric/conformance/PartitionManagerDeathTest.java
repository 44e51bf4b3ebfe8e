package org.ffafabric.conformance;

import org.agrona.IoUtil;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.control.NonReapingParent;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.launch.ChildJvm;
import org.ffafabric.launch.PartitionHostMain;
import org.ffafabric.launch.PartitionManagerMain;
import org.ffafabric.manifest.ManifestParser;
import org.ffafabric.pm.PartitionManager;
import org.ffafabric.tools.FabricDump;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A partition manager in a child JVM, refused a second manager while it lives, and killed (SIGKILL)
 * while partitions are claimed, in this JVM and in partition processes of their own: their calls and
 * waits end in ABORTED, a partition host exits, and the next manager takes the directory over at once
 * and runs the fabric again. A claim under way when it dies fails saying so.
 */
class PartitionManagerDeathTest
{
    static final int VM1 = 1;
    static final int SP1 = 0x8001;
    static final int SP2 = 0x8002;
    static final int SP3 = 0x8003;
    /** Sixteen contexts, each bound in turn. */
    static final int VM2 = 2;

    private final ExecutorService exec = Executors.newCachedThreadPool();
    private Path manifest;
    private Path dir;
    // A test's own parent of dir, removed after it; else null.
    private Path dirParent;

    @BeforeEach
    void writeManifest() throws Exception
    {
        manifest = Files.createTempFile("ffa-pm-death-", ".yaml");
        Files.writeString(manifest, String.join("\n",
            "partitions:",
            "  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, messaging: [direct-req-send]}",
            "  - {name: sp1, id: 0x8001, world: sp-el1, uuid: aaaaaaaa-0000-0000-0000-000000000001, messaging: [direct-req-recv]}",
            "  - {name: sp2, id: 0x8002, world: sp-el1, uuid: aaaaaaaa-0000-0000-0000-000000000002, messaging: [direct-req-recv]}",
            "  - {name: sp3, id: 0x8003, world: sp-el1, uuid: aaaaaaaa-0000-0000-0000-000000000003, messaging: [direct-req-recv]}",
            "  - {name: vm2, id: 2, world: vm, uuid: 11111111-0000-0000-0000-000000000002, execution-contexts: 16,",
            "     messaging: [direct-req-send]}",
            ""));
        dir = Path.of("/dev/shm", "ffa-pm-death-" + UUID.randomUUID().toString().substring(0, 8));
    }

    @AfterEach
    void cleanUp() throws Exception
    {
        exec.shutdownNow();
        assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS), "every call returned");
        Files.deleteIfExists(manifest);
        final boolean left = Files.exists(dir);
        if (left)
        {
            IoUtil.delete(dir.toFile(), true);
        }
        if (dirParent != null)
        {
            Files.deleteIfExists(dirParent);
        }
        if (left)
        {
            fail("the fabric directory was left behind: " + dir);
        }
    }

    /**
     * A partition manager process stopped (SIGSTOP) for longer than its driver's client liveness timeout
     * comes back (SIGCONT) to find Aeron has closed its client under it. It faulted (SIGSEGV, an hs_err file
     * and the fabric directory left behind); it must say so and exit 1, taking its directory with it.
     */
    @Test
    @Timeout(120)
    void aManagerStoppedPastItsClientsLivenessExitsSayingSo() throws Exception
    {
        final Path err = Files.createTempFile("ffa-pm-stopped-", ".err");
        final Process pm = ChildJvm.processBuilder(managerWithShortClientLiveness()).redirectError(err.toFile()).start();
        try
        {
            final String ready = readLine(pm);
            assertTrue(ready.startsWith("READY"), ready + ": " + Files.readString(err));

            stopPastClientLiveness(pm.pid());

            assertTrue(pm.waitFor(60, TimeUnit.SECONDS), "the manager exited");
            final String said = Files.readString(err);
            assertEquals(1, pm.exitValue(), said);
            assertTrue(said.contains("Aeron client was closed") && said.contains("has ended; exiting"), said);
            assertFalse(Files.exists(dir), "its directory went with it");
        }
        finally
        {
            pm.destroyForcibly();
            pm.waitFor(30, TimeUnit.SECONDS);
            Files.deleteIfExists(err);
            Files.list(Path.of(".")).filter(f -> f.getFileName().toString().startsWith("hs_err_pid" + pm.pid()))
                .forEach(f -> f.toFile().delete());
        }
    }

    /**
     * A partition process stopped past its client's liveness timeout, as the manager above: Aeron closes
     * its client when it comes back. The host took that for the manager's death ("the partition manager
     * ... died", though it ran on) and, told to exit at the end of its standard input, stayed: its
     * partition claimed by a live process that served nothing, every request to it BUSY for good. It
     * must exit 1 saying it stalled, so that the manager reaps its claim.
     */
    @Test
    @Timeout(120)
    void aPartitionProcessStoppedPastItsClientsLivenessExitsSayingSo() throws Exception
    {
        final Path hostErr = Files.createTempFile("ffa-host-stopped-", ".err");
        final Process pm = ChildJvm.processBuilder(managerWithShortClientLiveness())
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Process host = null;
        try
        {
            assertTrue(readLine(pm).startsWith("READY"));
            host = ChildJvm.processBuilder(ChildJvm.command(PartitionHostMain.class,
                java.util.List.of("--dir", dir.toString(), "--exit-on-stdin-eof", "--partition", "0x8001")))
                .redirectError(hostErr.toFile()).start();
            assertEquals("READY", readLine(host), Files.readString(hostErr));

            stopPastClientLiveness(host.pid());

            assertTrue(host.waitFor(60, TimeUnit.SECONDS), "the host exited");
            final String said = Files.readString(hostErr);
            assertEquals(1, host.exitValue(), said);
            assertTrue(said.contains("went unserviced for longer than its Aeron client's liveness timeout"), said);
            assertFalse(said.contains("died"), said);
            try (ControlFile cf = ControlFile.open(FabricDirectory.controlFile(dir)))
            {
                awaitUntil(System.nanoTime() + WAIT_NS, () -> cf.claimPid(cf.slotOf(SP1)) == 0, "the manager reaped the claim");
            }
        }
        finally
        {
            if (host != null)
            {
                host.destroyForcibly();
                host.waitFor(30, TimeUnit.SECONDS);
            }
            pm.getOutputStream().close();
            assertTrue(pm.waitFor(30, TimeUnit.SECONDS), "the manager exited at the end of its standard input");
            Files.deleteIfExists(hostErr);
        }
    }

    /**
     * An application that embeds a client and carries on after Aeron closed that client for its stall held
     * its claim until it exited: the partition claimed by a live process that serves nothing, which the
     * manager never reaps. Its endpoint's close lets go of the claim itself, and the manager reaps the rest.
     */
    @Test
    @Timeout(120)
    void anApplicationThatStalledAndCarriesOnLetsGoOfItsClaim() throws Exception
    {
        final Process pm = ChildJvm.processBuilder(managerWithShortClientLiveness())
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Process app = null;
        try
        {
            assertTrue(readLine(pm).startsWith("READY"));
            app = ChildJvm.processBuilder(ChildJvm.command(ClaimingProcess.class,
                java.util.List.of("--dir", dir.toString(), "--partition", "0x8001", "--hold")))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            final java.io.BufferedReader appOut = new java.io.BufferedReader(new java.io.InputStreamReader(
                app.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            assertEquals("CLAIMED", appOut.readLine());

            stopPastClientLiveness(app.pid());

            assertEquals("CLOSED stalled=true", appOut.readLine());
            try (ControlFile cf = ControlFile.open(FabricDirectory.controlFile(dir)))
            {
                awaitUntil(System.nanoTime() + WAIT_NS, () -> cf.claimPid(cf.slotOf(SP1)) == 0, "the claim let go of");
            }
            assertTrue(app.isAlive(), "the application carries on");
        }
        finally
        {
            if (app != null)
            {
                app.getOutputStream().close();
                assertTrue(app.waitFor(30, TimeUnit.SECONDS), "the application ended at the end of its standard input");
            }
            pm.getOutputStream().close();
            assertTrue(pm.waitFor(30, TimeUnit.SECONDS), "the manager exited at the end of its standard input");
        }
    }

    private static String readLine(final Process process) throws Exception
    {
        return String.valueOf(new java.io.BufferedReader(new java.io.InputStreamReader(
            process.getInputStream(), java.nio.charset.StandardCharsets.UTF_8)).readLine());
    }

    /**
     * A manager process whose driver times a client out after 15 s unserviced (its timer ticking faster), not the
     * tests' 30 s, so that the stop below outlasts it: longer than a stall of a process on a loaded machine, which
     * can last 10 s, and at 1 s, then 5, could end the manager (or the host) before the test stopped it. A
     * publication's unblock timeout must be longer still. After the options passed on from this JVM, to win.
     */
    private java.util.List<String> managerWithShortClientLiveness()
    {
        return ChildProcess.withOptions(ChildJvm.command(PartitionManagerMain.class,
            java.util.List.of("--manifest", manifest.toString(), "--dir", dir.toString(), "--exit-on-stdin-eof")),
            java.util.List.of("-Daeron.client.liveness.timeout=15s", "-Daeron.publication.unblock.timeout=30s",
            "-Daeron.timer.interval=100ms"));
    }

    /**
     * Stops a process (SIGSTOP) for longer than that liveness timeout, then continues it: its client finds at once
     * that it went unserviced too long, whether or not the driver has timed it out by then.
     */
    private static void stopPastClientLiveness(final long pid) throws Exception
    {
        signal("STOP", pid);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(17_500));
        signal("CONT", pid);
    }

    private static void signal(final String signal, final long pid) throws Exception
    {
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, kill.exitValue(), "kill -" + signal);
    }

    private ChildProcess startPartitionManager() throws Exception
    {
        final ChildProcess pm = ChildProcess.start(PartitionManagerMain.class,
            "--manifest", manifest.toString(), "--dir", dir.toString(), "--exit-on-stdin-eof");
        pm.awaitLine("READY", ChildProcess.START_NS);
        return pm;
    }

    private PartitionManager launchHere()
    {
        return PartitionManager.launch(new PartitionManager.Context().directory(dir).manifest(ManifestParser.parse(manifest)));
    }

    /** A DIRECT_REQ_64 from vm1, sent again while its target answers BUSY (a server between duty cycles). */
    private static RegisterFile request(final ExecutionContext ec, final int target, final long payload)
    {
        return request(ec, VM1, target, payload, WAIT_NS);
    }

    private static RegisterFile request(
        final ExecutionContext ec, final int sender, final int target, final long payload, final long boundNs)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (true)
        {
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, sender, target).x(3, payload);
            ec.invoke(r, boundNs);
            if (!(r.isError() && r.w(2) == ErrorCode.BUSY))
            {
                return r;
            }
            assertTrue(System.nanoTime() < deadline, "BUSY for 10 s");
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static void assertEchoed(final long payload, final RegisterFile r)
    {
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r::toString);
        assertEquals(payload + 1, r.x(3), r::toString);
    }

    @Test
    @Timeout(120)
    void aSecondManagerInALiveFabricsDirectoryIsRefusedAndTheFabricRunsOn() throws Exception
    {
        try (ChildProcess pm = startPartitionManager())
        {
            final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> launchHere().close());
            assertTrue(refused.getMessage().contains(dir.toString()), refused.getMessage());

            try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(dir));
                Endpoint vm = client.claim(VM1);
                Endpoint sp = client.claim(SP1);
                AutoCloseable serving = sp.serve(PartitionHostMain::echo))
            {
                assertEchoed(41, request(vm.executionContext(0), SP1, 41));
            }
            assertEquals(0, pm.finish(), "the first manager closes cleanly");
        }
        assertFalse(Files.exists(dir), "its close removed " + dir);
    }

    /**
     * A manager killed under a parent that has not waited for it, as under a container's init that
     * does not reap: a zombie, which ProcessHandle takes for alive, and gone all the same: not
     * running to a reader of its control file or to {@code ffa partitions}, and a client's connect
     * is refused at once rather than after Aeron's driver timeout.
     */
    @Test
    @Timeout(120)
    void aKilledManagerThatItsParentHasNotWaitedForIsNotRunning() throws Exception
    {
        // A parent of its own: a launch beside it (another test run's) would sweep the dead directory.
        dirParent = Files.createTempDirectory(dir.getParent(), "zombie-pm-");
        dir = dirParent.resolve("ffa-fabric");
        try (ChildProcess pm = ChildProcess.startUnreaped(PartitionManagerMain.class,
            "--manifest", manifest.toString(), "--dir", dir.toString()))
        {
            pm.awaitLine("READY", ChildProcess.START_NS);
            try (ControlFile cf = ControlFile.open(FabricDirectory.controlFile(dir)))
            {
                assertEquals(pm.pid(), cf.pmPid());
                assertTrue(cf.isPartitionManagerRunning());

                pm.kill();
                NonReapingParent.awaitZombie(pm.pid());
                assertTrue(ProcessHandle.of(pm.pid()).map(ProcessHandle::isAlive).orElse(false),
                    "ProcessHandle takes a zombie for alive");

                assertFalse(cf.isPartitionManagerProcessAlive(), "a zombie's process is dead");
                assertFalse(cf.isPartitionManagerRunning(), "its heartbeat stopped with it");
                final String manager = FabricDump.describe(cf).lines().findFirst().orElseThrow();
                assertTrue(manager.startsWith("partition manager pid=" + pm.pid() + " gone "), manager);
                final IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> FabricClient.connect(new FabricClient.Context().directory(dir)).close());
                assertTrue(refused.getMessage().contains("is not running"), refused.getMessage());
                assertEquals('Z', NonReapingParent.state(pm.pid()), "still a zombie");
            }
        }
        // Its lock went with it: the next manager takes the directory over, and its close removes it.
        launchHere().close();
        assertFalse(Files.exists(dir), "the next manager's close removed " + dir);
    }

    @Test
    @Timeout(180)
    void aManagerKilledWhilePartitionsAreClaimedEndsTheirCallsInAbortedAndTheNextTakesItsDirectoryAtOnce() throws Exception
    {
        final ChildProcess pm = startPartitionManager();
        try (pm;
            ChildProcess host = ChildProcess.start(PartitionHostMain.class, "--dir", dir.toString(), "--partition", "0x8001");
            ChildProcess holder = ChildProcess.start(DoomedPartitionProcess.class, "--dir", dir.toString(), "--partition", SP3 + ":hold"))
        {
            host.awaitLine("READY", ChildProcess.START_NS);
            holder.awaitLine("READY", ChildProcess.START_NS);
            final CountDownLatch gone = new CountDownLatch(1);
            final FabricClient old = FabricClient.connect(
                new FabricClient.Context().directory(dir).partitionManagerGoneHandler(gone::countDown));
            try
            {
                final Endpoint vm = old.claim(VM1);
                final Endpoint sp2 = old.claim(SP2);
                final ExecutionContext ec = vm.executionContext(0);
                assertEchoed(1, request(ec, SP1, 1));
                final RegisterFile served = new RegisterFile();
                final Future<Boolean> serving = exec.submit(() ->
                    sp2.executionContext(0).serveDirectRequest((req, resp) -> fail("no request was sent"), served, 0));
                awaitWaiting(old, SP2);
                // A request in flight: its target's handler holds it, and it waits with no bound.
                final Endpoint vm2 = old.claim(VM2);
                final Future<RegisterFile> held = exec.submit(() -> request(vm2.executionContext(0), VM2, SP3, 3, 0));
                holder.awaitLine("HOLDING " + SP3, ChildProcess.START_NS);

                // A trap in flight: the manager is stopped, so its answer never comes.
                signal(pm, "STOP");
                final Future<RegisterFile> trapped = exec.submit(() -> call(ec, FunctionId.FFA_ID_GET));
                pm.process().destroyForcibly();
                assertTrue(pm.process().waitFor(30, TimeUnit.SECONDS), "killed");

                // Taken over at once: its lock went with it, and its heartbeat need not go stale first.
                try (PartitionManager next = launchHere())
                {
                    assertTrue(gone.await(30, TimeUnit.SECONDS), "the old client noticed");
                    assertError(ErrorCode.ABORTED, trapped.get(30, TimeUnit.SECONDS), "a trap in flight");
                    assertError(ErrorCode.ABORTED, held.get(30, TimeUnit.SECONDS), "a request held by its target");
                    assertFalse(serving.get(30, TimeUnit.SECONDS), "the serving wait ended without a request");
                    assertError(ErrorCode.ABORTED, served, "a serving wait");
                    assertError(ErrorCode.ABORTED, call(ec, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64,
                        RegisterFile.packIds(VM1, SP1)), "a request after");
                    assertTrue(host.process().waitFor(30, TimeUnit.SECONDS), "the partition host exits by itself");
                    assertEquals(1, host.process().exitValue(), "saying its partition manager went");

                    // The new fabric owes the old claims nothing: every partition is claimed and served anew.
                    try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(dir));
                        Endpoint vmAgain = client.claim(VM1);
                        Endpoint sp1Again = client.claim(SP1);
                        AutoCloseable echo = sp1Again.serve(PartitionHostMain::echo))
                    {
                        assertEchoed(2, request(vmAgain.executionContext(0), SP1, 2));
                    }
                }
            }
            finally
            {
                old.close();
            }
        }
        assertFalse(Files.exists(dir), "the next manager's close removed " + dir);
    }

    /**
     * The manager dies while a claim is under way: the client closes itself, and the claim fails
     * saying the manager has gone. It read the control file the close had unmapped
     * (IndexOutOfBoundsException; with Agrona's bounds checks off, a fault that ends the JVM),
     * or surfaced Aeron's driver timeout. The manager is stopped (SIGSTOP) before the claim begins,
     * so the claim, which needs it and the media driver it runs, is certainly under way when it is killed.
     * It waits on that driver until its client's driver timeout, so it runs in a child JVM with Aeron's 10 s
     * rather than the tests' 30 s (the pom's ffa.test.flags), which would have this test wait 30 s.
     */
    @Test
    @Timeout(180)
    void aClaimInProgressWhenItsManagerIsKilledFailsSayingTheManagerHasGone() throws Exception
    {
        try (ChildProcess pm = startPartitionManager();
            ChildProcess claimer = ChildProcess.start(java.util.List.of("-Daeron.driver.timeout=10000"),
                ClaimingProcess.class, "--dir", dir.toString(), "--partition", Integer.toString(VM2));
            ControlFile cf = ControlFile.open(FabricDirectory.controlFile(dir)))
        {
            claimer.awaitLine("READY", ChildProcess.START_NS);
            signal(pm, "STOP");
            claimer.send("claim");
            final int slot = cf.slotOf(VM2);
            awaitUntil(System.nanoTime() + ChildProcess.START_NS,
                () -> cf.claimPid(slot) == claimer.pid() || !claimer.process().isAlive(), "the claim began");
            pm.process().destroyForcibly();
            assertTrue(pm.process().waitFor(30, TimeUnit.SECONDS), "killed");

            final String outcome = claimer.awaitLine("", TimeUnit.SECONDS.toNanos(60));
            assertTrue(outcome.startsWith("REFUSED " + IllegalStateException.class.getName() + ": "),
                () -> "the claim failed with " + outcome);
            assertTrue(outcome.contains("partition manager of " + dir + " has gone"), outcome);
        }
        IoUtil.delete(dir.toFile(), true);
    }

    private static void awaitWaiting(final FabricClient client, final int id)
    {
        final var cf = client.controlFile();
        final int offset = cf.ecStateOffset(cf.slotOf(id), 0);
        final long deadline = System.nanoTime() + WAIT_NS;
        while (org.ffafabric.control.ExecutionContextState.state(cf.ecState(offset)) !=
            org.ffafabric.control.ExecutionContextState.WAITING)
        {
            assertTrue(System.nanoTime() < deadline, "waiting for requests");
            LockSupport.parkNanos(100_000);
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
