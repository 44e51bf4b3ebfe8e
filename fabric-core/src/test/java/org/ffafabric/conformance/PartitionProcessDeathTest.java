package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricCounters;
import org.ffafabric.control.NonReapingParent;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.launch.PartitionHostMain;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A partition process killed (SIGKILL) while it holds a request in its handler, while it has
 * yielded a request back to its requester, and while it idles holding a claim: each requester ends
 * with ABORTED rather than hanging, the partition manager reaps the claims and resets what the
 * dead process had set up, and the partitions, claimed again, serve.
 */
class PartitionProcessDeathTest
{
    static final int VM1 = 1;
    static final int VM2 = 2;
    static final int VM3 = 3;
    /** Sixteen contexts, bound one by one: a claim of it is long enough to be killed under. */
    static final int VM4 = 4;
    static final int SP1 = 0x8001;
    static final int SP2 = 0x8002;
    static final int SP3 = 0x8003;
    static final int[] SPS = { SP1, SP2, SP3 };
    static final long CAP_NS = TimeUnit.SECONDS.toNanos(30);
    /** The held request's bound: far beyond the kill, and within the fixture's 30 s wait for calls on close. */
    static final long HOLD_NS = TimeUnit.SECONDS.toNanos(20);

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        final Manifest.Builder b = Manifest.builder();
        b.partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("d0000000-0000-0000-0000-000000000001")
            .directMessaging().executionContexts(2));
        b.partition(p -> p.name("vm2").id(VM2).world(World.VM).uuid("d0000000-0000-0000-0000-000000000002")
            .directMessaging());
        b.partition(p -> p.name("vm3").id(VM3).world(World.VM).uuid("d0000000-0000-0000-0000-000000000003")
            .directMessaging());
        b.partition(p -> p.name("vm4").id(VM4).world(World.VM).uuid("d0000000-0000-0000-0000-000000000004")
            .directMessaging().executionContexts(16));
        for (final int sp : SPS)
        {
            b.partition(p -> p.name("sp" + (sp & 0xF)).id(sp).world(World.SP_EL1)
                .uuid("d0000000-0000-0000-0000-00000000800" + (sp & 0xF)).directMessaging().memorySize(4 * 4096));
        }
        fx = FabricFixture.launch(b.build(), VM1, VM2);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    /** A DIRECT_REQ_64 whose payload words are {@code 100 * n + i}. */
    private static RegisterFile request(final int sender, final int receiver, final int n)
    {
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, sender, receiver);
        for (int i = 0; i < 5; i++)
        {
            r.x(3 + i, 100L * n + i);
        }
        return r;
    }

    /** Sends {@code r} until it is not BUSY (a server between duty cycles, a dead one not yet reaped). */
    private static RegisterFile untilNotBusy(final ExecutionContext ec, final RegisterFile r)
    {
        return untilNotBusy(ec, r, WAIT_NS);
    }

    private static RegisterFile untilNotBusy(final ExecutionContext ec, final RegisterFile r, final long boundNs)
    {
        final RegisterFile sent = new RegisterFile().copyFrom(r);
        final long deadline = System.nanoTime() + CAP_NS;
        while (true)
        {
            ec.invoke(r.copyFrom(sent), boundNs);
            if (!(r.isError() && r.w(2) == ErrorCode.BUSY))
            {
                return r;
            }
            assertTrue(System.nanoTime() < deadline, "BUSY for 30 s: " + r);
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static void assertEchoed(final int responder, final int requester, final int n, final RegisterFile r)
    {
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r::toString);
        assertEquals(RegisterFile.packIds(responder, requester), r.w(1), r::toString);
        for (int i = 0; i < 5; i++)
        {
            assertEquals(100L * n + i + 1, r.x(3 + i), r::toString);
        }
    }

    /** Waits until the partition manager has let go of each partition's claim. */
    private void awaitReaped(final int... partitions)
    {
        final ControlFile cf = fx.controlFile();
        final long deadline = System.nanoTime() + WAIT_NS;
        for (final int sp : partitions)
        {
            awaitUntil(deadline, () -> cf.claimPid(cf.slotOf(sp)) == 0, "the claim of " + sp + " was never reaped");
        }
    }

    private long word(final int id, final int ec)
    {
        final ControlFile cf = fx.controlFile();
        return cf.ecState(cf.ecStateOffset(cf.slotOf(id), ec));
    }

    @Test
    @Timeout(120)
    void requestsToAKilledPartitionProcessEndInAbortedAndThePartitionsServeOnceClaimedAgain() throws Exception
    {
        final ControlFile cf = fx.controlFile();
        final ExecutionContext vm1a = fx.ec(VM1, 0);
        final ExecutionContext vm1b = fx.ec(VM1, 1);
        final ExecutionContext vm2 = fx.ec(VM2);
        final long[] requesterWords = { word(VM1, 0), word(VM1, 1), word(VM2, 0) };
        try (ChildProcess host = ChildProcess.start(DoomedPartitionProcess.class,
            "--dir", fx.fabric().directory().toString(),
            "--partition", SP1 + ":hold", "--partition", SP2 + ":yield", "--partition", SP3 + ":echo:setup"))
        {
            host.awaitLine("READY", ChildProcess.START_NS);
            for (final int sp : SPS)
            {
                assertEquals(host.process().pid(), cf.claimPid(cf.slotOf(sp)), "the child claimed " + sp);
            }
            assertTrue(cf.rxtxMapped(cf.slotOf(SP3)));
            assertEquals(V1_1, cf.negotiatedVersion(cf.slotOf(SP3)));

            // In flight: SP1's handler holds VM1/0's request, whose wait is bounded only against a hang.
            final Future<RegisterFile> held = fx.exec().submit(() -> untilNotBusy(vm1a, request(VM1, SP1, 1), HOLD_NS));
            host.awaitLine("HOLDING " + SP1, CAP_NS);
            // Yielded: SP2 gave VM1/1's request the CPU back and waits for an FFA_RUN.
            final RegisterFile yielded = untilNotBusy(vm1b, request(VM1, SP2, 2));
            assertEquals(FunctionId.FFA_YIELD, yielded.w(0), yielded::toString);
            assertEquals(RegisterFile.packTargetInfo(SP2, 0), yielded.w(1), yielded::toString);
            // Idle, holding its claim: SP3 answers.
            assertEchoed(SP3, VM2, 3, untilNotBusy(vm2, request(VM2, SP3, 3)));

            host.process().destroyForcibly();
            assertTrue(host.process().waitFor(30, TimeUnit.SECONDS), "killed");

            // Racing the reaper: BUSY while the dead context still looks busy, then ABORTED, never a hang.
            assertError(ErrorCode.ABORTED, untilNotBusy(vm2, request(VM2, SP3, 4)), "request to a killed partition");
            assertError(ErrorCode.ABORTED, held.get(CAP_NS + WAIT_NS, TimeUnit.NANOSECONDS), "request held when killed");
            final RegisterFile run = call(vm1b, FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP2, 0));
            assertError(ErrorCode.ABORTED, run, "FFA_RUN of a yielded context whose process was killed");
            // That ended the yielded request: VM1/1 is free to send again, and is told SP2 is gone.
            assertError(ErrorCode.ABORTED, untilNotBusy(vm1b, request(VM1, SP2, 5)), "new request to a reaped partition");

            // The partition manager reaped every claim of the dead process and reset what it had set up.
            awaitReaped(SPS);
            for (final int sp : SPS)
            {
                assertEquals(1, cf.counter(FabricCounters.claimsReapedId(cf.slotOf(sp))), "counted once, for " + sp);
                assertEquals(ExecutionContextState.ABORTED, ExecutionContextState.state(word(sp, 0)),
                    () -> ExecutionContextState.describe(word(sp, 0)));
            }
            assertFalse(cf.rxtxMapped(cf.slotOf(SP3)), "RX/TX unmapped");
            assertEquals(V1_2, cf.negotiatedVersion(cf.slotOf(SP3)), "back to the manifest's version");
            assertFalse(cf.versionLocked(cf.slotOf(SP3)));
        }
        assertArrayEquals(requesterWords, new long[] { word(VM1, 0), word(VM1, 1), word(VM2, 0) },
            "every requester is as it was");

        // Claimed again, here, the partitions serve each requester, SP2 included.
        final List<AutoCloseable> closing = new ArrayList<>();
        try
        {
            for (final int sp : SPS)
            {
                final Endpoint ep = fx.claim(sp);
                closing.add(0, ep);
                if (sp == SP3)
                {
                    // Not DENIED as a second mapping: the dead process's pair is gone.
                    final RegisterFile map = regs(FunctionId.FFA_RXTX_MAP_64);
                    map.x(1, ep.memory().base()).x(2, ep.memory().base() + 4096).w(3, 1);
                    assertSuccess32(call(ep.executionContext(0), map));
                }
                closing.add(0, ep.serve(PartitionHostMain::echo));
            }
            assertEchoed(SP1, VM1, 6, untilNotBusy(vm1a, request(VM1, SP1, 6)));
            assertEchoed(SP2, VM1, 7, untilNotBusy(vm1b, request(VM1, SP2, 7)));
            assertEchoed(SP3, VM2, 8, untilNotBusy(vm2, request(VM2, SP3, 8)));
        }
        finally
        {
            for (final AutoCloseable c : closing)
            {
                c.close();
            }
        }
    }
    /**
     * The same deaths, but the partitions are claimed again before the requesters come back for
     * their requests: the new claim owes them nothing, so FFA_RUN of the interrupted request (which
     * would otherwise wait for an answer nobody will send) and of the yielded one end them with
     * ABORTED, and the requesters go on to be served by the new claims.
     */
    @Test
    @Timeout(120)
    void requestsWhoseTargetIsClaimedAgainBeforeTheirFfaRunEndInAborted() throws Exception
    {
        final ExecutionContext vm1a = fx.ec(VM1, 0);
        final ExecutionContext vm1b = fx.ec(VM1, 1);
        try (ChildProcess host = ChildProcess.start(DoomedPartitionProcess.class,
            "--dir", fx.fabric().directory().toString(), "--partition", SP1 + ":hold", "--partition", SP2 + ":yield"))
        {
            host.awaitLine("READY", ChildProcess.START_NS);
            // Interrupted: VM1/0's bound runs out while SP1's handler holds its request.
            final RegisterFile interrupted = untilNotBusy(vm1a, request(VM1, SP1, 1), TimeUnit.MILLISECONDS.toNanos(50));
            assertEquals(FunctionId.FFA_INTERRUPT, interrupted.w(0), interrupted::toString);
            host.awaitLine("HOLDING " + SP1, CAP_NS);
            // Yielded: SP2 gave VM1/1's request the CPU back.
            final RegisterFile yielded = untilNotBusy(vm1b, request(VM1, SP2, 2));
            assertEquals(FunctionId.FFA_YIELD, yielded.w(0), yielded::toString);

            host.process().destroyForcibly();
            assertTrue(host.process().waitFor(30, TimeUnit.SECONDS), "killed");
            awaitReaped(SP1, SP2);
        }

        final List<AutoCloseable> closing = new ArrayList<>();
        try
        {
            for (final int sp : new int[] { SP1, SP2 })
            {
                final Endpoint ep = fx.claim(sp);
                closing.add(0, ep);
                closing.add(0, ep.serve(PartitionHostMain::echo));
            }
            final Future<RegisterFile> resumed = fx.exec().submit(
                () -> call(vm1a, FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP1, 0)));
            assertError(ErrorCode.ABORTED, resumed.get(CAP_NS, TimeUnit.NANOSECONDS),
                "FFA_RUN of an interrupted request whose target was claimed again");
            assertError(ErrorCode.ABORTED, call(vm1b, FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP2, 0)),
                "FFA_RUN of a yielded request whose target was claimed again");
            assertEchoed(SP1, VM1, 3, untilNotBusy(vm1a, request(VM1, SP1, 3)));
            assertEchoed(SP2, VM1, 4, untilNotBusy(vm1b, request(VM1, SP2, 4)));
        }
        finally
        {
            for (final AutoCloseable c : closing)
            {
                c.close();
            }
        }
    }
    /**
     * A requester process dies while the target's handler still runs its request: the partition
     * manager gives the target's context back, and another requester takes it at once. The
     * handler's own call down a call chain, made after that, must not write the context's word
     * over the new requester's: it ends in ABORTED, and the new requester is served as usual.
     */
    @Test
    @Timeout(120)
    void aHandlersRequestAfterItsRequesterDiedEndsInAbortedAndLeavesTheNextRequestersWord() throws Exception
    {
        handlerCallsAfterItsRequesterDied(request(SP1, SP2, 9));
    }

    /** As above, with FFA_YIELD as the handler's call: it would block the context, yielded to the dead requester. */
    @Test
    @Timeout(120)
    void aHandlersYieldAfterItsRequesterDiedEndsInAbortedAndLeavesTheNextRequestersWord() throws Exception
    {
        handlerCallsAfterItsRequesterDied(regs(FunctionId.FFA_YIELD));
    }

    private void handlerCallsAfterItsRequesterDied(final RegisterFile call) throws Exception
    {
        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch callDown = new CountDownLatch(1);
        final CountDownLatch called = new CountDownLatch(1);
        final CountDownLatch answer = new CountDownLatch(1);
        final AtomicReference<RegisterFile> nested = new AtomicReference<>();
        final List<AutoCloseable> closing = new ArrayList<>();
        try
        {
            final Endpoint sp2 = fx.claim(SP2);
            closing.add(0, sp2);
            closing.add(0, sp2.serve(PartitionHostMain::echo));
            final Endpoint sp1 = fx.claim(SP1);
            closing.add(0, sp1);
            final ExecutionContext sp1Ec = sp1.executionContext(0);
            closing.add(0, sp1.serve((req, resp) ->
            {
                if (RegisterFile.senderOf(req.registers().w(1)) == VM3)
                {
                    holding.countDown();
                    await(callDown);
                    final RegisterFile r = new RegisterFile().copyFrom(call);
                    sp1Ec.invoke(r, WAIT_NS);
                    nested.set(r);
                    called.countDown();
                    await(answer);
                }
                PartitionHostMain.echo(req, resp);
            }));

            try (ChildProcess host = ChildProcess.start(DoomedPartitionProcess.class,
                "--dir", fx.fabric().directory().toString(), "--partition", VM3 + ":request:" + SP1))
            {
                assertTrue(holding.await(ChildProcess.START_NS, TimeUnit.NANOSECONDS), "SP1 holds VM3's request");
                assertEquals(VM3, ExecutionContextState.peerId(word(SP1, 0)));
                host.process().destroyForcibly();
                assertTrue(host.process().waitFor(30, TimeUnit.SECONDS), "killed");
                awaitReaped(VM3);
            }
            // Given back for the dead requester while its handler still runs: VM1 takes it.
            awaitState(fx.fabric(), SP1, 0, ExecutionContextState.WAITING);
            final Future<RegisterFile> next = fx.exec().submit(() -> untilNotBusy(fx.ec(VM1, 0), request(VM1, SP1, 1)));
            final long deadline = System.nanoTime() + WAIT_NS;
            while (ExecutionContextState.peerId(word(SP1, 0)) != VM1)
            {
                assertTrue(System.nanoTime() < deadline, () -> ExecutionContextState.describe(word(SP1, 0)));
                LockSupport.parkNanos(100_000);
            }
            final long vm1Installed = word(SP1, 0);

            callDown.countDown();
            assertTrue(called.await(WAIT_NS, TimeUnit.NANOSECONDS), "the handler's call returned");
            assertError(ErrorCode.ABORTED, nested.get(), "a handler's call from a context given back");
            assertEquals(vm1Installed, word(SP1, 0), () -> "VM1's word was overwritten: " +
                ExecutionContextState.describe(word(SP1, 0)));
            assertEquals(ExecutionContextState.WAITING, ExecutionContextState.state(word(SP2, 0)),
                () -> "SP2 was called: " + ExecutionContextState.describe(word(SP2, 0)));

            answer.countDown();
            assertEchoed(SP1, VM1, 1, next.get(CAP_NS, TimeUnit.NANOSECONDS));
            awaitState(fx.fabric(), SP1, 0, ExecutionContextState.WAITING);
            assertEchoed(SP1, VM2, 2, untilNotBusy(fx.ec(VM2), request(VM2, SP1, 2)));
        }
        finally
        {
            callDown.countDown();
            answer.countDown();
            for (final AutoCloseable c : closing)
            {
                c.close();
            }
        }
    }

    /**
     * A partition process killed part way through claiming a partition, some of its contexts bound:
     * the partition is claimed again here at once, taken over from the dead PID or after the reap,
     * whichever comes first, and whole: every context answers and serves, and its close lets it go.
     */
    @Test
    @Timeout(120)
    void aPartitionWhoseClaimantIsKilledMidClaimIsClaimedAgainWhole() throws Exception
    {
        final ControlFile cf = fx.controlFile();
        final int slot = cf.slotOf(VM4);
        try (ChildProcess host = ChildProcess.start(DoomedPartitionProcess.class,
            "--dir", fx.fabric().directory().toString(), "--partition", VM4 + ":echo"))
        {
            final long deadline = System.nanoTime() + ChildProcess.START_NS;
            while (cf.claimPid(slot) != host.process().pid())
            {
                assertTrue(System.nanoTime() < deadline, "the child began its claim");
                LockSupport.parkNanos(100_000);
            }
            host.process().destroyForcibly();
            assertTrue(host.process().waitFor(30, TimeUnit.SECONDS), "killed");
        }

        for (int round = 0; round < 2; round++)
        {
            try (Endpoint vm4 = fx.claim(VM4))
            {
                for (int ec = 0; ec < vm4.executionContextCount(); ec++)
                {
                    final RegisterFile id = call(vm4.executionContext(ec), FunctionId.FFA_ID_GET);
                    assertSuccess32(id);
                    assertEquals(VM4, id.w(2));
                }
                try (AutoCloseable serving = vm4.serve(PartitionHostMain::echo))
                {
                    // A multi-context receiver serves each requester on the context of its CPU: vm1/0 and vm1/1.
                    assertEchoed(VM4, VM1, 10 + round, untilNotBusy(fx.ec(VM1, 0), request(VM1, VM4, 10 + round)));
                    assertEchoed(VM4, VM1, 20 + round, untilNotBusy(fx.ec(VM1, 1), request(VM1, VM4, 20 + round)));
                }
            }
            awaitReaped(VM4);
        }
    }

    /**
     * A partition process killed under a parent that has not waited for it, as under a container's
     * init that does not reap: a zombie, which ProcessHandle takes for alive, and dead all the same.
     * Its claim is reaped while it is still a zombie, and the partition serves once claimed again.
     */
    @Test
    @Timeout(120)
    void aKilledPartitionProcessThatItsParentHasNotWaitedForIsReaped() throws Exception
    {
        final ControlFile cf = fx.controlFile();
        final ExecutionContext vm2 = fx.ec(VM2);
        try (ChildProcess host = ChildProcess.startUnreaped(DoomedPartitionProcess.class,
            "--dir", fx.fabric().directory().toString(), "--partition", SP3 + ":echo:setup"))
        {
            host.awaitLine("READY", ChildProcess.START_NS);
            assertEquals(host.pid(), cf.claimPid(cf.slotOf(SP3)), "the child claimed SP3");
            assertEchoed(SP3, VM2, 1, untilNotBusy(vm2, request(VM2, SP3, 1)));

            host.kill();
            NonReapingParent.awaitZombie(host.pid());
            assertTrue(ProcessHandle.of(host.pid()).map(ProcessHandle::isAlive).orElse(false),
                "ProcessHandle takes a zombie for alive");

            awaitReaped(SP3);
            assertEquals('Z', NonReapingParent.state(host.pid()), "reaped while still a zombie");
            assertEquals(ExecutionContextState.ABORTED, ExecutionContextState.state(word(SP3, 0)),
                () -> ExecutionContextState.describe(word(SP3, 0)));
            assertFalse(cf.rxtxMapped(cf.slotOf(SP3)), "RX/TX unmapped");
            assertError(ErrorCode.ABORTED, untilNotBusy(vm2, request(VM2, SP3, 2)), "request to a reaped partition");
        }

        try (Endpoint sp3 = fx.claim(SP3);
            AutoCloseable serving = sp3.serve(PartitionHostMain::echo))
        {
            assertEchoed(SP3, VM2, 3, untilNotBusy(vm2, request(VM2, SP3, 3)));
        }
    }

    /**
     * A claim word holding a zombie's PID (a process killed between its claim and its first bind,
     * not yet waited for): a claim here takes the partition, over the dead PID or after the reap,
     * rather than refusing it as "claimed by pid N".
     */
    @Test
    @Timeout(60)
    void aClaimHeldByAKilledProcessThatItsParentHasNotWaitedForIsTakenOver() throws Exception
    {
        final ControlFile cf = fx.controlFile();
        final int slot = cf.slotOf(SP1);
        final Process parent = new ProcessBuilder(NonReapingParent.command(List.of("sleep", "600")))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        long zombie = 0;
        try
        {
            final String line = new BufferedReader(
                new InputStreamReader(parent.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertNotNull(line, "the parent printed its child's PID");
            zombie = Long.parseLong(line);
            ProcessHandle.of(zombie).ifPresent(ProcessHandle::destroyForcibly);
            NonReapingParent.awaitZombie(zombie);
            assertTrue(ProcessHandle.of(zombie).map(ProcessHandle::isAlive).orElse(false),
                "ProcessHandle takes a zombie for alive");
            assertTrue(cf.claim(slot, zombie), "SP1 was free");

            try (Endpoint sp1 = fx.claim(SP1);
                AutoCloseable serving = sp1.serve(PartitionHostMain::echo))
            {
                assertEquals(ProcessHandle.current().pid(), cf.claimPid(slot));
                assertEchoed(SP1, VM1, 1, untilNotBusy(fx.ec(VM1, 0), request(VM1, SP1, 1)));
            }
        }
        finally
        {
            NonReapingParent.close(parent, zombie);
        }
    }

    private static void await(final CountDownLatch latch)
    {
        try
        {
            assertTrue(latch.await(CAP_NS, TimeUnit.NANOSECONDS));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
