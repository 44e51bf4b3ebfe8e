package org.ffafabric.control;

import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.pm.PartitionManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A {@code fabric.lock} that no partition manager made, planted in a fabric directory (anyone may make an
 * ffa-* directory in /dev/shm): it is refused before it is opened, and a launch there says why.
 */
class FabricLockTest
{
    private static final String REFUSAL = "is not a fabric directory: its " + FabricLock.FILE_NAME + " is ";

    /**
     * A FIFO: opened for reading, it waited for a writer that never came, under the monitor every open,
     * lock and release of a fabric lock in the JVM takes, so every launch in this JVM hung behind it.
     */
    @Test
    @Timeout(120)
    void aLockThatIsAFifoIsRefusedWithoutWaitingOnIt(@TempDir final Path parent) throws Exception
    {
        final Path dir = Files.createDirectory(parent.resolve("ffa-fifo"));
        final Path fifo = FabricLock.file(dir);
        mkfifo(fifo);
        final ExecutorService exec = Executors.newSingleThreadExecutor();
        try
        {
            final Future<Boolean> asked = exec.submit(() -> FabricLock.isMakerRunning(dir));
            final ExecutionException refused = assertThrows(ExecutionException.class,
                () -> asked.get(60, TimeUnit.SECONDS), "refused, neither answered nor waiting");
            assertInstanceOf(IllegalStateException.class, refused.getCause(), refused::toString);
            assertEquals(dir + " " + REFUSAL + "a FIFO, a socket or a device, not a regular file " +
                "(give a new or empty directory)", refused.getCause().getMessage());
            assertNull(FabricLock.tryTake(dir), "not taken for a dead manager's lock");
        }
        finally
        {
            // A reader waiting on the FIFO goes on once it has a writer: opened for both, this open never waits.
            FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE).close();
            exec.shutdownNow();
            assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS));
        }
        assertTrue(Files.exists(fifo), "left as it was");
    }

    /** A launch there is refused, saying why, and leaves it: it took the FIFO for a dead manager's lock. */
    @Test
    @Timeout(120)
    void aLaunchInADirectoryWhoseLockIsAFifoIsRefused(@TempDir final Path parent) throws Exception
    {
        final Path dir = Files.createDirectory(parent.resolve("ffa-fifo"));
        final Path fifo = FabricLock.file(dir);
        mkfifo(fifo);
        final IllegalStateException refused = assertThrows(IllegalStateException.class, () ->
            PartitionManager.launch(new PartitionManager.Context().directory(dir).manifest(manifest())).close());
        assertTrue(refused.getMessage().startsWith(dir + " " + REFUSAL), refused.getMessage());
        assertTrue(Files.exists(fifo), "left as it was");
    }

    /**
     * A symbolic link, here to a file holding this process's PID: the open followed it, and took its maker
     * for running, or the link's target for a dead manager's lock.
     */
    @Test
    @Timeout(120)
    void aLockThatIsASymbolicLinkIsNotFollowed(@TempDir final Path parent) throws Exception
    {
        final Path dir = Files.createDirectory(parent.resolve("ffa-link"));
        final Path target = Files.writeString(parent.resolve("elsewhere"), ProcessHandle.current().pid() + "\n",
            StandardCharsets.US_ASCII);
        Files.createSymbolicLink(FabricLock.file(dir), target);
        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> FabricLock.isMakerRunning(dir));
        assertEquals(dir + " " + REFUSAL + "a symbolic link, not a regular file (give a new or empty directory)",
            refused.getMessage());
        assertNull(FabricLock.tryTake(dir), "not taken for a dead manager's lock");
    }

    private static void mkfifo(final Path path) throws Exception
    {
        final Process mkfifo;
        try
        {
            mkfifo = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        }
        catch (final IOException ex)
        {
            assumeTrue(false, "no mkfifo: " + ex.getMessage());
            return;
        }
        assertTrue(mkfifo.waitFor(30, TimeUnit.SECONDS), "mkfifo ends");
        assertEquals(0, mkfifo.exitValue(), "mkfifo " + path);
    }

    private static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000c1"))
            .build();
    }
}
