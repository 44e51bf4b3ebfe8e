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
 * Longs are in native order. The same-size baseline for DIRECT_REQ2 sends x0-x17 (144 bytes),
 * filled and checked the same way ({@link #LONG_REGISTER_COUNT}).
 */
public final class Payload
{
    /** Registers in a direct request: x0-x7 (SMC32 set). */
    public static final int REGISTER_COUNT = RegisterFile.SMC32_REGISTER_COUNT;

    /** Bytes per message. */
    public static final int LENGTH = REGISTER_COUNT * Long.BYTES;

    /** Registers in a DIRECT_REQ2 message: x0-x17. */
    public static final int LONG_REGISTER_COUNT = RegisterFile.REGISTER_COUNT;

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
        writeRegistersAfterSequence(buffer, offset, sequence, REGISTER_COUNT);
    }

    /** Writes the whole message. */
    public static void write(final MutableDirectBuffer buffer, final int offset, final long sequence)
    {
        write(buffer, offset, sequence, REGISTER_COUNT);
    }

    /** Writes a message of {@code registers} registers, x0 the sequence and xn the sequence plus n. */
    public static void write(final MutableDirectBuffer buffer, final int offset, final long sequence, final int registers)
    {
        buffer.putLong(offset + SEQUENCE_OFFSET, sequence);
        writeRegistersAfterSequence(buffer, offset, sequence, registers);
    }

    private static void writeRegistersAfterSequence(
        final MutableDirectBuffer buffer, final int offset, final long sequence, final int registers)
    {
        for (int n = 1; n < registers; n++)
        {
            buffer.putLong(offset + registerOffset(n), sequence + n);
        }
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

    /**
     * Checks an echoed message of {@code registers} registers: x0 and the last.
     *
     * @return the last register, for the caller to return so the read can not be elided.
     */
    public static long verify(final DirectBuffer buffer, final int offset, final long sequence, final int registers)
    {
        return verify(sequence, buffer.getLong(offset + SEQUENCE_OFFSET),
            buffer.getLong(offset + registerOffset(registers - 1)), registers);
    }

    /** As {@link #verify(DirectBuffer, int, long)} for a buffer holding the message at position 0. */
    public static long verify(final ByteBuffer buffer, final long sequence)
    {
        return verify(sequence, buffer.getLong(SEQUENCE_OFFSET), buffer.getLong(LAST_REGISTER_OFFSET));
    }

    private static long verify(final long sequence, final long x0, final long x7)
    {
        return verify(sequence, x0, x7, REGISTER_COUNT);
    }

    private static long verify(final long sequence, final long x0, final long last, final int registers)
    {
        if (x0 != sequence || last != sequence + registers - 1)
        {
            throw new IllegalStateException("echo mismatch: sent sequence " + sequence + ", got x0=" + x0 +
                " x" + (registers - 1) + "=" + last);
        }

        return last;
    }
}
