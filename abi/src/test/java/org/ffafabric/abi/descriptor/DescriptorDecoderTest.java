package org.ffafabric.abi.descriptor;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.Hex;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DescriptorDecoderTest
{
    final DescriptorDecoder decoder = new DescriptorDecoder();

    @Test
    void partitionInfoList()
    {
        final byte[] rx = Hex.bytes("01 80 02 00 03 00 00 00  02 80 01 00 01 00 00 00");
        final StringBuilder out = new StringBuilder();
        assertTrue(decoder.decode(FunctionId.FFA_PARTITION_INFO_GET, new UnsafeBuffer(rx), 0, rx.length, FfaVersion.V1_0, out));
        assertEquals("[0] PartitionInfo{id=0x8001 execCtx=2 properties=direct-req-recv|direct-req-send}\n" +
            "[1] PartitionInfo{id=0x8002 execCtx=1 properties=direct-req-recv}", out.toString());
    }

    @Test
    void memoryTransactionAndUnknownCalls()
    {
        final byte[] tx = Hex.bytes(MemoryTransactionDescriptorTest.V1_1);
        final StringBuilder out = new StringBuilder();
        assertTrue(decoder.decode(FunctionId.FFA_MEM_LEND_32, new UnsafeBuffer(tx), 0, tx.length, FfaVersion.V1_1, out));
        assertTrue(out.toString().startsWith("MemoryTransaction{v1.1 sender=0x0001"), out.toString());
        assertTrue(out.toString().contains("@80 Composite{pages=6 constituents=3"), out.toString());
        assertFalse(decoder.decode(FunctionId.FFA_ID_GET, new UnsafeBuffer(tx), 0, tx.length, FfaVersion.V1_1, out));
    }

    @Test
    void truncatedInputRendersWithoutThrowing()
    {
        final UnsafeBuffer tiny = new UnsafeBuffer(new byte[10]);
        final StringBuilder out = new StringBuilder();
        decoder.decode(FunctionId.FFA_MEM_SHARE_32, tiny, 0, 10, FfaVersion.V1_2, out);
        decoder.decode(FunctionId.FFA_MEM_RELINQUISH, tiny, 4, 10, FfaVersion.V1_2, out);
        decoder.decode(FunctionId.FFA_MSG_SEND2, tiny, 0, 10, FfaVersion.V1_2, out);
        decoder.decode(FunctionId.FFA_RXTX_MAP_64, tiny, 0, 10, FfaVersion.V1_2, out);
        decoder.decode(FunctionId.FFA_PARTITION_INFO_GET, tiny, 0, 30, FfaVersion.V1_2, out);
        assertTrue(out.toString().contains("truncated"), out.toString());
    }
}
