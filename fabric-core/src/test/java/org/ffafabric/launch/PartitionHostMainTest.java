package org.ffafabric.launch;

import org.agrona.CloseHelper;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.descriptor.PartitionInfoDescriptor;
import org.ffafabric.control.BufferOwnership;
import org.ffafabric.control.ControlFile;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.memory.EndpointMemory;
import org.ffafabric.pm.PartitionManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A host given a partition the fabric lacks, or one partition twice, says so before it claims any:
 * it used to claim the ones before the mistake (a partition held, however briefly, that a
 * process about to fail never serves) and then name the mistake less plainly.
 * <p>
 * A host brings each partition up as Linux's FF-A driver does at probe before it serves or holds it: it
 * used to claim only, so no hosted partition had RX/TX buffers, and ffa dump had nothing to show.
 */
@Timeout(60)
class PartitionHostMainTest
{
    private static final int SP = 0x8001;
    private static final long KB64 = 64 * 1024;

    private static PartitionManager launch()
    {
        return launch(Manifest.builder()
            .partition(p -> p.name("sp").id(SP).world(World.SP_EL1).uuid("aaaaaaaa-0000-0000-0000-000000008001")
                .directMessaging())
            .build(), PartitionManager.Context.MEMORY_BASE_DEFAULT);
    }

    private static PartitionManager launch(final Manifest manifest, final long memoryBase)
    {
        return PartitionManager.launch(new PartitionManager.Context()
            .directory(Path.of("/dev/shm", "ffa-host-test-" + UUID.randomUUID().toString().substring(0, 8)))
            .memoryBase(memoryBase)
            .manifest(manifest));
    }

