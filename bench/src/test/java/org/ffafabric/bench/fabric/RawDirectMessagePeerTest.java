package org.ffafabric.bench.fabric;

import io.aeron.Aeron;
import org.agrona.CloseHelper;
import org.ffafabric.bench.latency.ScenarioContext;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.pm.PartitionManager;
import org.ffafabric.transport.AeronTuning;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A raw peer stands for a live partition: the runtime on the other side takes a partition nobody has
 * claimed for gone (a first log to it that is still connecting is then given up on), so the peer holds
 * its partition's claim while open, under this process, and lets go of exactly that claim at close.
 */
@Timeout(60)
class RawDirectMessagePeerTest
{
    private PartitionManager pm;
    private Aeron aeron;

    @BeforeEach
    void launch()
    {
        pm = PartitionManager.launch(new PartitionManager.Context()
            .directory(ScenarioContext.newShmPath("raw-peer-test"))
            .manifest(FfaScenarios.manifest()));
        aeron = Aeron.connect(AeronTuning.client(new Aeron.Context()
            .aeronDirectoryName(FabricDirectory.aeronDirectory(pm.directory()).toString())));
    }

    @AfterEach
    void close()
    {
        CloseHelper.closeAll(aeron, pm);
    }

    @Test
    void aRawRequesterHoldsItsPartitionsClaimWhileOpen()
    {
        assertHoldsClaimWhileOpen(FfaScenarios.REQUESTER_ID, RawDirectMessagePeer::requester);
    }

    @Test
    void aRawResponderHoldsItsPartitionsClaimWhileOpen()
    {
        assertHoldsClaimWhileOpen(FfaScenarios.RESPONDER_ID, RawDirectMessagePeer::responder);
    }

    @Test
    void aRawPeerOfAPartitionClaimedAlreadyIsRefused()
    {
        final ControlFile controlFile = pm.controlFile();
        try (RawDirectMessagePeer first = RawDirectMessagePeer.responder(aeron, controlFile))
        {
            final long claim = controlFile.claimWord(controlFile.slotOf(FfaScenarios.RESPONDER_ID));
            assertThrows(IllegalStateException.class, () -> RawDirectMessagePeer.responder(aeron, controlFile));
            assertEquals(claim, controlFile.claimWord(controlFile.slotOf(FfaScenarios.RESPONDER_ID)));
        }
    }

    private void assertHoldsClaimWhileOpen(
        final int partitionId, final BiFunction<Aeron, ControlFile, RawDirectMessagePeer> open)
    {
        final ControlFile controlFile = pm.controlFile();
        final int slot = controlFile.slotOf(partitionId);
        final int before = controlFile.claimGeneration(slot);
        final long pid = ProcessHandle.current().pid();
        try (RawDirectMessagePeer peer = open.apply(aeron, controlFile))
        {
            assertEquals(pid, controlFile.claimPid(slot));
            assertEquals(before + 1, controlFile.claimGeneration(slot));
            // Its messages say which claim sent them, as the runtime's do.
            assertEquals(before + 1, peer.generation());
        }
        assertEquals(0, controlFile.claimPid(slot));
        assertFalse(controlFile.holdsClaim(slot, before + 1, pid));
    }
}
