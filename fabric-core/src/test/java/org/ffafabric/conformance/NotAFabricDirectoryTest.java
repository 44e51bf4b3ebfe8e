package org.ffafabric.conformance;

import org.ffafabric.pm.PartitionManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A partition manager pointed at a directory that exists but holds no fabric (`./ffa pm --dir`
 * with a mistyped or reused path): the directory is the user's, not a stale fabric, so the
 * manager refuses it and deletes nothing. Launching there used to remove every file in it at
 * once, and the directory itself at close.
 */
class NotAFabricDirectoryTest
{
    @Test
    @Timeout(60)
    void aPartitionManagerRefusesAnExistingDirectoryThatIsNotAFabricAndDeletesNothingInIt(@TempDir final Path parent)
        throws Exception
    {
        final Path dir = Files.createDirectory(parent.resolve("my-work"));
        final Path file = Files.writeString(dir.resolve("notes.txt"), "keep me", StandardCharsets.UTF_8);
        PartitionManager launched = null;
        try
        {
            launched = PartitionManager.launch(new PartitionManager.Context().directory(dir).manifest(Fx.smallManifest()));
        }
        catch (final IllegalStateException refused)
        {
            assertTrue(refused.getMessage().contains(dir.toString()), refused.getMessage());
        }
        try
        {
            assertTrue(Files.exists(file), "the user's file is still there");
            assertEquals("keep me", Files.readString(file, StandardCharsets.UTF_8));
            assertNull(launched, "a directory that is not a fabric is refused");
        }
        finally
        {
            if (launched != null)
            {
                launched.close();
            }
        }
    }

    /**
     * A manager that died while making its control file leaves it under its making name, beside its
     * lock, which nobody holds: still a fabric's, taken over.
     */
    @Test
    @Timeout(60)
    void aDirectoryLeftByAManagerThatDiedMakingItsControlFileIsTakenOver(@TempDir final Path parent) throws Exception
    {
        final Path dir = Files.createDirectory(parent.resolve("ffa-died-making"));
        Files.writeString(org.ffafabric.control.FabricLock.file(dir), "1\n", StandardCharsets.US_ASCII);
        Files.write(dir.resolve(org.ffafabric.control.ControlFileDescriptor.FILE_NAME + org.ffafabric.control.ControlFileDescriptor.MAKING_SUFFIX), new byte[16]);
        try (PartitionManager pm = PartitionManager.launch(
            new PartitionManager.Context().directory(dir).manifest(Fx.smallManifest())))
        {
            assertTrue(Files.exists(org.ffafabric.control.FabricDirectory.controlFile(dir)));
        }
    }
    /**
     * A launch sweeps dead fabrics from its siblings, but an ffa-* directory with neither a lock nor
     * a control file is nothing a partition manager marked as its own: here the user's Aeron
     * directory, idle for a minute. The sweep used to take it for a manager's that died.
     */
    @Test
    @Timeout(60)
    void anAeronDirectoryBesideWithNeitherLockNorControlFileIsLeftAlone(@TempDir final Path parent) throws Exception
    {
        final Path users = Files.createDirectories(parent.resolve("ffa-users-own").resolve("aeron"));
        final Path file = Files.writeString(users.resolve("cnc.dat"), "keep me", StandardCharsets.UTF_8);
        final java.nio.file.attribute.FileTime idle = java.nio.file.attribute.FileTime.fromMillis(
            System.currentTimeMillis() - 60_000);
        for (final Path p : new Path[]{file, users, users.getParent()})
        {
            Files.setLastModifiedTime(p, idle);
        }
        try (PartitionManager pm = PartitionManager.launch(
            new PartitionManager.Context().directory(parent.resolve("ffa-beside")).manifest(Fx.smallManifest())))
        {
            assertTrue(Files.exists(file), "the user's directory beside the launch is still there");
        }
        assertEquals("keep me", Files.readString(file, StandardCharsets.UTF_8));
    }
    /**
     * The same directory given as the launch's own (./ffa pm --dir naming the parent of the user's Aeron
     * directory): no lock and no control file, so no launch made it, and it is refused as not a fabric.
     * The launch took it for a dead fabric's once idle a while, and removed the driver's files.
     */
    @Test
    @Timeout(60)
    void anAeronDirectoryWithNeitherLockNorControlFileGivenAsTheLaunchsOwnIsRefusedAndKept(@TempDir final Path parent)
        throws Exception
    {
        final Path dir = Files.createDirectory(parent.resolve("my-aeron-parent"));
        final Path users = Files.createDirectory(dir.resolve("aeron"));
        final Path file = Files.writeString(users.resolve("cnc.dat"), "keep me", StandardCharsets.UTF_8);
        final java.nio.file.attribute.FileTime idle = java.nio.file.attribute.FileTime.fromMillis(
            System.currentTimeMillis() - 60_000);
        for (final Path p : new Path[]{file, users, dir})
        {
            Files.setLastModifiedTime(p, idle);
        }
        PartitionManager launched = null;
        try
        {
            launched = PartitionManager.launch(new PartitionManager.Context().directory(dir).manifest(Fx.smallManifest()));
        }
        catch (final IllegalStateException refused)
        {
            assertTrue(refused.getMessage().contains("not a fabric directory"), refused.getMessage());
        }
        try
        {
            // Read as bytes: a launch that took the directory has its own driver's cnc.dat there.
            assertArrayEquals("keep me".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(file),
                "the user's Aeron directory is still there");
            assertNull(launched, "a directory no launch made is refused");
        }
        finally
        {
            if (launched != null)
            {
                launched.close();
            }
        }
    }

