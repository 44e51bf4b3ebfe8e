package org.ffafabric.abi.descriptor;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.ffafabric.abi.descriptor.MemoryTransactionFlags.TYPE_DONATE;
import static org.ffafabric.abi.descriptor.MemoryTransactionFlags.TYPE_LEND;
import static org.ffafabric.abi.descriptor.MemoryTransactionFlags.TYPE_SHARE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden vectors written from the reference's tables (§5.2, §5.3, §5.7), not from the code:
 * a SHARE from 0x0001 to 0x8001 (RW) and 0x8002 (RO) of three ranges (1 + 2 + 3 pages),
 * Normal WB inner-shareable, tag 0x1122334455667788.
 */
class MemoryTransactionDescriptorTest
{
    static final int INVALID = ErrorCode.INVALID_PARAMETERS;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** v1.1: 48-byte header, EMADs at 48 (16 B each), composite at 80, constituents at 96. */
    static final String V1_1 =
        // 0: sender 0x0001, attributes u16 0x002f, flags 0, handle 0
        "01 00 2f 00 00 00 00 00  00 00 00 00 00 00 00 00" +
        // 16: tag, EMAD size 16, EMAD count 2
        "88 77 66 55 44 33 22 11  10 00 00 00 02 00 00 00" +
        // 32: EMAD offset 48, 12 reserved bytes
        "30 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00" +
        // 48: EMAD 0: receiver 0x8001, RW, flags 0, composite @80, reserved
        "01 80 02 00 50 00 00 00  00 00 00 00 00 00 00 00" +
        // 64: EMAD 1: receiver 0x8002, RO
        "02 80 01 00 50 00 00 00  00 00 00 00 00 00 00 00" +
        // 80: composite: 6 pages, 3 constituents, reserved
        "06 00 00 00 03 00 00 00  00 00 00 00 00 00 00 00" +
        // 96: 0x40000000 x1, 0x40100000 x2, 0x100000000 x3
        "00 00 00 40 00 00 00 00  01 00 00 00 00 00 00 00" +
        "00 00 10 40 00 00 00 00  02 00 00 00 00 00 00 00" +
        "00 00 00 00 01 00 00 00  03 00 00 00 00 00 00 00";

    /** v1.0: 32-byte header (8-bit attributes, reserved byte, reserved word at 24), EMADs at 32. */
    static final String V1_0 =
        "01 00 2f 00 00 00 00 00  00 00 00 00 00 00 00 00" +
        "88 77 66 55 44 33 22 11  00 00 00 00 02 00 00 00" +
        "01 80 02 00 40 00 00 00  00 00 00 00 00 00 00 00" +
        "02 80 01 00 40 00 00 00  00 00 00 00 00 00 00 00" +
        "06 00 00 00 03 00 00 00  00 00 00 00 00 00 00 00" +
        "00 00 00 40 00 00 00 00  01 00 00 00 00 00 00 00" +
        "00 00 10 40 00 00 00 00  02 00 00 00 00 00 00 00" +
        "00 00 00 00 01 00 00 00  03 00 00 00 00 00 00 00";

    /** v1.2: EMAD size 32 with a 16-byte impdef at 8; composite at 48 + 64 = 112. */
    static final String V1_2 =
        "01 00 2f 00 00 00 00 00  00 00 00 00 00 00 00 00" +
        "88 77 66 55 44 33 22 11  20 00 00 00 02 00 00 00" +
        "30 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00" +
        // 48: EMAD 0, impdef lo 0x0807060504030201, hi 0x100f0e0d0c0b0a09
        "01 80 02 00 70 00 00 00  01 02 03 04 05 06 07 08" +
        "09 0a 0b 0c 0d 0e 0f 10  00 00 00 00 00 00 00 00" +
        // 80: EMAD 1, impdef zero
        "02 80 01 00 70 00 00 00  00 00 00 00 00 00 00 00" +
        "00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00" +
        // 112: composite
        "06 00 00 00 03 00 00 00  00 00 00 00 00 00 00 00" +
        "00 00 00 40 00 00 00 00  01 00 00 00 00 00 00 00" +
        "00 00 10 40 00 00 00 00  02 00 00 00 00 00 00 00" +
        "00 00 00 00 01 00 00 00  03 00 00 00 00 00 00 00";

