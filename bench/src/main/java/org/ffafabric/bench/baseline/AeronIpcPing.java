package org.ffafabric.bench.baseline;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.bench.latency.PeerWait;

import java.nio.ByteBuffer;

/**
 * The requesting side of {@code aeron-ipc-raw}: publishes the payload on the ping stream, either
 * claimed and written in place ({@link Send#TRY_CLAIM}) or copied from a buffer
 * ({@link Send#OFFER}), then polls the pong stream for the answer.
 */
public final class AeronIpcPing implements FragmentHandler
{
    /** How a request is put in the log. */
    public enum Send
    {
        /** {@code tryClaim}: write the payload in the log, then commit; no copy. */
        TRY_CLAIM,
        /** {@code offer}: copy the payload from a buffer. */
        OFFER
    }

    private final ExclusivePublication pingPublication;
    private final Subscription pongSubscription;
    private final Send send;
    private final PeerWait wait;
    private final BufferClaim claim = new BufferClaim();
    private final UnsafeBuffer offerBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(Payload.LENGTH));
    private long sequence;
    private long answer;

    public AeronIpcPing(
        final ExclusivePublication pingPublication,
        final Subscription pongSubscription,
        final Send send,
        final PeerWait wait)
    {
        this.pingPublication = pingPublication;
        this.pongSubscription = pongSubscription;
        this.send = send;
        this.wait = wait;
    }

    /** One round trip; returns x7 of the answer. */
    public long roundTrip()
    {
        final long sequence = ++this.sequence;
        if (Send.TRY_CLAIM == send)
        {
            claimAndCommit(sequence);
        }
        else
        {
            offer(sequence);
        }

        wait.reset();
        while (pongSubscription.poll(this, 1) == 0)
        {
            wait.idle();
        }

        return answer;
    }

    /** Checks the answer; called by the poll. */
    @Override
    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        answer = Payload.verify(buffer, offset, sequence);
    }

    private void claimAndCommit(final long sequence)
    {
        wait.reset();
        long result;
        while ((result = pingPublication.tryClaim(Payload.LENGTH, claim)) <= 0)
        {
            checkUsable(result);
            wait.idle();
        }

        Payload.write(claim.buffer(), claim.offset(), sequence);
        claim.commit();
    }

    private void offer(final long sequence)
    {
        Payload.write(offerBuffer, 0, sequence);

        wait.reset();
        long result;
        while ((result = pingPublication.offer(offerBuffer, 0, Payload.LENGTH)) <= 0)
        {
            checkUsable(result);
            wait.idle();
        }
    }

    private static void checkUsable(final long result)
    {
        // Back pressure, admin action and a not yet connected echo are waited out; these are not.
        if (Publication.CLOSED == result || Publication.MAX_POSITION_EXCEEDED == result)
        {
            throw new IllegalStateException("ping publication unusable: " + Publication.errorString(result));
        }
    }
}
