package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.BufferOwnership;
import org.ffafabric.control.ControlFile;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/** FFA_RXTX_MAP/UNMAP, FFA_RX_RELEASE, FFA_RX_ACQUIRE and the ownership word. */
class RxTxOwnershipTest
{
    private static final long MEMORY = 64 * 4096;
    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(0).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0"))
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .memorySize(MEMORY))
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"))
            .build());
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    private ControlFile cf()
    {
        return fx.controlFile();
    }

    private static RegisterFile map64(final ExecutionContext ec, final long tx, final long rx, final int w3)
    {
        final RegisterFile r = regs(FunctionId.FFA_RXTX_MAP_64);
        r.x(1, tx).x(2, rx).w(3, w3);
        ec.invoke(r);
        return r;
    }

    @Test
    void mapRefusalsChangeNothing()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final long base = vm.memory().base();
            assertEquals(0x4000_0000L, base);
            final int slot = cf().slotOf(1);
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base + 1, base + 4096, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base, base + 4096 + 8, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base - 4096, base + 4096, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base, base + MEMORY - 4096, 2));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base, base + MEMORY, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, 0, 4096, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base, base, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base, base + 4096, 2));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base + 4096, base, 2));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base, base + 4096, 0));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base, base + 2 * 4096, 0x41));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base, base + 2 * 4096, 0x8000_0001));
            assertFalse(cf().rxtxMapped(slot));
            assertError(ErrorCode.BUSY, PartitionInfoTest.infoGet(ec, null, 0));
            // 63 pages each need 126 pages: more than this memory holds.
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base, base + 63 * 4096L, 63));
            assertSuccess32(map64(ec, base + 2 * 4096, base + 8 * 4096, 6));
            assertTrue(cf().rxtxMapped(slot));
            assertEquals(base + 2 * 4096, cf().txAddress(slot));
            assertEquals(base + 8 * 4096, cf().rxAddress(slot));
            assertEquals(6, cf().rxtxPageCount(slot));
            assertEquals(BufferOwnership.PRODUCER, cf().rxOwnership(slot));
            assertError(ErrorCode.DENIED, map64(ec, base + 20 * 4096, base + 30 * 4096, 1));
            assertEquals(base + 8 * 4096, cf().rxAddress(slot), "a refused second map keeps the first");
        }
    }

    @Test
    void mapsReadOnlyTheBitsOfTheirParameters()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final long base = vm.memory().base();
            final RegisterFile r = regs(FunctionId.FFA_RXTX_MAP_32);
            // SMC32: the upper halves are not part of the call.
            r.x(1, 0xDEAD_0000_0000_0000L | base).x(2, 0xBEEF_0000_0000_0000L | (base + 4096)).x(3, 0x7700_0000_0000_0001L);
            ec.invoke(r);
            assertSuccess32(r);
            assertEquals(base + 4096, cf().rxAddress(cf().slotOf(1)));
            assertSuccess32(call(ec, FunctionId.FFA_RXTX_UNMAP));
            assertFalse(cf().rxtxMapped(cf().slotOf(1)));
            // The 64-bit form reads whole x1/x2: garbage above bit 31 is out of range.
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, 0xDEAD_0000_0000_0000L | base, base + 4096, 1));
            // Its page count is still w3: x3[63:32] is ignored, not MBZ (Hafnium and Arm's arm-ffa crate
            // read a u32, TF-A masks; OP-TEE alone refuses x3[63:6]).
            final RegisterFile wide = regs(FunctionId.FFA_RXTX_MAP_64);
            wide.x(1, base).x(2, base + 2 * 4096).x(3, 0xFFFF_FFFF_0000_0002L);
            assertSuccess32(call(ec, wide));
            assertEquals(2, cf().rxtxPageCount(cf().slotOf(1)));
        }
    }

    @Test
    void unmapRules()
    {
        try (Endpoint vm = fx.claim(1); Endpoint hyp = fx.claim(0))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final long base = vm.memory().base();
            assertError(ErrorCode.INVALID_PARAMETERS, call(ec, FunctionId.FFA_RXTX_UNMAP));
            assertSuccess32(map64(ec, base, base + 4096, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, call(ec, FunctionId.FFA_RXTX_UNMAP, 1 << 16));
            assertError(ErrorCode.INVALID_PARAMETERS, call(ec, FunctionId.FFA_RXTX_UNMAP, 1));
            assertTrue(cf().rxtxMapped(cf().slotOf(1)));
            assertSuccess32(call(ec, FunctionId.FFA_RXTX_UNMAP));
            assertError(ErrorCode.INVALID_PARAMETERS, call(ec, FunctionId.FFA_RXTX_UNMAP));
            // Remap after unmap works; the hypervisor may unmap a VM's pair by ID.
            assertSuccess32(map64(ec, base, base + 4096, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, call(hyp.executionContext(0), FunctionId.FFA_RXTX_UNMAP, 0x8001 << 16));
            assertSuccess32(call(hyp.executionContext(0), FunctionId.FFA_RXTX_UNMAP, 1 << 16));
            assertFalse(cf().rxtxMapped(cf().slotOf(1)));
            assertError(ErrorCode.INVALID_PARAMETERS, call(hyp.executionContext(0), FunctionId.FFA_RXTX_UNMAP, 1 << 16),
                "the VM's pair is unmapped already");
        }
    }

    /**
     * FFA_FEATURES(FFA_RXTX_MAP) tells a v1.2 caller the most pages a buffer may have (digest 4.1, w2
     * [31:16]): a map of that many is taken, one more is refused. A partition of 1 MiB has room for both
     * buffers at the maximum.
     */
    @Test
    void theLargestBuffersFeaturesAdvertisesAreMapped()
    {
        try (Endpoint sp = fx.claim(0x8001))
        {
            final ExecutionContext ec = sp.executionContext(0);
            final RegisterFile features = call(ec, FunctionId.FFA_FEATURES, FunctionId.FFA_RXTX_MAP_64);
            assertSuccess32(features);
            final int max = features.w(2) >>> 16;
            assertEquals(0, features.w(2) & 0x3, "4K minimum size and alignment");
            final long base = sp.memory().base();
            assertTrue(sp.memory().size() >= 2L * (max + 1) * 4096, "room for two buffers of one page more");
            assertError(ErrorCode.INVALID_PARAMETERS, map64(ec, base, base + (max + 1) * 4096L, max + 1));
            final RegisterFile r = map64(ec, base, base + max * 4096L, max);
            assertSuccess32(r);
            assertTrue(r.isZero(1, 17), r::toString);
            assertEquals(max, cf().rxtxPageCount(cf().slotOf(0x8001)));
        }
    }

    /**
     * RXTX_MAP carries its buffers in x1/x2 and w3 (digest 4.1); only Hafnium as SPMC reads zeros from
     * the hypervisor as "the pair is described in my TX buffer", a forwarding this fabric has no use for
     * (the hypervisor's partitions map their own): TF-A refuses the zero addresses, and so does the fabric.
     */
    @Test
    void theHypervisorMapsOnlyItsOwnPagesNoForwardingForm()
    {
        try (Endpoint hyp = fx.claim(0))
        {
            final ExecutionContext h = hyp.executionContext(0);
            final long base = hyp.memory().base();
            assertSuccess32(map64(h, base, base + 4096, 1));
            assertSuccess32(call(h, FunctionId.FFA_RXTX_UNMAP));
            assertError(ErrorCode.INVALID_PARAMETERS, map64(h, 0, 0, 0));
            assertFalse(cf().rxtxMapped(cf().slotOf(0)));
        }
    }

    /**
     * Digest 4: unlisted registers are 0 on output. SMC32 RXTX_MAP, RX_RELEASE and RXTX_UNMAP answer
     * FFA_SUCCESS or FFA_ERROR alone, whatever the caller left beyond w0..w7.
     */
    @Test
    void bufferCallsAnswerNothingButTheirResults()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final long base = vm.memory().base();
            final RegisterFile map = call(ec, dirtyBeyondSmc32(regs(FunctionId.FFA_RXTX_MAP_32, (int)base, (int)base + 4096, 1)));
            assertSuccess32(map);
            assertTrue(map.isZero(1, 17), map::toString);
            final RegisterFile denied = call(ec, dirtyBeyondSmc32(regs(FunctionId.FFA_RX_RELEASE)));
            assertError(ErrorCode.DENIED, denied);
            assertTrue(denied.isZero(1, 1), denied::toString);
            assertSuccess32(PartitionInfoTest.infoGet(ec, null, 0));
            for (final int function : new int[] { FunctionId.FFA_RX_RELEASE, FunctionId.FFA_RXTX_UNMAP })
            {
                final RegisterFile r = call(ec, dirtyBeyondSmc32(regs(function)));
                assertSuccess32(r);
                assertTrue(r.isZero(1, 17), () -> FunctionId.name(function) + ": " + r);
            }
            assertFalse(cf().rxtxMapped(cf().slotOf(1)));
        }
    }

    @Test
    void rxReleaseOnlyByTheOwnerAndOnlyOnce()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final long base = vm.memory().base();
            assertError(ErrorCode.DENIED, call(ec, FunctionId.FFA_RX_RELEASE));
            assertSuccess32(map64(ec, base, base + 4096, 1));
            assertError(ErrorCode.DENIED, call(ec, FunctionId.FFA_RX_RELEASE));
            assertSuccess32(PartitionInfoTest.infoGet(ec, null, 0));
            assertEquals(BufferOwnership.CONSUMER, cf().rxOwnership(cf().slotOf(1)));
            assertError(ErrorCode.INVALID_PARAMETERS, call(ec, FunctionId.FFA_RX_RELEASE, 2));
            assertEquals(BufferOwnership.CONSUMER, cf().rxOwnership(cf().slotOf(1)));
            final RegisterFile ok = call(ec, FunctionId.FFA_RX_RELEASE);
            assertSuccess32(ok);
            assertTrue(ok.isZero(1, 17));
            assertEquals(BufferOwnership.PRODUCER, cf().rxOwnership(cf().slotOf(1)));
            assertError(ErrorCode.DENIED, call(ec, FunctionId.FFA_RX_RELEASE));
        }
    }

    @Test
    void rxAcquireIsTheHypervisorsAndBlocksTheProducer()
    {
        try (Endpoint vm = fx.claim(1); Endpoint hyp = fx.claim(0); Endpoint sp = fx.claim(0x8001))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final ExecutionContext h = hyp.executionContext(0);
            final long base = vm.memory().base();
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_RX_ACQUIRE, 1));
            assertError(ErrorCode.NOT_SUPPORTED, call(sp.executionContext(0), FunctionId.FFA_RX_ACQUIRE, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, call(h, FunctionId.FFA_RX_ACQUIRE, 1), "no RX mapped yet");
            assertSuccess32(map64(ec, base, base + 4096, 1));
            assertSuccess32(call(h, FunctionId.FFA_RX_ACQUIRE, 1));
            assertEquals(BufferOwnership.HYPERVISOR, cf().rxOwnership(cf().slotOf(1)));
            assertError(ErrorCode.DENIED, call(h, FunctionId.FFA_RX_ACQUIRE, 1));
            assertError(ErrorCode.BUSY, PartitionInfoTest.infoGet(ec, null, 0));
            assertError(ErrorCode.DENIED, call(ec, FunctionId.FFA_RX_RELEASE), "the VM does not own it");
            assertSuccess32(call(h, FunctionId.FFA_RX_RELEASE, 1));
            assertEquals(BufferOwnership.PRODUCER, cf().rxOwnership(cf().slotOf(1)));
            assertError(ErrorCode.DENIED, call(h, FunctionId.FFA_RX_RELEASE, 1));
            assertSuccess32(PartitionInfoTest.infoGet(ec, null, 0));
            assertError(ErrorCode.DENIED, call(h, FunctionId.FFA_RX_ACQUIRE, 1), "the VM holds it now");
            // Nor may the hypervisor release it from under the VM: it releases only what it acquired.
            assertError(ErrorCode.DENIED, call(h, FunctionId.FFA_RX_RELEASE, 1), "the VM holds it, not the hypervisor");
            assertEquals(BufferOwnership.CONSUMER, cf().rxOwnership(cf().slotOf(1)));
        }
    }

    /**
     * The hypervisor names only VMs (ffa-reference.md 4.1, 6.1): RX_ACQUIRE of a secure ID is NOT_SUPPORTED,
     * of an ID that is no VM INVALID_PARAMETERS; RXTX_UNMAP of an SP's pair is INVALID_PARAMETERS; RX_ACQUIRE's
     * and RX_RELEASE's w1 [31:16] are MBZ (only [15:0] names the VM). Each refusal leaves the buffers as they were.
     */
    @Test
    void theHypervisorNamesOnlyVmsAndRefusalsChangeNothing()
    {
        try (Endpoint vm = fx.claim(1); Endpoint hyp = fx.claim(0); Endpoint sp = fx.claim(0x8001))
        {
            final ExecutionContext h = hyp.executionContext(0);
            final long spBase = sp.memory().base();
            assertSuccess32(map64(sp.executionContext(0), spBase, spBase + 4096, 1));
            assertError(ErrorCode.NOT_SUPPORTED, call(h, FunctionId.FFA_RX_ACQUIRE, 0x8001));
            assertError(ErrorCode.INVALID_PARAMETERS, call(h, FunctionId.FFA_RXTX_UNMAP, 0x8001 << 16));
            assertTrue(cf().rxtxMapped(cf().slotOf(0x8001)), "the SP keeps its pair");
            assertEquals(BufferOwnership.PRODUCER, cf().rxOwnership(cf().slotOf(0x8001)));

            final long hypBase = hyp.memory().base();
            assertSuccess32(map64(h, hypBase, hypBase + 4096, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, call(h, FunctionId.FFA_RX_ACQUIRE, 0), "ID 0 is no VM");
            assertError(ErrorCode.INVALID_PARAMETERS, call(h, FunctionId.FFA_RX_ACQUIRE, 0x1234), "no such VM");
            assertEquals(BufferOwnership.PRODUCER, cf().rxOwnership(cf().slotOf(0)));

            final long base = vm.memory().base();
            assertSuccess32(map64(vm.executionContext(0), base, base + 4096, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, call(h, FunctionId.FFA_RX_ACQUIRE, (5 << 16) | 1), "w1 [31:16] MBZ");
            assertEquals(BufferOwnership.PRODUCER, cf().rxOwnership(cf().slotOf(1)));
            // Not the hypervisor: not supported at this instance, whatever the registers.
            assertError(ErrorCode.NOT_SUPPORTED, call(vm.executionContext(0), FunctionId.FFA_RX_ACQUIRE, (5 << 16) | 1));
            assertSuccess32(call(h, FunctionId.FFA_RX_ACQUIRE, 1));
            assertError(ErrorCode.INVALID_PARAMETERS, call(h, FunctionId.FFA_RX_RELEASE, (5 << 16) | 1));
            assertEquals(BufferOwnership.HYPERVISOR, cf().rxOwnership(cf().slotOf(1)));
            assertSuccess32(call(h, FunctionId.FFA_RX_RELEASE, 1));
        }
    }

    /** FFA_MSG_WAIT with a bound short enough to run out: it returns FFA_INTERRUPT. */
    private static RegisterFile boundedMsgWait(final ExecutionContext ec, final int flags)
    {
        final RegisterFile r = regs(FunctionId.FFA_MSG_WAIT, 0, flags);
        ec.invoke(r, 1_000_000L);
        return r;
    }

    /**
     * ffa-reference.md 6.1 and 4.2: FFA_MSG_WAIT gives RX back to the producer from v1.1 on, unless
     * a v1.2 caller sets w2 bit 0 (retain RX); a v1.0 wait leaves it, and a refused wait changes nothing.
     */
    @Test
    void msgWaitReleasesRxFromV11UnlessTheV12RetainFlagIsSet()
    {
        final int[][] cases = { { V1_2, 0, BufferOwnership.PRODUCER }, { V1_2, 1, BufferOwnership.CONSUMER },
            { V1_1, 0, BufferOwnership.PRODUCER }, { V1_0, 0, BufferOwnership.CONSUMER } };
        for (final int[] c : cases)
        {
            final String why = "version 0x" + Integer.toHexString(c[0]) + " flags " + c[1];
            try (Endpoint vm = fx.claim(1))
            {
                final ExecutionContext ec = vm.executionContext(0);
                assertEquals(V1_2, call(ec, FunctionId.FFA_VERSION, c[0]).w(0));
                final long base = vm.memory().base();
                assertSuccess32(map64(ec, base, base + 4096, 1));
                assertSuccess32(PartitionInfoTest.infoGet(ec, null, 0));
                assertError(ErrorCode.INVALID_PARAMETERS, call(ec, FunctionId.FFA_MSG_WAIT, 1, c[1]), why);
                assertEquals(BufferOwnership.CONSUMER, cf().rxOwnership(cf().slotOf(1)), why + ": a refused wait");
                final RegisterFile woke = boundedMsgWait(ec, c[1]);
                assertEquals(FunctionId.FFA_INTERRUPT, woke.w(0), () -> why + ": " + woke);
                assertEquals(c[2], cf().rxOwnership(cf().slotOf(1)), why);
            }
        }
    }

    /**
     * A VM's RX acquired by the hypervisor is the hypervisor claim's to release. When that claim ends
     * its holding ends too, as a claim's own RX/TX mapping does: RX goes back to the producer, so the
     * VM is not answered BUSY for good and the next hypervisor claim can acquire it.
     */
    @Test
    void rxAcquiredByAHypervisorWhoseClaimEndsGoesBackToTheProducer()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final long base = vm.memory().base();
            assertSuccess32(map64(ec, base, base + 4096, 1));
            try (Endpoint hyp = fx.claim(0))
            {
                assertSuccess32(call(hyp.executionContext(0), FunctionId.FFA_RX_ACQUIRE, 1));
                assertEquals(BufferOwnership.HYPERVISOR, cf().rxOwnership(cf().slotOf(1)));
            }
            assertEquals(BufferOwnership.PRODUCER, cf().rxOwnership(cf().slotOf(1)), "the holder's claim has ended");
            assertSuccess32(PartitionInfoTest.infoGet(ec, null, 0));
            assertSuccess32(call(ec, FunctionId.FFA_RX_RELEASE));
            try (Endpoint hyp = fx.claim(0))
            {
                assertSuccess32(call(hyp.executionContext(0), FunctionId.FFA_RX_ACQUIRE, 1));
                assertSuccess32(call(hyp.executionContext(0), FunctionId.FFA_RX_RELEASE, 1));
            }
        }
    }

    /**
     * A process killed while it holds RX: its own (filled by PARTITION_INFO_GET), and a VM's that its
     * hypervisor endpoint took with FFA_RX_ACQUIRE. The partition manager's reap gives both back to
     * the producer: the VM's next PARTITION_INFO_GET is answered, not BUSY for good with nobody left
     * to release it, and the partition claimed again maps RX and reads it.
     */
    @Test
    @Timeout(120)
    void rxHeldByAKilledProcessGoesBackToTheProducer() throws Exception
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final long base = vm.memory().base();
            assertSuccess32(map64(ec, base, base + 4096, 1));
            try (ChildProcess host = ChildProcess.start(DoomedPartitionProcess.class,
                "--dir", fx.fabric().directory().toString(), "--partition", "0x8001:rx", "--partition", "0:acquire:1"))
            {
                host.awaitLine("READY", ChildProcess.START_NS);
                assertEquals(BufferOwnership.HYPERVISOR, cf().rxOwnership(cf().slotOf(1)), "the hypervisor holds vm1's RX");
                assertEquals(BufferOwnership.CONSUMER, cf().rxOwnership(cf().slotOf(0x8001)), "sp1 holds its own");
                assertError(ErrorCode.BUSY, PartitionInfoTest.infoGet(ec, null, 0));

                host.process().destroyForcibly();
                assertTrue(host.process().waitFor(30, TimeUnit.SECONDS), "killed");
                final long deadline = System.nanoTime() + WAIT_NS;
                for (final int id : new int[] { 0, 0x8001 })
                {
                    awaitUntil(deadline, () -> cf().claimPid(cf().slotOf(id)) == 0, "the claim of " + id + " was never reaped");
                }
            }
            assertEquals(BufferOwnership.PRODUCER, cf().rxOwnership(cf().slotOf(1)), "vm1's RX is the producer's again");
            assertSuccess32(PartitionInfoTest.infoGet(ec, null, 0));
            assertSuccess32(call(ec, FunctionId.FFA_RX_RELEASE));
            try (Endpoint sp = fx.claim(0x8001))
            {
                final long spBase = sp.memory().base();
                assertSuccess32(map64(sp.executionContext(0), spBase, spBase + 4096, 1));
                assertSuccess32(PartitionInfoTest.infoGet(sp.executionContext(0), null, 0));
            }
        }
    }

    /**
     * ffa-reference.md section 6.1: "RX_RELEASE with non-zero receiver ID at a virtual instance /
     * unknown VM" is INVALID_PARAMETERS (as RX_ACQUIRE for a non-VM ID is refused, not DENIED). The
     * hypervisor names a VM in w1: an SP's ID names no VM (Hafnium's SPMC finds no VM by it). DENIED
     * is for a VM's buffer that is not the releaser's.
     */
    @Test
    void hypervisorRxReleaseOfANonVmIsInvalidParameters()
    {
        try (Endpoint vm = fx.claim(1); Endpoint hyp = fx.claim(0); Endpoint sp = fx.claim(0x8001))
        {
            final ExecutionContext h = hyp.executionContext(0);
            final long spBase = sp.memory().base();
            assertSuccess32(map64(sp.executionContext(0), spBase, spBase + 4096, 1));
            assertSuccess32(PartitionInfoTest.infoGet(sp.executionContext(0), null, 0));
            assertError(ErrorCode.INVALID_PARAMETERS, call(h, FunctionId.FFA_RX_RELEASE, 0x8001), "an SP is no VM");
            assertEquals(BufferOwnership.CONSUMER, cf().rxOwnership(cf().slotOf(0x8001)), "the SP keeps its RX");
            final long base = vm.memory().base();
            assertSuccess32(map64(vm.executionContext(0), base, base + 4096, 1));
            assertError(ErrorCode.DENIED, call(h, FunctionId.FFA_RX_RELEASE, 1), "mapped, not acquired");
        }
    }

}