    /** Encodes the example with the flyweights, laid out the usual way. */
    static byte[] encode(final int version)
    {
        final int emadCount = 2;
        final int length = (int)MemoryTransactionDescriptor.length(version, emadCount, 3);
        final byte[] bytes = new byte[length];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor().wrap(buffer, 0, length, version);
        mtd.initHeader()
            .senderId(0x0001)
            .attributes(MemoryRegionAttributes.NORMAL_WB_INNER_SHAREABLE)
            .flags(0)
            .handle(0)
            .tag(0x1122334455667788L)
            .emadCount(emadCount);
        final int compositeOffset = MemoryTransactionDescriptor.compositeOffset(version, emadCount);
        final EndpointMemoryAccessDescriptor emad = new EndpointMemoryAccessDescriptor();
        mtd.emad(0, emad).clear().receiverId(0x8001).permissions(MemoryAccessPermissions.RW).compositeOffset(compositeOffset)
            .impdef(0x0807060504030201L, 0x100f0e0d0c0b0a09L);
        mtd.emad(1, emad).clear().receiverId(0x8002).permissions(MemoryAccessPermissions.RO).compositeOffset(compositeOffset);
        final CompositeMemoryRegionDescriptor composite = mtd.composite(new CompositeMemoryRegionDescriptor());
        composite.totalPageCount(6).constituentCount(3).clearReserved();
        final ConstituentDescriptor constituent = new ConstituentDescriptor();
        composite.constituent(0, constituent).set(0x4000_0000L, 1);
        composite.constituent(1, constituent).set(0x4010_0000L, 2);
        composite.constituent(2, constituent).set(0x1_0000_0000L, 3);
        return bytes;
    }

    @Test
    void v1_1GoldenBytes()
    {
        final byte[] expected = Hex.bytes(V1_1);
        assertEquals(144, expected.length);
        assertArrayEquals(expected, encode(FfaVersion.V1_1), () -> Hex.text(encode(FfaVersion.V1_1), 0, 144));
        // Spot checks at the offsets the table gives, independent of the whole-array compare.
        assertEquals(0x10, expected[24]);
        assertEquals(0x02, expected[28]);
        assertEquals(0x30, expected[32]);
        assertEquals((byte)0x80, expected[49]);
        assertEquals(0x50, expected[52]);
        assertEquals(0x03, expected[84]);
        assertEquals(0x40, expected[99]);
    }

    @Test
    void v1_0GoldenBytes()
    {
        final byte[] expected = Hex.bytes(V1_0);
        assertEquals(128, expected.length);
        assertArrayEquals(expected, encode(FfaVersion.V1_0), () -> Hex.text(encode(FfaVersion.V1_0), 0, 128));
    }

    @Test
    void v1_2GoldenBytes()
    {
        final byte[] expected = Hex.bytes(V1_2);
        assertEquals(176, expected.length);
        assertArrayEquals(expected, encode(FfaVersion.V1_2), () -> Hex.text(encode(FfaVersion.V1_2), 0, 176));
    }

    @Test
    void decodesV1_1GoldenBytes()
    {
        final byte[] bytes = Hex.bytes(V1_1);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor()
            .wrap(new UnsafeBuffer(bytes), 0, bytes.length, FfaVersion.V1_1);
        assertEquals(0, mtd.validate());
        assertEquals(0, mtd.validateSend(TYPE_SHARE));
        assertEquals(1, mtd.senderId());
        assertEquals(0x2F, mtd.attributes());
        assertEquals(0x1122334455667788L, mtd.tag());
        assertEquals(16, mtd.emadSize());
        assertEquals(2, mtd.emadCount());
        assertEquals(48, mtd.emadArrayOffset());
        assertEquals(48, mtd.emadOffset(0));
        assertEquals(64, mtd.emadOffset(1));
        assertEquals(FfaVersion.V1_1, mtd.descriptorVersion());
        assertEquals(144, mtd.encodedLength());
        final EndpointMemoryAccessDescriptor emad = mtd.emad(1, new EndpointMemoryAccessDescriptor());
        assertEquals(0x8002, emad.receiverId());
        assertEquals(MemoryAccessPermissions.RO, emad.permissions());
        assertEquals(80, emad.compositeOffset());
        final CompositeMemoryRegionDescriptor composite = mtd.composite(new CompositeMemoryRegionDescriptor());
        assertEquals(6, composite.totalPageCount());
        assertEquals(3, composite.constituentCount());
        assertEquals(0, composite.validate());
        final ConstituentDescriptor constituent = composite.constituent(2, new ConstituentDescriptor());
        assertEquals(0x1_0000_0000L, constituent.address());
        assertEquals(3, constituent.pageCount());
    }

