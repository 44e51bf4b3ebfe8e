package org.ffafabric.abi;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.descriptor.PartitionInfoDescriptor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Register packings written from the reference's bit tables (§4.1, §4.6). */
class RegisterPackingTest
{
    static final UUID UUID_EXAMPLE = UUID.fromString("a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8");

    @Test
    void smc32ZeroExtensionClearsUpperHalvesOfW0ToW7Only()
    {
        final RegisterFile regs = new RegisterFile();
        for (int n = 0; n < RegisterFile.REGISTER_COUNT; n++)
        {
            regs.x(n, 0xDEAD_BEEF_0000_0000L | n);
        }
        regs.zeroExtendSmc32();
        for (int n = 0; n < RegisterFile.SMC32_REGISTER_COUNT; n++)
        {
            assertEquals(n, regs.x(n));
        }
        for (int n = RegisterFile.SMC32_REGISTER_COUNT; n < RegisterFile.REGISTER_COUNT; n++)
        {
            assertEquals(0xDEAD_BEEF_0000_0000L | n, regs.x(n), "x8..x17 are left for the v1.2 checks");
        }
    }

    @Test
    void directMessageFlagsAreZeroOrAFrameworkTypeOnly()
    {
        assertTrue(RegisterFile.isValidDirectMessageFlags(0));
        assertTrue(RegisterFile.isValidDirectMessageFlags(0x8000_0004));
        assertTrue(RegisterFile.isValidDirectMessageFlags(0x8000_00FF));
        assertTrue(RegisterFile.isValidDirectMessageFlags(0x8000_0000));
        // A partition message has the whole of w2 MBZ: a type without bit 31 is invalid.
        assertFalse(RegisterFile.isValidDirectMessageFlags(1));
        assertFalse(RegisterFile.isValidDirectMessageFlags(4));
        assertFalse(RegisterFile.isValidDirectMessageFlags(0x8000_0100));
        assertFalse(RegisterFile.isValidDirectMessageFlags(0x4000_0000));
        // As a whole x2 (SMC64): the same rule, and bits [63:32] are MBZ.
        assertTrue(RegisterFile.isValidDirectMessageFlags(0x8000_0004L));
        assertTrue(RegisterFile.isValidDirectMessageFlags(0L));
        assertFalse(RegisterFile.isValidDirectMessageFlags(1L << 32));
        assertFalse(RegisterFile.isValidDirectMessageFlags(0x0000_0001_8000_0004L));
        assertFalse(RegisterFile.isValidDirectMessageFlags(4L));
    }

    @Test
    void partialCopyZeroesTheRegistersNotCarried()
    {
        final RegisterFile regs = new RegisterFile();
        for (int n = 0; n < RegisterFile.REGISTER_COUNT; n++)
        {
            regs.x(n, -1L);
        }
        final UnsafeBuffer message = new UnsafeBuffer(new byte[64]);
        for (int n = 0; n < 8; n++)
        {
            message.putLong(n * 8, n + 1, java.nio.ByteOrder.LITTLE_ENDIAN);
        }
        regs.copyFrom(message, 0, 64);
        for (int n = 0; n < 8; n++)
        {
            assertEquals(n + 1, regs.x(n));
        }
        assertTrue(regs.isZero(8, 17));
        final UnsafeBuffer out = new UnsafeBuffer(new byte[144]);
        regs.copyTo(out, 0);
        assertEquals(8, out.getLong(56, java.nio.ByteOrder.LITTLE_ENDIAN));
        assertEquals(0, out.getLong(64, java.nio.ByteOrder.LITTLE_ENDIAN));
    }


