package org.ffafabric.conformance;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.status.PublisherLimit;
import io.aeron.driver.status.PublisherPos;
import io.aeron.driver.status.StreamCounter;
import org.agrona.concurrent.status.CountersReader;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
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
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
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
    static final long LIVENESS_NS = TimeUnit.SECONDS.toNanos(20);

    @Test
    @Timeout(120)
    void aClaimWhoseSessionsAreADeadClaimsOf256GenerationsBeforeStartsAfresh() throws Exception
    {
        wrapAroundADeadClaim("echo:setup", (cf, slot, dead) ->
        {
            assertTrue(cf.rxtxMapped(slot));
            assertEquals(V1_1, cf.negotiatedVersion(slot));
        }, (cf, slot, sp) ->
        {
            assertEquals(V1_2, cf.negotiatedVersion(slot), "the manifest's version, not the dead claim's");
            assertFalse(cf.versionLocked(slot), "the version is not locked");
            assertFalse(cf.rxtxMapped(slot), "no RX/TX pair mapped");
        });
    }

    /**
     * The dead claim trapped and died before it read the manager's answer. The new claim reuses that
     * claim's reply log, whose unread answer its inbox is handed first: it is not the answer to the new
     * claim, and the answer that is must not be left for its first call to take.
     */
    @Test
    @Timeout(120)
    void aClaimReusingADeadClaimsReplyLogTakesNeitherItsUnreadAnswerForItsOwnNorItsOwnForItsFirstCallsAnswer()
        throws Exception
    {
        wrapAroundADeadClaim("trap", (cf, slot, dead) -> { }, (cf, slot, sp) ->
        {
            final RegisterFile regs = new RegisterFile().w(0, FunctionId.FFA_VERSION).w(1, V1_1);
            sp.executionContext(0).invoke(regs);
            assertEquals(V1_2, regs.w(0), "FFA_VERSION's answer: " + regs);
            regs.clear().w(0, FunctionId.FFA_ID_GET);
            sp.executionContext(0).invoke(regs);
            assertEquals(FunctionId.FFA_SUCCESS_32, regs.functionId(), regs.toString());
            assertEquals(SP3, regs.w(2), "FFA_ID_GET's answer: " + regs);
        });
    }

    private interface Check
    {
        void check(ControlFile cf, int slot, Endpoint sp) throws Exception;
    }

    /**
     * A child claims SP3 and serves it as {@code mode} says ({@code trap}: it traps while the manager is held,
     * and dies before the answer); {@code beforeDeath} checks the child's claim (no endpoint of ours). It is killed and taken over
     * before the manager looks; once the driver has dropped its logs, 255 claims end before any bind, and
     * the claim 256 on binds. {@code claimed} checks that claim.
     */
    private static void wrapAroundADeadClaim(
        final String mode, final Check beforeDeath, final Check claimed)
        throws Exception
    {
        final String aeronDir = Path.of("/dev/shm", "ffa-test-aeron-" + UUID.randomUUID().toString().substring(0, 8)).toString();
        final GatedIdle gate = new GatedIdle();
        final ExecutorService exec = Executors.newCachedThreadPool();
        final Queue<Throwable> pmErrors = new ConcurrentLinkedQueue<>();
        try (MediaDriver driver = MediaDriver.launch(AeronTuning.driver(new MediaDriver.Context()
                .aeronDirectoryName(aeronDir))
                // Twice Aeron's default liveness: the held manager's own client goes unserviced for the
                // whole hold, and the manager must answer the dead child's trap before the driver times
                // the child out; stalls of a loaded machine add to both (3 s failed so, and once 10 s).
                // The dead process's logs go soon after it, with a short timer and linger.
                .clientLivenessTimeoutNs(LIVENESS_NS)
                .publicationUnblockTimeoutNs(2 * LIVENESS_NS)
                .timerIntervalNs(TimeUnit.MILLISECONDS.toNanos(100))
                .publicationLingerTimeoutNs(TimeUnit.MILLISECONDS.toNanos(100)));
            PartitionManager pm = PartitionManager.launch(new PartitionManager.Context()
                .fabricName("wrap-" + UUID.randomUUID().toString().substring(0, 8))
                .idleStrategy(gate).errorHandler(pmErrors::add).embeddedDriver(false).aeronDirectoryName(aeronDir)
                .manifest(Manifest.builder()
                    .partition(p -> p.name("sp3").id(SP3).world(World.SP_EL1).uuid("d0000000-0000-0000-0000-000000008003")
                        .directMessaging().executionContexts(CONTEXTS).memorySize(4 * 4096))
                    .build()));
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory())))
        {
            final ControlFile cf = pm.controlFile();
            final int slot = cf.slotOf(SP3);
            final long me = ProcessHandle.current().pid();
            final CountersReader counters = new CountersReader(
                driver.context().countersMetaDataBuffer(), driver.context().countersValuesBuffer());
            final int deadGeneration;
            try (ChildProcess host = ChildProcess.start(DoomedPartitionProcess.class,
                "--dir", pm.directory().toString(), "--partition", SP3 + ":" + mode))
            {
                host.awaitLine("READY", ChildProcess.START_NS);
                deadGeneration = cf.claimGeneration(slot);
                beforeDeath.check(cf, slot, null);

                // Killed, and taken over before the manager looks: a take-over that has not bound yet.
                final long heldAt = System.nanoTime();
                hold(gate);
                if ("trap".equals(mode))
                {
                    trapUnanswered(host, counters, deadGeneration);
                }
                host.process().destroyForcibly();
                assertTrue(host.process().waitFor(30, TimeUnit.SECONDS), "killed");
                assertTrue(cf.takeOver(slot, cf.claimWord(slot), me), "taken over");
                final long answered = position(counters, PublisherPos.PUBLISHER_POS_TYPE_ID,
                    TrapProtocol.replySessionId(deadGeneration), TrapProtocol.inboxStreamId(SP3, 0));
                final long openedAt = System.nanoTime();
                gate.shut = false;
                if ("trap".equals(mode))
                {
                    // The manager answers the dead claim's trap into its reply log, which nobody reads now.
                    awaitUntil(openedAt + LIVENESS_NS, () -> position(counters, PublisherPos.PUBLISHER_POS_TYPE_ID,
                        TrapProtocol.replySessionId(deadGeneration), TrapProtocol.inboxStreamId(SP3, 0)) > answered,
                        () -> "the manager answers the dead claim's trap; held for " +
                        TimeUnit.NANOSECONDS.toMillis(openedAt - heldAt) + " ms, the manager's errors: " + pmErrors);
                }
            }
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
                claimed.check(cf, slot, sp);
            }
        }
        finally
        {
            gate.shut = false;
            exec.shutdown();
            assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    /** Has the held child trap, and waits until its trap is in its log to the manager. */
    private static void trapUnanswered(final ChildProcess host, final CountersReader counters, final int generation)
    {
        final int session = TrapProtocol.sessionId(SP3, 0, generation);
        final long before = position(counters, PublisherPos.PUBLISHER_POS_TYPE_ID, session, TrapProtocol.PM_STREAM_ID);
        host.send("trap");
        awaitUntil(System.nanoTime() + WAIT_NS, () ->
            position(counters, PublisherPos.PUBLISHER_POS_TYPE_ID, session, TrapProtocol.PM_STREAM_ID) > before,
            "the child's trap is sent");
    }

    /** The value of the driver's counter of {@code typeId} for a session on a stream; -1 when there is none. */
    private static long position(final CountersReader counters, final int typeId, final int sessionId, final int streamId)
    {
        final long[] value = {-1};
        counters.forEach((counterId, type, key, label) ->
        {
            if (type == typeId && key.getInt(StreamCounter.SESSION_ID_OFFSET) == sessionId &&
                key.getInt(StreamCounter.STREAM_ID_OFFSET) == streamId)
            {
                value[0] = counters.getCounterValue(counterId);
            }
        });
        return value[0];
    }

    private static long hold(final GatedIdle gate)
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
