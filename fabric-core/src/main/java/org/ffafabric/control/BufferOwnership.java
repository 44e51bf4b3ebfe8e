package org.ffafabric.control;

/**
 * Values of the RX and TX ownership words: who may touch the buffer's bytes right now.
 * <p>
 * Exactly one party owns a buffer at every moment and, but for FFA_RXTX_UNMAP, only the owner
 * writes the word: a handoff is one write by the current owner and an acquire load by the next,
 * no lock. For RX the producer is the partition manager and the consumer the endpoint. The
 * partition manager hands RX on with a release store; FFA_RX_RELEASE hands it back with a
 * compare-and-set from the releaser's own value to {@link #PRODUCER}, because an unmap (which
 * resets the word to PRODUCER whoever holds RX) and a new owner may come between its check and
 * its write.
 */
public final class BufferOwnership
{
    /** RX: empty, the partition manager may write it (Hafnium's mailbox EMPTY). TX: the endpoint owns it. */
    public static final int PRODUCER = 0;
    /** RX: full, the endpoint owns and reads it (mailbox FULL). TX: the partition manager is reading it. */
    public static final int CONSUMER = 1;
    /** RX only: acquired by the hypervisor with FFA_RX_ACQUIRE (mailbox OTHER_WORLD_OWNED). */
    public static final int HYPERVISOR = 2;

    private BufferOwnership()
    {
    }

    public static String name(final int ownership)
    {
        switch (ownership)
        {
            case PRODUCER: return "producer";
            case CONSUMER: return "consumer";
            case HYPERVISOR: return "hypervisor";
            default: return "unknown(" + ownership + ")";
        }
    }
}
