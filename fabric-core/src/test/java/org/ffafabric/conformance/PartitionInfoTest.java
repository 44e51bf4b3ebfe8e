package org.ffafabric.conformance;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.BufferOwnership;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.PartitionInfo;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/** FFA_PARTITION_INFO_GET and FFA_PARTITION_INFO_GET_REGS, golden bytes and registers. */
class PartitionInfoTest
{
    static final UUID VM1 = UUID.fromString("11111111-2222-3333-4444-555555555555");
    static final UUID VM2 = UUID.fromString("21222324-2526-2728-292a-2b2c2d2e2f30");
    static final UUID SP1A = UUID.fromString("a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8");
    static final UUID SP1B = UUID.fromString("f1f2f3f4-0102-0304-0506-0708090a0b0c");
    static final UUID SP2 = UUID.fromString("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    static final UUID SP3 = UUID.fromString("33333333-3333-3333-3333-333333333333");
    static final UUID SP4 = UUID.fromString("44444444-4444-4444-4444-444444444444");
    static final int DIRECT = PartitionProperties.DIRECT_REQ_RECV | PartitionProperties.DIRECT_REQ_SEND |
        PartitionProperties.DIRECT_REQ2_RECV | PartitionProperties.DIRECT_REQ2_SEND;
    // bit0..3 + bit8 (aarch64) + bit9/10: masked differently per version.
    static final int SP1_PROPS = DIRECT | PartitionProperties.INDIRECT_MSG | PartitionProperties.NOTIFICATION_RECV |
        PartitionProperties.AARCH64;
    // A normal-world caller is not told that an SP sends direct requests: it may not send them to it.
    static final int NWD_VIEW = ~(PartitionProperties.DIRECT_REQ_SEND | PartitionProperties.DIRECT_REQ2_SEND);

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(0).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0"))
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid(VM1).directMessaging())
            .partition(p -> p.name("vm2").id(2).world(World.VM).uuid(VM2).executionContexts(3))
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid(SP1A).uuid(SP1B).properties(SP1_PROPS)
                .executionContexts(2))
            .partition(p -> p.name("sp2").id(0x8002).world(World.SP_EL0).uuid(SP2).directMessaging())
            .build());
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    private static RegisterFile mapRegs(final Endpoint ep, final long tx, final long rx, final int pages)
    {
        final RegisterFile r = regs(FunctionId.FFA_RXTX_MAP_64);
        r.x(1, tx).x(2, rx).w(3, pages);
        ep.executionContext(0).invoke(r);
        return r;
    }

    static void mapRxTx(final Endpoint ep, final int pages)
    {
        final long base = ep.memory().base();
        assertSuccess32(mapRegs(ep, base, base + pages * 4096L, pages));
    }

    static long rxAddress(final Endpoint ep, final int pages)
    {
        return ep.memory().base() + pages * 4096L;
    }

    static RegisterFile infoGet(final ExecutionContext ec, final UUID uuid, final int flags)
    {
        final RegisterFile r = regs(FunctionId.FFA_PARTITION_INFO_GET);
        if (uuid != null)
        {
            for (int n = 0; n < 4; n++)
            {
                r.w(1 + n, uuidWord(uuid, n));
            }
        }
        r.w(5, flags);
        ec.invoke(r);
        return r;
    }

    private static byte[] rx(final Endpoint ep, final int pages, final int length)
    {
        final byte[] bytes = new byte[length];
        ep.memory().buffer().getBytes(ep.memory().offsetOf(rxAddress(ep, pages)), bytes);
        return bytes;
    }

    private static void assertEntry(final byte[] rx, final int at, final int id, final int ecs, final int props,
        final UUID uuid)
    {
        final UnsafeBuffer b = new UnsafeBuffer(rx);
        assertEquals(id, b.getShort(at, ByteOrder.LITTLE_ENDIAN) & 0xFFFF, "ID u16@0 of entry at " + at);
        assertEquals(ecs, b.getShort(at + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF, "EC count u16@2");
        assertEquals(props, b.getInt(at + 4, ByteOrder.LITTLE_ENDIAN), "properties u32@4");
        if (uuid != null)
        {
            assertArrayEquals(uuidBytes(uuid), Arrays.copyOfRange(rx, at + 8, at + 24), "UUID bytes @8 textual order");
        }
    }

    private int rxOwnership(final int id)
    {
        return fx.controlFile().rxOwnership(fx.controlFile().slotOf(id));
    }

    @Test
    void v10CallerGetsEightByteDescriptorsWithMaskedProperties()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertEquals(V1_2, call(ec, FunctionId.FFA_VERSION, V1_0).w(0));
            mapRxTx(vm, 1);
            final RegisterFile r = infoGet(ec, null, 0);
            assertSuccess32(r);
            assertEquals(4L, r.x(2), "vm1, vm2, sp1, sp2: one entry per partition, no hypervisor");
            // The size in w3 is v1.1's: at v1.0 w3-w7 are reserved, MBZ (TF-A answers 0 there, and Arm's
            // v1.0 compliance suite checks it; Hafnium's 8 is the one source that fills it).
            assertTrue(r.isZero(3, 17), () -> "v1.0: w3..w7 reserved: " + r);
            final byte[] bytes = rx(vm, 1, 40);
            assertEntry(bytes, 0, 1, 1, 0x3, null);
            assertEntry(bytes, 8, 2, 3, 0, null);
            assertEntry(bytes, 16, 0x8001, 2, SP1_PROPS & 0x7 & NWD_VIEW, null);
            assertEntry(bytes, 24, 0x8002, 1, 0x3 & NWD_VIEW, null);
            for (int i = 32; i < 40; i++)
            {
                assertEquals(0, bytes[i], "nothing past the last descriptor");
            }
            assertEquals(BufferOwnership.CONSUMER, rxOwnership(1));

            // The typed API reads v1.0's 8-byte entries without a size in w3, as Linux's driver does.
            assertSuccess32(call(ec, FunctionId.FFA_RX_RELEASE));
            final List<PartitionInfo> typed = ec.ops().partitionInfo(null);
            assertEquals(List.of(1, 2, 0x8001, 0x8002), typed.stream().map(PartitionInfo::id).toList());
            assertEquals(List.of(1, 3, 2, 1), typed.stream().map(PartitionInfo::executionContextCount).toList());
            assertEquals(SP1_PROPS & 0x7 & NWD_VIEW, typed.get(2).properties());
            assertNull(typed.get(3).uuid(), "a v1.0 descriptor carries no UUID");
            assertEquals(BufferOwnership.PRODUCER, rxOwnership(1), "partitionInfo released RX");
        }
    }

    @Test
    void v12CallerGets24ByteDescriptorsOnePerUuid()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            mapRxTx(vm, 1);
            final RegisterFile r = infoGet(ec, null, 0);
            assertSuccess32(r);
            assertEquals(5L, r.x(2));
            assertEquals(24L, r.x(3));
            assertTrue(r.isZero(4, 17));
            final byte[] bytes = rx(vm, 1, 5 * 24);
            assertEntry(bytes, 0, 1, 1, DIRECT | PartitionProperties.AARCH64, VM1);
            assertEntry(bytes, 24, 2, 3, PartitionProperties.AARCH64, VM2);
            assertEntry(bytes, 48, 0x8001, 2, SP1_PROPS & 0x7FF & NWD_VIEW, SP1A);
            assertEntry(bytes, 72, 0x8001, 2, SP1_PROPS & 0x7FF & NWD_VIEW, SP1B);
            assertEntry(bytes, 96, 0x8002, 1, (DIRECT | PartitionProperties.AARCH64) & NWD_VIEW, SP2);
        }
    }

    @Test
    void v11CallerGetsOneEntryPerPartitionAndV11Properties()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            call(ec, FunctionId.FFA_VERSION, V1_1);
            mapRxTx(vm, 1);
            final RegisterFile r = infoGet(ec, null, 0);
            assertSuccess32(r);
            assertEquals(4L, r.x(2));
            assertEquals(24L, r.x(3));
            final byte[] bytes = rx(vm, 1, 4 * 24);
            assertEntry(bytes, 48, 0x8001, 2, SP1_PROPS & 0x1FF & NWD_VIEW, SP1A);
            assertEntry(bytes, 72, 0x8002, 1, (DIRECT | PartitionProperties.AARCH64) & 0x1FF & NWD_VIEW, SP2);
        }
    }

    @Test
    void secureCallersSeeOnlySecurePartitions()
    {
        try (Endpoint sp = fx.claim(0x8002))
        {
            mapRxTx(sp, 1);
            final RegisterFile r = infoGet(sp.executionContext(0), null, 0);
            assertSuccess32(r);
            assertEquals(3L, r.x(2));
            final byte[] bytes = rx(sp, 1, 3 * 24);
            assertEntry(bytes, 0, 0x8001, 2, SP1_PROPS & 0x7FF, SP1A);
            assertEntry(bytes, 24, 0x8001, 2, SP1_PROPS & 0x7FF, SP1B);
            assertEntry(bytes, 48, 0x8002, 1, DIRECT | PartitionProperties.AARCH64, SP2);
        }
    }

    @Test
    void specificUuidEntryHasZeroUuidField()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            mapRxTx(vm, 1);
            // Fill RX with garbage first so a missing write shows.
            vm.memory().buffer().setMemory(vm.memory().offsetOf(rxAddress(vm, 1)), 4096, (byte)0x5A);
            final RegisterFile r = infoGet(ec, SP1B, 0);
            assertSuccess32(r);
            assertEquals(1L, r.x(2));
            assertEquals(24L, r.x(3));
            final byte[] bytes = rx(vm, 1, 48);
            assertEntry(bytes, 0, 0x8001, 2, SP1_PROPS & 0x7FF & NWD_VIEW, new UUID(0, 0));
            for (int i = 24; i < 48; i++)
            {
                assertEquals(0, bytes[i]);
            }
            assertSuccess32(call(ec, FunctionId.FFA_RX_RELEASE));
            assertError(ErrorCode.INVALID_PARAMETERS, infoGet(ec, UUID.fromString("deadbeef-0000-0000-0000-000000000001"), 0));
            assertError(ErrorCode.INVALID_PARAMETERS,
                infoGet(ec, UUID.fromString("deadbeef-0000-0000-0000-000000000001"), 1));
            assertEquals(BufferOwnership.PRODUCER, rxOwnership(1), "an error leaves RX with the producer");
        }
    }

    @Test
    void countOnlyLeavesRxAlone()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            // Count only needs no RX buffer.
            RegisterFile r = infoGet(ec, null, 1);
            assertSuccess32(r);
            assertEquals(5L, r.x(2));
            assertEquals(0L, r.x(3));
            mapRxTx(vm, 1);
            r = infoGet(ec, SP2, 1);
            assertSuccess32(r);
            assertEquals(1L, r.x(2));
            assertEquals(BufferOwnership.PRODUCER, rxOwnership(1));
            assertError(ErrorCode.DENIED, call(ec, FunctionId.FFA_RX_RELEASE));
        }
    }

    /** The count-only flag is v1.1's (ffa-reference.md 3.4): at v1.0 w5 is MBZ, and RX is left alone. */
    @Test
    void countOnlyIsInvalidForAV10Caller()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertEquals(V1_2, call(ec, FunctionId.FFA_VERSION, V1_0).w(0));
            mapRxTx(vm, 1);
            assertError(ErrorCode.INVALID_PARAMETERS, infoGet(ec, null, 1));
            assertEquals(BufferOwnership.PRODUCER, rxOwnership(1));
            assertSuccess32(infoGet(ec, null, 0));
        }
    }

    @Test
    void reservedFlagBitsAreInvalid()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            mapRxTx(vm, 1);
            assertError(ErrorCode.INVALID_PARAMETERS, infoGet(ec, null, 2));
            assertError(ErrorCode.INVALID_PARAMETERS, infoGet(ec, null, 0x8000_0001));
            assertEquals(BufferOwnership.PRODUCER, rxOwnership(1));
        }
    }

    @Test
    void busyWithoutRxOrWhileTheConsumerHoldsIt()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertError(ErrorCode.BUSY, infoGet(ec, null, 0));
            mapRxTx(vm, 1);
            assertSuccess32(infoGet(ec, null, 0));
            assertError(ErrorCode.BUSY, infoGet(ec, null, 0));
            assertError(ErrorCode.BUSY, infoGet(ec, SP2, 0));
            // Count only does not touch RX, so the holder may still count (Hafnium answers it before
            // looking at the mailbox); an unknown UUID or a reserved flag is refused for itself, not BUSY.
            final RegisterFile count = infoGet(ec, null, 1);
            assertSuccess32(count);
            assertEquals(5L, count.x(2));
            assertTrue(count.isZero(3, 17), count::toString);
            assertError(ErrorCode.INVALID_PARAMETERS, infoGet(ec, UUID.fromString("deadbeef-0000-0000-0000-000000000001"), 0));
            assertError(ErrorCode.INVALID_PARAMETERS, infoGet(ec, null, 2));
            assertEquals(BufferOwnership.CONSUMER, rxOwnership(1), "the holder keeps RX through all of these");
            assertSuccess32(call(ec, FunctionId.FFA_RX_RELEASE));
            assertSuccess32(infoGet(ec, null, 0));
        }
    }

    /**
     * The digest's own example (4.1): UUID a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8 is w1 = 0xa4a3a2a1,
     * w2 = 0xc2c1b2b1, w3 = 0xd4d3d2d1, w4 = 0xd8d7d6d5. The answer carries the count in w2 and the size
     * in w3 and nothing else, whatever the caller left beyond its SMC32 registers.
     */
    @Test
    void uuidWordsAreTheDigestsExampleAndTheAnswerIsOnlyCountAndSize()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            mapRxTx(vm, 1);
            final RegisterFile r = call(ec, dirtyBeyondSmc32(
                regs(FunctionId.FFA_PARTITION_INFO_GET, 0xa4a3a2a1, 0xc2c1b2b1, 0xd4d3d2d1, 0xd8d7d6d5, 0)));
            assertSuccess32(r);
            assertEquals(1L, r.x(2));
            assertEquals(24L, r.x(3));
            assertTrue(r.isZero(1, 1) && r.isZero(4, 17), r::toString);
            assertEntry(rx(vm, 1, 24), 0, 0x8001, 2, SP1_PROPS & 0x7FF & NWD_VIEW, new UUID(0, 0));
        }
    }

    private static RegisterFile infoRegs(final ExecutionContext ec, final UUID uuid, final long x3)
    {
        final RegisterFile r = regs(FunctionId.FFA_PARTITION_INFO_GET_REGS);
        if (uuid != null)
        {
            r.x(1, uuidLe(uuid, 0)).x(2, uuidLe(uuid, 1));
        }
        r.x(3, x3);
        ec.invoke(r);
        return r;
    }

    @Test
    void partitionInfoGetRegsPacksDescriptorsInRegisters()
    {
        try (Endpoint sp = fx.claim(0x8002))
        {
            final RegisterFile r = infoRegs(sp.executionContext(0), null, 0);
            assertEquals(FunctionId.FFA_SUCCESS_64, r.w(0));
            assertEquals(0L, r.x(1), "x1 is no result of FFA_PARTITION_INFO_GET_REGS");
            assertEquals(2L | (2L << 16) | (24L << 48), r.x(2), "last 2, current 2, tag 0, size 24");
            assertEquals(0x8001L | (2L << 16) | ((long)(SP1_PROPS & 0x7FF) << 32), r.x(3));
            assertEquals(uuidLe(SP1A, 0), r.x(4));
            assertEquals(uuidLe(SP1A, 1), r.x(5));
            assertEquals(0xc2c1b2b1a4a3a2a1L, r.x(4), "digest example byte order");
            assertEquals(0xd8d7d6d5d4d3d2d1L, r.x(5));
            assertEquals(uuidLe(SP1B, 0), r.x(7));
            assertEquals(0x8002L | (1L << 16) | ((long)(DIRECT | PartitionProperties.AARCH64) << 32), r.x(9));
            assertEquals(uuidLe(SP2, 1), r.x(11));
            assertTrue(r.isZero(12, 17));
            // A UUID query in x1/x2 has the same byte order: sp1's second UUID, whose halves differ.
            final RegisterFile one = infoRegs(sp.executionContext(0), SP1B, 0);
            assertEquals(FunctionId.FFA_SUCCESS_64, one.w(0), one::toString);
            assertEquals(24L << 48, one.x(2), "last 0, current 0, tag 0, size 24");
            assertEquals(0x8001L | (2L << 16) | ((long)(SP1_PROPS & 0x7FF) << 32), one.x(3));
            assertTrue(one.isZero(4, 17), () -> "the UUID is MBZ when the query named one: " + one);
            final RegisterFile swapped = regs(FunctionId.FFA_PARTITION_INFO_GET_REGS);
            swapped.x(1, uuidLe(SP1B, 1)).x(2, uuidLe(SP1B, 0));
            assertError(ErrorCode.INVALID_PARAMETERS, call(sp.executionContext(0), swapped), "halves swapped: no such UUID");
        }
    }

    @Test
    void partitionInfoGetRegsPagesByStartIndex() throws Exception
    {
        fx.close();
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid(VM1).directMessaging())
            .partition(p -> p.name("vm2").id(2).world(World.VM).uuid(VM2))
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid(SP1A).uuid(SP1B))
            .partition(p -> p.name("sp2").id(0x8002).world(World.SP_EL1).uuid(SP2))
            .partition(p -> p.name("sp3").id(0x8003).world(World.SP_EL1).uuid(SP3))
            .partition(p -> p.name("sp4").id(0x8004).world(World.SP_EL1).uuid(SP4))
            .build());
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            RegisterFile r = infoRegs(ec, null, 0);
            assertEquals(FunctionId.FFA_SUCCESS_64, r.w(0));
            assertEquals(6L | (4L << 16) | (24L << 48), r.x(2));
            assertEquals(0x8002L, r.x(15) & 0xFFFF, "fifth entry in x15..x17");
            r = infoRegs(ec, null, 5);
            assertEquals(6L | (6L << 16) | (24L << 48), r.x(2));
            assertEquals(0x8003L, r.x(3) & 0xFFFF);
            assertEquals(uuidLe(SP3, 0), r.x(4));
            assertEquals(0x8004L, r.x(6) & 0xFFFF);
            assertEquals(uuidLe(SP4, 1), r.x(8));
            assertTrue(r.isZero(9, 17));
            assertError(ErrorCode.INVALID_PARAMETERS, infoRegs(ec, null, 7));
            assertError(ErrorCode.RETRY, infoRegs(ec, null, 1L << 16));
            assertError(ErrorCode.INVALID_PARAMETERS, infoRegs(ec, UUID.fromString("deadbeef-0000-0000-0000-000000000001"), 0));
            final RegisterFile one = infoRegs(ec, SP3, 0);
            assertEquals(0L | (0L << 16) | (24L << 48), one.x(2));
            assertEquals(0x8003L, one.x(3) & 0xFFFF);
            assertTrue(one.isZero(4, 17), () -> "the UUID is MBZ when the query named one: " + one);
            // x3 [63:32] is MBZ (ffa-reference.md 4.1: only the start index and the tag are defined).
            assertError(ErrorCode.INVALID_PARAMETERS, infoRegs(ec, null, 1L << 32));
        }
        try (Endpoint vm = fx.claim(2))
        {
            call(vm.executionContext(0), FunctionId.FFA_VERSION, V1_1);
            assertError(ErrorCode.NOT_SUPPORTED, infoRegs(vm.executionContext(0), null, 0));
        }
    }

    @Test
    void descriptorsLargerThanRxAreNoMemory() throws Exception
    {
        fx.close();
        final Manifest.Builder b = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid(VM1).memorySize(16 * 4096));
        // 43 SPs with 4 UUIDs each: 172 entries + vm1 = 173 > 4096 / 24 = 170.
        for (int i = 0; i < 43; i++)
        {
            final int n = i;
            b.partition(p -> p.name("sp" + n).id(0x8001 + n).world(World.SP_EL1).memorySize(4096)
                .uuid(new UUID(0x1000 + n, 1)).uuid(new UUID(0x1000 + n, 2)).uuid(new UUID(0x1000 + n, 3))
                .uuid(new UUID(0x1000 + n, 4)));
        }
        fx = FabricFixture.launch(b.build());
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            mapRxTx(vm, 1);
            assertError(ErrorCode.NO_MEMORY, infoGet(ec, null, 0));
            assertEquals(BufferOwnership.PRODUCER, rxOwnership(1));
            final RegisterFile count = infoGet(ec, null, 1);
            assertSuccess32(count);
            assertEquals(173L, count.x(2));
            // One page holds 170 descriptors of 24 bytes; two hold all 173.
            assertSuccess32(call(ec, FunctionId.FFA_RXTX_UNMAP));
            final long base = vm.memory().base();
            final RegisterFile two = regs(FunctionId.FFA_RXTX_MAP_64);
            two.x(1, base).x(2, base + 2 * 4096).w(3, 2);
            assertSuccess32(call(ec, two));
            final RegisterFile r = infoGet(ec, null, 0);
            assertSuccess32(r);
            assertEquals(173L, r.x(2), "two pages hold 173 * 24 bytes");
        }
    }
}
