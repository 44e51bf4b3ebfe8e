package org.ffafabric.bench.baseline;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.bench.latency.EchoContext;
import org.ffafabric.bench.latency.EchoSide;

import java.nio.file.Path;

import static org.ffafabric.bench.baseline.ShmPingPongDescriptor.PING_OFFSET;
import static org.ffafabric.bench.baseline.ShmPingPongDescriptor.PONG_OFFSET;
import static org.ffafabric.bench.baseline.ShmPingPongDescriptor.pingSequenceOffset;
import static org.ffafabric.bench.baseline.ShmPingPongDescriptor.pongSequenceOffset;

/**
 * The answering side of {@code shm-spin-raw}: when the ping sequence moves, copies x1-x7 to the
 * pong line and release-stores the sequence as its x0. Argument 0: the file's path.
 */
public final class ShmSpinEcho implements EchoSide
{
    private MappedFile file;
    private UnsafeBuffer buffer;
    private long lastSequence;

    public ShmSpinEcho()
    {
    }

    @Override
    public void setUp(final EchoContext ctx) throws Exception
    {
        file = MappedFile.open(Path.of(ctx.arg(0)));
        buffer = file.buffer();
        lastSequence = buffer.getLongAcquire(pongSequenceOffset());
    }

    @Override
    public int doWork()
    {
        final long sequence = buffer.getLongAcquire(pingSequenceOffset());
        if (sequence == lastSequence)
        {
            return 0;
        }

        buffer.putBytes(PONG_OFFSET + Long.BYTES, buffer, PING_OFFSET + Long.BYTES, Payload.LENGTH - Long.BYTES);
        buffer.putLongRelease(pongSequenceOffset(), sequence);
        lastSequence = sequence;

        return 1;
    }

    @Override
    public void close()
    {
        if (null != file)
        {
            file.close();
        }
    }
}