    @Test
    void decodesV1_0AndV1_2GoldenBytes()
    {
        final byte[] v10 = Hex.bytes(V1_0);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor()
            .wrap(new UnsafeBuffer(v10), 0, v10.length, FfaVersion.V1_0);
        assertEquals(0, mtd.validateSend(TYPE_SHARE));
        assertEquals(32, mtd.emadOffset(0));
        assertEquals(64, mtd.firstCompositeOffset());

        final byte[] v12 = Hex.bytes(V1_2);
        mtd.wrap(new UnsafeBuffer(v12), 0, v12.length, FfaVersion.V1_2);
        assertEquals(0, mtd.validateSend(TYPE_SHARE));
        assertEquals(FfaVersion.V1_2, mtd.descriptorVersion());
        assertEquals(80, mtd.emadOffset(1));
        final EndpointMemoryAccessDescriptor emad = mtd.emad(0, new EndpointMemoryAccessDescriptor());
        assertEquals(32, emad.encodedLength());
        assertEquals(0x0807060504030201L, emad.impdefLo());
        assertEquals(0x100f0e0d0c0b0a09L, emad.impdefHi());
    }

    @Test
    void v1_2CallerMaySendV1_1Emads()
    {
        // Hafnium derives the descriptor version from the EMAD size: 16 is v1.1, compatible with a v1.2 caller.
        final byte[] bytes = Hex.bytes(V1_1);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor()
            .wrap(new UnsafeBuffer(bytes), 0, bytes.length, FfaVersion.V1_2);
        assertEquals(0, mtd.validate());
        assertEquals(FfaVersion.V1_1, mtd.descriptorVersion());
        // A v1.1 caller may not send v1.2 EMADs.
        final byte[] v12 = Hex.bytes(V1_2);
        assertEquals(INVALID, mtd.wrap(new UnsafeBuffer(v12), 0, v12.length, FfaVersion.V1_1).validate());
    }

    @Test
    void validatesInsideALargerBufferAtAnOffset()
    {
        final byte[] golden = Hex.bytes(V1_1);
        final byte[] big = new byte[golden.length + 64];
        Arrays.fill(big, (byte)0xA5);
        System.arraycopy(golden, 0, big, 32, golden.length);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor();
        assertEquals(0, mtd.wrap(new UnsafeBuffer(big), 32, golden.length, FfaVersion.V1_1).validate());
        assertEquals(INVALID, mtd.wrap(new UnsafeBuffer(big), 32, golden.length + 16, FfaVersion.V1_1).validate());
        assertEquals(INVALID, mtd.wrap(new UnsafeBuffer(big), 100, golden.length, FfaVersion.V1_1).validate());
        assertEquals(INVALID, mtd.wrap(new UnsafeBuffer(big), -1, golden.length, FfaVersion.V1_1).validate());
        assertEquals(ErrorCode.NOT_SUPPORTED,
            mtd.wrap(new UnsafeBuffer(big), 32, golden.length, 0x0002_0000).validate());
    }

    @Test
    void rendersFieldByField()
    {
        final byte[] bytes = Hex.bytes(V1_1);
        final String text = new MemoryTransactionDescriptor()
            .wrap(new UnsafeBuffer(bytes), 0, bytes.length, FfaVersion.V1_1).toString();
        assertTrue(text.contains("sender=0x0001"), text);
        assertTrue(text.contains("attributes=normal,write-back,inner-shareable"), text);
        assertTrue(text.contains("receiver=0x8002 permissions=ro,instr-unspecified"), text);
        assertTrue(text.contains("Constituent{address=0x100000000 pages=3}"), text);
        // Truncated input renders without throwing.
        final String truncated = new MemoryTransactionDescriptor()
            .wrap(new UnsafeBuffer(bytes), 0, 70, FfaVersion.V1_1).toString();
        assertTrue(truncated.contains("outside the length"), truncated);
    }

