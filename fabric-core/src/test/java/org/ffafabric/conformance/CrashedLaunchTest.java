package org.ffafabric.conformance;

import org.agrona.IoUtil;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.launch.PartitionManagerMain;
import org.ffafabric.pm.PartitionManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
    private Path manifest;

    @AfterEach
    void cleanUp() throws Exception
    {
        for (final ChildProcess child : children)
        {
            child.close();
        }
        for (final Path dir : dirs)
        {
            IoUtil.delete(dir.toFile(), true);
        }
        if (manifest != null)
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
        writeManifest();
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

    private void writeManifest() throws Exception
    {
        if (manifest == null)
        {
            manifest = Files.createTempFile("ffa-crashed-launch-", ".yaml");
            Files.writeString(manifest, String.join("\n",
                "partitions:",
                "  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: " + BIG_MEMORY + ",",
                "     messaging: [direct-req-send]}",
                "  - {name: sp1, id: 0x8001, world: sp-el1, uuid: aaaaaaaa-0000-0000-0000-000000000001,",
                "     messaging: [direct-req-recv]}",
                ""));
        }
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
     * A manager closing waits (a second at most) for its partitions to let go, its PID already zeroed.
     * A launch in its directory meanwhile is refused: were it taken for a dead manager's, the close,
     * finishing, would remove what that launch had made.
     */
    @Test
    @Timeout(180)
    void aLaunchWhileTheLastManagerOfItsDirectoryClosesIsRefused() throws Exception
    {
        final Path dir = newDirectory("closing");
        final PartitionManager closing = launch(dir);
        final ChildProcess holder = ChildProcess.start(DoomedPartitionProcess.class,
            "--dir", dir.toString(), "--partition", "0x8001:echo");
        children.add(holder);
        holder.awaitLine("READY", ChildProcess.START_NS);
        // Stopped, it never lets go: the close waits out its second.
        signal(holder, "STOP");
        try (org.ffafabric.control.ControlFile watch = org.ffafabric.control.ControlFile.open(FabricDirectory.controlFile(dir)))
        {
            final Thread closer = new Thread(closing::close, "closing-manager");
            closer.start();
            final long deadline = System.nanoTime() + WAIT_NS;
            while (watch.pmPid() != 0)
            {
                assertTrue(System.nanoTime() < deadline, "the close began");
                Thread.onSpinWait();
            }
            assertThrows(IllegalStateException.class, () -> launch(dir).close(), "a launch while it closes");
            closer.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(closer.isAlive(), "the close ended");
        }
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

            writeManifest();
            final ChildProcess other = ChildProcess.start(PartitionManagerMain.class,
                "--manifest", manifest.toString(), "--dir", live.toString(), "--exit-on-stdin-eof");
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
