package org.ffafabric.bench.baseline;

import io.aeron.ExclusivePublication;
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
 * ({@link Send#OFFER}), then polls the pong stream for the answer. A message is x0-x7 (64 bytes)
 * or, for the same-size baseline of DIRECT_REQ2, x0-x17 (144 bytes).
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
    private final int registers;
    private final int length;
    private final BufferClaim claim = new BufferClaim();
    private final UnsafeBuffer offerBuffer;
    private long sequence;
    private long answer;

    public AeronIpcPing(
        final ExclusivePublication pingPublication,
        final Subscription pongSubscription,
        final Send send,
        final PeerWait wait)
    {
        this(pingPublication, pongSubscription, send, Payload.REGISTER_COUNT, wait);
    }

    /** A pinger whose messages are {@code registers} registers long: 8 or 18. */
    public AeronIpcPing(
        final ExclusivePublication pingPublication,
        final Subscription pongSubscription,
        final Send send,
        final int registers,
        final PeerWait wait)
    {
        if (registers != Payload.REGISTER_COUNT && registers != Payload.LONG_REGISTER_COUNT)
        {
            throw new IllegalArgumentException("a message is 8 or 18 registers: " + registers);
        }
        this.pingPublication = pingPublication;
        this.pongSubscription = pongSubscription;
        this.send = send;
        this.registers = registers;
        this.length = registers * Long.BYTES;
        this.offerBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(length));
        this.wait = wait;
    }

    /** One round trip; returns the last register of the answer. */
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
        answer = Payload.verify(buffer, offset, sequence, registers);
    }

    private void claimAndCommit(final long sequence)
    {
        wait.reset();
        long result;
        while ((result = pingPublication.tryClaim(length, claim)) <= 0)
        {
            // Back pressure, an admin action and a not yet connected echo are waited out.
            AeronIpcStreams.checkUsable(result, "ping publication");
            wait.idle();
        }

        Payload.write(claim.buffer(), claim.offset(), sequence, registers);
        claim.commit();
    }

    private void offer(final long sequence)
    {
        Payload.write(offerBuffer, 0, sequence, registers);

        wait.reset();
        long result;
        while ((result = pingPublication.offer(offerBuffer, 0, length)) <= 0)
        {
            AeronIpcStreams.checkUsable(result, "ping publication");
            wait.idle();
        }
    }
}