    static Stream<Arguments> mutations()
    {
        return Stream.of(
            m("header cut short", 47, b -> { }, INVALID),
            m("reserved byte 40 set", 0, b -> b.putByte(40, (byte)1), INVALID),
            m("reserved word 36 set", 0, b -> b.putInt(36, 1, LE), INVALID),
            m("attributes reserved bit 7", 0, b -> b.putShort(2, (short)0xAF, LE), INVALID),
            m("attributes high byte", 0, b -> b.putShort(2, (short)0x012F, LE), INVALID),
            m("attributes type reserved", 0, b -> b.putShort(2, (short)0x3F, LE), INVALID),
            m("attributes shareability reserved", 0, b -> b.putShort(2, (short)0x2D, LE), INVALID),
            m("flags bit 11", 0, b -> b.putInt(4, 1 << 11, LE), INVALID),
            m("EMAD size 32 for v1.1", 0, b -> b.putInt(24, 32, LE), INVALID),
            m("EMAD size 17", 0, b -> b.putInt(24, 17, LE), INVALID),
            m("EMAD size 0", 0, b -> b.putInt(24, 0, LE), INVALID),
            m("EMAD size 0xFFFFFFFF", 0, b -> b.putInt(24, -1, LE), INVALID),
            m("EMAD offset 32", 0, b -> b.putInt(32, 32, LE), INVALID),
            m("EMAD offset 56 unaligned", 0, b -> b.putInt(32, 56, LE), INVALID),
            m("EMAD offset 0x7FFFFFF0", 0, b -> b.putInt(32, 0x7FFF_FFF0, LE), INVALID),
            m("EMAD offset 0xFFFFFFF0", 0, b -> b.putInt(32, 0xFFFF_FFF0, LE), INVALID),
            m("EMAD count 0", 0, b -> b.putInt(28, 0, LE), INVALID),
            m("EMAD count 0x7FFFFFFF", 0, b -> b.putInt(28, 0x7FFF_FFFF, LE), INVALID),
            m("EMAD count 0xFFFFFFFF", 0, b -> b.putInt(28, -1, LE), INVALID),
            m("EMAD count 3 overruns composite", 0, b -> b.putInt(28, 3, LE), INVALID),
            m("EMAD permissions reserved data value", 0, b -> b.putByte(50, (byte)3), INVALID),
            m("EMAD permissions reserved bits", 0, b -> b.putByte(50, (byte)0x12), INVALID),
            m("EMAD flags bit 1", 0, b -> b.putByte(51, (byte)2), INVALID),
            m("EMAD reserved", 0, b -> b.putByte(63, (byte)1), INVALID),
            m("EMADs disagree on composite", 0, b -> b.putInt(68, 96, LE), INVALID),
            m("composite inside EMAD array", 0, b -> { b.putInt(52, 64, LE); b.putInt(68, 64, LE); }, INVALID),
            m("composite unaligned", 0, b -> { b.putInt(52, 88, LE); b.putInt(68, 88, LE); }, INVALID),
            m("composite near INT_MAX", 0, b -> { b.putInt(52, 0x7FFF_FFF0, LE); b.putInt(68, 0x7FFF_FFF0, LE); }, INVALID),
            m("composite at 0xFFFFFFF0", 0, b -> { b.putInt(52, 0xFFFF_FFF0, LE); b.putInt(68, 0xFFFF_FFF0, LE); }, INVALID),
            m("composite reserved", 0, b -> b.putByte(88, (byte)1), INVALID),
            m("constituent count 0", 0, b -> b.putInt(84, 0, LE), INVALID),
            m("constituent count 2 (length mismatch)", 0, b -> { b.putInt(84, 2, LE); b.putInt(80, 3, LE); }, INVALID),
            m("constituent count 4", 0, b -> b.putInt(84, 4, LE), INVALID),
            m("constituent count 0x7FFFFFFF", 0, b -> b.putInt(84, 0x7FFF_FFFF, LE), INVALID),
            m("constituent count 0xFFFFFFFF", 0, b -> b.putInt(84, -1, LE), INVALID),
            m("total pages 7", 0, b -> b.putInt(80, 7, LE), INVALID),
            m("page sum wraps 32 bits", 0, b ->
            {
                b.putLong(96, 0L, LE);
                b.putInt(104, -1, LE);
                b.putLong(112, 1L << 44, LE);
                b.putInt(120, -1, LE);
                b.putLong(128, 2L << 44, LE);
                b.putInt(136, 2, LE);
                b.putInt(80, 0, LE);
            }, INVALID),
            m("constituent unaligned", 0, b -> b.putLong(96, 0x4000_0800L, LE), INVALID),
            m("constituent reserved", 0, b -> b.putInt(108, 1, LE), INVALID),
            m("constituents overlap", 0, b -> b.putLong(112, 0x4000_0000L, LE), INVALID),
            m("constituent wraps 2^64", 0, b -> b.putLong(128, 0xFFFF_FFFF_FFFF_F000L, LE), INVALID),
            m("trailing bytes", 160, b -> { }, INVALID),
            m("last constituent cut", 136, b -> { }, INVALID));
    }

