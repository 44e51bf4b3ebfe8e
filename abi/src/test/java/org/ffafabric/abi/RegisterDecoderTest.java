package org.ffafabric.abi;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegisterDecoderTest
{
    static String decode(final RegisterFile registers)
    {
        return RegisterDecoder.decode(registers, new StringBuilder()).toString();
    }

    @Test
    void directRequest()
    {
        final RegisterFile r = new RegisterFile().functionId(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32)
            .w(1, RegisterFile.packIds(0x8001, 0x0001)).w(3, 1).w(4, 2).w(7, 0xFF);
        assertEquals("FFA_MSG_SEND_DIRECT_REQ_32 sender=0x8001 receiver=0x0001 flags=0 payload=[0x1,0x2,0x0,0x0,0xff]",
            decode(r));
        r.w(2, RegisterFile.frameworkMessageFlags(FrameworkMessage.VERSION_REQ));
        assertTrue(decode(r).contains("flags=framework:VERSION_REQ "), decode(r));
    }

    @Test
    void directRequest2WithUuid()
    {
        final RegisterFile r = new RegisterFile().functionId(FunctionId.FFA_MSG_SEND_DIRECT_REQ2)
            .w(1, RegisterFile.packIds(1, 0x8002))
            .uuidPair(2, UUID.fromString("a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8"))
            .x(4, 7).x(6, 9);
        assertEquals("FFA_MSG_SEND_DIRECT_REQ2 sender=0x0001 receiver=0x8002 uuid=a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8 " +
            "payload=[0x7,0x0,0x9]", decode(r));
    }

    @Test
    void errorVersionAndRxtxMap()
    {
        assertEquals("FFA_ERROR(INVALID_PARAMETERS)", decode(new RegisterFile().error(ErrorCode.INVALID_PARAMETERS)));
        assertEquals("FFA_ERROR(UNKNOWN)", decode(new RegisterFile().error(-77)));
        assertEquals("FFA_VERSION 1.2", decode(new RegisterFile().functionId(FunctionId.FFA_VERSION).w(1, FfaVersion.V1_2)));
        assertEquals("FFA_RXTX_MAP_64 tx=0x100000 rx=0x101000 pages=1",
            decode(new RegisterFile().functionId(FunctionId.FFA_RXTX_MAP_64).x(1, 0x10_0000).x(2, 0x10_1000).w(3, 1)));
    }

    @Test
    void memoryCallsAndHandles()
    {
        assertEquals("FFA_MEM_SHARE_64 total=144 fragment=144 type=share",
            decode(new RegisterFile().functionId(FunctionId.FFA_MEM_SHARE_64).w(1, 144).w(2, 144)));
        assertEquals("FFA_MEM_RECLAIM handle=0x8000000100000002 flags=0x1",
            decode(new RegisterFile().functionId(FunctionId.FFA_MEM_RECLAIM).w(1, 2).w(2, 0x8000_0001).w(3, 1)));
        assertEquals("FFA_MEM_FRAG_RX handle=0x0000000000000005 offset=4096",
            decode(new RegisterFile().functionId(FunctionId.FFA_MEM_FRAG_RX).w(1, 5).w(3, 4096)));
    }

    @Test
    void partitionInfoGetUuidAndMbzRegisters()
    {
        final RegisterFile r = new RegisterFile().functionId(FunctionId.FFA_PARTITION_INFO_GET)
            .uuidWords(1, UUID.fromString("a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8")).w(5, 1).w(6, 0x55);
        assertEquals("FFA_PARTITION_INFO_GET uuid=a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8 flags=0x1(count-only) x6=0x55",
            decode(r));
    }

    @Test
    void unknownFunctionsFallBackToRawRegisters()
    {
        assertEquals("0x12345678 x1=0x5 x7=0x9", decode(new RegisterFile().functionId(0x1234_5678).x(1, 5).x(7, 9).x(9, 3)));
        assertEquals("FFA_SUCCESS_64 x2=0x1 x17=0x2", decode(new RegisterFile().success64().x(2, 1).x(17, 2)));
    }

    @Property(tries = 2000)
    void neverThrows(@ForAll @Size(value = RegisterFile.LENGTH) final byte[] bytes, @ForAll("functionIds") final int functionId)
    {
        final RegisterFile registers = new RegisterFile().wrap(new UnsafeBuffer(bytes), 0);
        if ((bytes[0] & 1) == 0)
        {
            registers.functionId(functionId);
        }
        assertTrue(decode(registers).length() > 0);
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<Integer> functionIds()
    {
        final Integer[] ids = java.util.Arrays.stream(FunctionId.all()).boxed().toArray(Integer[]::new);
        return net.jqwik.api.Arbitraries.of(ids);
    }
}
