package org.ffafabric.abi.descriptor;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.Hex;
import org.ffafabric.abi.RegisterFile;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Golden vectors for relinquish (§5.8), indirect message header (§5.9), endpoint RX/TX (§5.10). */
class SmallDescriptorsTest
{
    static final int INVALID = ErrorCode.INVALID_PARAMETERS;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final UUID UUID_EXAMPLE = UUID.fromString("a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8");

    static final String RELINQUISH =
        // handle 0x0000000100000002, flags = zero after relinquish, 1 endpoint, 0x8001
        "02 00 00 00 01 00 00 00  01 00 00 00 01 00 00 00" +
        "01 80";

    @Test
    void relinquishGoldenBytes()
    {
        final byte[] bytes = new byte[18];
        new MemoryRelinquishDescriptor().wrap(new UnsafeBuffer(bytes), 0, 18)
            .handle(0x1_0000_0002L)
            .flags(MemoryRelinquishDescriptor.FLAG_ZERO_MEMORY)
            .endpointCount(1)
            .endpoint(0, 0x8001);
        assertArrayEquals(Hex.bytes(RELINQUISH), bytes);
        assertEquals(18, MemoryRelinquishDescriptor.length(1));
    }

    @Test
    void relinquishDecodeAndValidate()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(Hex.bytes(RELINQUISH));
        final MemoryRelinquishDescriptor relinquish = new MemoryRelinquishDescriptor().wrap(buffer, 0, 18);
        assertEquals(0, relinquish.validate());
        assertEquals(0x1_0000_0002L, relinquish.handle());
        assertEquals(1, relinquish.flags());
        assertEquals(1, relinquish.endpointCount());
        assertEquals(0x8001, relinquish.endpoint(0));
        assertEquals("MemoryRelinquish{handle=0x0000000100000002 flags=0x1 endpoints=[0x8001]}", relinquish.toString());

