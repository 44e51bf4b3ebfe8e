package org.ffafabric.bench.baseline;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.bench.latency.PeerWait;

import static org.ffafabric.bench.baseline.ShmPingPongDescriptor.PING_OFFSET;
import static org.ffafabric.bench.baseline.ShmPingPongDescriptor.PONG_OFFSET;
import static org.ffafabric.bench.baseline.ShmPingPongDescriptor.pingSequenceOffset;
import static org.ffafabric.bench.baseline.ShmPingPongDescriptor.pongSequenceOffset;

/**
 * The requesting side of {@code shm-spin-raw}: writes the ping line, release-stores its
 * sequence, spins with acquire loads until the pong line carries the same sequence.
 */
public final class ShmSpinPing
{
    private final UnsafeBuffer buffer;
    private final PeerWait wait;
    private long sequence;

    public ShmSpinPing(final UnsafeBuffer buffer, final PeerWait wait)
    {
        this.buffer = buffer;
        this.wait = wait;
        // Continue from what is in the file, so a second pinger on the same file stays in step.
        this.sequence = buffer.getLongAcquire(pingSequenceOffset());
    }

    /** One round trip; returns x7 of the answer. */
    public long roundTrip()
    {
        final UnsafeBuffer buffer = this.buffer;
        final long sequence = ++this.sequence;

        Payload.writeRegistersAfterSequence(buffer, PING_OFFSET, sequence);
        buffer.putLongRelease(pingSequenceOffset(), sequence);

        wait.reset();
        while (buffer.getLongAcquire(pongSequenceOffset()) != sequence)
        {
            wait.idle();
        }

        return Payload.verify(buffer, PONG_OFFSET, sequence);
    }
}
