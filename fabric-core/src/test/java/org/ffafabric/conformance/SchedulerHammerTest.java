package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FrameworkMessage;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The scheduler's FFA_RUN (and its framework requests), the run targets' FFA_YIELD, and bounds on
 * both sides (FFA_INTERRUPT), racing direct requests from other partitions to the same contexts.
 * Every return must be one the digest allows for the call and the caller's state (6.2, 6.3, 6.4),
 * every answer must reach its own requester exactly once, and at the end no context is stuck: each
 * can be run and requested again. Loops are count-based; the time cap only fails a run that hangs.
 */
class SchedulerHammerTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int VM2 = 2;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;
    static final int[] TARGETS = { SPA, SPB };
    static final long MASK = 0x5A5A_0F0F_A5A5_F0F0L;
    static final long LONG_NS = TimeUnit.SECONDS.toNanos(1);
    /**
     * A hang guard for the drivers' counts, which take a few seconds on an idle two-core machine and some 12 beside
     * four busy processes: far past that, so that only a run that hangs fails.
     */
    static final long CAP_NS = TimeUnit.MINUTES.toNanos(3);
    /** A test's hang guard: past its cap, its checks afterwards and the fixture's close. */
    static final int TIMEOUT_S = 300;

    private FabricFixture fx;
    private final long seed = System.nanoTime();
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean stop;
    // The test has ended (or failed): drivers stop at their next round.
    private volatile boolean aborted;
    // Requests served by a target and answers taken by their requesters, by sequence: equal at the end.
    private final Set<Long> served = ConcurrentHashMap.newKeySet();
    private final Set<Long> answered = ConcurrentHashMap.newKeySet();
    // The scheduler's runs that reached a target, as the target counted them and as the scheduler did.
    private final AtomicLong runsReceived = new AtomicLong();
    private final AtomicLong runsGiven = new AtomicLong();

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0")
                .directMessaging())
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging().executionContexts(2))
            .partition(p -> p.name("vm2").id(VM2).world(World.VM).uuid("21222324-2526-2728-292a-2b2c2d2e2f30")
                .directMessaging())
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().property(PartitionProperties.VM_CREATED_MSG, true))
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .build(), HYP, VM1, VM2, SPA, SPB);
    }

    @AfterEach
    void close() throws Exception
    {
        aborted = true;
        stop = true;
        fx.close();
    }

    /** Mostly long bounds: the races are the scheduler's runs and the targets' yields against requests. */
    @Test
    @Timeout(TIMEOUT_S)
    void schedulerRunsAndYieldsRaceDirectRequests() throws Exception
    {
        hammer(1000, 1500, 6, 3_000_000L);
    }

    /** Short bounds on every side: interrupted requests and runs, and targets whose own waits keep ending. */
    @Test
    @Timeout(TIMEOUT_S)
    void interruptedRunsAndRequestsRaceOnBothSides() throws Exception
    {
        hammer(800, 1200, 2, 300_000L);
    }

    /**
     * {@code requests} per requesting context and {@code runs} for the scheduler count exchanges that
     * began (a BUSY is tried again); {@code shortEvery}: one call in so many is bounded by 20-1000 us
     * (else by 1 s); {@code serveNs}: the upper bound of a target's random wait for its next message.
     */
    private void hammer(final int requests, final int runs, final int shortEvery, final long serveNs) throws Exception
    {
        final List<Future<?>> targets = new ArrayList<>();
        for (int i = 0; i < TARGETS.length; i++)
        {
            final int salt = 5 + i;
            final ExecutionContext ec = fx.ec(TARGETS[i]);
            targets.add(fx.exec().submit(() -> target(ec, serveNs, salt)));
        }
        final List<Future<?>> drivers = new ArrayList<>();
        drivers.add(fx.exec().submit(() -> requester(fx.ec(VM1, 0), shortEvery, requests, 1)));
        drivers.add(fx.exec().submit(() -> requester(fx.ec(VM1, 1), shortEvery, requests, 2)));
        drivers.add(fx.exec().submit(() -> requester(fx.ec(VM2, 0), shortEvery, requests, 3)));
        drivers.add(fx.exec().submit(() -> scheduler(fx.ec(HYP), shortEvery, runs, 4)));
        final long deadline = System.nanoTime() + CAP_NS;
        for (final Future<?> f : drivers)
        {
            f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        stop = true;
        for (final Future<?> f : targets)
        {
            f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        assertTrue(failures.isEmpty(), () -> "seed " + seed + ": " + failures.size() + " failures, the first:\n" +
            String.join("\n", failures.stream().limit(10).toList()));
        assertEquals(served, answered, "seed " + seed + ": every request served is answered to its requester, once");
        assertEquals(runsGiven.get(), runsReceived.get(), "seed " + seed + ": every run that began reached its target");

        // Nothing is stuck: every requester is running, and every target can be requested and run again.
        for (final int id : new int[] { HYP, VM1, VM2 })
        {
            assertEquals(ExecutionContextState.RUNNING, fx.state(id, 0), "0x" + Integer.toHexString(id));
        }
        assertEquals(ExecutionContextState.RUNNING, fx.state(VM1, 1));
        final ExecutionContext[] requesters = { fx.ec(VM1, 0), fx.ec(VM1, 1), fx.ec(VM2, 0), fx.ec(HYP) };
        for (final int target : TARGETS)
        {
            final ExecutionContext sp = fx.ec(target);
            for (final ExecutionContext requester : requesters)
            {
                final RegisterFile req = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, requester.partitionId(), target);
                final Future<RegisterFile> sent = fx.deliver(sp, requester, req);
                // Answered on this thread, so the target's next wait is over before it is used again.
                final RegisterFile resp = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, target, requester.partitionId());
                sp.invoke(resp, 20_000_000L);
                assertEquals(FunctionId.FFA_INTERRUPT, resp.w(0), resp::toString);
                final RegisterFile back = get(sent);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, back.w(0), () -> "seed " + seed + ": " + back);
            }
            final Future<RegisterFile> waiting = fx.msgWait(sp);
            final Future<RegisterFile> run = fx.async(fx.ec(HYP), regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(target, 0)));
            assertEquals(FunctionId.FFA_RUN, get(waiting).w(0));
            final RegisterFile wait = regs(FunctionId.FFA_MSG_WAIT);
            sp.invoke(wait, 20_000_000L);
            assertEquals(FunctionId.FFA_INTERRUPT, wait.w(0), wait::toString);
            final RegisterFile back = get(run);
            assertEquals(FunctionId.FFA_MSG_WAIT, back.w(0), () -> "seed " + seed + ": " + back);
        }
    }

    private long bound(final SplittableRandom rnd, final int shortEvery)
    {
        return rnd.nextInt(shortEvery) == 0 ? 20_000L + rnd.nextLong(1_000_000L) : LONG_NS;
    }

    private void fail(final String where, final RegisterFile r)
    {
        failures.add(where + ": " + r);
    }

    /** A VM's context: direct requests to either target, resumed with FFA_RUN after FFA_YIELD or FFA_INTERRUPT. */
    private void requester(final ExecutionContext ec, final int shortEvery, final int rounds, final int salt)
    {
        final SplittableRandom rnd = new SplittableRandom(seed * 31 + salt);
        final int me = ec.partitionId();
        final RegisterFile r = new RegisterFile();
        final RegisterFile probe = new RegisterFile();
        for (int round = 0; round < rounds && failures.isEmpty() && !aborted; round++)
        {
            final int target = TARGETS[rnd.nextInt(TARGETS.length)];
            final int tinfo = RegisterFile.packTargetInfo(target, 0);
            final long sequence = ((long)salt << 32) | round;
            final long payload = rnd.nextLong();
            final String where = "0x" + Integer.toHexString(me) + "/" + ec.index() + " round " + round;
            r.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).w(1, RegisterFile.packIds(me, target));
            r.x(3, sequence).x(4, payload);
            ec.invoke(r, bound(rnd, shortEvery));
            boolean begun = false;
            while (true)
            {
                final int w0 = r.w(0);
                if (w0 == FunctionId.FFA_MSG_SEND_DIRECT_RESP_64)
                {
                    if (r.w(1) != RegisterFile.packIds(target, me) || r.x(3) != sequence || r.x(4) != (payload ^ MASK) ||
                        !answered.add(sequence))
                    {
                        fail(where + ": not the answer to its request", r);
                    }
                    break;
                }
                if (w0 == FunctionId.FFA_ERROR && r.w(2) == ErrorCode.BUSY && !begun)
                {
                    // Not begun: the round is tried again, with a new target perhaps.
                    round--;
                    LockSupport.parkNanos(20_000L + rnd.nextLong(200_000L));
                    break;
                }
                begun = true;
                if ((w0 != FunctionId.FFA_YIELD && w0 != FunctionId.FFA_INTERRUPT) || r.w(1) != tinfo)
                {
                    fail(where + ": a direct request or its FFA_RUN returned", r);
                    return;
                }
                if (w0 == FunctionId.FFA_INTERRUPT || rnd.nextInt(4) == 0)
                {
                    // Outstanding: another request must wait for this one, and a VM runs nothing it was not lent.
                    final int other = TARGETS[rnd.nextInt(TARGETS.length)];
                    probe.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).w(1, RegisterFile.packIds(me, other));
                    ec.invoke(probe, LONG_NS);
                    if (probe.w(0) != FunctionId.FFA_ERROR || probe.w(2) != ErrorCode.BUSY)
                    {
                        fail(where + ": a second request while one is outstanding", probe);
                    }
                    if (other != target)
                    {
                        probe.clear().w(0, FunctionId.FFA_RUN).w(1, RegisterFile.packTargetInfo(other, 0));
                        ec.invoke(probe, LONG_NS);
                        if (probe.w(0) != FunctionId.FFA_ERROR ||
                            (probe.w(2) != ErrorCode.BUSY && probe.w(2) != ErrorCode.DENIED))
                        {
                            fail(where + ": a VM's FFA_RUN of a context that owes it nothing", probe);
                        }
                    }
                }
                r.clear().w(0, FunctionId.FFA_RUN).w(1, tinfo);
                ec.invoke(r, bound(rnd, shortEvery));
            }
        }
    }

    /** The scheduler: FFA_RUN of either target, and VM created framework requests to spa. */
    private void scheduler(final ExecutionContext ec, final int shortEvery, final int rounds, final int salt)
    {
        final SplittableRandom rnd = new SplittableRandom(seed * 31 + salt);
        final RegisterFile r = new RegisterFile();
        final RegisterFile probe = new RegisterFile();
        for (int round = 0; round < rounds && failures.isEmpty() && !aborted; round++)
        {
            final boolean framework = rnd.nextInt(4) == 0;
            final int target = framework ? SPA : TARGETS[rnd.nextInt(TARGETS.length)];
            final int tinfo = RegisterFile.packTargetInfo(target, 0);
            final String where = "scheduler round " + round + (framework ? " (framework)" : "");
            final long sequence = (long)salt << 32 | round;
            if (framework)
            {
                r.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_32).w(1, RegisterFile.packIds(HYP, target))
                    .w(2, RegisterFile.frameworkMessageFlags(FrameworkMessage.VM_CREATED_REQ)).w(3, -1).w(4, -1)
                    .w(5, (int)sequence);
            }
            else
            {
                r.clear().w(0, FunctionId.FFA_RUN).w(1, tinfo);
            }
            ec.invoke(r, bound(rnd, shortEvery));
            boolean first = true;
            while (true)
            {
                final int w0 = r.w(0);
                if (w0 == FunctionId.FFA_ERROR && r.w(2) == ErrorCode.BUSY && first)
                {
                    round--;
                    LockSupport.parkNanos(20_000L + rnd.nextLong(200_000L));
                    break;
                }
                if (first && !framework)
                {
                    runsGiven.incrementAndGet();
                }
                first = false;
                if (!framework && w0 == FunctionId.FFA_MSG_WAIT && r.w(1) == tinfo)
                {
                    break;
                }
                if (framework && w0 == FunctionId.FFA_MSG_SEND_DIRECT_RESP_32)
                {
                    if (r.w(1) != RegisterFile.packIds(target, HYP) ||
                        r.w(2) != RegisterFile.frameworkMessageFlags(FrameworkMessage.VM_CREATED_RESP) ||
                        r.w(4) != (int)sequence || !answered.add(sequence))
                    {
                        fail(where + ": not the answer to its framework request", r);
                    }
                    break;
                }
                if ((w0 != FunctionId.FFA_YIELD && w0 != FunctionId.FFA_INTERRUPT) || r.w(1) != tinfo)
                {
                    fail(where + ": a run, a framework request or its FFA_RUN returned", r);
                    return;
                }
                if (w0 == FunctionId.FFA_INTERRUPT && rnd.nextInt(2) == 0)
                {
                    // Its answer is still to come: running anyone else must wait for it (BUSY).
                    final int other = target == SPA ? SPB : SPA;
                    for (int i = 0; i < 3; i++)
                    {
                        LockSupport.parkNanos(50_000L);
                        probe.clear().w(0, FunctionId.FFA_RUN).w(1, RegisterFile.packTargetInfo(other, 0));
                        ec.invoke(probe, LONG_NS);
                        if (probe.w(0) != FunctionId.FFA_ERROR || probe.w(2) != ErrorCode.BUSY)
                        {
                            fail(where + ": FFA_RUN of another context while an interrupted answer is to come", probe);
                            return;
                        }
                    }
                }
                r.clear().w(0, FunctionId.FFA_RUN).w(1, tinfo);
                ec.invoke(r, bound(rnd, shortEvery));
            }
        }
    }

    /**
     * A target: waits with a short random bound; answers requests (after an FFA_YIELD now and then),
     * gives a scheduler's run back with FFA_MSG_WAIT (after yielding now and then), and after its own
     * wait was interrupted sometimes calls FFA_YIELD, a no-op there. Stops at an interrupted wait
     * once the drivers are done.
     */
    private void target(final ExecutionContext ec, final long serveNs, final int salt)
    {
        final SplittableRandom rnd = new SplittableRandom(seed * 31 + salt);
        final int me = ec.partitionId();
        final int tinfo = RegisterFile.packTargetInfo(me, 0);
        final String where = "target 0x" + Integer.toHexString(me);
        final RegisterFile r = new RegisterFile();
        final RegisterFile y = new RegisterFile();
        r.clear().w(0, FunctionId.FFA_MSG_WAIT);
        ec.invoke(r, 1 + rnd.nextLong(serveNs));
        while (true)
        {
            final int w0 = r.w(0);
            if (w0 == FunctionId.FFA_INTERRUPT && r.w(1) == tinfo)
            {
                if (stop)
                {
                    return;
                }
                if (rnd.nextInt(4) == 0)
                {
                    y.clear().w(0, FunctionId.FFA_YIELD).w(2, 1000);
                    ec.invoke(y, LONG_NS);
                    if (y.w(0) != FunctionId.FFA_SUCCESS_32 || !y.isZero(1, 17))
                    {
                        fail(where + ": FFA_YIELD after an interrupted wait", y);
                    }
                }
                r.clear().w(0, FunctionId.FFA_MSG_WAIT);
            }
            else if (w0 == FunctionId.FFA_RUN && r.w(1) == tinfo)
            {
                runsReceived.incrementAndGet();
                yieldNowAndThen(ec, rnd, y, where + " run");
                dawdleNowAndThen(rnd);
                r.clear().w(0, FunctionId.FFA_MSG_WAIT);
            }
            else if (w0 == FunctionId.FFA_MSG_SEND_DIRECT_REQ_64 && RegisterFile.receiverOf(r.w(1)) == me)
            {
                final int requester = RegisterFile.senderOf(r.w(1));
                if (!served.add(r.x(3)))
                {
                    fail(where + ": a request served twice", r);
                }
                final long sequence = r.x(3);
                final long payload = r.x(4);
                yieldNowAndThen(ec, rnd, y, where + " request");
                dawdleNowAndThen(rnd);
                r.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_RESP_64).w(1, RegisterFile.packIds(me, requester));
                r.x(3, sequence).x(4, payload ^ MASK);
            }
            else if (w0 == FunctionId.FFA_MSG_SEND_DIRECT_REQ_32 && r.w(1) == RegisterFile.packIds(HYP, me) &&
                r.w(2) == RegisterFile.frameworkMessageFlags(FrameworkMessage.VM_CREATED_REQ))
            {
                final int sequence = r.w(5);
                if (!served.add((long)4 << 32 | sequence))
                {
                    fail(where + ": a framework request served twice", r);
                }
                yieldNowAndThen(ec, rnd, y, where + " framework request");
                dawdleNowAndThen(rnd);
                r.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_RESP_32).w(1, RegisterFile.packIds(me, HYP))
                    .w(2, RegisterFile.frameworkMessageFlags(FrameworkMessage.VM_CREATED_RESP)).w(4, sequence);
            }
            else
            {
                fail(where + ": a wait returned", r);
                return;
            }
            ec.invoke(r, 1 + rnd.nextLong(serveNs));
        }
    }

    /** One time in four the work takes 0.1-1 ms, longer than many short bounds: the caller is interrupted. */
    private static void dawdleNowAndThen(final SplittableRandom rnd)
    {
        if (rnd.nextInt(4) == 0)
        {
            LockSupport.parkNanos(500_000L + rnd.nextLong(2_500_000L));
        }
    }

    /** FFA_YIELD one time in three: it returns FFA_SUCCESS once the owner of the cycles runs us again. */
    private void yieldNowAndThen(final ExecutionContext ec, final SplittableRandom rnd, final RegisterFile y, final String where)
    {
        if (rnd.nextInt(3) == 0)
        {
            y.clear().w(0, FunctionId.FFA_YIELD).w(2, rnd.nextInt()).w(3, rnd.nextInt());
            ec.invoke(y, LONG_NS);
            if (y.w(0) != FunctionId.FFA_SUCCESS_32 || !y.isZero(1, 17))
            {
                fail(where + ": FFA_YIELD", y);
            }
        }
    }
}
