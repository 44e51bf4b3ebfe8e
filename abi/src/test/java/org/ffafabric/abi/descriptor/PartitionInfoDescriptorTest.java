package org.ffafabric.abi.descriptor;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.Hex;
import org.ffafabric.abi.PartitionProperties;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionInfoDescriptorTest
{
    static final UUID UUID_EXAMPLE = UUID.fromString("a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8");

    @Test
    void lengthsPerVersion()
    {
        assertEquals(8, PartitionInfoDescriptor.length(FfaVersion.V1_0));
        assertEquals(24, PartitionInfoDescriptor.length(FfaVersion.V1_1));
        assertEquals(24, PartitionInfoDescriptor.length(FfaVersion.V1_2));
    }

    @Test
    void v1_0GoldenBytes()
    {
        // §5.1: ID @0 u16, exec count @2 u16, properties @4 u32; properties masked to [2:0].
        final byte[] bytes = new byte[8];
        new PartitionInfoDescriptor().wrap(new UnsafeBuffer(bytes), 0, FfaVersion.V1_0)
            .partitionId(0x8001)
            .executionContextCount(4)
            .properties(PartitionProperties.forVersion(0x107, FfaVersion.V1_0))
            .uuid(UUID_EXAMPLE);
        assertArrayEquals(Hex.bytes("01 80 04 00 07 00 00 00"), bytes);
    }

    @Test
    void v1_1GoldenBytes()
    {
        final byte[] bytes = new byte[24];
        new PartitionInfoDescriptor().wrap(new UnsafeBuffer(bytes), 0, FfaVersion.V1_1)
            .partitionId(0x8001)
            .executionContextCount(4)
            .properties(PartitionProperties.DIRECT_REQ_RECV | PartitionProperties.DIRECT_REQ_SEND |
                PartitionProperties.AARCH64)
            .uuid(UUID_EXAMPLE);
        assertArrayEquals(Hex.bytes(
            "01 80 04 00 03 01 00 00" +
            "a1 a2 a3 a4 b1 b2 c1 c2 d1 d2 d3 d4 d5 d6 d7 d8"), bytes);
    }

    @Test
    void decodesV1_2BytesAtAnOffset()
    {
        final byte[] bytes = new byte[40];
        System.arraycopy(Hex.bytes(
            "02 00 01 00 01 06 00 00" +
            "a1 a2 a3 a4 b1 b2 c1 c2 d1 d2 d3 d4 d5 d6 d7 d8"), 0, bytes, 16, 24);
        final PartitionInfoDescriptor info = new PartitionInfoDescriptor()
            .wrap(new UnsafeBuffer(bytes), 16, 24, FfaVersion.V1_2);
        assertTrue(info.fits());
        assertEquals(2, info.partitionId());
        assertEquals(1, info.executionContextCount());
        assertEquals(0x601, info.properties());
        assertEquals(0xc2c1b2b1a4a3a2a1L, info.uuidLo());
        assertEquals(0xd8d7d6d5d4d3d2d1L, info.uuidHi());
        assertEquals(UUID_EXAMPLE, info.uuid());
        assertEquals("PartitionInfo{id=0x0002 execCtx=1 properties=direct-req-recv|direct-req2-recv|direct-req2-send " +
            "uuid=a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8}", info.toString());
    }

    @Test
    void fitsChecksTheWindow()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[24]);
        final PartitionInfoDescriptor info = new PartitionInfoDescriptor();
        assertFalse(info.wrap(buffer, 8, 16, FfaVersion.V1_1).fits());
        assertFalse(info.wrap(buffer, 1, 24, FfaVersion.V1_1).fits());
        assertFalse(info.wrap(buffer, -1, 24, FfaVersion.V1_1).fits());
        assertTrue(info.wrap(buffer, 16, 8, FfaVersion.V1_0).fits());
    }
}
