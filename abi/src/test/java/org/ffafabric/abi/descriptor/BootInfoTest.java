package org.ffafabric.abi.descriptor;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.Hex;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Boot information (§5.13): header 32 bytes, descriptors 32 bytes. */
class BootInfoTest
{
    static final String BLOB =
        // signature 0x0FFA, version 1.1, blob 64, descriptor size 32
        "fa 0f 00 00 01 00 01 00  40 00 00 00 20 00 00 00" +
        // count 1, array at 32, reserved
        "01 00 00 00 20 00 00 00  00 00 00 00 00 00 00 00" +
        // name "FDT" NUL padded
        "46 44 54 00 00 00 00 00  00 00 00 00 00 00 00 00" +
        // type FDT, reserved, flags (string name, address content), size 0x1000, content 0x80000000
        "00 00 00 00 00 10 00 00  00 00 00 80 00 00 00 00";

    @Test
    void goldenBytes()
    {
        final byte[] bytes = new byte[64];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final BootInfoHeader header = new BootInfoHeader().wrap(buffer, 0, 64)
            .signature(BootInfoHeader.SIGNATURE).version(FfaVersion.V1_1).blobSize(64).descriptorSize(32)
            .descriptorCount(1).descriptorArrayOffset(32);
        header.descriptor(0, new BootInfoDescriptor()).name("FDT").type(BootInfoDescriptor.TYPE_FDT)
            .flags(BootInfoDescriptor.flags(BootInfoDescriptor.NAME_FORMAT_STRING, BootInfoDescriptor.CONTENT_FORMAT_ADDRESS))
            .size(0x1000).content(0x8000_0000L);
        assertArrayEquals(Hex.bytes(BLOB), bytes);
        assertEquals(0, header.validate());
        assertEquals("FDT", header.descriptor(0, new BootInfoDescriptor()).name());
        assertEquals("BootInfo{signature=0xffa version=1.1 blobSize=64 descriptorSize=32 count=1 arrayOffset=32\n" +
            "  [0] BootInfoDescriptor{name=\"FDT\" type=fdt flags=0x0 size=4096 content=0x80000000}}", header.toString());
    }

    @Test
    void validateRejects()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(Hex.bytes(BLOB));
        final BootInfoHeader header = new BootInfoHeader().wrap(buffer, 0, 64);
        buffer.putInt(16, 0x7FFF_FFFF, ByteOrder.LITTLE_ENDIAN);
        assertEquals(ErrorCode.INVALID_PARAMETERS, header.validate());
        buffer.putInt(16, 1, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(20, 0xFFFF_FFF8, ByteOrder.LITTLE_ENDIAN);
        assertEquals(ErrorCode.INVALID_PARAMETERS, header.validate());
        buffer.putInt(20, 32, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(8, 65, ByteOrder.LITTLE_ENDIAN);
        assertEquals(ErrorCode.INVALID_PARAMETERS, header.validate());
        buffer.putInt(8, 64, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(0, 0xFFA0, ByteOrder.LITTLE_ENDIAN);
        assertEquals(ErrorCode.INVALID_PARAMETERS, header.validate());
        buffer.putInt(0, 0xFFA, ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, header.validate());
        assertEquals(ErrorCode.INVALID_PARAMETERS, header.wrap(buffer, 0, 31).validate());
        assertEquals(ErrorCode.INVALID_PARAMETERS, header.wrap(buffer, 40, 32).validate());
    }
}
