package org.ffafabric.abi;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.UUID;

/**
 * UUIDs as FF-A carries them: the 16 bytes in textual order, read as little-endian words.
 * <p>
 * For {@code a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8}: bytes 0-7 as a little-endian u64 are
 * {@code 0xc2c1b2b1a4a3a2a1} (x1 of PARTITION_INFO_GET_REGS, x2 of DIRECT_REQ2), and as
 * four u32 words w1 = 0xa4a3a2a1, w2 = 0xc2c1b2b1, w3 = 0xd4d3d2d1, w4 = 0xd8d7d6d5
 * (PARTITION_INFO_GET). Java's {@link UUID} holds the same bytes big-endian, so the
 * conversion is a byte reversal of each half; no allocation on the way.
 */
public final class FfaUuid
{
    public static final int LENGTH = 16;
    public static final UUID NIL = new UUID(0, 0);

    private FfaUuid()
    {
    }

    /** Bytes 0-7 as a little-endian u64, from the UUID's most significant half. */
    public static long lo(final long mostSigBits)
    {
        return Long.reverseBytes(mostSigBits);
    }

    /** Bytes 8-15 as a little-endian u64, from the UUID's least significant half. */
    public static long hi(final long leastSigBits)
    {
        return Long.reverseBytes(leastSigBits);
    }

    /** Most significant half of a Java UUID from the little-endian u64 of bytes 0-7. */
    public static long mostSigBits(final long lo)
    {
        return Long.reverseBytes(lo);
    }

    /** Least significant half of a Java UUID from the little-endian u64 of bytes 8-15. */
    public static long leastSigBits(final long hi)
    {
        return Long.reverseBytes(hi);
    }

    public static UUID fromWords(final long lo, final long hi)
    {
        return new UUID(mostSigBits(lo), leastSigBits(hi));
    }

    public static boolean isNil(final long lo, final long hi)
    {
        return lo == 0 && hi == 0;
    }

    /** Writes the 16 bytes in textual order at {@code offset}. */
    public static void put(final MutableDirectBuffer buffer, final int offset, final long mostSigBits, final long leastSigBits)
    {
        buffer.putLong(offset, lo(mostSigBits), java.nio.ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + 8, hi(leastSigBits), java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    public static void put(final MutableDirectBuffer buffer, final int offset, final UUID uuid)
    {
        put(buffer, offset, uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
    }

    public static UUID get(final DirectBuffer buffer, final int offset)
    {
        return fromWords(
            buffer.getLong(offset, java.nio.ByteOrder.LITTLE_ENDIAN),
            buffer.getLong(offset + 8, java.nio.ByteOrder.LITTLE_ENDIAN));
    }
}
