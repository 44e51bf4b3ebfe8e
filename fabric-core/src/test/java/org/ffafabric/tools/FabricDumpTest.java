package org.ffafabric.tools;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.BufferOwnership;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ControlFileDescriptor;
import org.ffafabric.control.ProcessLiveness;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class FabricDumpTest
{
    @TempDir
    Path dir;

    @Test
    void describesPartitionsAndDumpsRxAsPartitionInfo()
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555").directMessaging())
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"))
            .build();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest); Endpoint vm = fabric.claim(1))
        {
            final RegisterFile regs = new RegisterFile();
            final long base = vm.memory().base();
            regs.w(0, FunctionId.FFA_RXTX_MAP_64).x(1, base).x(2, base + 4096).w(3, 1);
            vm.executionContext(0).invoke(regs);
            assertTrue(regs.isSuccess(), regs.toString());
            regs.clear().w(0, FunctionId.FFA_PARTITION_INFO_GET);
            vm.executionContext(0).invoke(regs);
            assertEquals(2, regs.w(2));

            final ControlFile controlFile = fabric.client().controlFile();
            final String description = FabricDump.describe(controlFile);
            assertTrue(description.startsWith("partition manager pid=" + ProcessHandle.current().pid() + " heartbeat="),
                description);
            assertTrue(description.contains(" aeron=aeron/ peer-logs=0/"), description);
            assertTrue(description.contains("vm1 id=0x0001 world=vm version=" + FfaVersion.toString(FfaVersion.V1_2)), description);
            assertTrue(description.contains(" claimedBy=" + ProcessHandle.current().pid() + "\n"),
                "claimed by this process, which runs: " + description);
            assertTrue(description.contains("sp1 id=0x8001 world=sp-el1 version="), description);
            assertTrue(description.contains(" claimedBy=-\n"), "sp1 is not claimed: " + description);
            assertTrue(description.contains("rx-owner=consumer"), description);
            assertTrue(description.contains("uuid aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"), description);

            final String dump = FabricDump.dumpBuffer(fabric.directory(), controlFile, 1, true, 64, 2);
            // With the fabric's name for each ID.
            assertTrue(dump.contains("partition info[0] id 0x0001 (vm1)"), dump);
            assertTrue(dump.contains("partition info[1] id 0x8001 (sp1)"), dump);
            // The SP's ID 0x8001 is stored little-endian: 01 80.
            assertTrue(dump.contains("01 80"), dump);
            assertTrue(dump.contains("uuid aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"), dump);
            assertTrue(dump.contains("+0x030"), dump);

            // As many as the partition manager wrote, with no count given: the control file keeps it.
            assertEquals(2, controlFile.rxPartitionInfoCount(controlFile.slotOf(1)));
            assertEquals(dump, FabricDump.dumpBuffer(fabric.directory(), controlFile, 1, true, 64, -1));
            // Zero asks for none; TX holds none to decode.
            final String raw = FabricDump.dumpBuffer(fabric.directory(), controlFile, 1, true, 64, 0);
            assertFalse(raw.contains("partition info["), raw);
            assertFalse(FabricDump.dumpBuffer(fabric.directory(), controlFile, 1, false, 64, -1).contains("partition info["));

            // Mapped again, RX holds nothing the manager wrote since.
            regs.clear().w(0, FunctionId.FFA_RXTX_UNMAP);
            vm.executionContext(0).invoke(regs);
            assertTrue(regs.isSuccess(), regs.toString());
            assertEquals(0, controlFile.rxPartitionInfoCount(controlFile.slotOf(1)));
            regs.clear().w(0, FunctionId.FFA_RXTX_MAP_64).x(1, base).x(2, base + 4096).w(3, 1);
            vm.executionContext(0).invoke(regs);
            assertTrue(regs.isSuccess(), regs.toString());
            assertFalse(FabricDump.dumpBuffer(fabric.directory(), controlFile, 1, true, 64, -1).contains("partition info["));
        }
    }

    /** A claim whose PID a later process holds (this one, here: the mark is of one that started before it) shows as gone. */
    @Test
    void aClaimWhoseClaimantHasGoneShowsSo()
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555"))
            .build();
        try (ControlFile controlFile = ControlFile.create(
            dir.resolve(ControlFileDescriptor.FILE_NAME), manifest, FfaVersion.LATEST, 0x8000_0000L, null))
        {
            final long me = ProcessHandle.current().pid();
            assertTrue(controlFile.claim(0, me));
            controlFile.buffer().putLongVolatile(
                ControlFileDescriptor.slotOffset(0) + ControlFileDescriptor.SLOT_CLAIM_MARK_OFFSET,
                ProcessLiveness.startMark(me) - 1);
            final String description = FabricDump.describe(controlFile);
            assertTrue(description.contains(" claimedBy=" + me + " gone\n"), description);
        }
    }

    /** A claim marked aborted (an SP init of it failed) shows so; once it ends, and for the next claim, it does not. */
    @Test
    void anAbortedClaimShowsSo()
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"))
            .build();
        try (ControlFile controlFile = ControlFile.create(
            dir.resolve(ControlFileDescriptor.FILE_NAME), manifest, FfaVersion.LATEST, 0x8000_0000L, null))
        {
            final long me = ProcessHandle.current().pid();
            assertTrue(controlFile.claim(0, me));
            assertTrue(FabricDump.describe(controlFile).contains(" claimedBy=" + me + "\n"));
            controlFile.abortClaim(0, controlFile.claimGeneration(0));
            assertTrue(FabricDump.describe(controlFile).contains(" claimedBy=" + me + " aborted\n"),
                FabricDump.describe(controlFile));

            assertTrue(controlFile.unclaim(0, controlFile.claimGeneration(0), me));
            assertFalse(controlFile.isClaimAborted(0), "an ended claim is not");
            assertTrue(controlFile.claim(0, me));
            assertTrue(FabricDump.describe(controlFile).contains(" claimedBy=" + me + "\n"), "a new claim is not aborted");
        }
    }

    /** The word says producer or consumer; the dump says who that is, which differs for RX and TX. */
    @Test
    void aBuffersOwnerIsSaidByWhoHoldsIt()
    {
        assertEquals("the partition manager", FabricDump.holder(true, BufferOwnership.PRODUCER));
        assertEquals("the partition", FabricDump.holder(true, BufferOwnership.CONSUMER));
        assertEquals("the hypervisor", FabricDump.holder(true, BufferOwnership.HYPERVISOR));
        assertEquals("the partition", FabricDump.holder(false, BufferOwnership.PRODUCER));
        assertEquals("the partition manager", FabricDump.holder(false, BufferOwnership.CONSUMER));
    }
}
