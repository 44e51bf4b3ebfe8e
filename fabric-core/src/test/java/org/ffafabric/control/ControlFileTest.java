package org.ffafabric.control;

import org.ffafabric.abi.FfaVersion;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Making and opening a control file. It is complete from the moment its name exists: a tool or
 * client that maps it as soon as it appears (as FabricClient does, waiting for a starting manager)
 * must never find it empty or half-written; and one it cannot read is refused, saying why.
 */
class ControlFileTest
{
    private static final int CREATIONS = 300;

    @TempDir
    Path dir;

    /**
     * Another build's layout, an earlier one (whose claim had no mark) or a later one: refused with
     * both versions named (the message once read the unmapped file, and crashed).
     */
    @Test
    void aControlFileOfAnotherLayoutIsRefusedNamingBoth() throws Exception
    {
        final Path file = dir.resolve("fabric.ctl");
        for (final int other : new int[] { ControlFileDescriptor.LAYOUT_VERSION - 1, ControlFileDescriptor.LAYOUT_VERSION + 1 })
        {
            ControlFile.create(file, manifest(), FfaVersion.LATEST, 0x8000_0000L, null).close();
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE))
            {
                final java.nio.ByteBuffer version = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .putInt(0, other);
                channel.write(version, ControlFileDescriptor.LAYOUT_VERSION_OFFSET);
            }
            final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> ControlFile.open(file));
            assertEquals(file + ": control file layout " + other + " is not " + ControlFileDescriptor.LAYOUT_VERSION,
                refused.getMessage());
            Files.delete(file);
        }
    }

    /**
     * What a tool is pointed at by mistake is refused naming the file, so that a user knows which one:
     * bytes that are no control file, too few of them, and a directory where the file should be.
     */
    @Test
    void aFileThatIsNoControlFileIsRefusedNamingIt() throws Exception
    {
        final Path garbage = Files.write(dir.resolve("garbage.ctl"), new byte[ControlFileDescriptor.HEADER_LENGTH + 64]);
        final IllegalStateException notOne = assertThrows(IllegalStateException.class, () -> ControlFile.open(garbage));
        assertEquals(garbage + ": not a fabric control file (bad magic)", notOne.getMessage());

        final Path shortFile = Files.write(dir.resolve("short.ctl"), new byte[8]);
        final IllegalStateException tooShort = assertThrows(IllegalStateException.class, () -> ControlFile.open(shortFile));
        assertTrue(tooShort.getMessage().startsWith(shortFile + ": not a fabric control file"), tooShort.getMessage());

        final Path directory = Files.createDirectory(dir.resolve("fabric.ctl"));
        final RuntimeException aDirectory = assertThrows(RuntimeException.class, () -> ControlFile.open(directory));
        assertEquals(directory + " is a directory, not a fabric control file", aDirectory.getMessage());
    }

    /**
     * A control file cut short (its counters, at the end, partly missing) is refused rather than read
     * past its end, which would fault the JVM where the mapping stops.
     */
    @Test
    void aControlFileCutShortIsRefusedSayingHowLongItShouldBe() throws Exception
    {
        final Path file = dir.resolve("fabric.ctl");
        ControlFile.create(file, manifest(), FfaVersion.LATEST, 0x8000_0000L, null).close();
        final long whole = Files.size(file);
        assertEquals(ControlFileDescriptor.fileLength(manifest().partitions().size(), manifest().executionContextCount()), whole);
        try (ControlFile opened = ControlFile.open(file))
        {
            assertEquals(FabricCounters.count(manifest().partitions().size(), manifest().executionContextCount()),
                countersIn(opened), "every counter is there");
        }
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
            java.nio.file.StandardOpenOption.WRITE))
        {
            channel.truncate(whole - 8);
        }
        final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> ControlFile.open(file));
        assertEquals(file + ": not a whole fabric control file (" + (whole - 8) + " bytes, its layout takes " + whole + ")",
            refused.getMessage());
    }

    private static int countersIn(final ControlFile controlFile)
    {
        final int[] count = new int[1];
        controlFile.countersReader().forEach((value, id, label) -> count[0]++);
        return count[0];
    }

    /**
     * A claim word holds the claimant's PID and the claim's generation: a claim bumps the generation, and
     * a claim let go of cannot be let go of again once a later claim holds the slot, even the same
     * process's. A PID that does not fit the word's 32 bits is refused rather than cut.
     */
    @Test
    void aClaimIsLetGoOfOnlyByItsOwnGeneration() throws Exception
    {
        final Path file = dir.resolve("fabric.ctl");
        try (ControlFile cf = ControlFile.create(file, manifest(), FfaVersion.LATEST, 0x8000_0000L, null))
        {
            final long me = ProcessHandle.current().pid();
            final int first = cf.claimGeneration(0);
            assertTrue(cf.claim(0, me));
            final long claimed = cf.claimWord(0);
            assertEquals(first + 1, cf.claimGeneration(0));
            assertEquals(me, cf.claimPid(0));
            assertFalse(cf.unclaim(0, first, me), "not claim " + first);
            assertTrue(cf.holdsClaim(0, first + 1, me));
            assertTrue(cf.unclaim(0, first + 1, me));
            assertEquals(0, cf.claimPid(0));
            assertEquals(first + 1, cf.claimGeneration(0), "the generation stays when the claim ends");
            assertFalse(cf.takeOver(0, claimed, me), "the claim that ended is not taken over");

            assertTrue(cf.claim(0, me));
            assertFalse(cf.unclaim(0, first + 1, me), "the earlier claim, let go of already");
            assertTrue(cf.holdsClaim(0, first + 2, me), "the later claim stays");
            assertThrows(IllegalArgumentException.class, () -> cf.takeOver(0, cf.claimWord(0), 1L << 32));
            assertEquals(me, cf.claimPid(0));
        }
    }

    private static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-0000-0000-0000-000000000001"))
            .build();
    }

    @Test
    @Timeout(60)
    void aControlFileThatExistsIsComplete() throws Exception
    {
        final Manifest manifest = manifest();
        final Path file = dir.resolve("fabric.ctl");
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicInteger opened = new AtomicInteger();
        final Queue<String> failures = new ConcurrentLinkedQueue<>();
        final Thread watcher = new Thread(() ->
        {
            while (!done.get())
            {
                if (!Files.exists(file))
                {
                    continue;
                }
                try (ControlFile seen = ControlFile.open(file))
                {
                    opened.incrementAndGet();
                    if (seen.partitionCount() != 1)
                    {
                        failures.add("partition count " + seen.partitionCount());
                    }
                }
                catch (final RuntimeException ex)
                {
                    // Gone between the look and the open is fine (the loop below deletes it); half-made is not.
                    if (String.valueOf(ex.getMessage()).startsWith("not a fabric control file"))
                    {
                        failures.add(ex.getMessage());
                    }
                }
            }
        }, "control-file-watcher");
        watcher.start();
        try
        {
            // At least CREATIONS, and on until the watcher has opened one: on a busy machine it may not have
            // run at all during the first ones (bounded, against a watcher that never gets to run).
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (int i = 0; (i < CREATIONS || opened.get() == 0 && System.nanoTime() < deadline) && failures.isEmpty(); i++)
            {
                try (ControlFile created = ControlFile.create(file, manifest, FfaVersion.LATEST, 0x8000_0000L, null))
                {
                    assertEquals(1, created.partitionCount());
                }
                Files.delete(file);
            }
        }
        finally
        {
            done.set(true);
            watcher.join();
        }
        assertTrue(failures.isEmpty(), () -> "a reader found the control file incomplete " + failures.size() + " times, first: " + failures.peek());
        assertTrue(opened.get() > 0, "the watcher saw at least one control file");
    }
}
