package org.ffafabric.demo;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.control.FabricLock;
import org.ffafabric.demo.FfaInThisJvm.Result;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.demo.FfaInThisJvm.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The live tools on a fabric whose partition manager is launching: its directory made and its lock held, its
 * control file not yet made. Played here by this JVM, which makes the lock and, a moment later, the control file.
 */
class LaunchingFabricTest
{
    private static final Manifest MANIFEST = Manifest.builder()
        .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000c1").directMessaging())
        .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000c2")
            .directMessaging())
        .build();

    private final Path dir = Path.of("/dev/shm", "ffa-launching-" + UUID.randomUUID().toString().substring(0, 8));
    private FabricLock lock;
    private volatile ControlFile controlFile;
    private Thread maker;

    @AfterEach
    void cleanUp() throws Exception
    {
        if (maker != null)
        {
            maker.interrupt();
            maker.join(TimeUnit.SECONDS.toMillis(30));
        }
        if (controlFile != null)
        {
            controlFile.close();
        }
        if (lock != null)
        {
            lock.deleteDirectory();
        }
        FabricDirectory.delete(dir);
    }

    /** As a partition manager's launch begins: its directory, then its lock, held by a live process (this one). */
    private void launchBegun() throws Exception
    {
        Files.createDirectory(dir);
        lock = FabricLock.create(dir);
        assertNotNull(lock);
    }

    /**
     * The launch goes on, making the control file once this thread, the tool's, is found parked in its wait for
     * the launch: it has looked and found none. (A fixed delay would pass a tool that never waited whenever the
     * tool was slower to look than the delay.)
     */
    private void controlFileMadeOnceTheToolWaits()
    {
        final Thread tool = Thread.currentThread();
        maker = new Thread(() ->
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!isParkedInAwaitLaunch(tool))
            {
                if (System.nanoTime() - deadline >= 0 || Thread.currentThread().isInterrupted())
                {
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            controlFile = ControlFile.create(FabricDirectory.controlFile(dir), MANIFEST, FfaVersion.LATEST, 0x40000000L, null);
        }, "control-file-maker");
        maker.start();
    }

    private static boolean isParkedInAwaitLaunch(final Thread thread)
    {
        final StackTraceElement[] stack = thread.getStackTrace();
        boolean parked = false;
        for (final StackTraceElement frame : stack)
        {
            parked |= frame.getClassName().equals(LockSupport.class.getName()) && frame.getMethodName().equals("parkNanos");
            if (frame.getClassName().equals(ControlFile.class.getName()) && frame.getMethodName().equals("awaitLaunch"))
            {
                return parked;
            }
        }
        return false;
    }

    /**
     * `./ffa pm & ./ffa partitions` (or host, send, dump): the tool said at once "no fabric in DIR (no fabric.ctl):
     * is its partition manager running?", while the manager it named was making the fabric.
     */
    @Test
    @Timeout(60)
    void partitionsWaitsForAPartitionManagerThatIsLaunching() throws Exception
    {
        launchBegun();
        controlFileMadeOnceTheToolWaits();
        final Result partitions = run("partitions", "--dir", dir.toString());
        assertEquals(0, partitions.exit, partitions.err);
        assertTrue(partitions.out.contains("sp1 id=0x8001 world=sp-el1"), partitions.out);
    }

    @Test
    @Timeout(60)
    void dumpWaitsForAPartitionManagerThatIsLaunching() throws Exception
    {
        launchBegun();
        controlFileMadeOnceTheToolWaits();
        final Result dump = run("dump", "--dir", dir.toString(), "--partition", "vm1");
        assertEquals(0, dump.exit, dump.err);
        assertEquals("vm1: rx/tx not mapped", dump.out.strip());
    }

    /** host and send look for the fabric through this before they connect. */
    @Test
    @Timeout(60)
    void hostAndSendFindTheFabricOfAPartitionManagerThatIsLaunching() throws Exception
    {
        launchBegun();
        controlFileMadeOnceTheToolWaits();
        assertEquals(dir, FfaCommand.runningFabric(dir.toString()));
        assertTrue(Files.exists(FabricDirectory.controlFile(dir)));
    }

    /** A manager that stays in its launch is not waited for forever: the refusal names it. */
    @Test
    @Timeout(60)
    void aLaunchThatDoesNotEndIsToldAfterTheWait() throws Exception
    {
        launchBegun();
        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> FfaCommand.runningFabric(dir.toString(), TimeUnit.MILLISECONDS.toNanos(200)));
        assertEquals("the partition manager (pid " + ProcessHandle.current().pid() + ") launching the fabric in " + dir +
            " has not made its fabric.ctl within 0.2 s", refused.getMessage());
    }

    /** A directory whose launch died (its lock's maker is gone) is no launch to wait for: refused at once, as before. */
    @Test
    @Timeout(60)
    void aDirectoryWhoseLauncherDiedIsRefusedAtOnce() throws Exception
    {
        final Process gone = new ProcessBuilder("true").start();
        assertEquals(0, gone.waitFor());
        Files.createDirectory(dir);
        Files.writeString(FabricLock.file(dir), gone.pid() + "\n");
        final Result partitions = run("partitions", "--dir", dir.toString());
        assertEquals(1, partitions.exit, partitions.out);
        assertEquals("ffa partitions: no fabric in " + dir + " (no fabric.ctl): is its partition manager running?",
            partitions.err.strip());
    }

    /** A directory that is not there at all is said to be missing, not to lack its control file. */
    @Test
    @Timeout(60)
    void aMissingDirectoryIsSaidToBeMissing()
    {
        final Result partitions = run("partitions", "--dir", dir.toString());
        assertEquals(1, partitions.exit, partitions.out);
        assertEquals("ffa partitions: no fabric in " + dir + " (no such directory): is its partition manager running?",
            partitions.err.strip());
    }

    /**
     * `ffa pm` on a directory another manager runs said "a partition manager already runs the fabric in DIR or is
     * launching it", and neither which one nor what to do.
     */
    @Test
    @Timeout(60)
    void pmOnAFabricAnotherManagerRunsSaysWhichAndWhatToDo() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(MANIFEST))
        {
            final Path manifest = Files.writeString(Files.createTempFile("ffa-pm", ".yaml"),
                "partitions:\n  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: 64K}\n");
            try
            {
                final Result pm = run("pm", "--manifest", manifest.toString(), "--dir", fabric.directory().toString());
                final long pid = ProcessHandle.current().pid();
                assertEquals(1, pm.exit, pm.err);
                assertEquals("ffa pm: a partition manager (pid " + pid + ") already runs the fabric in " +
                    fabric.directory() + " or is launching it: stop it (ffa stop, or kill " + pid + "), or give another --dir",
                    pm.err.strip());
                assertTrue(Files.exists(FabricDirectory.controlFile(fabric.directory())), "left as it was");
            }
            finally
            {
                Files.delete(manifest);
            }
        }
    }

}