    static Arguments m(final String name, final int length, final Consumer<UnsafeBuffer> mutation, final int expected)
    {
        return Arguments.of(name, length, mutation, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mutations")
    void rejectsMalformedV1_1(final String name, final int length, final Consumer<UnsafeBuffer> mutation, final int expected)
    {
        final byte[] golden = Hex.bytes(V1_1);
        final UnsafeBuffer buffer = new UnsafeBuffer(Arrays.copyOf(golden, Math.max(golden.length, length)));
        mutation.accept(buffer);
        final int windowLength = length == 0 ? golden.length : length;
        // An exact-size buffer: any read past the window throws, which validate() must never do.
        final UnsafeBuffer exact = new UnsafeBuffer(Arrays.copyOf(buffer.byteArray(), windowLength));
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor().wrap(exact, 0, windowLength, FfaVersion.V1_1);
        assertEquals(expected, mtd.validate(), name);
        assertEquals(expected, mtd.validateSend(TYPE_SHARE), name);
    }

    @Test
    void v1_0ReservedFields()
    {
        final byte[] golden = Hex.bytes(V1_0);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor();
        final UnsafeBuffer buffer = new UnsafeBuffer(golden.clone());
        buffer.putByte(3, (byte)1);
        assertEquals(INVALID, mtd.wrap(buffer, 0, golden.length, FfaVersion.V1_0).validate());
        buffer.putByte(3, (byte)0);
        buffer.putInt(24, 16, LE);
        assertEquals(INVALID, mtd.validate());
        buffer.putInt(24, 0, LE);
        buffer.putByte(2, (byte)0x6F); // bit 6 is reserved in the 8-bit form
        assertEquals(INVALID, mtd.validate());
    }

    static Stream<Arguments> sendRules()
    {
        return Stream.of(
            s("golden share", TYPE_SHARE, b -> { }, 0),
            s("bad type", 0, b -> { }, INVALID),
            s("handle set", TYPE_SHARE, b -> b.putLong(8, 5, LE), INVALID),
            s("zero flag on share", TYPE_SHARE, b -> b.putInt(4, 1, LE), INVALID),
            s("zero flag on lend", TYPE_LEND, b -> b.putInt(4, 1, LE), 0),
            s("time slice", TYPE_LEND, b -> b.putInt(4, 2, LE), INVALID),
            s("type flags on send", TYPE_SHARE, b -> b.putInt(4, 1 << 3, LE), INVALID),
            s("NS bit", TYPE_SHARE, b -> b.putShort(2, (short)0x6F, LE), INVALID),
            s("donate to two", TYPE_DONATE, b -> { b.putShort(2, (short)0, LE); b.putByte(50, (byte)0); b.putByte(66, (byte)0); },
                INVALID),
            s("receiver is sender", TYPE_SHARE, b -> b.putShort(64, (short)1, LE), INVALID),
            s("duplicate receiver", TYPE_SHARE, b -> b.putShort(64, (short)0x8001, LE), INVALID),
            s("data unspecified on share", TYPE_SHARE, b -> b.putByte(66, (byte)0), INVALID),
            s("instruction access on share", TYPE_SHARE, b -> b.putByte(66, (byte)0x05), INVALID),
            s("share non-cacheable", TYPE_SHARE, b -> b.putShort(2, (short)0x27, LE), ErrorCode.DENIED),
            s("share outer shareable", TYPE_SHARE, b -> b.putShort(2, (short)0x2E, LE), ErrorCode.DENIED),
            s("instruction access on multi-lend", TYPE_LEND, b -> b.putByte(50, (byte)0x06), INVALID),
            // Hafnium's ffa_memory_attributes_validate (src/ffa_memory.c): for SHARE and multi-borrower
            // LEND, Normal must be write-back, Device nGnRnE, and every type inner shareable, else DENIED.
            s("share device nGnRnE inner shareable", TYPE_SHARE, b -> b.putShort(2, (short)0x13, LE), 0),
            s("share device nGnRnE non-shareable", TYPE_SHARE, b -> b.putShort(2, (short)0x10, LE), ErrorCode.DENIED),
            s("share device GRE", TYPE_SHARE, b -> b.putShort(2, (short)0x1F, LE), ErrorCode.DENIED),
            s("multi-lend device", TYPE_LEND, b -> b.putShort(2, (short)0x13, LE), ErrorCode.DENIED),
            s("multi-lend normal", TYPE_LEND, b -> { }, 0),
            s("share type unspecified", TYPE_SHARE, b -> b.putShort(2, (short)0, LE), ErrorCode.DENIED),
            s("share type unspecified inner shareable", TYPE_SHARE, b -> b.putShort(2, (short)0x03, LE), 0));
    }

    static Arguments s(final String name, final int type, final Consumer<UnsafeBuffer> mutation, final int expected)
    {
        return Arguments.of(name, type, mutation, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sendRules")
    void sendRulesV1_1(final String name, final int type, final Consumer<UnsafeBuffer> mutation, final int expected)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(Hex.bytes(V1_1));
        mutation.accept(buffer);
        assertEquals(expected, new MemoryTransactionDescriptor()
            .wrap(buffer, 0, buffer.capacity(), FfaVersion.V1_1).validateSend(type), name);
    }

    @Test
    void singleBorrowerLendAndDonate()
    {
        // One EMAD: composite at 64, 1 constituent, total 96 bytes.
        final String oneBorrower =
            "01 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00" +
            "00 00 00 00 00 00 00 00  10 00 00 00 01 00 00 00" +
            "30 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00" +
            "01 80 06 00 40 00 00 00  00 00 00 00 00 00 00 00" +
            "04 00 00 00 01 00 00 00  00 00 00 00 00 00 00 00" +
            "00 00 20 80 00 00 00 00  04 00 00 00 00 00 00 00";
        final UnsafeBuffer buffer = new UnsafeBuffer(Hex.bytes(oneBorrower));
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor().wrap(buffer, 0, 96, FfaVersion.V1_1);
        // Reference §6.5 "Send": instruction access specified by the sender is INVALID_PARAMETERS, for
        // every send (Hafnium's ffa_memory_send_validate); a single borrower names it when it retrieves.
        assertEquals(INVALID, mtd.validateSend(TYPE_LEND));   // RW + NX
        buffer.putByte(50, (byte)0x0A);                        // RW + X
        assertEquals(INVALID, mtd.validateSend(TYPE_LEND));
        buffer.putByte(50, (byte)0x04);                        // data unspecified + NX
        assertEquals(INVALID, mtd.validateSend(TYPE_DONATE));
        buffer.putByte(50, (byte)0x02);                        // RW, instruction access unspecified
        assertEquals(0, mtd.validateSend(TYPE_LEND));
        assertEquals(INVALID, mtd.validateSend(TYPE_DONATE)); // donate must leave data access unspecified
        buffer.putByte(50, (byte)0);
        assertEquals(0, mtd.validateSend(TYPE_DONATE));
        buffer.putShort(2, (short)0x2F, LE);                   // the type is not the sender's to name here
        assertEquals(INVALID, mtd.validateSend(TYPE_DONATE));
        buffer.putByte(50, (byte)2);
        assertEquals(INVALID, mtd.validateSend(TYPE_LEND));
    }

    @Test
    void retrieveRequestWithoutComposite()
    {
        // A retrieve request names the region by handle: EMAD composite offset 0, nothing after the EMADs.
        final String request =
            "01 00 2f 00 08 00 00 00  01 00 00 00 00 00 00 00" +
            "00 00 00 00 00 00 00 00  10 00 00 00 01 00 00 00" +
            "30 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00" +
            "01 80 02 00 00 00 00 00  00 00 00 00 00 00 00 00";
        final UnsafeBuffer buffer = new UnsafeBuffer(Hex.bytes(request));
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor().wrap(buffer, 0, 64, FfaVersion.V1_1);
        assertEquals(0, mtd.validate());
        assertEquals(TYPE_SHARE, MemoryTransactionFlags.transactionType(mtd.flags()));
        assertEquals(1, mtd.handle());
        assertEquals(INVALID, mtd.validateSend(TYPE_SHARE));
        assertEquals(64, mtd.encodedLength());
    }

    @Test
    void firstFragment()
    {
        // The v1.1 example split after the first constituent: 112 of 144 bytes.
        final UnsafeBuffer buffer = new UnsafeBuffer(Hex.bytes(V1_1));
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor();
        assertEquals(0, mtd.wrap(buffer, 0, 112, FfaVersion.V1_1).validateFirstFragment(144));
        assertEquals(0, mtd.wrap(buffer, 0, 96, FfaVersion.V1_1).validateFirstFragment(144));
        assertEquals(0, mtd.wrap(buffer, 0, 144, FfaVersion.V1_1).validateFirstFragment(144));
        // Total must match the constituent count; lengths are multiples of 16; fragment <= total.
        assertEquals(INVALID, mtd.wrap(buffer, 0, 112, FfaVersion.V1_1).validateFirstFragment(160));
        assertEquals(INVALID, mtd.wrap(buffer, 0, 104, FfaVersion.V1_1).validateFirstFragment(144));
        assertEquals(INVALID, mtd.wrap(buffer, 0, 144, FfaVersion.V1_1).validateFirstFragment(128));
        assertEquals(INVALID, mtd.wrap(buffer, 0, 112, FfaVersion.V1_1).validateFirstFragment(Long.MAX_VALUE));
        // The composite header must be in the first fragment.
        assertEquals(INVALID, mtd.wrap(buffer, 0, 80, FfaVersion.V1_1).validateFirstFragment(144));
        // Constituents in the fragment are still checked.
        buffer.putLong(96, 0x4000_0800L, LE);
        assertEquals(INVALID, mtd.wrap(buffer, 0, 112, FfaVersion.V1_1).validateFirstFragment(144));
        // The page sum is not (it needs every constituent): 7 is accepted in the first fragment only.
        buffer.putLong(96, 0x4000_0000L, LE);
        buffer.putInt(80, 7, LE);
        assertEquals(0, mtd.wrap(buffer, 0, 112, FfaVersion.V1_1).validateFirstFragment(144));
        assertEquals(INVALID, mtd.wrap(buffer, 0, 144, FfaVersion.V1_1).validate());
    }

    @Test
    void attributeEncodings()
    {
        assertEquals(0x2F, MemoryRegionAttributes.encode(MemoryRegionAttributes.TYPE_NORMAL, MemoryRegionAttributes.WRITE_BACK,
            MemoryRegionAttributes.INNER_SHAREABLE));
        assertEquals(0x2F, MemoryRegionAttributes.normal(MemoryRegionAttributes.WRITE_BACK, MemoryRegionAttributes.INNER_SHAREABLE));
        assertEquals(0x1C, MemoryRegionAttributes.device(MemoryRegionAttributes.DEVICE_GRE));
        assertEquals(0x40, MemoryRegionAttributes.NS_BIT);
        assertTrue(MemoryRegionAttributes.isValid(0x6F, FfaVersion.V1_1));
        assertEquals(false, MemoryRegionAttributes.isValid(0x6F, FfaVersion.V1_0));
        assertEquals(false, MemoryRegionAttributes.isValid(0x23, FfaVersion.V1_1)); // cacheability reserved
        assertEquals("normal,write-back,inner-shareable,ns", MemoryRegionAttributes.describe(0x6F));
        assertEquals("device,nGnRnE", MemoryRegionAttributes.describe(0x10));
        assertEquals(0x0E, MemoryAccessPermissions.encode(MemoryAccessPermissions.DATA_RW, MemoryAccessPermissions.INSTRUCTION_RESERVED));
        assertEquals(0x06, MemoryAccessPermissions.RW_NX);
        assertEquals(false, MemoryAccessPermissions.isValid(0x0E));
        assertEquals("rw,nx", MemoryAccessPermissions.describe(0x06));
        assertEquals(0x18, MemoryTransactionFlags.transactionType(0, MemoryTransactionFlags.TYPE_DONATE));
        assertEquals(TYPE_LEND, MemoryTransactionFlags.typeOfFunction(org.ffafabric.abi.FunctionId.FFA_MEM_LEND_64));
        assertEquals(-1, MemoryTransactionFlags.typeOfFunction(org.ffafabric.abi.FunctionId.FFA_MEM_RECLAIM));
        assertEquals("zero|type=lend|bypass-multi-borrower", MemoryTransactionFlags.describe(0x411));
        assertTrue(MemoryTransactionFlags.isValidForRetrieveRequest(0x7FF));
        assertEquals(false, MemoryTransactionFlags.isValidForRetrieveResponse(0x20));
        assertEquals(false, MemoryTransactionFlags.isValidForSend(4));
    }
}
