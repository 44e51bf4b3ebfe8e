package org.ffafabric.control;

import org.ffafabric.abi.FfaVersion;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteOrder;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a control file's reader tells whether its partition manager is still there. */
class PartitionManagerLivenessTest
{
    private static final long MEMORY_BASE = 0x8000_0000L;

    @TempDir
    Path dir;

    private ControlFile create()
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-0000-0000-0000-000000000001"))
            .build();
        return ControlFile.create(dir.resolve("fabric.ctl"), manifest, FfaVersion.LATEST, MEMORY_BASE, null);
    }

    @Test
    void aLiveManagerIsThereAndOneThatClosedIsGone()
    {
        try (ControlFile controlFile = create())
        {
            // Created by this process, which is alive and started before it.
            assertTrue(controlFile.isPartitionManagerProcessAlive());
            assertFalse(controlFile.isPartitionManagerGone());
            controlFile.endPartitionManager(ControlFileDescriptor.PM_STOPPED);
            assertTrue(controlFile.isPartitionManagerGone(), "a manager that closed zeroes its PID");
            assertTrue(controlFile.isPartitionManagerStopped());
        }
    }

    /** A client refused for a manager that has ended says how it ended, as the control file records it. */
    @Test
    void aClientRefusedForAnEndedManagerSaysHowItEnded() throws Exception
    {
        final String[] said = new String[2];
        final long[] ends = { ControlFileDescriptor.PM_STOPPED, ControlFileDescriptor.PM_CUT_OFF };
        for (int i = 0; i < ends.length; i++)
        {
            try (ControlFile controlFile = create())
            {
                controlFile.endPartitionManager(ends[i]);
                said[i] = assertThrows(IllegalStateException.class, () -> org.ffafabric.endpoint.FabricClient.connect(
                    new org.ffafabric.endpoint.FabricClient.Context().directory(dir))).getMessage();
            }
            java.nio.file.Files.delete(dir.resolve("fabric.ctl"));
        }
        assertEquals("the partition manager of " + dir + " is not running (it was stopped)", said[0]);
        assertEquals("the partition manager of " + dir + " is not running (it has ended)", said[1]);
    }

    /**
     * A manager ends once, and its first end says how: one cut off from Aeron and then closed by its owner did
     * not stop (its clients may have seen it go already), nor did one closed and then cut off go otherwise.
     */
    @Test
    void aManagersFirstEndSaysHowItEnded() throws Exception
    {
        try (ControlFile controlFile = create())
        {
            assertFalse(controlFile.isPartitionManagerStopped(), "running");
            controlFile.endPartitionManager(ControlFileDescriptor.PM_CUT_OFF);
            assertEquals(0, controlFile.pmPid());
            assertFalse(controlFile.isPartitionManagerStopped(), "cut off");
            controlFile.endPartitionManager(ControlFileDescriptor.PM_STOPPED);
            assertFalse(controlFile.isPartitionManagerStopped(), "cut off first, then closed");
        }
        java.nio.file.Files.delete(dir.resolve("fabric.ctl"));
        try (ControlFile controlFile = create())
        {
            controlFile.endPartitionManager(ControlFileDescriptor.PM_STOPPED);
            controlFile.endPartitionManager(ControlFileDescriptor.PM_CUT_OFF);
            assertTrue(controlFile.isPartitionManagerStopped(), "closed first, then cut off");
        }
    }

    @Test
    void aProcessThatStartedAfterTheFileWasMadeIsNotItsManager()
    {
        try (ControlFile controlFile = create())
        {
            // As if the manager had died and its PID gone to a later process (this one, here).
            controlFile.buffer().putLong(ControlFileDescriptor.PM_START_MARK_OFFSET,
                ProcessLiveness.startMark(ProcessHandle.current().pid()) - 1, ByteOrder.LITTLE_ENDIAN);
            assertFalse(controlFile.isPartitionManagerProcessAlive());
            assertFalse(controlFile.isPartitionManagerGone(), "its heartbeat is fresh: it may be another namespace's");
            controlFile.pmHeartbeat(System.currentTimeMillis() - ControlFileDescriptor.PM_HEARTBEAT_TIMEOUT_MS - 1_000);
            assertTrue(controlFile.isPartitionManagerGone(), "PID taken by a later process and heartbeat stopped");
        }
    }
}
