package org.ffafabric.conformance;

import org.agrona.IoUtil;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.control.FabricLock;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.launch.PartitionManagerMain;
import org.ffafabric.pm.PartitionManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A partition manager killed (SIGKILL) or stopped (SIGSTOP) part way through its launch, after it has
 * begun its memory files and before its control file is in place. A directory it left by dying is
 * removed by the next launch, beside it or in it; one it is still making is neither removed by a
 * launch beside it nor taken by a launch in it, and the manager, once it goes on, runs its fabric.
 */
class CrashedLaunchTest
{
    /** Big enough that writing it in full keeps the manager between its first file and its control file a while. */
    private static final String BIG_MEMORY = "512M";
    private static final long BIG_MEMORY_BYTES = 512L << 20;

    private final List<Path> dirs = new ArrayList<>();
    private final List<ChildProcess> children = new ArrayList<>();
    private final List<Path> manifests = new ArrayList<>();
    private final List<FutureTask<PartitionManager>> launches = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception
    {
        for (final FutureTask<PartitionManager> launching : launches)
        {
            try
            {
                launching.get(60, TimeUnit.SECONDS).close();
            }
            catch (final ExecutionException ignore)
            {
                // Refused: nothing to close.
            }
        }
        for (final ChildProcess child : children)
        {
            child.close();
        }
        for (final Path dir : dirs)
        {
            IoUtil.delete(dir.toFile(), true);
        }
        for (final Path manifest : manifests)
        {
            Files.deleteIfExists(manifest);
        }
    }

    private Path newDirectory(final String what)
    {
        final Path dir = FabricDirectory.defaultPath(what + "-" + UUID.randomUUID().toString().substring(0, 8));
        dirs.add(dir);
        return dir;
    }

