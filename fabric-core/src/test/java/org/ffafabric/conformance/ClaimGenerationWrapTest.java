package org.ffafabric.conformance;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.status.PublisherLimit;
import io.aeron.driver.status.StreamCounter;
import org.agrona.concurrent.status.CountersReader;
import org.ffafabric.control.ControlFile;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.pm.PartitionManager;
import org.ffafabric.transport.AeronTuning;
import org.ffafabric.transport.TrapProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A session ID carries the low eight bits of its claim's generation: claim g + 256 of a context has
 * the session ID of claim g. The partition manager may still hold claim g's sessions when claim g + 256
 * binds: its claimant died, and the claims since ended before any bind (a take-over that failed before
 * it sent its claims lets go of the slot at once), all before the manager's next look. Claim g's log to
 * the manager is gone by then (the media driver timed its process out), so the new claim's log may take
 * its session ID. The new claim must start afresh all the same, not inherit claim g's RX/TX pair and version.
 * <p>
 * The media driver runs on its own (an external driver), so that it times the dead process out while
 * the manager is held; the claims in between are made and let go of in the control file, as such
 * take-overs leave it.
 */
class ClaimGenerationWrapTest
{
    static final int SP3 = 0x8003;
    // More than one: the first bind of the new claim must leave the other contexts' sessions for theirs.
    static final int CONTEXTS = 2;

    @Test
    @Timeout(120)
    void aClaimWhoseSessionsAreADeadClaimsOf256GenerationsBeforeStartsAfresh() throws Exception
    {
        final String aeronDir = Path.of("/dev/shm", "ffa-test-aeron-" + UUID.randomUUID().toString().substring(0, 8)).toString();
        final ReclaimFromAKilledProcessTest.GatedIdle gate = new ReclaimFromAKilledProcessTest.GatedIdle();
        final ExecutorService exec = Executors.newCachedThreadPool();
        try (MediaDriver driver = MediaDriver.launch(AeronTuning.driver(new MediaDriver.Context()
                .aeronDirectoryName(aeronDir))
                // A dead process's logs go within seconds, not the default's fifteen.
                .clientLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(3))
                .timerIntervalNs(TimeUnit.MILLISECONDS.toNanos(100))
                .publicationLingerTimeoutNs(TimeUnit.MILLISECONDS.toNanos(100)));
            PartitionManager pm = PartitionManager.launch(new PartitionManager.Context()
                .fabricName("wrap-" + UUID.randomUUID().toString().substring(0, 8))
                .idleStrategy(gate).embeddedDriver(false).aeronDirectoryName(aeronDir)
                .manifest(Manifest.builder()
                    .partition(p -> p.name("sp3").id(SP3).world(World.SP_EL1).uuid("d0000000-0000-0000-0000-000000008003")
                        .directMessaging().executionContexts(CONTEXTS).memorySize(4 * 4096))
                    .build()));
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory())))
        {
            final ControlFile cf = pm.controlFile();
            final int slot = cf.slotOf(SP3);
            final long me = ProcessHandle.current().pid();
            final int deadGeneration;
            try (ChildProcess host = ChildProcess.start(DoomedPartitionProcess.class,
                "--dir", pm.directory().toString(), "--partition", SP3 + ":echo:setup"))
            {
                host.awaitLine("READY", ChildProcess.START_NS);
                assertTrue(cf.rxtxMapped(slot));
                assertEquals(V1_1, cf.negotiatedVersion(slot));
                deadGeneration = cf.claimGeneration(slot);

                // Killed, and taken over before the manager looks: a take-over that has not bound yet.
                hold(gate);
                host.process().destroyForcibly();
                assertTrue(host.process().waitFor(30, TimeUnit.SECONDS), "killed");
                assertTrue(cf.takeOver(slot, cf.claimWord(slot), me), "taken over");
                gate.shut = false;
            }
            final CountersReader counters = new CountersReader(
                driver.context().countersMetaDataBuffer(), driver.context().countersValuesBuffer());
            awaitUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(60), () -> !hasPublication(counters, deadGeneration),
                "the driver drops the dead process's logs to the manager");

            // That take-over and 254 more end before any bind; the manager, held, has not looked meanwhile.
            final long deadline = hold(gate);
            assertTrue(cf.unclaim(slot, cf.claimGeneration(slot), me));
            while (cf.claimGeneration(slot) != deadGeneration + 255)
            {
                assertTrue(cf.claim(slot, me));
                assertTrue(cf.unclaim(slot, cf.claimGeneration(slot), me));
            }
            final Future<Endpoint> claiming = exec.submit(() -> client.claim(SP3));
            awaitUntil(deadline, () -> cf.claimPid(slot) == me || claiming.isDone(), "the claim takes the slot, or ends");
            gate.shut = false;
            try (Endpoint sp = get(claiming))
            {
                assertEquals(deadGeneration + 256, cf.claimGeneration(slot));
                assertEquals(V1_2, cf.negotiatedVersion(slot), "the manifest's version, not the dead claim's");
                assertFalse(cf.versionLocked(slot), "the version is not locked");
                assertFalse(cf.rxtxMapped(slot), "no RX/TX pair mapped");
            }
        }
        finally
        {
            gate.shut = false;
            exec.shutdown();
            assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    private static long hold(final ReclaimFromAKilledProcessTest.GatedIdle gate)
    {
        gate.shut = true;
        final long deadline = System.nanoTime() + WAIT_NS;
        awaitUntil(deadline, () -> gate.held, "the manager idles");
        return deadline;
    }

    /** True while the driver holds a publication of a context of claim {@code generation} of SP3 to the partition manager. */
    private static boolean hasPublication(final CountersReader counters, final int generation)
    {
        final boolean[] found = new boolean[1];
        counters.forEach((counterId, typeId, key, label) ->
        {
            final int sessionId = key.getInt(StreamCounter.SESSION_ID_OFFSET);
            found[0] |= typeId == PublisherLimit.PUBLISHER_LIMIT_TYPE_ID &&
                key.getInt(StreamCounter.STREAM_ID_OFFSET) == TrapProtocol.PM_STREAM_ID &&
                TrapProtocol.partitionIdOf(sessionId) == SP3 && TrapProtocol.generationOf(sessionId) == (generation & 0xFF);
        });
        return found[0];
    }
}
