package org.ffafabric.launch;

import org.ffafabric.control.ControlFile;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.pm.PartitionManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A host given a partition the fabric lacks, or one partition twice, says so before it claims any:
 * it used to claim the ones before the mistake (a partition held, however briefly, that a
 * process about to fail never serves) and then name the mistake less plainly.
 */
@Timeout(60)
class PartitionHostMainTest
{
    private static final int SP = 0x8001;

    private static PartitionManager launch()
    {
        return PartitionManager.launch(new PartitionManager.Context()
            .directory(Path.of("/dev/shm", "ffa-host-test-" + UUID.randomUUID().toString().substring(0, 8)))
            .manifest(Manifest.builder()
                .partition(p -> p.name("sp").id(SP).world(World.SP_EL1).uuid("aaaaaaaa-0000-0000-0000-000000008001")
                    .directMessaging())
                .build()));
    }

    @Test
    void aPartitionTheFabricLacksIsRefusedBeforeAnyIsClaimed()
    {
        try (PartitionManager pm = launch())
        {
            final ControlFile cf = pm.controlFile();
            final int generation = cf.claimGeneration(cf.slotOf(SP));
            final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> PartitionHostMain.run(
                "host", false, new String[] {"--dir", pm.directory().toString(), "--partition", "0x8001", "--partition", "0x9999"}));
            // In the words ffa dump and ffa host say it in, with the partitions the fabric has.
            assertEquals("the fabric has no partition 0x9999; its partitions: sp (0x8001)", refused.getMessage());
            assertEquals(generation, cf.claimGeneration(cf.slotOf(SP)), "0x8001 was never claimed");
        }
    }

    @Test
    void aPartitionGivenTwiceIsRefusedBeforeAnyIsClaimed()
    {
        try (PartitionManager pm = launch())
        {
            final ControlFile cf = pm.controlFile();
            final int generation = cf.claimGeneration(cf.slotOf(SP));
            final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> PartitionHostMain.run(
                "host", false, new String[] {"--dir", pm.directory().toString(), "--partition", "0x8001", "--partition", "32769"}));
            assertEquals("0x8001 is given twice", refused.getMessage());
            assertEquals(generation, cf.claimGeneration(cf.slotOf(SP)), "0x8001 was never claimed");
        }
    }
}