    /**
     * A partition manager in a child JVM, stopped (SIGSTOP) once its first memory file is there and
     * before its control file is: mid-launch for as long as the test likes.
     */
    private ChildProcess stoppedMidLaunch(final Path dir) throws Exception
    {
        assumeTrue(FabricDirectory.usableSpace(FabricDirectory.fileStore(dir), dir) > 2 * BIG_MEMORY_BYTES,
            "room in " + dir.getParent() + " for a manager with " + BIG_MEMORY + " of memory");
        final Path manifest = writeManifest(BIG_MEMORY);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            final ChildProcess pm = ChildProcess.start(PartitionManagerMain.class,
                "--manifest", manifest.toString(), "--dir", dir.toString(), "--exit-on-stdin-eof");
            children.add(pm);
            final Path firstMemory = FabricDirectory.memoryFile(dir, 1);
            final long deadline = System.nanoTime() + ChildProcess.START_NS;
            while (!Files.exists(firstMemory) && pm.process().isAlive())
            {
                assertTrue(System.nanoTime() < deadline, "the manager began its memory files");
                Thread.onSpinWait();
            }
            signal(pm, "STOP");
            if (!Files.exists(FabricDirectory.controlFile(dir)))
            {
                assertTrue(Files.exists(firstMemory), "stopped after its first memory file");
                return pm;
            }
            // Stopped too late, its launch done: again, in a new directory.
            pm.close();
            IoUtil.delete(dir.toFile(), true);
        }
        return fail("the manager was never stopped between its first memory file and its control file");
    }

    private Path writeManifest(final String memory) throws Exception
    {
        final Path manifest = Files.createTempFile("ffa-crashed-launch-", ".yaml");
        manifests.add(manifest);
        Files.writeString(manifest, String.join("\n",
            "partitions:",
            "  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: " + memory + ",",
            "     messaging: [direct-req-send]}",
            "  - {name: sp1, id: 0x8001, world: sp-el1, uuid: aaaaaaaa-0000-0000-0000-000000000001,",
            "     messaging: [direct-req-recv]}",
            ""));
        return manifest;
    }

    /** A fabric whose manager, in a child JVM, launched it in full and was then killed (SIGKILL): its lock is free. */
    private void leftByAKilledManager(final Path dir) throws Exception
    {
        final ChildProcess pm = ChildProcess.start(PartitionManagerMain.class,
            "--manifest", writeManifest("64K").toString(), "--dir", dir.toString(), "--exit-on-stdin-eof");
        children.add(pm);
        pm.awaitLine("READY", ChildProcess.START_NS);
        kill(pm);
        assertTrue(Files.exists(FabricLock.file(dir)), "the killed manager left its fabric");
    }

    /** A launch in {@code dir} on a thread of its own; {@link #cleanUp()} closes what it launched. */
    private Thread launchOnAThread(final Path dir, final FutureTask<PartitionManager> launching)
    {
        launches.add(launching);
        final Thread launcher = new Thread(launching, "launch-in-" + dir.getFileName());
        launcher.start();
        return launcher;
    }

    /**
     * Until the launch waits in {@link PartitionManager}'s prepareDirectory (parked there), true, or
     * has ended, false.
     */
    private static boolean awaitWaitingOrEnded(final Thread launcher, final FutureTask<PartitionManager> launching)
    {
        final long deadline = System.nanoTime() + ChildProcess.START_NS;
        while (!launching.isDone())
        {
            if (launcher.getState() == Thread.State.TIMED_WAITING && Stream.of(launcher.getStackTrace()).anyMatch(f ->
                f.getClassName().equals(PartitionManager.class.getName()) && f.getMethodName().equals("prepareDirectory")))
            {
                return true;
            }
            assertTrue(System.nanoTime() < deadline, "the launch reached its directory");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return false;
    }

    /** What lets a held lock go: a removal, a close, a child's end. */
    private interface LetGo
    {
        void run() throws Exception;
    }

    /**
     * A launch in {@code dead} while its lock is held by someone who did not make it: it waits (seen
     * parked in prepareDirectory), {@code letGo} runs, and then it runs its own fabric there.
     */
    private void assertALaunchWaitsUntil(final Path dead, final LetGo letGo) throws Exception
    {
        final FutureTask<PartitionManager> launching = new FutureTask<>(() -> launch(dead));
        final boolean waited;
        try
        {
            waited = awaitWaitingOrEnded(launchOnAThread(dead, launching), launching);
        }
        finally
        {
            letGo.run();
        }
        assertWaitedAndRuns(waited, launching, dead);
    }

    /**
     * The launch, once the sweep it waited on has removed the dead fabric, runs its own there: a
     * partition is claimed and answers.
     */
    private static void assertWaitedAndRuns(
        final boolean waited, final FutureTask<PartitionManager> launching, final Path dir) throws Exception
    {
        final PartitionManager pm = assertDoesNotThrow(() -> launching.get(60, TimeUnit.SECONDS),
            "the launch runs its fabric once the sweep has removed the dead one");
        try (pm;
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(dir));
            Endpoint vm = client.claim(1))
        {
            assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_ID_GET));
        }
        assertTrue(waited, "the launch waited for the sweep holding the lock, and took nothing meanwhile");
        assertEquals(List.of(), entries(dir.getParent()), "its close removed " + dir + ", and nothing of the dead one is left");
    }

    private static void signal(final ChildProcess child, final String signal) throws Exception
    {
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(child.process().pid()))
            .inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, kill.exitValue(), "kill -" + signal);
    }

    private static void kill(final ChildProcess child) throws Exception
    {
        child.process().destroyForcibly();
        assertTrue(child.process().waitFor(30, TimeUnit.SECONDS), "killed");
    }

    private static PartitionManager launch(final Path dir)
    {
        return PartitionManager.launch(new PartitionManager.Context().directory(dir).manifest(smallManifest()));
    }

    private static List<String> entries(final Path dir) throws Exception
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The stopped manager goes on, finishes its launch and runs its fabric: a partition is claimed and answers. */
    private static void resumeAndUse(final ChildProcess pm, final Path dir) throws Exception
    {
        signal(pm, "CONT");
        pm.awaitLine("READY", ChildProcess.START_NS);
        try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(dir));
            Endpoint vm = client.claim(1))
        {
            assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_ID_GET));
        }
        assertEquals(0, pm.finish(), "the manager exits cleanly");
        assertFalse(Files.exists(dir), "its close removed " + dir);
    }

    @Test
    @Timeout(180)
    void aDirectoryLeftByAManagerKilledBeforeItsControlFileIsRemovedByTheNextLaunchBesideIt() throws Exception
    {
        final Path crashed = newDirectory("crashed");
        kill(stoppedMidLaunch(crashed));
        assertTrue(Files.exists(FabricDirectory.memoryFile(crashed, 1)), "left its memory file");
        assertFalse(Files.exists(FabricDirectory.controlFile(crashed)), "and no control file");

        try (PartitionManager beside = launch(newDirectory("beside")))
        {
            assertFalse(Files.exists(crashed), () -> "the launch beside left the crashed launch's directory: " + crashed);
        }
    }

    @Test
    @Timeout(180)
    void aDirectoryLeftByAManagerKilledBeforeItsControlFileIsTakenByTheNextLaunchInIt() throws Exception
    {
        final Path crashed = newDirectory("crashed");
        kill(stoppedMidLaunch(crashed));

        try (PartitionManager again = launch(crashed))
        {
            assertTrue(Files.exists(FabricDirectory.controlFile(crashed)));
            assertEquals(smallManifest().partition(1).memorySize(), Files.size(FabricDirectory.memoryFile(crashed, 1)),
                "the new launch's memory file, not the dead one's");
        }
        assertFalse(Files.exists(crashed));
    }

    @Test
    @Timeout(180)
    void aLaunchInADirectoryAManagerIsStillMakingIsRefusedAndDeletesNothing() throws Exception
    {
        final Path making = newDirectory("making");
        final ChildProcess pm = stoppedMidLaunch(making);
        final List<String> before = entries(making);

        final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> launch(making).close());
        assertTrue(refused.getMessage().contains(making.toString()), refused.getMessage());
        assertEquals(before, entries(making), "the launching manager's files are untouched");

        resumeAndUse(pm, making);
    }

    @Test
    @Timeout(180)
    void aDirectoryAManagerIsStillMakingIsLeftAloneByALaunchBesideIt() throws Exception
    {
        final Path making = newDirectory("making");
        final ChildProcess pm = stoppedMidLaunch(making);
        final List<String> before = entries(making);

        try (PartitionManager beside = launch(newDirectory("beside")))
        {
            assertEquals(before, entries(making), "the launching manager's files are untouched");
        }

        resumeAndUse(pm, making);
    }

    /**
     * A manager closing zeroes its PID, stops its duty cycle and only then removes its directory. A
     * launch in its directory meanwhile is refused: were it taken for a dead manager's, the close,
     * finishing, would remove what that launch had made. The test holds the closing manager's duty
     * cycle in its idle strategy, so the close waits, its PID zeroed, until the launch is done.
     */
    @Test
    @Timeout(180)
    void aLaunchWhileTheLastManagerOfItsDirectoryClosesIsRefused() throws Exception
    {
        final Path dir = newDirectory("closing");
        final java.util.concurrent.atomic.AtomicBoolean hold = new java.util.concurrent.atomic.AtomicBoolean();
        final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch letGo = new java.util.concurrent.CountDownLatch(1);
        final org.agrona.concurrent.IdleStrategy holdable = new org.agrona.concurrent.IdleStrategy()
        {
            public void idle(final int workCount)
            {
                if (hold.get())
                {
                    held.countDown();
                    while (letGo.getCount() > 0)
                    {
                        // Deaf to the interrupt the runner's close sends a duty cycle it has waited 5 s for.
                        Thread.interrupted();
                        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    }
                }
                if (workCount == 0)
                {
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
            }

            public void idle()
            {
                idle(0);
            }

            public void reset()
            {
            }
        };
        final PartitionManager closing = PartitionManager.launch(
            new PartitionManager.Context().directory(dir).manifest(smallManifest()).idleStrategy(holdable));
        final Thread closer = new Thread(closing::close, "closing-manager");
        try (org.ffafabric.control.ControlFile watch = org.ffafabric.control.ControlFile.open(FabricDirectory.controlFile(dir)))
        {
            // Held before the close begins: the close then waits for its duty cycle to end, which it cannot.
            hold.set(true);
            assertTrue(held.await(60, TimeUnit.SECONDS), "the duty cycle is held");
            closer.start();
            final long deadline = System.nanoTime() + WAIT_NS;
            while (watch.pmPid() != 0)
            {
                assertTrue(System.nanoTime() < deadline, "the close began");
                Thread.onSpinWait();
            }
            assertThrows(IllegalStateException.class, () -> launch(dir).close(), "a launch while it closes");
            assertTrue(Files.exists(FabricDirectory.controlFile(dir)), "the close was still under way");
        }
        finally
        {
            letGo.countDown();
            if (closer.getState() == Thread.State.NEW)
            {
                closing.close();
            }
            closer.join(TimeUnit.SECONDS.toMillis(60));
        }
        assertFalse(closer.isAlive(), "the close ended");
        assertFalse(Files.exists(dir), "the close removed its own directory");
        launch(dir).close();
    }

    /**
     * A launch beside a live manager of this JVM must not open that manager's lock: closing any
     * channel to the file would drop the lock this JVM holds, and a launch in another process would
     * then take the live fabric for a dead one's.
     */
    @Test
    @Timeout(180)
    void aLaunchBesideALiveManagerOfThisJvmLeavesItsLockHeld() throws Exception
    {
        final Path live = newDirectory("live");
        try (PartitionManager pm = launch(live))
        {
            launch(newDirectory("beside")).close();

            final ChildProcess other = ChildProcess.start(PartitionManagerMain.class,
                "--manifest", writeManifest(BIG_MEMORY).toString(), "--dir", live.toString(), "--exit-on-stdin-eof");
            children.add(other);
            assertTrue(other.process().waitFor(60, TimeUnit.SECONDS), "the launch in another process ends");
            assertNotEquals(0, other.process().exitValue(), "refused: the fabric runs");
            try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(live));
                Endpoint vm = client.claim(1))
            {
                assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_ID_GET));
            }
        }
    }

    /**
     * A launch in a dead fabric's directory while a launch beside it, in this JVM, has taken its lock
     * to remove it: no manager runs that fabric, so the launch waits for it to go, rather than being
     * refused as though one did, and then runs its own fabric there. In a parent of its own, where no
     * launch of a test run beside sweeps it first.
     */
    @Test
    @Timeout(180)
    void aLaunchInADeadFabricThatASweepInThisJvmIsRemovingWaitsForItAndRunsItsOwn(@TempDir final Path parent) throws Exception
    {
        final Path dead = parent.resolve("ffa-swept");
        leftByAKilledManager(dead);
        final FabricLock sweep = FabricLock.tryTake(dead);
        assertNotNull(sweep, "the killed manager's lock is free to take");
        assertALaunchWaitsUntil(dead, sweep::deleteDirectory);
    }

    /** The same with the sweep in another process: the launch reads the lock's maker from its file. */
    @Test
    @Timeout(180)
    void aLaunchInADeadFabricThatASweepInAnotherProcessIsRemovingWaitsForItAndRunsItsOwn(@TempDir final Path parent)
        throws Exception
    {
        final Path dead = parent.resolve("ffa-swept");
        leftByAKilledManager(dead);
        final ChildProcess sweep = ChildProcess.start(SweepingProcess.class, "--dir", dead.toString());
        children.add(sweep);
        sweep.awaitLine("TAKEN", ChildProcess.START_NS);
        assertALaunchWaitsUntil(dead, () -> assertEquals(0, sweep.finish(), "the sweep removed the dead fabric"));
    }

    /**
     * A launch waiting on a dead fabric's lock, held by another that lets it go without removing the
     * fabric (it failed, or gave up): the directory is a dead manager's still, and the launch takes it.
     */
    @Test
    @Timeout(180)
    void aLaunchWaitingOnADeadFabricsLockTakesTheFabricOverWhenTheLockIsLetGo(@TempDir final Path parent) throws Exception
    {
        final Path dead = parent.resolve("ffa-let-go");
        leftByAKilledManager(dead);
        final FabricLock held = FabricLock.tryTake(dead);
        assertNotNull(held, "the killed manager's lock is free to take");
        assertALaunchWaitsUntil(dead, held::close);
    }

    /**
     * A lock held all along by a process that did not make it (a sweep that never ends, or a manager
     * in another PID namespace, whose PID names nothing here) is waited on a while, then refused as a
     * running fabric's: nothing is taken or deleted while it is held.
     */
    @Test
    @Timeout(180)
    void aDeadFabricWhoseLockStaysHeldIsRefusedInTheEndAndKeptWhole(@TempDir final Path parent) throws Exception
    {
        final Path dead = parent.resolve("ffa-held");
        leftByAKilledManager(dead);
        final List<String> before = entries(dead);
        try (FabricLock held = FabricLock.tryTake(dead))
        {
            assertNotNull(held, "the killed manager's lock is free to take");
            final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> launch(dead).close());
            assertTrue(refused.getMessage().contains(dead.toString()), refused.getMessage());
            assertTrue(refused.getMessage().contains("held for 5 s by a process that did not make it"), refused.getMessage());
            assertEquals(before, entries(dead), "the fabric is untouched");
        }
    }

    /**
     * A fabric being removed is first renamed out of sight, to a tomb beside it that no launch takes
     * for a fabric: one left by a remover that died part way, its lock free, is removed by the next
     * launch beside it; one whose lock is held is being removed, and is left to its remover.
     */
    @Test
    @Timeout(180)
    void aTombLeftByARemoverThatDiedIsRemovedByTheNextLaunchBesideIt(@TempDir final Path parent) throws Exception
    {
        final Path dead = parent.resolve("ffa-entombed");
        leftByAKilledManager(dead);
        final Path tomb = Files.move(dead, parent.resolve(FabricLock.TOMB_PREFIX + "5ca1ab1e"));
        final List<String> before = entries(tomb);

        try (FabricLock removing = FabricLock.tryTake(tomb))
        {
            assertNotNull(removing, "the killed manager's lock is free to take");
            launch(parent.resolve("ffa-beside-1")).close();
            assertEquals(before, entries(tomb), "a tomb being removed is left to its remover");
        }

        launch(parent.resolve("ffa-beside-2")).close();
        assertFalse(Files.exists(tomb), "a tomb whose remover died is removed by a launch beside it");
        assertEquals(List.of(), entries(parent));
    }

    /**
     * A dead sibling the sweep fails to remove (here an old lockless one made immutable, so that no lock
     * can be made in it to remove it under) is left as it is, and the sweep goes on to the siblings after
     * it, whichever order the directory lists them in.
     */
    @Test
    @Timeout(60)
    void aSiblingTheSweepFailsToRemoveIsLeftAndTheSweepGoesOnPastIt(@TempDir final Path parent) throws Exception
    {
        final Path odd1 = oldAndLockless(parent.resolve("ffa-odd-1"));
        final Path dead = oldAndLockless(parent.resolve("ffa-dead"));
        final Path odd2 = oldAndLockless(parent.resolve("ffa-odd-2"));
        assumeTrue(chattr("+i", odd1) && chattr("+i", odd2), "chattr +i works in " + parent);
        try
        {
            launch(parent.resolve("ffa-beside")).close();
            assertFalse(Files.exists(dead), "the dead fabric beside the ones that fail is removed");
            assertTrue(Files.exists(FabricDirectory.memoryFile(odd1, 1)), "left as it is: " + odd1);
            assertTrue(Files.exists(FabricDirectory.memoryFile(odd2, 1)), "left as it is: " + odd2);
        }
        finally
        {
            chattr("-i", odd1);
            chattr("-i", odd2);
        }
    }

    /** The memory file alone of a launch from before the lock, nothing in it changed for a minute. */
    private static Path oldAndLockless(final Path dir) throws Exception
    {
        FabricDirectory.createOwnerOnlyDirectory(dir);
        final Path memory = FabricDirectory.memoryFile(dir, 1);
        Files.write(memory, new byte[4096]);
        final FileTime longAgo = FileTime.fromMillis(System.currentTimeMillis() - TimeUnit.MINUTES.toMillis(1));
        Files.setLastModifiedTime(memory, longAgo);
        Files.setLastModifiedTime(dir, longAgo);
        return dir;
    }

    private static boolean chattr(final String attribute, final Path path) throws Exception
    {
        try
        {
            final Process chattr = new ProcessBuilder("chattr", attribute, path.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return chattr.waitFor(30, TimeUnit.SECONDS) && chattr.exitValue() == 0;
        }
        catch (final java.io.IOException ex)
        {
            return false;
        }
    }

    /**
     * A build from before the fabric lock left no lock to tell by: its memory files with no control
     * file are a dead launch's once nothing in the directory has changed for a while, and until then
     * may be a launch still writing them.
     */
    @Test
    @Timeout(60)
    void aLocklessDirectoryWithoutAControlFileIsRemovedOnlyOnceNothingInItHasChangedForAWhile() throws Exception
    {
        final Path old = newDirectory("lockless");
        FabricDirectory.createOwnerOnlyDirectory(old);
        final Path memory = FabricDirectory.memoryFile(old, 1);
        Files.write(memory, new byte[4096]);

        try (PartitionManager beside = launch(newDirectory("beside")))
        {
            assertTrue(Files.exists(memory), "a fresh one may be a launch in progress");
        }

        final FileTime longAgo = FileTime.fromMillis(System.currentTimeMillis() - TimeUnit.MINUTES.toMillis(1));
        Files.setLastModifiedTime(memory, longAgo);
        Files.setLastModifiedTime(old, longAgo);
        try (PartitionManager beside = launch(newDirectory("beside")))
        {
            assertFalse(Files.exists(old), "an old one is a dead launch's");
        }
    }
}
