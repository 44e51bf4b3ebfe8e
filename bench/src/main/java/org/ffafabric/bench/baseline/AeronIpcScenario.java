package org.ffafabric.bench.baseline;

import org.agrona.CloseHelper;
import org.ffafabric.bench.latency.EchoProcess;
import org.ffafabric.bench.latency.LatencyScenario;
import org.ffafabric.bench.latency.ScenarioContext;
import org.ffafabric.transport.AeronTuning;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code aeron-ipc-raw}: an embedded media driver in this process, the echo's client in a child
 * process, two {@code aeron:ipc} streams, all with the fabric's {@link AeronTuning}. The ratio
 * baseline for the fabric's {@code ffa-*} scenarios; {@code aeron-ipc-raw-144} is the same with
 * DIRECT_REQ2's 144 bytes each way.
 */
public final class AeronIpcScenario implements LatencyScenario
{
    private final AeronIpcPing.Send send;
    private final int registers;
    private Path aeronDirectory;
    private AeronIpcPingSide pingSide;
    private EchoProcess echo;
    private AeronIpcPing ping;

    public AeronIpcScenario(final AeronIpcPing.Send send, final int registers)
    {
        this.send = send;
        this.registers = registers;
    }

    /** Requests written in place with {@code tryClaim}: what {@code aeron-ipc-raw} measures. */
    public static AeronIpcScenario tryClaim()
    {
        return new AeronIpcScenario(AeronIpcPing.Send.TRY_CLAIM, Payload.REGISTER_COUNT);
    }

    /** As {@link #tryClaim()} with x0-x17 each way: what {@code aeron-ipc-raw-144} measures. */
    public static AeronIpcScenario tryClaimLong()
    {
        return new AeronIpcScenario(AeronIpcPing.Send.TRY_CLAIM, Payload.LONG_REGISTER_COUNT);
    }

    /** Requests copied with {@code offer}. */
    public static AeronIpcScenario offer()
    {
        return new AeronIpcScenario(AeronIpcPing.Send.OFFER, Payload.REGISTER_COUNT);
    }

    @Override
    public void setUp(final ScenarioContext ctx) throws Exception
    {
        aeronDirectory = ScenarioContext.newShmPath("aeron");
        pingSide = AeronIpcPingSide.launch(aeronDirectory);
        echo = ctx.launchEcho(AeronIpcEcho.class, aeronDirectory.toString());
        pingSide.awaitEcho();
        ping = pingSide.ping(send, registers, ctx.newPeerWait(echo));
    }

    @Override
    public long roundTrip()
    {
        return ping.roundTrip();
    }

    @Override
    public void close()
    {
        try
        {
            // The echo's client goes first, so the driver never waits out a vanished client.
            CloseHelper.closeAll(echo, pingSide);
        }
        finally
        {
            if (null != aeronDirectory && Files.exists(aeronDirectory))
            {
                ScenarioContext.deleteQuietly(aeronDirectory);
                if (null != pingSide)
                {
                    // AeronTuning sets dirDeleteOnShutdown: a directory still here is a bug to report.
                    throw new IllegalStateException("media driver left " + aeronDirectory + " behind; deleted it");
                }
            }
        }
    }
}
