package org.ffafabric.bench.baseline;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.ffafabric.abi.RegisterFile;

import java.nio.ByteBuffer;

/**
 * The message every baseline sends each way: the eight registers x0-x7 of an
 * FFA_MSG_SEND_DIRECT_REQ, 64 bytes. x0 carries the round trip's sequence and x1-x7 the sequence
 * plus the register number, so the sender can check that the whole message came back.
 * <pre>
 *   0       8       16      24      32      40      48      56      64
 *   +-------+-------+-------+-------+-------+-------+-------+-------+
 *   |  x0   |  x1   |  x2   |  x3   |  x4   |  x5   |  x6   |  x7   |
 *   | seq   | seq+1 | seq+2 | seq+3 | seq+4 | seq+5 | seq+6 | seq+7 |
 *   +-------+-------+-------+-------+-------+-------+-------+-------+
 * </pre>
 * Longs are in native order.
 */
public final class Payload
{
    /** Registers in a direct request: x0-x7 (SMC32 set). */
    public static final int REGISTER_COUNT = RegisterFile.SMC32_REGISTER_COUNT;

    /** Bytes per message. */
    public static final int LENGTH = REGISTER_COUNT * Long.BYTES;

    /** Offset of x0, the sequence. */
    public static final int SEQUENCE_OFFSET = 0;

    /** Offset of x7, the last register, checked on the way back. */
    public static final int LAST_REGISTER_OFFSET = (REGISTER_COUNT - 1) * Long.BYTES;

    private Payload()
    {
    }

    /** Offset of register n. */
    public static int registerOffset(final int n)
    {
        return n * Long.BYTES;
    }

    /** Writes x1-x7 only, for transports that publish x0 last with a release store. */
    public static void writeRegistersAfterSequence(final MutableDirectBuffer buffer, final int offset, final long sequence)
    {
        for (int n = 1; n < REGISTER_COUNT; n++)
        {
            buffer.putLong(offset + registerOffset(n), sequence + n);
        }
    }

    /** Writes the whole message. */
    public static void write(final MutableDirectBuffer buffer, final int offset, final long sequence)
    {
        buffer.putLong(offset + SEQUENCE_OFFSET, sequence);
        writeRegistersAfterSequence(buffer, offset, sequence);
    }

    /** Writes the whole message at the buffer's absolute positions 0-63. */
    public static void write(final ByteBuffer buffer, final long sequence)
    {
        for (int n = 0; n < REGISTER_COUNT; n++)
        {
            buffer.putLong(registerOffset(n), sequence + n);
        }
    }

    /**
     * Checks an echoed message is the answer to the sequence, x0 and x7.
     *
     * @return x7, for the caller to return so the read can not be elided.
     */
    public static long verify(final DirectBuffer buffer, final int offset, final long sequence)
    {
        return verify(sequence, buffer.getLong(offset + SEQUENCE_OFFSET), buffer.getLong(offset + LAST_REGISTER_OFFSET));
    }

    /** As {@link #verify(DirectBuffer, int, long)} for a buffer holding the message at position 0. */
    public static long verify(final ByteBuffer buffer, final long sequence)
    {
        return verify(sequence, buffer.getLong(SEQUENCE_OFFSET), buffer.getLong(LAST_REGISTER_OFFSET));
    }

    private static long verify(final long sequence, final long x0, final long x7)
    {
        if (x0 != sequence || x7 != sequence + REGISTER_COUNT - 1)
        {
            throw new IllegalStateException(
                "echo mismatch: sent sequence " + sequence + ", got x0=" + x0 + " x7=" + x7);
        }

        return x7;
    }
}