    /**
     * Every world and version, held or served: FFA_VERSION of the manifest's version, TX and RX in the first
     * two pages (in SMC32 for an AArch32 partition, which can make no SMC64 call), the partition info each may
     * see left in RX and RX given back. A partition of one page is not mapped, and says so. Each serves after.
     */
    @Test
    void eachPartitionIsBroughtUpAsLinuxsDriverAtProbeAndServesAfter()
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("hyp").id(0).world(World.HYPERVISOR).uuid("aaaaaaaa-0000-0000-0000-000000000000")
                .directMessaging().memorySize(KB64))
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("aaaaaaaa-0000-0000-0000-000000000001")
                .uuid("aaaaaaaa-0000-0000-0000-0000000000f1").directMessaging().memorySize(KB64))
            .partition(p -> p.name("vm32").id(2).world(World.VM).uuid("aaaaaaaa-0000-0000-0000-000000000002")
                .directMessaging().property(PartitionProperties.AARCH64, false).memorySize(KB64))
            .partition(p -> p.name("sp1").id(SP).world(World.SP_EL1).uuid("aaaaaaaa-0000-0000-0000-000000008001")
                .directMessaging().memorySize(KB64))
            .partition(p -> p.name("sp10").id(0x8002).world(World.SP_EL1).uuid("aaaaaaaa-0000-0000-0000-000000008002")
                .ffaVersion(FfaVersion.V1_0).directMessaging().memorySize(KB64))
            .partition(p -> p.name("tiny").id(0x8003).world(World.SP_EL1).uuid("aaaaaaaa-0000-0000-0000-000000008003")
                .directMessaging().memorySize(EndpointMemory.PAGE_SIZE))
            .build();
        final Map<Integer, Endpoint> endpoints = new HashMap<>();
        final List<AutoCloseable> closing = new ArrayList<>();
        try (PartitionManager pm = launch(manifest, PartitionManager.Context.MEMORY_BASE_DEFAULT);
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory())))
        {
            final ControlFile cf = client.controlFile();
            final List<String> said = new ArrayList<>();
            for (final int id : new int[] { 0, 1, 2, SP, 0x8002, 0x8003 })
            {
                final Endpoint endpoint = client.claim(id);
                closing.add(0, endpoint);
                endpoints.put(id, endpoint);
                final PartitionHostMain.Setup setup = PartitionHostMain.setUp(cf, endpoint);
                said.add(setup.describe());
                final int slot = cf.slotOf(id);
                assertEquals(cf.manifestVersion(slot), cf.negotiatedVersion(slot), endpoint.name());
                if (id == 0x8003)
                {
                    assertFalse(cf.rxtxMapped(slot), "one page has no room for TX and RX");
                    continue;
                }
                assertNull(setup.skipped(), setup.describe());
                assertTrue(cf.versionLocked(slot), endpoint.name());
                assertTrue(cf.rxtxMapped(slot), endpoint.name());
                final long base = endpoint.memory().base();
                assertEquals(base, cf.txAddress(slot), endpoint.name());
                assertEquals(base + EndpointMemory.PAGE_SIZE, cf.rxAddress(slot), endpoint.name());
                assertEquals(1, cf.rxtxPageCount(slot), endpoint.name());
                assertEquals(BufferOwnership.PRODUCER, cf.rxOwnership(slot), "RX given back: " + endpoint.name());
            }
            // The normal world sees everyone but the hypervisor, an entry per UUID at v1.2; a secure partition
            // sees the secure ones; a v1.0 partition has them in 8-byte descriptors.
            final List<Integer> normalWorldView = List.of(1, 1, 2, SP, 0x8002, 0x8003);
            assertEquals(normalWorldView, idsInRx(cf, endpoints.get(0), 6));
            assertEquals(normalWorldView, idsInRx(cf, endpoints.get(1), 6));
            assertEquals(normalWorldView, idsInRx(cf, endpoints.get(2), 6));
            assertEquals(List.of(SP, 0x8002, 0x8003), idsInRx(cf, endpoints.get(SP), 3));
            assertEquals(List.of(SP, 0x8002, 0x8003), idsInRx(cf, endpoints.get(0x8002), 3));
            assertEquals(List.of(
                "hyp at FF-A 1.2, 6 partition info descriptors in RX",
                "vm1 at FF-A 1.2, 6 partition info descriptors in RX",
                "vm32 at FF-A 1.2, 6 partition info descriptors in RX",
                "sp1 at FF-A 1.2, 3 partition info descriptors in RX",
                "sp10 at FF-A 1.0, 3 partition info descriptors in RX",
                "tiny at FF-A 1.2, RX/TX not mapped (its memory is one page, and TX and RX take two), so no partition info"),
                said);

            closing.add(0, endpoints.get(SP).serve(PartitionHostMain::echo));
            closing.add(0, endpoints.get(0x8003).serve(PartitionHostMain::echo));
            for (final int target : new int[] { SP, 0x8003 })
            {
                final DirectMessage message = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 41);
                endpoints.get(1).executionContext(0).ops().sendDirect(target, message);
                assertEquals(42, message.payload(0), "served after its bring-up: " + target);
            }
        }
        finally
        {
            CloseHelper.quietCloseAll(closing);
        }
    }

    /**
     * A step refused ends the bring-up there, said with why, and what went before stands: an AArch32 partition
     * whose memory lies above 4 GiB cannot name its buffers in SMC32, and one page of RX has no room for the
     * partition info of 45 partitions of four UUIDs. Each serves or sends after, its RX free for the next call.
     */
    @Test
    void aStepRefusedIsSaidAndThePartitionServesAsFarAsItWasBroughtUp()
    {
        final Manifest.Builder builder = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("bbbbbbbb-0000-0000-0000-000000000001")
                .directMessaging().memorySize(KB64))
            .partition(p -> p.name("sp32").id(SP).world(World.SP_EL1).uuid("bbbbbbbb-0000-0000-0000-000000008001")
                .directMessaging().property(PartitionProperties.AARCH64, false).memorySize(KB64));
        for (int i = 0; i < 43; i++)
        {
            final int id = 0x8100 + i;
            // 4 UUIDs each: one entry per UUID for a v1.2 caller, 24 bytes each, past the 170 a page holds.
            builder.partition(p -> p.name("filler" + id).id(id).world(World.SP_EL1).memorySize(EndpointMemory.PAGE_SIZE)
                .uuid(String.format("cccccccc-0000-0000-0001-%012x", id)).uuid(String.format("cccccccc-0000-0000-0002-%012x", id))
                .uuid(String.format("cccccccc-0000-0000-0003-%012x", id)).uuid(String.format("cccccccc-0000-0000-0004-%012x", id)));
        }
        final List<AutoCloseable> closing = new ArrayList<>();
        try (PartitionManager pm = launch(builder.build(), 1L << 32);
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory())))
        {
            final ControlFile cf = client.controlFile();
            final Endpoint vm = client.claim(1);
            closing.add(0, vm);
            final PartitionHostMain.Setup vmSetup = PartitionHostMain.setUp(cf, vm);
            assertEquals("vm1 at FF-A 1.2, partition info not read (FFA_PARTITION_INFO_GET failed: NO_MEMORY (-3))",
                vmSetup.describe());
            assertTrue(cf.rxtxMapped(cf.slotOf(1)), "mapped, as before the refusal");
            assertEquals(BufferOwnership.PRODUCER, cf.rxOwnership(cf.slotOf(1)), "RX still the producer's");

            final Endpoint sp = client.claim(SP);
            closing.add(0, sp);
            final PartitionHostMain.Setup spSetup = PartitionHostMain.setUp(cf, sp);
            assertEquals("sp32 at FF-A 1.2, RX/TX not mapped (FFA_RXTX_MAP_32 of 0x100000000 and 0x100001000: partition " +
                "sp32 runs in AArch32 state and cannot name addresses above 4 GiB), so no partition info", spSetup.describe());
            assertFalse(cf.rxtxMapped(cf.slotOf(SP)));
            assertEquals(FfaVersion.V1_2, cf.negotiatedVersion(cf.slotOf(SP)));

            closing.add(0, sp.serve(PartitionHostMain::echo));
            final DirectMessage message = new DirectMessage().payload(0, 41);
            vm.executionContext(0).ops().sendDirect(SP, message);
            assertEquals(42, message.payload(0), "served after a bring-up cut short");
            // The VM's RX is free: a count-only call needs none, a UUID-filtered one fits.
            assertEquals(1, vm.executionContext(0).ops().partitionInfo(UUID.fromString("bbbbbbbb-0000-0000-0000-000000008001"))
                .size());
        }
        finally
        {
            CloseHelper.quietCloseAll(closing);
        }
    }

    /**
     * A host that says nothing before READY (a parent waits for that line alone) tells a step it skipped on
     * standard error, in one line, and serves as ever.
     */
    @Test
    void aHostThatSaysNothingBeforeReadyTellsWhatItSkippedOnStandardError(@TempDir final Path tmp) throws Exception
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("tiny").id(SP).world(World.SP_EL1).uuid("dddddddd-0000-0000-0000-000000008001")
                .directMessaging().memorySize(EndpointMemory.PAGE_SIZE))
            .build();
        final Path err = tmp.resolve("host.err");
        try (PartitionManager pm = launch(manifest, PartitionManager.Context.MEMORY_BASE_DEFAULT))
        {
            final Process host = ChildJvm.processBuilder(ChildJvm.command(PartitionHostMain.class, List.of(
                "--dir", pm.directory().toString(), "--exit-on-stdin-eof", "--partition", "0x8001")))
                .redirectError(err.toFile()).start();
            try
            {
                final BufferedReader out = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("READY", out.readLine(), Files.readString(err));
                assertEquals("partition host: tiny at FF-A 1.2, RX/TX not mapped (its memory is one page, and TX and RX " +
                    "take two), so no partition info\n", Files.readString(err));
                host.getOutputStream().close();
                assertTrue(host.waitFor(30, TimeUnit.SECONDS), "the host ends at the end of its standard input");
                assertEquals(0, host.exitValue(), Files.readString(err));
            }
            finally
            {
                host.destroyForcibly();
                host.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The partition IDs of the first {@code count} descriptors in the endpoint's RX, in its negotiated version's layout. */
    private static List<Integer> idsInRx(final ControlFile cf, final Endpoint endpoint, final int count)
    {
        final int slot = cf.slotOf(endpoint.partitionId());
        final int version = cf.negotiatedVersion(slot);
        final int size = PartitionInfoDescriptor.length(version);
        final int rx = endpoint.memory().offsetOf(cf.rxAddress(slot));
        final PartitionInfoDescriptor descriptor = new PartitionInfoDescriptor();
        final List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            ids.add(descriptor.wrap(endpoint.memory().buffer(), rx + i * size, version).partitionId());
        }
        // Zeroed after the last: no stale descriptor reads as one more.
        assertEquals(0, descriptor.wrap(endpoint.memory().buffer(), rx + count * size, version).partitionId(), endpoint.name());
        return ids;
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