    @Test
    void viewOfAShortMessageKeepsTheRegistersPastItBesideItNeverInTheBytesAfterIt()
    {
        // A 64-byte message at the very end of its buffer, followed by 8 sentinel bytes: the view
        // must neither read nor write past byte 16 + 64.
        final UnsafeBuffer log = new UnsafeBuffer(new byte[16 + 64 + 8]);
        for (int n = 0; n < 8; n++)
        {
            log.putLong(16 + n * 8, 0x100 + n, java.nio.ByteOrder.LITTLE_ENDIAN);
        }
        log.putLong(16 + 64, 0x7777_7777_7777_7777L);
        final RegisterFile view = new RegisterFile().wrap(log, 16, 64);
        assertEquals(8, view.registerCount());
        for (int n = 0; n < 8; n++)
        {
            assertEquals(0x100 + n, view.x(n));
        }
        assertTrue(view.isZero(8, 17), "registers past the message read as zero");
        assertThrows(IndexOutOfBoundsException.class, () -> view.x(18));
        assertThrows(IndexOutOfBoundsException.class, () -> view.x(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> view.x(18, 1));

        view.x(9, 0x55);
        assertEquals(0x55, view.x(9));
        assertFalse(view.isZero(8, 17));
        assertTrue(view.isZero(10, 17));
        assertEquals(0x7777_7777_7777_7777L, log.getLong(16 + 64), "x9 lives beside the message");

        final RegisterFile copy = new RegisterFile();
        copy.x(12, -1L);
        view.x(3, 33);
        copy.copyFrom(view);
        assertEquals(33, copy.x(3));
        assertEquals(0x55, copy.x(9), "a copy carries all eighteen registers");
        assertEquals(0, copy.x(12));
        final UnsafeBuffer out = new UnsafeBuffer(new byte[144]);
        out.setMemory(0, 144, (byte)0x55);
        view.copyTo(out, 0);
        assertEquals(33, out.getLong(24, java.nio.ByteOrder.LITTLE_ENDIAN));
        assertEquals(0x55, out.getLong(72, java.nio.ByteOrder.LITTLE_ENDIAN));
        assertEquals(0, out.getLong(136, java.nio.ByteOrder.LITTLE_ENDIAN));

        view.clear();
        assertTrue(view.isZero(0, 17));
        assertEquals(0x7777_7777_7777_7777L, log.getLong(16 + 64));
        view.x(9, 0x55);
        view.wrap(log, 16, 64);
        assertEquals(0, view.x(9), "wrapping a message starts its registers past it at zero");

        assertThrows(IllegalArgumentException.class, () -> new RegisterFile().wrap(log, 0, 12));
        assertThrows(IndexOutOfBoundsException.class, () -> new RegisterFile().wrap(log, 32, 64));
        assertEquals(18, new RegisterFile().wrap(new UnsafeBuffer(new byte[144]), 0).registerCount());
    }

    @Test
    void copyIntoAViewOfAShortMessageKeepsTheRegistersPastIt()
    {
        // The registers past a view's message "take writes" and live beside it: a copy of all
        // eighteen (x4..x17 carry a DIRECT_REQ2 payload) must not lose x8..x17 on the way.
        final RegisterFile full = new RegisterFile();
        for (int n = 0; n < RegisterFile.REGISTER_COUNT; n++)
        {
            full.x(n, 0x100 + n);
        }
        final UnsafeBuffer log = new UnsafeBuffer(new byte[64 + 8]);
        log.putLong(64, 0x7777_7777_7777_7777L);
        final RegisterFile view = new RegisterFile().wrap(log, 0, 64);
        view.copyFrom(full);
        for (int n = 0; n < RegisterFile.REGISTER_COUNT; n++)
        {
            assertEquals(0x100 + n, view.x(n), "x" + n);
        }
        assertEquals(0x7777_7777_7777_7777L, log.getLong(64), "x8 lives beside the message, not after it");

        final UnsafeBuffer raw = new UnsafeBuffer(new byte[RegisterFile.LENGTH]);
        full.copyTo(raw, 0);
        view.wrap(log, 0, 64).copyFrom(raw, 0, RegisterFile.LENGTH);
        assertEquals(0x111, view.x(17));
        view.copyFrom(raw, 0, 64);
        assertTrue(view.isZero(8, 17), "a message of x0..x7 leaves the rest zero");
    }

    @Test
    void uuidWordsForPartitionInfoGet()
    {
        final RegisterFile registers = new RegisterFile().uuidWords(1, UUID_EXAMPLE);
        assertEquals(0xa4a3a2a1, registers.w(1));
        assertEquals(0xc2c1b2b1, registers.w(2));
        assertEquals(0xd4d3d2d1, registers.w(3));
        assertEquals(0xd8d7d6d5, registers.w(4));
        // Zero-extended into x, as SMC32 requires.
        assertEquals(0x0000_0000_a4a3a2a1L, registers.x(1));
        assertEquals(UUID_EXAMPLE, registers.uuidFromWords(1));
    }

    @Test
    void uuidPairForDirectReq2AndInfoGetRegs()
    {
        final RegisterFile registers = new RegisterFile().uuidPair(2, UUID_EXAMPLE);
        assertEquals(0xc2c1b2b1a4a3a2a1L, registers.x(2));
        assertEquals(0xd8d7d6d5d4d3d2d1L, registers.x(3));
        assertEquals(UUID_EXAMPLE, registers.uuidFromPair(2));
        // The register bytes in memory are the UUID's bytes in textual order.
        final byte[] raw = new byte[RegisterFile.LENGTH];
        registers.copyTo(new UnsafeBuffer(raw), 0);
        assertEquals("a1 a2 a3 a4 b1 b2 c1 c2 d1 d2 d3 d4 d5 d6 d7 d8", Hex.text(raw, 16, 16));
    }

    @Test
    void notificationBitmapPairs()
    {
        final long bitmap = NotificationBitmap.bit(0) | NotificationBitmap.bit(33) | NotificationBitmap.bit(63);
        assertEquals(0x8000_0002_0000_0001L, bitmap);
        final RegisterFile registers = NotificationBitmap.put(new RegisterFile(), 3, bitmap);
        assertEquals(0x0000_0001, registers.w(3));
        assertEquals(0x8000_0002, registers.w(4));
        assertEquals(0x8000_0002L, registers.x(4));
        assertEquals(bitmap, NotificationBitmap.get(registers, 3));
        assertEquals(0, NotificationBitmap.bit(64));
        assertEquals(0, NotificationBitmap.bit(-1));
        assertEquals(0x0005_0003, NotificationBitmap.setFlags(true, true, 5));
        assertEquals(5, NotificationBitmap.setFlagsVcpu(0x0005_0003));
    }

    @Test
    void notificationInfoGet64Golden()
    {
        final RegisterFile registers = new RegisterFile();
        final NotificationInfoList list = new NotificationInfoList().wrap(registers, true);
        assertTrue(list.add(0x8001));
        assertTrue(list.add(0x8002, 2, 0, 1, 0));
        assertTrue(list.add(0x0003, 1, 2, 0, 0));
        assertEquals(FunctionId.FFA_SUCCESS_64, registers.functionId());
        // x2: 3 lists at [11:7] = 0x180; list 1 holds 2 vCPUs at [15:14]; list 2 holds 1 at [17:16].
        assertEquals(0x18180L, registers.x(2));
        assertEquals(0x0001_0000_8002_8001L, registers.x(3));
        assertEquals(0x0000_0000_0002_0003L, registers.x(4));
        assertEquals(0, registers.x(5));

        final List<String> lists = new ArrayList<>();
        assertEquals(3, NotificationInfoList.decode(registers,
            (id, n, v0, v1, v2) -> lists.add(EndpointId.toString(id) + ":" + n + ":" + v0 + "," + v1 + "," + v2)));
        assertEquals(List.of("0x8001:0:0,0,0", "0x8002:2:0,1,0", "0x0003:1:2,0,0"), lists);
    }

    @Test
    void notificationInfoGet32GoldenAndCapacity()
    {
        final RegisterFile registers = new RegisterFile();
        final NotificationInfoList list = new NotificationInfoList().wrap(registers, false);
        assertTrue(list.add(0x8001));
        assertTrue(list.add(0x8002, 2, 0, 1, 0));
        assertTrue(list.add(0x0003, 1, 2, 0, 0));
        assertEquals(FunctionId.FFA_SUCCESS_32, registers.functionId());
        assertEquals(0x18180, registers.w(2));
        assertEquals(0x8002_8001, registers.w(3));
        assertEquals(0x0001_0000, registers.w(4));
        assertEquals(0x0002_0003, registers.w(5));
        assertEquals(0, registers.x(3) >>> 32);

        // 6 IDs used; 4 more fit (one list of 1 + 3), then nothing.
        assertTrue(list.add(0x0004, 3, 7, 8, 9));
        assertEquals(10, list.idCount());
        assertFalse(list.add(0x0005));
        assertEquals(4, list.listCount());
        list.morePending(true);
        assertTrue(NotificationInfoList.morePending(registers.x(2)));
        assertEquals(0x0007_0004, registers.w(6));
        assertEquals(0x0009_0008, registers.w(7));
        assertEquals(4, NotificationInfoList.decode(registers, (id, n, v0, v1, v2) -> { }));
        assertFalse(list.add(0x0006, 4, 0, 0, 0));
    }

    @Test
    void notificationInfoGet64HoldsTwentyIds()
    {
        final RegisterFile registers = new RegisterFile();
        final NotificationInfoList list = new NotificationInfoList().wrap(registers, true);
        for (int i = 0; i < 5; i++)
        {
            assertTrue(list.add(i + 1, 3, 0, 1, 2));
        }
        assertFalse(list.add(9));
        assertEquals(20, list.idCount());
        assertEquals(5, NotificationInfoList.listCount(registers.x(2)));
        for (int k = 0; k < 5; k++)
        {
            assertEquals(3, NotificationInfoList.listSize(registers.x(2), k));
        }
        assertEquals(0x0002_0001_0000_0005L, registers.x(7));
    }

    @Test
    void notificationInfoDecodeRejectsMalformed()
    {
        final RegisterFile registers = new RegisterFile().success64();
        for (int bit = 1; bit <= 6; bit++)
        {
            registers.x(2, 1L << bit);                      // reserved bits [6:1], each on its own
            assertEquals(ErrorCode.INVALID_PARAMETERS, NotificationInfoList.decode(registers, (a, b, c, d, e) -> { }));
        }
        registers.x(2, (1L << 7) | (3L << 14));             // a size for list 1 beyond 1 list
        assertEquals(ErrorCode.INVALID_PARAMETERS, NotificationInfoList.decode(registers, (a, b, c, d, e) -> { }));
        registers.x(2, 31L << 7);                           // 31 lists > 20 IDs
        assertEquals(ErrorCode.INVALID_PARAMETERS, NotificationInfoList.decode(registers, (a, b, c, d, e) -> { }));
        registers.x(2, -1L);
        assertEquals(ErrorCode.INVALID_PARAMETERS, NotificationInfoList.decode(registers, (a, b, c, d, e) -> { }));
        registers.success();
        registers.w(2, (11 << 7));                          // 11 lists > 10 IDs for SMC32
        assertEquals(ErrorCode.INVALID_PARAMETERS, NotificationInfoList.decode(registers, (a, b, c, d, e) -> { }));
    }

    @Test
    void partitionInfoGetRegsGolden()
    {
        final RegisterFile registers = new RegisterFile();
        PartitionInfoRegs.reply(registers, 6, 1, 0x1234);
        PartitionInfoRegs.putDescriptor(registers, 0, 0x8001, 4, 0x701,
            FfaUuid.lo(UUID_EXAMPLE.getMostSignificantBits()), FfaUuid.hi(UUID_EXAMPLE.getLeastSignificantBits()));
        PartitionInfoRegs.putDescriptor(registers, 1, 0x8002, 1, 0x3, 0, 0);
        assertEquals(FunctionId.FFA_SUCCESS_64, registers.functionId());
        // x2: last 6 [15:0], current 1 [31:16], tag 0x1234 [47:32], size 24 [63:48].
        assertEquals(0x0018_1234_0001_0006L, registers.x(2));
        assertEquals(0x0000_0701_0004_8001L, registers.x(3));
        assertEquals(0xc2c1b2b1a4a3a2a1L, registers.x(4));
        assertEquals(0xd8d7d6d5d4d3d2d1L, registers.x(5));
        assertEquals(0x0000_0003_0001_8002L, registers.x(6));
        assertEquals(0, registers.x(7));
        assertEquals(0, registers.x(8));
        assertEquals(17, PartitionInfoRegs.register(4, 2));

        final long x2 = registers.x(2);
        assertEquals(6, PartitionInfoRegs.lastIndex(x2));
        assertEquals(1, PartitionInfoRegs.currentIndex(x2));
        assertEquals(0x1234, PartitionInfoRegs.tag(x2));
        assertEquals(24, PartitionInfoRegs.descriptorSize(x2));
        assertEquals(2, PartitionInfoRegs.descriptorsInReply(x2, 0));
        assertEquals(0, PartitionInfoRegs.descriptorsInReply(x2, 2));
        assertEquals(0, PartitionInfoRegs.descriptorsInReply(PartitionInfoRegs.x2(9, 5, 0, 24), 0)); // 6 > 5 per call
        assertEquals(0x8002, PartitionInfoRegs.partitionId(registers, 1));
        assertEquals(4, PartitionInfoRegs.executionContextCount(registers, 0));
        assertEquals(0x701, PartitionInfoRegs.properties(registers, 0));

        final byte[] bytes = new byte[24];
        PartitionInfoRegs.copyTo(registers, 0,
            new PartitionInfoDescriptor().wrap(new UnsafeBuffer(bytes), 0, FfaVersion.V1_2));
        assertArrayEquals(Hex.bytes("01 80 04 00 01 07 00 00 a1 a2 a3 a4 b1 b2 c1 c2 d1 d2 d3 d4 d5 d6 d7 d8"), bytes);
    }

    @Test
    void partitionInfoGetRegsRequest()
    {
        assertEquals(0x0000_0000_0007_0003L, PartitionInfoRegs.request(3, 7));
        assertEquals(3, PartitionInfoRegs.startIndex(0x0007_0003L));
        assertEquals(7, PartitionInfoRegs.requestTag(0x0007_0003L));
        assertTrue(PartitionInfoRegs.isValidRequest(0xFFFF_FFFFL));
        assertFalse(PartitionInfoRegs.isValidRequest(1L << 32));
    }
}
