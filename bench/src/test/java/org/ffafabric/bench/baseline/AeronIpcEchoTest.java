package org.ffafabric.bench.baseline;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.protocol.DataHeaderFlyweight;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.bench.latency.EchoContext;
import org.ffafabric.bench.latency.EchoProcess;
import org.ffafabric.bench.latency.EchoRunner;
import org.ffafabric.bench.latency.IdleMode;
import org.ffafabric.bench.latency.ScenarioContext;
import org.ffafabric.transport.AeronTuning;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@code aeron-ipc-raw}'s echo when its answers meet back pressure: a pinger that stopped reading
 * them, then went. Never checks a timing value.
 */
@Timeout(60)
class AeronIpcEchoTest
{
    // Answers the pong window cannot hold while nobody reads them (at most half a term), and some.
    private static final int FRAME_LENGTH =
        BitUtil.align(DataHeaderFlyweight.HEADER_LENGTH + Payload.LENGTH, FrameDescriptor.FRAME_ALIGNMENT);
    private static final int PINGS = AeronTuning.ipcTermLength() / 2 / FRAME_LENGTH + 64;

    private Path aeronDirectory;
    private MediaDriver driver;
    private Aeron aeron;
    private ExclusivePublication pingPublication;
    private Subscription pongSubscription;
    private AutoCloseable echo;

    @BeforeEach
    void pinger()
    {
        aeronDirectory = ScenarioContext.newShmPath("aeron-echo-test");
        driver = MediaDriver.launch(
            AeronTuning.driver(new MediaDriver.Context().aeronDirectoryName(aeronDirectory.toString())));
        aeron = AeronIpcStreams.connect(aeronDirectory.toString());
        pingPublication = aeron.addExclusivePublication(AeronIpcStreams.CHANNEL, AeronIpcStreams.PING_STREAM_ID);
        pongSubscription = aeron.addSubscription(AeronIpcStreams.CHANNEL, AeronIpcStreams.PONG_STREAM_ID);
    }

    @AfterEach
    void closeAll() throws Exception
    {
        try
        {
            CloseHelper.closeAll(echo, pongSubscription, pingPublication, aeron, driver);
        }
        finally
        {
            if (null != aeronDirectory && Files.exists(aeronDirectory))
            {
                ScenarioContext.deleteQuietly(aeronDirectory);
            }
        }
    }

    @Test
    void anEchoHeldUpByAPingerThatStoppedReadingStillStopsWhenAsked() throws Exception
    {
        // Back pressure held the echo in a spin inside its poll, deaf to its loop's stop (the parent's
        // word, or the parent's exit): it was halted after its grace, and its close failed, "exited with code 3".
        final EchoProcess child = EchoProcess.launch(
            AeronIpcEcho.class, IdleMode.BUSY, List.of(aeronDirectory.toString()), ScenarioContext.DEFAULT_READY_TIMEOUT);
        echo = child;
        AeronIpcStreams.await(pingPublication::isConnected, "ping publication");
        pingWithoutReadingAnswers();

        child.close();
        assertFalse(child.isAlive());
    }

    @Test
    void anEchoHeldUpByAPingerThatHasGoneEndsOnItsOwn() throws Exception
    {
        // It dropped each ping it could not answer, and then polled for more for ever.
        final EchoRunner runner = EchoRunner.start(new AeronIpcEcho(),
            new EchoContext(List.of(aeronDirectory.toString()), IdleMode.BUSY), "aeron-ipc-echo");
        echo = runner;
        AeronIpcStreams.await(pingPublication::isConnected, "ping publication");
        pingWithoutReadingAnswers();

        pongSubscription.close();
        while (runner.isAlive())
        {
            Thread.sleep(1);
        }
        assertNull(runner.failure());
    }

    /** Sends more pings than the echo can answer while nobody reads the answers, and waits until it stops reading. */
    private void pingWithoutReadingAnswers() throws InterruptedException
    {
        final UnsafeBuffer ping = new UnsafeBuffer(ByteBuffer.allocateDirect(Payload.LENGTH));
        for (int sent = 0; sent < PINGS; )
        {
            Payload.write(ping, 0, sent + 1);
            if (pingPublication.offer(ping, 0, Payload.LENGTH) > 0)
            {
                sent++;
            }
        }

        // Until the echo has stopped taking pings: the limit the driver gives the pings no longer moves.
        long limit;
        do
        {
            limit = pingPublication.positionLimit();
            Thread.sleep(100);
        }
        while (pingPublication.positionLimit() != limit);
    }
}
