package org.ffafabric.bench.baseline;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.ffafabric.bench.latency.EchoContext;
import org.ffafabric.bench.latency.EchoSide;

/**
 * The answering side of {@code aeron-ipc-raw}: polls the ping stream and answers each message on
 * the pong stream with {@code tryClaim}, copying it in place. A ping whose answer meets back
 * pressure is left in the stream and polled again on the loop's next turn, so that a pinger that
 * has stopped reading never holds the echo inside a poll, deaf to its stop; once the pinger's
 * subscription has gone the echo ends. Argument 0: the Aeron directory.
 */
public final class AeronIpcEcho implements EchoSide, ControlledFragmentHandler
{
    private final BufferClaim claim = new BufferClaim();
    private Aeron aeron;
    private Subscription pingSubscription;
    private ExclusivePublication pongPublication;
    private boolean pingerGone;

    public AeronIpcEcho()
    {
    }

    @Override
    public void setUp(final EchoContext ctx) throws Exception
    {
        aeron = AeronIpcStreams.connect(ctx.arg(0));
        pingSubscription = aeron.addSubscription(AeronIpcStreams.CHANNEL, AeronIpcStreams.PING_STREAM_ID);
        pongPublication = aeron.addExclusivePublication(AeronIpcStreams.CHANNEL, AeronIpcStreams.PONG_STREAM_ID);

        // The pinger subscribed to pongs before launching us: ready means answers can flow.
        AeronIpcStreams.await(pongPublication::isConnected, "pong publication");
    }

    @Override
    public int doWork()
    {
        final int answered = pingSubscription.controlledPoll(this, 1);
        return pingerGone ? -1 : answered;
    }

    @Override
    public Action onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final long result = pongPublication.tryClaim(length, claim);
        if (result > 0)
        {
            claim.buffer().putBytes(claim.offset(), buffer, offset, length);
            claim.commit();
            return Action.CONTINUE;
        }

        if (Publication.NOT_CONNECTED == result)
        {
            // The pinger's subscription has gone, and with it the run: nobody to answer.
            pingerGone = true;
        }
        else
        {
            AeronIpcStreams.checkUsable(result, "pong publication");
        }
        // Back pressure or an admin action: polled again after the loop's idle and its look at whether to stop.
        return Action.ABORT;
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(pongPublication, pingSubscription, aeron);
    }
}