        assertEquals(INVALID, relinquish.wrap(buffer, 0, 17).validate());
        assertEquals(INVALID, relinquish.wrap(buffer, 0, 15).validate());
        relinquish.wrap(buffer, 0, 18);
        buffer.putInt(8, 4, LE);
        assertEquals(INVALID, relinquish.validate());
        buffer.putInt(8, 0, LE);
        buffer.putInt(12, 2, LE);
        assertEquals(INVALID, relinquish.validate());
        buffer.putInt(12, 0x7FFF_FFFF, LE);
        assertEquals(INVALID, relinquish.validate());
        buffer.putInt(12, -1, LE);
        assertEquals(INVALID, relinquish.validate());
        buffer.putInt(12, 0, LE);
        assertEquals(INVALID, relinquish.validate());
    }

    @Test
    void indirectHeaderV1_1GoldenBytes()
    {
        final byte[] bytes = new byte[20];
        new IndirectMessageHeader().wrap(new UnsafeBuffer(bytes), 0, 20, FfaVersion.V1_1)
            .clear()
            .payloadOffset(20)
            .receiverId(0x8002)
            .senderId(0x0001)
            .payloadSize(5)
            .uuid(UUID_EXAMPLE);
        assertArrayEquals(Hex.bytes(
            "00 00 00 00 00 00 00 00  14 00 00 00 02 80 01 00" +
            "05 00 00 00"), bytes);
        // The u32 at 12 is the ids word: sender [31:16], receiver [15:0].
        assertEquals(RegisterFile.packIds(0x0001, 0x8002), new UnsafeBuffer(bytes).getInt(12, LE));
    }

    @Test
    void indirectHeaderV1_2GoldenBytes()
    {
        final byte[] bytes = new byte[40];
        new IndirectMessageHeader().wrap(new UnsafeBuffer(bytes), 0, 40, FfaVersion.V1_2)
            .clear()
            .payloadOffset(40)
            .receiverId(0x8002)
            .senderId(0x0001)
            .payloadSize(0x100)
            .uuid(UUID_EXAMPLE);
        assertArrayEquals(Hex.bytes(
            "00 00 00 00 00 00 00 00  28 00 00 00 02 80 01 00" +
            "00 01 00 00 00 00 00 00  a1 a2 a3 a4 b1 b2 c1 c2" +
            "d1 d2 d3 d4 d5 d6 d7 d8"), bytes);
    }

    @Test
    void indirectHeaderValidate()
    {
        assertEquals(0, IndirectMessageHeader.length(FfaVersion.V1_0));
        assertEquals(20, IndirectMessageHeader.length(FfaVersion.V1_1));
        assertEquals(40, IndirectMessageHeader.length(FfaVersion.V1_2));

        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
        final IndirectMessageHeader header = new IndirectMessageHeader().wrap(buffer, 0, 4096, FfaVersion.V1_2)
            .clear().payloadOffset(40).senderId(1).receiverId(2).payloadSize(4096 - 40);
        assertEquals(0, header.validate(4096));
        assertEquals(UUID_EXAMPLE, header.uuid(UUID_EXAMPLE).uuid());
        assertEquals(INVALID, header.payloadSize(4096 - 39).validate(4096));
        assertEquals(INVALID, header.payloadSize(-1).validate(4096));
        assertEquals(INVALID, header.payloadSize(0x7FFF_FFFF).validate(4096));
        header.payloadSize(16);
        assertEquals(INVALID, header.payloadOffset(39).validate(4096));
        assertEquals(INVALID, header.payloadOffset(0x7FFF_FFFF).validate(4096));
        assertEquals(INVALID, header.payloadOffset(-16).validate(4096));
        header.payloadOffset(40);
        assertEquals(INVALID, header.receiverId(1).validate(4096));
        header.receiverId(2);
        // A v1.1 header may start the payload at 20; a v1.2 one may not.
        header.payloadOffset(20);
        assertEquals(0, header.wrap(buffer, 0, 4096, FfaVersion.V1_1).validate(4096));
        assertEquals(INVALID, header.wrap(buffer, 0, 4096, FfaVersion.V1_2).validate(4096));
        assertEquals(ErrorCode.NOT_SUPPORTED, header.wrap(buffer, 0, 4096, FfaVersion.V1_0).validate(4096));
        assertEquals(INVALID, header.wrap(buffer, 4080, 40, FfaVersion.V1_2).validate(4096));
        assertEquals(INVALID, header.wrap(buffer, 0, 39, FfaVersion.V1_2).validate(4096));
    }

    static final String RXTX =
        // endpoint 3, RX composite @16, TX composite @48, padding
        "03 00 00 00 10 00 00 00  30 00 00 00 00 00 00 00" +
        // RX: 1 page, 1 constituent: 0x10000 x1
        "01 00 00 00 01 00 00 00  00 00 00 00 00 00 00 00" +
        "00 00 01 00 00 00 00 00  01 00 00 00 00 00 00 00" +
        // TX: 1 page, 1 constituent: 0x11000 x1
        "01 00 00 00 01 00 00 00  00 00 00 00 00 00 00 00" +
        "00 10 01 00 00 00 00 00  01 00 00 00 00 00 00 00";

    @Test
    void endpointRxTxGoldenBytes()
    {
        final byte[] bytes = new byte[80];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        new EndpointRxTxDescriptor().wrap(buffer, 0, 80).endpointId(3).rxCompositeOffset(16).txCompositeOffset(48);
        final CompositeMemoryRegionDescriptor composite = new CompositeMemoryRegionDescriptor();
        final ConstituentDescriptor constituent = new ConstituentDescriptor();
        composite.wrap(buffer, 16, 32).totalPageCount(1).constituentCount(1).clearReserved()
            .constituent(0, constituent).set(0x10000, 1);
        composite.wrap(buffer, 48, 32).totalPageCount(1).constituentCount(1).clearReserved()
            .constituent(0, constituent).set(0x11000, 1);
        assertArrayEquals(Hex.bytes(RXTX), bytes);
    }

    @Test
    void endpointRxTxValidate()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(Hex.bytes(RXTX));
        final EndpointRxTxDescriptor rxtx = new EndpointRxTxDescriptor().wrap(buffer, 0, 80);
        assertEquals(0, rxtx.validate());
        assertEquals(3, rxtx.endpointId());
        assertEquals(0x11000, rxtx.txComposite(new CompositeMemoryRegionDescriptor())
            .constituent(0, new ConstituentDescriptor()).address());
        assertTrue(rxtx.toString().contains("rx Composite{pages=1 constituents=1"));
        buffer.putInt(4, 12, LE);
        assertEquals(INVALID, rxtx.validate());
        buffer.putInt(4, 0xFFFF_FFF8, LE);
        assertEquals(INVALID, rxtx.validate());
        buffer.putInt(4, 8, LE);
        assertEquals(INVALID, rxtx.validate());
        buffer.putInt(4, 16, LE);
        buffer.putShort(2, (short)1, LE);
        assertEquals(INVALID, rxtx.validate());
        buffer.putShort(2, (short)0, LE);
        buffer.putInt(52, 0x7FFF_FFFF, LE);
        assertEquals(INVALID, rxtx.validate());
    }
}
