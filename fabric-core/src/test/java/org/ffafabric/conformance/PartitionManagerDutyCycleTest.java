package org.ffafabric.conformance;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.exceptions.DriverTimeoutException;
import io.aeron.exceptions.RegistrationException;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricCounters;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.pm.PartitionManager;
import org.ffafabric.transport.AeronTuning;
import org.ffafabric.transport.TrapProtocol;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The partition manager runs its embedded media driver in its own duty cycle: nothing it waits
 * for inside a duty cycle may keep the driver from being serviced, or every client's publications
 * stall and, after the driver timeout, every client's Aeron gives up on the driver.
 */
class PartitionManagerDutyCycleTest
{
    /**
     * A context claims by hand, closes its inbox and traps: the reply has nowhere to go. The
     * partition manager gives up on it without stopping its driver (another client can still
     * add a publication) or the other partitions' traps.
     */
    @Test
    void aReplyNobodyCanReadStopsNeitherTheDriverNorOtherTraps() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(smallManifest()))
        {
            final Endpoint vm = fabric.claim(1);
            assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_ID_GET));

            final ControlFile controlFile = fabric.partitionManager().controlFile();
            final int sp = 0x8001;
            final int slot = controlFile.slotOf(sp);
            final long pid = ProcessHandle.current().pid();
            assertTrue(controlFile.claim(slot, pid));
            final int generation = controlFile.claimGeneration(slot);
            final Aeron raw = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(FabricDirectory.aeronDirectory(fabric.directory()).toString())
                // Half the 10 s a reply nobody could read froze the driver for, and more than a stall of this
                // JVM on a loaded machine: the driver's heartbeat and the trap below may wait out such a stall.
                .driverTimeoutMs(5_000)
                .errorHandler(ex -> { }));
            try
            {
                final Subscription inbox = raw.addSubscription(TrapProtocol.CHANNEL, TrapProtocol.inboxStreamId(sp, 0));
                final ExclusivePublication toPm = raw.addExclusivePublication(
                    TrapProtocol.publicationChannel(TrapProtocol.sessionId(sp, 0, generation)), TrapProtocol.PM_STREAM_ID);
                final RegisterFile claim = regs(TrapProtocol.FABRIC_CLAIM, (int)pid, (int)(pid >>> 32));
                offer(toPm, claim);
                final RegisterFile reply = new RegisterFile();
                final long deadline = System.nanoTime() + WAIT_NS;
                boolean bound = false;
                while (!bound)
                {
                    assertTrue(System.nanoTime() < deadline, "the claim was answered");
                    bound = inbox.poll((buffer, offset, length, header) -> reply.copyFrom(buffer, offset, length), 1) > 0;
                }
                assertTrue(reply.isSuccess(), reply::toString);

                inbox.close();
                offer(toPm, regs(FunctionId.FFA_ID_GET));

                // Another partition's trap, and another client's call on the driver, both answer promptly.
                final CompletableFuture<RegisterFile> other = CompletableFuture.supplyAsync(
                    () -> call(vm.executionContext(0), FunctionId.FFA_ID_GET));
                try
                {
                    raw.addSubscription(TrapProtocol.CHANNEL, 0x0FFA_0F0F).close();
                }
                catch (final DriverTimeoutException ex)
                {
                    fail("the media driver stopped being serviced: " + ex);
                }
                try
                {
                    assertSuccess32(other.get(5, TimeUnit.SECONDS));
                }
                catch (final TimeoutException ex)
                {
                    fail("another partition's trap waited on a reply nobody can read");
                }
                // Given up on, and counted: its inbox closed, the reply has nowhere to go.
                awaitUntil(System.nanoTime() + WAIT_NS,
                    () -> controlFile.counter(FabricCounters.repliesNotDeliveredId()) == 1, "the undelivered reply counted");
            }
            finally
            {
                CloseHelper.quietClose(raw);
                controlFile.unclaim(slot, controlFile.claimGeneration(slot), pid);
            }
        }
    }

    /**
     * A context claims by hand and traps far more than its inbox holds, reading none of the replies: the
     * manager gives up on each reply it has no room for after its reply timeout (here 10 ms), counting it
     * and telling its error handler of the 1st, 2nd, 4th... only, and answers another partition's trap.
     */
    @Test
    void repliesItsCallerHasNoRoomForAreGivenUpOnAfterTheReplyTimeout() throws Exception
    {
        final long replyTimeoutNs = TimeUnit.MILLISECONDS.toNanos(10);
        final java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(new PartitionManager.Context().manifest(smallManifest())
            .replyTimeoutNs(replyTimeoutNs).errorHandler(ex -> told.incrementAndGet()), null))
        {
            final Endpoint vm = fabric.claim(1);
            try (HandClaimedContext sp = new HandClaimedContext(fabric))
            {
                final ControlFile controlFile = sp.controlFile;
                final Subscription inbox = sp.inbox;

                // More replies than the inbox's window holds (half a 64 KiB term of 96-byte frames: ~340).
                final int traps = 800;
                sp.flood(vm, traps, FunctionId.FFA_ID_GET);
                awaitUntil(System.nanoTime() + WAIT_NS,
                    () -> controlFile.counter(FabricCounters.repliesWaitingId()) == 0, "no reply left waiting");
                final long givenUp = controlFile.counter(FabricCounters.repliesNotDeliveredId());
                int delivered = 0;
                for (int read; (read = inbox.poll((buffer, offset, length, header) -> { }, 100)) > 0; )
                {
                    delivered += read;
                }
                assertTrue(givenUp > 0, "replies given up on: " + givenUp);
                assertEquals(traps, delivered + givenUp, "each reply delivered or given up on");
                assertEquals(64 - Long.numberOfLeadingZeros(givenUp), told.get(), "told of each power of two");
                assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_ID_GET));
            }
        }
    }

    /**
     * A context claims by hand and traps far more than its inbox holds before reading any reply. The
     * manager keeps what does not fit and goes on: another partition's trap is answered with nothing
     * given up on, and once the context reads, every reply arrives, in the order of its traps. (The
     * manager used to wait on each such reply, answering nothing else, for up to its reply timeout.)
     */
    @Test
    void aCallerReadingNoRepliesHoldsUpNoOtherTrapAndLosesNoReply() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(new PartitionManager.Context().manifest(smallManifest())
            .replyTimeoutNs(TimeUnit.MINUTES.toNanos(10)), null))
        {
            final Endpoint vm = fabric.claim(1);
            try (HandClaimedContext sp = new HandClaimedContext(fabric))
            {
                final ControlFile controlFile = sp.controlFile;
                final Subscription inbox = sp.inbox;

                // About three times what the inbox's window holds (~340 96-byte frames), and within what the
                // manager keeps for one caller (64 KiB of 80 bytes each: ~800); in turn FFA_ID_GET, FFA_SPM_ID_GET
                // and an unknown function, whose three answers differ, so that a reordered reply shows.
                final int traps = 1000;
                sp.flood(vm, traps, FunctionId.FFA_ID_GET, FunctionId.FFA_SPM_ID_GET, 0x8400_00FF);
                assertEquals(0, controlFile.counter(FabricCounters.repliesNotDeliveredId()), "no reply given up on");
                assertTrue(controlFile.counter(FabricCounters.repliesWaitingId()) > 0, "replies waiting");

                final RegisterFile reply = new RegisterFile();
                final int[] read = new int[1];
                final long deadline = System.nanoTime() + WAIT_NS;
                while (read[0] < traps)
                {
                    assertTrue(System.nanoTime() < deadline, () -> "replies read: " + read[0] + " of " + traps);
                    inbox.poll((buffer, offset, length, header) ->
                    {
                        reply.copyFrom(buffer, offset, length);
                        final int i = read[0]++;
                        if (i % 3 == 2)
                        {
                            assertEquals(ErrorCode.NOT_SUPPORTED, reply.errorCode(), () -> "reply " + i + ": " + reply);
                        }
                        else
                        {
                            assertSuccess32(reply);
                            assertEquals(i % 3 == 0 ? HandClaimedContext.ID : EndpointId.SPMC, reply.w(2),
                                () -> "reply " + i + ": " + reply);
                        }
                    }, 100);
                }
                assertEquals(0, inbox.poll((buffer, offset, length, header) -> { }, 1), "no reply twice");
                assertEquals(0, controlFile.counter(FabricCounters.repliesNotDeliveredId()), "no reply given up on");
                // The manager stores the gauge after its cycle's offers, so a moment after the last reply is read.
                awaitUntil(System.nanoTime() + WAIT_NS,
                    () -> controlFile.counter(FabricCounters.repliesWaitingId()) == 0, "no reply still waiting");
            }
        }
    }

    /**
     * Replies beyond what the manager keeps for one caller are given up on at once, counted, rather than
     * kept without bound: the rest still arrive when the caller reads, and another partition is answered.
     */
    @Test
    void repliesBeyondACallersShareOfRoomAreGivenUpOnAtOnce() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(new PartitionManager.Context().manifest(smallManifest())
            .replyTimeoutNs(TimeUnit.MINUTES.toNanos(10)).errorHandler(ex -> { }), null))
        {
            final Endpoint vm = fabric.claim(1);
            try (HandClaimedContext sp = new HandClaimedContext(fabric))
            {
                final ControlFile controlFile = sp.controlFile;
                final int slot = sp.slot;
                final Subscription inbox = sp.inbox;

                // More than the inbox's window (~340) and the manager's room for one caller (~800) hold between them.
                final int traps = 2500;
                sp.flood(vm, traps, FunctionId.FFA_ID_GET);
                final long givenUp = controlFile.counter(FabricCounters.repliesNotDeliveredId());
                assertTrue(givenUp > 0, "replies given up on: " + givenUp);
                final long waiting = controlFile.counter(FabricCounters.repliesWaitingId());
                assertTrue(waiting > 0 && waiting * 80 <= 64 * 1024, "replies waiting: " + waiting);

                final int[] delivered = new int[1];
                final long deadline = System.nanoTime() + WAIT_NS;
                while (delivered[0] + givenUp < traps)
                {
                    assertTrue(System.nanoTime() < deadline, () -> "replies read: " + delivered[0] + ", given up: " + givenUp);
                    delivered[0] += inbox.poll((buffer, offset, length, header) -> { }, 100);
                }
                assertEquals(0, inbox.poll((buffer, offset, length, header) -> { }, 1), "no reply twice");
                assertEquals(givenUp, controlFile.counter(FabricCounters.repliesNotDeliveredId()), "none given up since");
                // The manager stores the gauge after its cycle's offers, so a moment after the last reply is read.
                awaitUntil(System.nanoTime() + WAIT_NS,
                    () -> controlFile.counter(FabricCounters.repliesWaitingId()) == 0, "no reply still waiting");

                // Flooded again and let go of: what waits will never be read, and is counted as given up on.
                sp.flood(vm, 1000, FunctionId.FFA_ID_GET);
                final long waitingAtRelease = controlFile.counter(FabricCounters.repliesWaitingId());
                final long givenUpAtRelease = controlFile.counter(FabricCounters.repliesNotDeliveredId());
                assertTrue(waitingAtRelease > 0, "replies waiting: " + waitingAtRelease);
                sp.trap(regs(TrapProtocol.FABRIC_RELEASE));
                awaitUntil(System.nanoTime() + WAIT_NS, () -> controlFile.claimPid(slot) == 0, "the context let go of");
                assertEquals(0, controlFile.counter(FabricCounters.repliesWaitingId()), "no reply still waiting");
                assertEquals(givenUpAtRelease + waitingAtRelease,
                    controlFile.counter(FabricCounters.repliesNotDeliveredId()), "each waiting reply given up on");
            }
        }
    }

    /**
     * The replies waiting for a context whose claimant dies will never be read: the manager's reap of the
     * claim gives each up, counted, and the gauge of waiting replies goes back to none.
     */
    @Test
    void repliesWaitingForAClaimantThatDiesAreGivenUpOnAtItsReap() throws Exception
    {
        final Process claimant = new ProcessBuilder("sleep", "600").start();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(new PartitionManager.Context().manifest(smallManifest())
                .replyTimeoutNs(TimeUnit.MINUTES.toNanos(10)).errorHandler(ex -> { }), null);
            HandClaimedContext sp = new HandClaimedContext(fabric, claimant.pid()))
        {
            final ControlFile controlFile = sp.controlFile;
            sp.flood(fabric.claim(1), 1000, FunctionId.FFA_ID_GET);
            final long waiting = controlFile.counter(FabricCounters.repliesWaitingId());
            assertTrue(waiting > 0, "replies waiting: " + waiting);
            assertEquals(0, controlFile.counter(FabricCounters.repliesNotDeliveredId()));

            claimant.destroyForcibly();
            assertTrue(claimant.waitFor(WAIT_NS, TimeUnit.NANOSECONDS), "the claimant ended");
            awaitUntil(System.nanoTime() + WAIT_NS,
                () -> controlFile.counter(FabricCounters.claimsReapedId(sp.slot)) == 1, "the dead claim reaped");
            assertEquals(0, controlFile.counter(FabricCounters.repliesWaitingId()), "no reply still waiting");
            assertEquals(waiting, controlFile.counter(FabricCounters.repliesNotDeliveredId()), "each given up on");
        }
        finally
        {
            claimant.destroyForcibly();
        }
    }

    /**
     * The embedded driver's errors (a log it has no room or no counter for, a bad request from a
     * client) reached only the error log inside cnc.dat, so a claim refused for want of a counter
     * waited out its timeout with nothing said. They go to the partition manager's error handler.
     */
    @Test
    void theEmbeddedDriversErrorsReachThePartitionManagersErrorHandler() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final Path dir = FabricDirectory.defaultPath("driver-errors-" + UUID.randomUUID().toString().substring(0, 8));
        try (PartitionManager pm = PartitionManager.launch(new PartitionManager.Context()
                .directory(dir).manifest(smallManifest()).errorHandler(errors::add));
            Aeron raw = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(FabricDirectory.aeronDirectory(dir).toString())
                .errorHandler(ex -> { })))
        {
            // A term length that is no power of two: the driver refuses the publication.
            assertThrows(RegistrationException.class,
                () -> raw.addPublication(TrapProtocol.CHANNEL + "?term-length=65537", 0x0FFA_0F0E));
            final long deadline = System.nanoTime() + WAIT_NS;
            while (errors.stream().noneMatch(ex -> String.valueOf(ex.getMessage()).contains("65537")))
            {
                assertTrue(System.nanoTime() < deadline, () -> "the driver's error reached the handler: " + errors);
                Thread.yield();
            }
        }
    }

    /**
     * A close from an interrupted thread (JUnit's timeout, an executor's shutdownNow) waits for the duty
     * cycle's thread to end before it unmaps the driver's files that thread reads: Agrona's runner close
     * returns at once when interrupted, and a duty cycle still running then faulted (SIGSEGV). Its duty
     * cycle is held in its idle here until the close waits; a second close meanwhile returns with the first.
     */
    @Test
    void aCloseFromAnInterruptedThreadWaitsForTheDutyCycleToEnd() throws Exception
    {
        final GatedIdle idle = new GatedIdle();
        final PartitionManager pm = PartitionManager.launch(new PartitionManager.Context()
            .fabricName("interrupted-close-" + UUID.randomUUID().toString().substring(0, 8))
            .manifest(smallManifest()).idleStrategy(idle));
        final Path dir = pm.directory();
        final AtomicBoolean dutyCycleAliveAtReturn = new AtomicBoolean(true);
        final AtomicBoolean stillInterrupted = new AtomicBoolean();
        final Thread closer = new Thread(() ->
        {
            Thread.currentThread().interrupt();
            pm.close();
            dutyCycleAliveAtReturn.set(idle.thread.isAlive());
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        }, "interrupted-closer");
        final Thread second = new Thread(pm::close, "second-closer");
        try
        {
            idle.shut = true;
            awaitUntil(System.nanoTime() + WAIT_NS, () -> idle.held, "the duty cycle is held");
            closer.start();
            awaitUntil(System.nanoTime() + WAIT_NS, () -> closer.getState() == Thread.State.WAITING || !closer.isAlive(),
                "the close waits, or has returned");
            second.start();
            awaitUntil(System.nanoTime() + WAIT_NS, () -> second.getState() == Thread.State.WAITING || !second.isAlive(),
                "the second close waits, or has returned");
            assertTrue(second.isAlive(), "a second close returned while the first waits");
        }
        finally
        {
            idle.shut = false;
            closer.join(TimeUnit.NANOSECONDS.toMillis(WAIT_NS));
            second.join(TimeUnit.NANOSECONDS.toMillis(WAIT_NS));
        }
        assertFalse(closer.isAlive(), "the close returned once the duty cycle was let go");
        assertFalse(dutyCycleAliveAtReturn.get(), "the close returned with the duty cycle still running");
        assertTrue(stillInterrupted.get(), "the closing thread's interrupt is kept");
        assertFalse(second.isAlive(), "the second close returned with the first");
        assertFalse(Files.exists(dir), "the fabric directory is gone");
    }

    /**
     * A close from the duty cycle's own thread (an error handler, hook or idle strategy it runs) is refused:
     * it would wait for itself to end, for ever when another thread's close is under way. The manager runs on.
     */
    @Test
    void aCloseFromItsOwnDutyCycleIsRefusedAndTheManagerRunsOn() throws Exception
    {
        final GatedIdle idle = new GatedIdle();
        final CompletableFuture<Throwable> refused = new CompletableFuture<>();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(new PartitionManager.Context()
            .fabricName("own-close-" + UUID.randomUUID().toString().substring(0, 8))
            .manifest(smallManifest()).idleStrategy(idle), null))
        {
            idle.task = () ->
            {
                try
                {
                    fabric.partitionManager().close();
                    refused.complete(null);
                }
                catch (final IllegalStateException ex)
                {
                    refused.complete(ex);
                }
            };
            final Throwable ex = refused.get(WAIT_NS, TimeUnit.NANOSECONDS);
            assertNotNull(ex, "the duty cycle's own close returned");
            assertTrue(ex.getMessage().contains("own duty cycle cannot close it"), ex.getMessage());
            try (Endpoint vm = fabric.claim(1))
            {
                assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_ID_GET));
            }
        }
    }

    /**
     * A manager stalled longer than its Aeron client may go unserviced (a debugger's pause, a SIGSTOP,
     * a starved VM) finds on its next duty cycle that Aeron has closed its client, and with it the
     * client's mapping of the driver's files: the duty cycle went on reading the driver's command ring
     * through that mapping, and the JVM faulted (SIGSEGV in doWork). It must end instead, saying why,
     * with its termination hook run and the fabric left without a manager, which clients see.
     */
    @Test
    void aManagerStalledPastItsClientsLivenessEndsRatherThanFaulting() throws Exception
    {
        final String aeronDir = Path.of("/dev/shm", "ffa-test-aeron-" + UUID.randomUUID().toString().substring(0, 8)).toString();
        final GatedIdle gate = new GatedIdle();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final java.util.concurrent.CountDownLatch terminated = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch clientSawItGo = new java.util.concurrent.CountDownLatch(1);
        // Longer than a stall of this JVM on a loaded machine (the driver and every client here are in it), which
        // can last 10 s: at 1 s, a 3 s stall during the claim below closed the manager's client before the test held it.
        final long livenessNs = TimeUnit.SECONDS.toNanos(15);
        // A mapping of the control file of our own, to read it after the manager's close has removed it.
        ControlFile view = null;
        boolean stoppedAfterClose = true;
        try (MediaDriver driver = MediaDriver.launch(AeronTuning.driver(new MediaDriver.Context()
                .aeronDirectoryName(aeronDir))
                .clientLivenessTimeoutNs(livenessNs)
                .publicationUnblockTimeoutNs(2 * livenessNs)
                .timerIntervalNs(TimeUnit.MILLISECONDS.toNanos(100)));
            PartitionManager pm = PartitionManager.launch(new PartitionManager.Context()
                .fabricName("stalled-" + UUID.randomUUID().toString().substring(0, 8))
                .manifest(smallManifest()).embeddedDriver(false).aeronDirectoryName(aeronDir)
                .idleStrategy(gate).errorHandler(errors::add).terminationHook(terminated::countDown));
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory())
                .partitionManagerGoneHandler(clientSawItGo::countDown)))
        {
            view = ControlFile.open(FabricDirectory.controlFile(pm.directory()));
            try (Endpoint vm = client.claim(1))
            {
                assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_ID_GET));
            }
            gate.shut = true;
            awaitUntil(System.nanoTime() + WAIT_NS, () -> gate.held, "the manager idles");
            // The stall itself, unserviced past the liveness timeout: the manager's client finds the interval since it
            // was last serviced too long at its next duty cycle, whether or not the driver has timed it out by then.
            java.util.concurrent.locks.LockSupport.parkNanos(livenessNs + TimeUnit.MILLISECONDS.toNanos(2_500));
            gate.shut = false;

            assertTrue(terminated.await(WAIT_NS, TimeUnit.NANOSECONDS), "the manager ended: " + errors);
            assertTrue(errors.stream().anyMatch(ex -> String.valueOf(ex.getMessage()).contains("Aeron client")),
                "it said why: " + errors);
            assertEquals(0, pm.controlFile().pmPid(), "the fabric has no manager");
            assertTrue(clientSawItGo.await(WAIT_NS, TimeUnit.NANOSECONDS), "the client saw the manager go");
            assertFalse(client.hasPartitionManagerStopped(), "a manager that lost its Aeron client did not stop");
            assertFalse(pm.controlFile().isPartitionManagerStopped(), "nor says it did");
        }
        finally
        {
            if (view != null)
            {
                stoppedAfterClose = view.isPartitionManagerStopped();
                view.close();
            }
        }
        // Its owner's close came after the cut-off: the first end stands.
        assertFalse(stoppedAfterClose, "nor says so after its owner's close");
        assertFalse(Files.exists(Path.of(aeronDir)), "the driver removed its directory");
    }

    /**
     * With an external media driver the partition manager's client still runs in its duty cycle,
     * and waits for that driver's answers by sleeping: claims, traps and releases all work.
     */
    @Test
    void anExternalDriverServesTheFabric() throws Exception
    {
        final String name = "external-" + UUID.randomUUID().toString().substring(0, 8);
        final Path dir = FabricDirectory.defaultPath(name);
        final CompletableFuture<PartitionManager> launching = CompletableFuture.supplyAsync(() ->
            PartitionManager.launch(new PartitionManager.Context().fabricName(name).manifest(smallManifest()).embeddedDriver(false)));
        final long deadline = System.nanoTime() + WAIT_NS;
        while (!Files.exists(FabricDirectory.controlFile(dir)))
        {
            assertTrue(System.nanoTime() < deadline, "the partition manager created its fabric");
            Thread.yield();
        }
        try (MediaDriver driver = MediaDriver.launch(AeronTuning.driver(new MediaDriver.Context()
                .aeronDirectoryName(FabricDirectory.aeronDirectory(dir).toString()))
                .dirDeleteOnShutdown(false));
            PartitionManager pm = launching.get(20, TimeUnit.SECONDS);
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(dir)))
        {
            for (int i = 0; i < 3; i++)
            {
                try (Endpoint vm = client.claim(1))
                {
                    assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_ID_GET));
                }
                final int slot = pm.controlFile().slotOf(1);
                while (pm.controlFile().claimPid(slot) != 0)
                {
                    assertTrue(System.nanoTime() < deadline + WAIT_NS, "the release was taken");
                    Thread.yield();
                }
            }
        }
    }

    /**
     * An external driver in a directory of its own, started first as one would be: the partition
     * manager writes that directory in the control file, and partition processes connect to it.
     */
    @Test
    void anExternalDriverInADirectoryOfItsOwnServesTheFabric() throws Exception
    {
        final String name = "external-" + UUID.randomUUID().toString().substring(0, 8);
        final Path aeronDir = Path.of("/dev/shm", "ffa-test-aeron-" + UUID.randomUUID().toString().substring(0, 8));
        try (MediaDriver driver = MediaDriver.launch(AeronTuning.driver(new MediaDriver.Context()
                .aeronDirectoryName(aeronDir.toString())));
            PartitionManager pm = PartitionManager.launch(new PartitionManager.Context().fabricName(name)
                .manifest(smallManifest()).embeddedDriver(false).aeronDirectoryName(aeronDir.toString()));
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory()));
            Endpoint vm = client.claim(1))
        {
            assertEquals(aeronDir.toString(), client.controlFile().aeronDirectory());
            assertFalse(Files.exists(FabricDirectory.aeronDirectory(pm.directory())), "no driver in the fabric's");
            final RegisterFile id = call(vm.executionContext(0), FunctionId.FFA_ID_GET);
            assertSuccess32(id);
            assertEquals(1, id.w(2));
        }
        assertFalse(Files.exists(aeronDir), "the driver removed its directory");
    }

    /**
     * Context 0 of sp 0x8001, claimed by hand in the control file and bound by a claim trap from a raw Aeron
     * client of the fabric's driver: it traps what a test says, and reads its inbox only when the test does.
     * Its claimant is this process, or another the test names.
     */
    private static final class HandClaimedContext implements AutoCloseable
    {
        static final int ID = 0x8001;
        final ControlFile controlFile;
        final int slot;
        final Subscription inbox;
        private final long pid;
        private final Aeron raw;
        private final ExclusivePublication toPm;

        HandClaimedContext(final EmbeddedFabric fabric)
        {
            this(fabric, ProcessHandle.current().pid());
        }

        HandClaimedContext(final EmbeddedFabric fabric, final long pid)
        {
            this.pid = pid;
            controlFile = fabric.partitionManager().controlFile();
            slot = controlFile.slotOf(ID);
            assertTrue(controlFile.claim(slot, pid));
            raw = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(FabricDirectory.aeronDirectory(fabric.directory()).toString()).errorHandler(ex -> { }));
            try
            {
                inbox = raw.addSubscription(TrapProtocol.CHANNEL, TrapProtocol.inboxStreamId(ID, 0));
                toPm = raw.addExclusivePublication(TrapProtocol.publicationChannel(
                    TrapProtocol.sessionId(ID, 0, controlFile.claimGeneration(slot))), TrapProtocol.PM_STREAM_ID);
                trap(regs(TrapProtocol.FABRIC_CLAIM, (int)pid, (int)(pid >>> 32)));
                awaitUntil(System.nanoTime() + WAIT_NS,
                    () -> inbox.poll((buffer, offset, length, header) -> { }, 1) > 0, "the claim was answered");
            }
            catch (final RuntimeException | Error ex)
            {
                close();
                throw ex;
            }
        }

        void trap(final RegisterFile regs)
        {
            offer(toPm, regs);
        }

        /**
         * Traps {@code traps} calls, in turn of {@code functionIds}, reading no reply, until the manager has taken
         * each and handled its reply (sent, kept or given up on): the manager counts a trap before it replies, and
         * answers {@code other}'s call, made then, only after that, as it takes one trap at a time.
         */
        void flood(final Endpoint other, final int traps, final int... functionIds)
        {
            final long before = controlFile.counter(FabricCounters.trapsId(slot));
            for (int i = 0; i < traps; i++)
            {
                trap(regs(functionIds[i % functionIds.length]));
            }
            awaitUntil(System.nanoTime() + WAIT_NS,
                () -> controlFile.counter(FabricCounters.trapsId(slot)) == before + traps, "every trap taken");
            assertSuccess32(call(other.executionContext(0), FunctionId.FFA_ID_GET));
        }

        public void close()
        {
            CloseHelper.quietClose(raw);
            controlFile.unclaim(slot, controlFile.claimGeneration(slot), pid);
        }
    }

    private static void offer(final ExclusivePublication publication, final RegisterFile regs)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RegisterFile.LENGTH]);
        regs.buffer().getBytes(0, buffer, 0, RegisterFile.LENGTH);
        final long deadline = System.nanoTime() + WAIT_NS;
        while (publication.offer(buffer, 0, TrapProtocol.SHORT_MESSAGE_LENGTH) < 0)
        {
            assertTrue(System.nanoTime() < deadline, "offered to the partition manager");
            Thread.onSpinWait();
        }
    }
}
