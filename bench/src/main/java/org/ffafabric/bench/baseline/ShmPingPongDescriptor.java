package org.ffafabric.bench.baseline;

/**
 * Layout of the shared-memory file of the {@code shm-spin-raw} baseline: one cache line per
 * direction, each the 64-byte {@link Payload} whose x0 is the sequence number the other side
 * spins on. x1-x7 are written first with plain stores, then x0 with a release store; the reader
 * acquire-loads x0 and then reads x1-x7. One line moves each way, the floor for any
 * shared-memory transport.
 * <pre>
 *   0                   128                 192                 256                 320     512
 *   +-------------------+-------------------+-------------------+-------------------+-- ... -+
 *   |      padding      |  ping line x0-x7  |      padding      |  pong line x0-x7  | padding |
 *   +-------------------+-------------------+-------------------+-------------------+-- ... -+
 * </pre>
 * The lines sit in different 128-byte blocks so the adjacent-line prefetcher does not pair
 * them, and nothing else shares their blocks.
 */
public final class ShmPingPongDescriptor
{
    /** Cache line size assumed for padding. */
    public static final int CACHE_LINE_LENGTH = 64;

    /** Padding unit: two lines, the adjacent-line prefetcher's pair. */
    public static final int PADDING_LENGTH = 2 * CACHE_LINE_LENGTH;

    /** Offset of the ping line, written by the pinger, read by the echo. */
    public static final int PING_OFFSET = PADDING_LENGTH;

    /** Offset of the pong line, written by the echo, read by the pinger. */
    public static final int PONG_OFFSET = PING_OFFSET + PADDING_LENGTH;

    /** Bytes of the layout. */
    public static final int LENGTH = PONG_OFFSET + PADDING_LENGTH + PADDING_LENGTH;

    /** Bytes of the file: one page, so the mapping is page aligned and the lines line aligned. */
    public static final int FILE_LENGTH = 4096;

    static
    {
        if (Payload.LENGTH != CACHE_LINE_LENGTH)
        {
            throw new AssertionError("payload must fill exactly one cache line: " + Payload.LENGTH);
        }
    }

    private ShmPingPongDescriptor()
    {
    }

    /** Offset of the ping sequence, x0 of the ping line. */
    public static int pingSequenceOffset()
    {
        return PING_OFFSET + Payload.SEQUENCE_OFFSET;
    }

    /** Offset of the pong sequence, x0 of the pong line. */
    public static int pongSequenceOffset()
    {
        return PONG_OFFSET + Payload.SEQUENCE_OFFSET;
    }
}
