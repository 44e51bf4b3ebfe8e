package org.ffafabric.bench.baseline;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.ffafabric.bench.latency.EchoContext;
import org.ffafabric.bench.latency.EchoSide;

/**
 * The answering side of {@code aeron-ipc-raw}: polls the ping stream and answers each message on
 * the pong stream with {@code tryClaim}, copying it in place. Argument 0: the Aeron directory.
 */
public final class AeronIpcEcho implements EchoSide, FragmentHandler
{
    private final BufferClaim claim = new BufferClaim();
    private Aeron aeron;
    private Subscription pingSubscription;
    private ExclusivePublication pongPublication;

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
        return pingSubscription.poll(this, 1);
    }

    @Override
    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        long result;
        while ((result = pongPublication.tryClaim(length, claim)) <= 0)
        {
            if (Publication.NOT_CONNECTED == result || Publication.CLOSED == result ||
                Publication.MAX_POSITION_EXCEEDED == result)
            {
                // The pinger has gone: nobody to answer.
                return;
            }
            Thread.onSpinWait();
        }

        claim.buffer().putBytes(claim.offset(), buffer, offset, length);
        claim.commit();
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(pongPublication, pingSubscription, aeron);
    }
}
