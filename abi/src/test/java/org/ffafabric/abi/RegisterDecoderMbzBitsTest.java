package org.ffafabric.abi;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * RegisterDecoder's contract: "a value in an MBZ register is never hidden". The same holds for
 * MBZ bits inside a register it renders by fields: two calls that differ only in reserved bits
 * must print differently, or a trace cannot show why the partition manager refused the call.
 */
class RegisterDecoderMbzBitsTest
{
    /** A call, the register holding reserved bits beside named fields, those bits, and the named ones. */
    record Case(String name, int functionId, int register, long mbzMask, long fieldMask)
    {
        public String toString()
        {
            return name;
        }
    }

    private static final Case[] CASES =
    {
            // Reference §4.3 (and RegisterFile.isValidDirectMessageFlags(long)): for SMC64 the
            // flags are x2, so bits [63:32] are MBZ as well.
            new Case("DIRECT_REQ_64 x2[63:32]", FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, 2, 0xFFFF_FFFF_0000_0000L, 0),
            new Case("DIRECT_RESP_64 x2[63:32]", FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, 2, 0xFFFF_FFFF_0000_0000L, 0),
            // §4.1 FFA_RXTX_MAP: page count is bits [5:0], the rest MBZ (§6.1: OP-TEE rejects bits [63:6]).
            new Case("RXTX_MAP_64 x3[63:32]", FunctionId.FFA_RXTX_MAP_64, 3, 0xFFFF_FFFF_0000_0000L, 0x3FL),
            // §4.1 FFA_RXTX_UNMAP: w1 bits [31:16] are the endpoint ID; [15:0] carry nothing.
            new Case("RXTX_UNMAP w1[15:0]", FunctionId.FFA_RXTX_UNMAP, 1, 0xFFFFL, 0xFFFF_0000L),
            // §4.1 FFA_PARTITION_INFO_GET_REGS: x3 is start index [15:0] and tag [31:16] only.
            new Case("PARTITION_INFO_GET_REGS x3[63:32]", FunctionId.FFA_PARTITION_INFO_GET_REGS, 3, 0xFFFF_FFFF_0000_0000L, 0xFFFF_FFFFL),
            // §4.1 FFA_FEATURES: a feature ID (bit 31 clear) has bits [30:8] MBZ.
            new Case("FEATURES feature-id w1[30:8]", FunctionId.FFA_FEATURES, 1, 0x7FFF_FF00L, 0xFFL),
            // §4.4 FFA_MSG_SEND2: w1 bits [31:16] are the sender VM ID; [15:0] carry nothing.
            new Case("MSG_SEND2 w1[15:0]", FunctionId.FFA_MSG_SEND2, 1, 0xFFFFL, 0xFFFF_0000L),
            // §4.5 FFA_MEM_FRAG_RX/TX: w4 bits [31:16] are the sender ID; [15:0] carry nothing.
            new Case("MEM_FRAG_RX w4[15:0]", FunctionId.FFA_MEM_FRAG_RX, 4, 0xFFFFL, 0xFFFF_0000L),
            new Case("MEM_FRAG_TX w4[15:0]", FunctionId.FFA_MEM_FRAG_TX, 4, 0xFFFFL, 0xFFFF_0000L),
            // §4.6 FFA_NOTIFICATION_BITMAP_CREATE: w1 bits [15:0] VM ID, bits [31:16] MBZ.
            new Case("NOTIFICATION_BITMAP_CREATE w1[31:16]", FunctionId.FFA_NOTIFICATION_BITMAP_CREATE, 1, 0xFFFF_0000L, 0xFFFFL),
    };

    @Provide
    Arbitrary<Case> cases()
    {
        return Arbitraries.of(CASES);
    }

    /** Every case, each reserved bit on its own: lists all the calls that hide one. */
    @Test
    void eachReservedBitShowsInTheRendering()
    {
        final List<String> hidden = new ArrayList<>();
        for (final Case c : CASES)
        {
            final long named = c.fieldMask() & 0x1_0001L;
            for (int bit = 0; bit < 64; bit++)
            {
                if ((c.mbzMask() & (1L << bit)) != 0 && decode(c, named).equals(decode(c, named | 1L << bit)))
                {
                    hidden.add(c.name() + " bit " + bit);
                    break;
                }
            }
        }
        assertEquals(List.of(), hidden);
    }

    @Property(tries = 3000)
    void callsThatDifferOnlyInReservedBitsPrintDifferently(
        @ForAll("cases") final Case c, @ForAll final long a, @ForAll final long b, @ForAll final long field)
    {
        final long mbzA = a & c.mbzMask();
        final long mbzB = b & c.mbzMask();
        if (mbzA == mbzB)
        {
            return;
        }
        // The named fields beside the reserved bits: any value, the same in both calls.
        final long named = field & c.fieldMask();
        assertNotEquals(
            decode(c, named | mbzA),
            decode(c, named | mbzB),
            c.name() + ": reserved bits 0x" + Long.toHexString(mbzA) + " and 0x" + Long.toHexString(mbzB) + " print alike");
    }

    private static String decode(final Case c, final long value)
    {
        final RegisterFile r = new RegisterFile().functionId(c.functionId()).x(c.register(), value);
        return RegisterDecoder.decode(r, new StringBuilder()).toString();
    }
}