    /**
     * A dead fabric beside a launch whose aeron/ is a symbolic link (anyone may make an ffa-* directory
     * in /dev/shm): removing the fabric removes the link, never what it points at.
     */
    @Test
    @Timeout(60)
    void removingADeadFabricDoesNotFollowASymbolicLinkInIt(@TempDir final Path parent) throws Exception
    {
        final Path elsewhere = Files.createDirectory(parent.resolve("elsewhere"));
        final Path file = Files.writeString(elsewhere.resolve("notes.txt"), "keep me", StandardCharsets.UTF_8);
        final Path dead = Files.createDirectory(parent.resolve("ffa-dead"));
        Files.writeString(org.ffafabric.control.FabricLock.file(dead), "1\n", StandardCharsets.US_ASCII);
        Files.createSymbolicLink(dead.resolve(org.ffafabric.control.FabricDirectory.AERON_DIR), elsewhere);
        try (PartitionManager pm = PartitionManager.launch(
            new PartitionManager.Context().directory(parent.resolve("ffa-beside")).manifest(Fx.smallManifest())))
        {
            assertFalse(Files.exists(dead), "the dead fabric is removed");
        }
        assertEquals("keep me", Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * A symbolic link beside a launch, named like a fabric or a tomb (anyone may make one in /dev/shm),
     * to a directory elsewhere that looks like a dead fabric: the sweep leaves the link and what it names
     * alone, as a launch given a link for its own directory refuses it. It removed what the links named.
     */
    @Test
    @Timeout(60)
    void aSweepDoesNotFollowASymbolicLinkBesideTheLaunch(@TempDir final Path parent) throws Exception
    {
        final Path elsewhere = Files.createDirectory(parent.resolve("elsewhere"));
        final Path[] kept = new Path[2];
        final String[] names = {"ffa-link", org.ffafabric.control.FabricLock.TOMB_PREFIX + "1ed"};
        for (int i = 0; i < names.length; i++)
        {
            final Path target = Files.createDirectory(elsewhere.resolve("target-" + i));
            Files.writeString(org.ffafabric.control.FabricLock.file(target), "1\n", StandardCharsets.US_ASCII);
            kept[i] = Files.writeString(org.ffafabric.control.FabricDirectory.memoryFile(target, 1), "keep me",
                StandardCharsets.UTF_8);
            Files.createSymbolicLink(parent.resolve(names[i]), target);
        }
        try (PartitionManager pm = PartitionManager.launch(
            new PartitionManager.Context().directory(parent.resolve("ffa-beside")).manifest(Fx.smallManifest())))
        {
            assertTrue(Files.exists(pm.directory()));
        }
        for (int i = 0; i < names.length; i++)
        {
            assertTrue(Files.exists(kept[i]), "what " + names[i] + " names is left: " + kept[i]);
            assertEquals("keep me", Files.readString(kept[i], StandardCharsets.UTF_8));
            assertTrue(Files.isSymbolicLink(parent.resolve(names[i])), names[i] + " is left");
        }
    }
}
