package org.ffafabric.conformance;

import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.BufferOwnership;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ControlFileDescriptor;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.control.ProcessLiveness;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.pm.PartitionManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A partition process killed (SIGKILL) whose partition another process claims before the
 * partition manager's next liveness check: the claim takes the slot over from the dead PID
 * ({@code Endpoint.claim}), so the manager never sees the dead PID and must not be needed to
 * reset what the dead claim had set up. The manager is held in its idle strategy while the
 * process dies and the new claim takes the slot, so the order does not depend on timing.
 * <p>
 * A dead claimant's PID may have gone to a later process by the time anyone looks: the claim is
 * dead all the same, reaped by the manager or taken over. The OS cannot be made to reuse a PID,
 * so those tests write the slot as a reuse leaves it: a live child's PID, under the claim mark of a
 * claimant that started before that child.
 */
class ReclaimFromAKilledProcessTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int SP3 = 0x8003;

    private final GatedIdle gate = new GatedIdle();
    private PartitionManager pm;
    private FabricClient client;
    private final ExecutorService exec = Executors.newCachedThreadPool();

    @BeforeEach
    void launch()
    {
        pm = PartitionManager.launch(new PartitionManager.Context()
            .fabricName("embedded-" + UUID.randomUUID().toString().substring(0, 8))
            .idleStrategy(gate)
            .manifest(Manifest.builder()
                .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("d0000000-0000-0000-0000-0000000000a0"))
                .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("d0000000-0000-0000-0000-000000000001")
                    .directMessaging())
                .partition(p -> p.name("sp3").id(SP3).world(World.SP_EL1).uuid("d0000000-0000-0000-0000-000000008003")
                    .directMessaging().memorySize(4 * 4096))
                .build()));
        client = FabricClient.connect(new FabricClient.Context().directory(pm.directory()));
    }

    @AfterEach
    void close() throws Exception
    {
        gate.shut = false;
        exec.shutdown();
        assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS));
        client.close();
        pm.close();
    }

    @Test
    @Timeout(120)
    void aPartitionClaimedFromAKilledProcessBeforeItIsReapedStartsWithNoRxTxAndItsManifestVersion() throws Exception
    {
        final ControlFile cf = pm.controlFile();
        final int slot = cf.slotOf(SP3);
        try (ChildProcess host = ChildProcess.start(DoomedPartitionProcess.class,
            "--dir", pm.directory().toString(), "--partition", SP3 + ":echo:setup"))
        {
            host.awaitLine("READY", ChildProcess.START_NS);
            assertTrue(cf.rxtxMapped(slot));
            assertEquals(V1_1, cf.negotiatedVersion(slot));

            final long deadline = holdManager();
            host.process().destroyForcibly();
            assertTrue(host.process().waitFor(30, TimeUnit.SECONDS), "killed");
            final Future<Endpoint> claiming = exec.submit(() -> client.claim(SP3));
            final long me = ProcessHandle.current().pid();
            awaitUntil(deadline, () -> cf.claimPid(slot) == me, "the new claim takes the slot over from the dead PID");
            gate.shut = false;
            try (Endpoint sp = get(claiming))
            {
                // A new claim, a new negotiation: the dead claim's version and RX/TX pair are not its.
                assertEquals(V1_2, cf.negotiatedVersion(slot), "the manifest's version");
                assertFalse(cf.versionLocked(slot), "the version is not locked");
                final RegisterFile map = regs(FunctionId.FFA_RXTX_MAP_64);
                map.x(1, sp.memory().base()).x(2, sp.memory().base() + 4096).w(3, 1);
                assertSuccess32(call(sp.executionContext(0), map));
            }
        }
    }

    /**
     * A take-over that ends before any of its contexts' claims is sent (here its memory will not map;
     * as well no counter for its log, or its client closing) lets go of the slot at once. The manager,
     * held meanwhile, then finds the slot unclaimed: no dead PID to reap, and no later bind to reap the
     * dead claim at. Its state must be reset all the same, or the RX of vm1 that the dead hypervisor
     * endpoint took with FFA_RX_ACQUIRE stays the hypervisor's, and vm1 is answered BUSY for good.
     */
    @Test
    @Timeout(120)
    void aTakeOverAbandonedBeforeItsFirstBindStillHasTheDeadClaimReset() throws Exception
    {
        final ControlFile cf = pm.controlFile();
        final int hypSlot = cf.slotOf(HYP);
        try (Endpoint vm = client.claim(VM1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final RegisterFile map = regs(FunctionId.FFA_RXTX_MAP_64);
            map.x(1, vm.memory().base()).x(2, vm.memory().base() + 4096).w(3, 1);
            assertSuccess32(call(ec, map));
            try (ChildProcess host = ChildProcess.start(DoomedPartitionProcess.class,
                "--dir", pm.directory().toString(), "--partition", HYP + ":acquire:" + VM1))
            {
                host.awaitLine("READY", ChildProcess.START_NS);
                assertEquals(BufferOwnership.HYPERVISOR, cf.rxOwnership(cf.slotOf(VM1)), "the hypervisor holds vm1's RX");

                final long deadline = holdManager();
                host.process().destroyForcibly();
                assertTrue(host.process().waitFor(30, TimeUnit.SECONDS), "killed");
                final Path memory = FabricDirectory.memoryFile(pm.directory(), HYP);
                final Path moved = memory.resolveSibling(memory.getFileName() + ".moved");
                Files.move(memory, moved);
                try
                {
                    assertThrows(UncheckedIOException.class, () -> client.claim(HYP), "its memory does not map");
                }
                finally
                {
                    Files.move(moved, memory);
                }
                assertEquals(0, cf.claimPid(hypSlot), "the abandoned take-over let go of the slot");
                gate.shut = false;
                awaitUntil(deadline, () -> cf.rxOwnership(cf.slotOf(VM1)) == BufferOwnership.PRODUCER,
                    "vm1's RX, held by the dead hypervisor claim, is never given back");
                assertSuccess32(PartitionInfoTest.infoGet(ec, null, 0));
                assertSuccess32(call(ec, FunctionId.FFA_RX_RELEASE));
            }
        }
    }

    /**
     * The claimant of sp3 died and its PID went to a later process before the manager's next check:
     * that PID alone names a live process, and would hold the claim for as long as it ran. The claim
     * is reaped while that process runs; vm1's, made by a live process, stays.
     */
    @Test
    @Timeout(60)
    void aClaimWhosePidALaterProcessHoldsIsReapedWhileThatProcessRuns() throws Exception
    {
        final ControlFile cf = pm.controlFile();
        final int slot = cf.slotOf(SP3);
        final Process later = startSleeper();
        final Process claimant = startSleeper();
        try
        {
            // Both claims are in place before the manager's next check, which then sees them both.
            final long deadline = holdManager();
            assertTrue(cf.claim(cf.slotOf(VM1), claimant.pid()), "vm1 was free");
            claimAsBeforeItStarted(cf, slot, later.pid());
            gate.shut = false;
            awaitUntil(deadline, () -> cf.claimPid(slot) == 0, "the claim of a PID a later process holds is reaped");
            assertTrue(later.isAlive(), "reaped while the process holding its PID runs");
            assertEquals(claimant.pid(), cf.claimPid(cf.slotOf(VM1)), "the claim of a live claimant stays");
            try (Endpoint sp = client.claim(SP3))
            {
                assertEquals(ProcessHandle.current().pid(), cf.claimPid(slot), "sp3 is claimable again");
            }
        }
        finally
        {
            cf.unclaim(cf.slotOf(VM1), cf.claimGeneration(cf.slotOf(VM1)), claimant.pid());
            stop(later);
            stop(claimant);
        }
    }

    /**
     * As above, claimed before the manager's check: the claim takes the slot over from the PID a
     * later process holds, rather than refusing it as "claimed by pid N" for as long as that process runs.
     */
    @Test
    @Timeout(60)
    void aClaimWhosePidALaterProcessHoldsIsTakenOverBeforeItIsReaped() throws Exception
    {
        final ControlFile cf = pm.controlFile();
        final int slot = cf.slotOf(SP3);
        final Process later = startSleeper();
        try
        {
            final long deadline = holdManager();
            claimAsBeforeItStarted(cf, slot, later.pid());
            final Future<Endpoint> claiming = exec.submit(() -> client.claim(SP3));
            final long me = ProcessHandle.current().pid();
            awaitUntil(deadline, () -> cf.claimPid(slot) == me || claiming.isDone(), "the claim takes the slot, or ends");
            gate.shut = false;
            try (Endpoint sp = get(claiming))
            {
                assertEquals(me, cf.claimPid(slot), "taken over from the PID a later process holds");
                assertTrue(later.isAlive(), "taken over while that process runs");
            }
        }
        finally
        {
            stop(later);
        }
    }

    /**
     * As above, with this process the one given the dead claimant's PID: the claim is a dead process's,
     * not one this process made, so it is taken over rather than refused as "already claimed by this
     * process" until the manager's next check.
     */
    @Test
    @Timeout(60)
    void aClaimWhosePidThisProcessWasGivenIsTakenOverBeforeItIsReaped() throws Exception
    {
        final ControlFile cf = pm.controlFile();
        final int slot = cf.slotOf(SP3);
        final long me = ProcessHandle.current().pid();
        holdManager();
        claimAsBeforeItStarted(cf, slot, me);
        final int generation = cf.claimGeneration(slot);
        final Future<Endpoint> claiming = exec.submit(() -> client.claim(SP3));
        try
        {
            awaitUntil(System.nanoTime() + WAIT_NS, () -> cf.claimGeneration(slot) != generation || claiming.isDone(),
                "the claim takes the slot, or ends");
        }
        finally
        {
            gate.shut = false;
        }
        try (Endpoint sp = get(claiming))
        {
            assertEquals(me, cf.claimPid(slot), "taken over from the dead claimant whose PID this process has");
            assertEquals(generation + 1, cf.claimGeneration(slot), "a claim of its own");
            assertTrue(cf.isClaimantAlive(slot, me), "under this process's own start");
        }
    }

    /**
     * A claimant that sent its releases as it closed and died before the manager read them: another
     * process took the slot over meanwhile (its claimant dead), so those releases are of an earlier
     * claim. They must let go of that claim's contexts alone, not of the slot the later claim now holds.
     * Here this process stands for the claimant that died, and a live child for the one that took over.
     */
    @Test
    @Timeout(60)
    void releasesOfAnEarlierClaimLeaveTheClaimThatTookItOver() throws Exception
    {
        final ControlFile cf = pm.controlFile();
        final int slot = cf.slotOf(SP3);
        final long me = ProcessHandle.current().pid();
        final Process later = startSleeper();
        try
        {
            final Endpoint sp = client.claim(SP3);
            final long deadline = holdManager();
            final Thread closing = new Thread(sp::close, "closing sp3");
            closing.start();
            // Its releases sent, the close waits for the manager to let go of the slot.
            while (closing.getState() != Thread.State.TIMED_WAITING || Stream.of(closing.getStackTrace())
                .noneMatch(f -> f.getClassName().equals(Endpoint.class.getName()) && f.getMethodName().equals("awaitLetGo")))
            {
                assertTrue(System.nanoTime() < deadline && closing.isAlive(), "the close waits for the manager");
                LockSupport.parkNanos(1_000_000);
            }
            // Taken over, as from a claimant that died: the close sees the slot is no longer its own and ends.
            assertTrue(cf.takeOver(slot, cf.claimWord(slot), later.pid()), "taken over");
            closing.join(TimeUnit.NANOSECONDS.toMillis(WAIT_NS));
            assertFalse(closing.isAlive(), "the close ended");

            gate.shut = false;
            final int offset = cf.ecStateOffset(slot, 0);
            awaitUntil(deadline, () -> ExecutionContextState.state(cf.ecState(offset)) == ExecutionContextState.OFF,
                "the manager reads the releases");
            assertEquals(later.pid(), cf.claimPid(slot), "the claim that took the slot over stays");
        }
        finally
        {
            cf.unclaim(slot, cf.claimGeneration(slot), later.pid());
            stop(later);
        }
    }

    /**
     * A claim that gets no answer is abandoned, and lets go of the slot once the manager has. Meanwhile
     * (here, as the manager is held) the manager let go of it and another thread of this process claimed
     * the partition again: the abandoned claim must let go of its own claim only, not of the later one,
     * which has the same PID.
     */
    @Test
    @Timeout(60)
    void anAbandonedClaimLeavesTheClaimThisProcessMadeAfterIt() throws Exception
    {
        final ControlFile cf = pm.controlFile();
        final int slot = cf.slotOf(SP3);
        final long me = ProcessHandle.current().pid();
        final int generation = cf.claimGeneration(slot);
        try (FabricClient hasty = FabricClient.connect(new FabricClient.Context().directory(pm.directory())
            .connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(500))))
        {
            final long deadline = holdManager();
            final Future<Endpoint> claiming = exec.submit(() -> hasty.claim(SP3));
            awaitUntil(deadline, () -> cf.claimGeneration(slot) != generation, "the first claim is made");
            assertTrue(cf.unclaim(slot, cf.claimGeneration(slot), me), "the manager lets go of the first claim");
            assertTrue(cf.claim(slot, me), "another thread claims the partition");
            gate.shut = false;
            final ExecutionException abandoned = assertThrows(ExecutionException.class, () -> get(claiming));
            assertInstanceOf(IllegalStateException.class, abandoned.getCause(), abandoned::toString);
            assertEquals(me, cf.claimPid(slot), "the later claim stays");
            assertEquals(generation + 2, cf.claimGeneration(slot), "the later claim's generation");
        }
        finally
        {
            gate.shut = false;
            cf.unclaim(slot, cf.claimGeneration(slot), me);
        }
    }

    /** Shuts the gate and waits until the manager is held in it; returns the deadline of the test's waits. */
    private long holdManager()
    {
        gate.shut = true;
        final long deadline = System.nanoTime() + WAIT_NS;
        awaitUntil(deadline, () -> gate.held, "the manager idles");
        return deadline;
    }

    /**
     * The slot as a PID reuse leaves it: claimed by {@code process}, under the mark of a claimant that
     * started before it (the claimant that died, whose PID it was given).
     */
    private static void claimAsBeforeItStarted(final ControlFile cf, final int slot, final long pid)
    {
        assertTrue(ProcessLiveness.isAlive(pid), "the process holding the PID runs");
        assertTrue(cf.claim(slot, pid), "the slot was free");
        cf.buffer().putLongVolatile(
            ControlFileDescriptor.slotOffset(slot) + ControlFileDescriptor.SLOT_CLAIM_MARK_OFFSET,
            ProcessLiveness.startMark(pid) - 1);
    }

    private static Process startSleeper() throws java.io.IOException
    {
        return new ProcessBuilder("sleep", "600").start();
    }

    private static void stop(final Process process) throws InterruptedException
    {
        process.destroyForcibly();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stopped");
    }
}
