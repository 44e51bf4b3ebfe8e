package org.ffafabric.conformance;

import org.ffafabric.control.FabricDirectory;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.PartitionManifest;
import org.ffafabric.manifest.World;
import org.ffafabric.pm.PartitionManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A manifest whose partitions' memory does not fit in the fabric directory's file system. The
 * memory files were sparse, so the launch went ahead, and the first page nobody had room for
 * faulted (SIGBUS) in whoever wrote it: the partition manager's duty cycle, writing an RX buffer
 * for PARTITION_INFO_GET, died of it. A partition's memory is reserved when its fabric launches,
 * as firmware carves a partition's memory out at boot, and a launch without room for it, or for
 * the media driver's files, is refused before anything is made.
 */
class NoRoomForTheFabricTest
{
    @Test
    @Timeout(60)
    void aFabricWhosePartitionsMemoryDoesNotFitIsRefusedSayingWhereAndHowMuch() throws Exception
    {
        final Path dir = FabricDirectory.defaultPath("noroom-" + UUID.randomUUID().toString().substring(0, 8));
        final long usable = Files.getFileStore(dir.getParent()).getUsableSpace();
        final long size = PartitionManifest.MAX_MEMORY_SIZE;
        // All 256 at 2 GiB: far past what is free, so that space freed meanwhile cannot make it fit.
        final long partitions = Manifest.MAX_PARTITIONS;
        assumeTrue(usable < partitions * size / 2, "a file system with room for 256 partitions of 2 GiB");
        final Manifest.Builder manifest = Manifest.builder();
        for (int i = 0; i < partitions; i++)
        {
            final int id = 0x8001 + i;
            manifest.partition(p -> p.name("sp" + id).id(id).world(World.SP_EL1)
                .uuid(String.format("f0000000-0000-0000-0000-%012x", id)).memorySize(size));
        }
        PartitionManager launched = null;
        IllegalStateException refused = null;
        try
        {
            launched = PartitionManager.launch(new PartitionManager.Context().directory(dir).manifest(manifest.build()));
        }
        catch (final IllegalStateException ex)
        {
            refused = ex;
        }
        finally
        {
            if (launched != null)
            {
                launched.close();
            }
        }
        assertNotNull(refused, "a fabric " + partitions + " x " + size + " bytes of memory launched in " + usable);
        final String message = refused.getMessage();
        assertTrue(message.contains(dir.toString()), message);
        assertTrue(message.contains(Long.toString(partitions * size)), "the memory it needs: " + message);
        assertFalse(Files.exists(dir), "nothing is left made");
    }
}
