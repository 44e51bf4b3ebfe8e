package org.ffafabric.conformance;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.BufferOwnership;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Several threads racing on the same shared state: direct requests (DIRECT_REQ_64 and REQ2) from
 * many requesters, some in a child JVM, to one target context (the state word's compare-and-set,
 * BUSY, the release by the requester, FFA_INTERRUPT, FFA_YIELD and FFA_RUN), and the RX buffer's
 * ownership handoff (PARTITION_INFO_GET, FFA_RX_RELEASE, FFA_RX_ACQUIRE, and FFA_RXTX_UNMAP taking
 * RX from whoever holds it). Every loop is count-based with a time cap far past what its count takes even
 * on a loaded machine, so that it fails only a run that hangs; nothing asserts on timing.
 */
class ConcurrencyStressTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int VM2 = 2;
    static final int VM3 = 3;
    static final int SP1 = 0x8001;
    static final int SP2 = 0x8002;
    static final int[] VMS = { VM1, VM2, VM3 };
    static final UUID[] UUIDS = {
        UUID.fromString("00000000-0000-0000-0000-0000000000a0"),
        UUID.fromString("11111111-2222-3333-4444-555555555555"),
        UUID.fromString("21222324-2526-2728-292a-2b2c2d2e2f30"),
        UUID.fromString("31323334-3536-3738-393a-3b3c3d3e3f40"),
        UUID.fromString("a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8"),
        UUID.fromString("f1f2f3f4-0102-0304-0506-0708090a0b0c"),
    };
    static final int[] IDS = { HYP, VM1, VM2, VM3, SP1, SP2 };
    static final int[] ECS = { 1, 2, 2, 2, 1, 2 };

    /**
     * Beyond this, a thread that has not finished its count is reported as hung. A count takes a second or two on an
     * idle two-core machine and up to half a minute beside four busy processes (30 s was too close).
     */
    static final long CAP_NS = TimeUnit.MINUTES.toNanos(3);
    /** A test's hang guard: past its cap, the stop of its serving contexts and the fixture's close. */
    static final int TIMEOUT_S = 300;
    /** A serving context's wait: long, so a run normally has no FFA_INTERRUPT on the serving side. */
    static final long SERVE_NS = TimeUnit.SECONDS.toNanos(1);
    static final long STOP = 0x5709_5709_5709_5709L;
    static final long RESPONSE_MASK = 0x0F0F_F0F0_A5A5_5A5AL;
    static final long TX_PAGE = 0;
    static final long RX_PAGE = 1;

    private FabricFixture fx;
    // Set when a test ends (or fails): every loop of its threads stops at the next turn.
    private volatile boolean aborted;
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void launch()
    {
        final Manifest.Builder b = Manifest.builder();
        for (int i = 0; i < IDS.length; i++)
        {
            final int n = i;
            final World world = IDS[n] == HYP ? World.HYPERVISOR : (IDS[n] & 0x8000) != 0 ? World.SP_EL1 : World.VM;
            b.partition(p -> p.name("p" + n).id(IDS[n]).world(world).uuid(UUIDS[n].toString()).directMessaging()
                .executionContexts(ECS[n]).memorySize(16 * 4096));
        }
        fx = FabricFixture.launch(b.build(), IDS);
    }

    @AfterEach
    void close() throws Exception
    {
        aborted = true;
        fx.close();
    }

    // 1. Contended direct requests.

    @Test
    @Timeout(TIMEOUT_S)
    void contendedDirectRequestsToOneContext() throws Exception
    {
        contend(SP1, requesters(1), new Load(4000));
    }

    @Test
    @Timeout(TIMEOUT_S)
    void contendedDirectRequestsToEveryContextOfAnMpPartition() throws Exception
    {
        contend(SP2, requesters(2), new Load(2000));
    }

    /**
     * Every requester's bound is short, so requests end in FFA_INTERRUPT and are resumed with FFA_RUN.
     * Every {@code slowEvery}-th request of each requester is answered only once its requester has been
     * interrupted, so interrupts happen whatever the scheduling; the rest are interrupted when they are.
     */
    @Test
    @Timeout(TIMEOUT_S)
    void interruptedRequestsAreResumedWithRunUnderContention() throws Exception
    {
        contend(SP1, requesters(1), new Load(1000).bound(30_000L, 10));
    }

    @Test
    @Timeout(TIMEOUT_S)
    void interruptedRequestsToAnMpPartitionUnderContention() throws Exception
    {
        contend(SP2, requesters(2), new Load(500).bound(30_000L, 7));
    }

    /**
     * The serving context's own wait is bounded so tightly that it keeps ending in FFA_INTERRUPT
     * between requests: its compare-and-sets to RUNNING(interrupt), and its release on behalf of a
     * requester that has not yet taken its answer, race the requesters' own.
     */
    @Test
    @Timeout(TIMEOUT_S)
    void servingContextsInterruptedBetweenContendedRequests() throws Exception
    {
        contend(SP2, requesters(2), new Load(1500).serve(20_000L));
    }

    @Test
    @Timeout(TIMEOUT_S)
    void bothSidesInterruptedUnderContention() throws Exception
    {
        contend(SP1, requesters(1), new Load(1000).bound(30_000L, 10).serve(20_000L));
    }

    /**
     * DIRECT_REQ2: the target's UUID or Nil in x2/x3 and fourteen payload words, each request's own;
     * now and then a REQ2 naming another partition's UUID, which must be refused before it contends.
     */
    @Test
    @Timeout(TIMEOUT_S)
    void contendedDirectReq2ToEveryContextOfAnMpPartition() throws Exception
    {
        contend(SP2, requesters(2), new Load(300).req2());
    }

    /**
     * The serving context gives the CPU back with FFA_YIELD in the middle of every fifth request; its
     * requester resumes it with FFA_RUN after a pause in which the others, refused with BUSY, try to run
     * it too. Only the requester's FFA_RUN may resume it; a stranger's finds it BLOCKED (BUSY), or runs it
     * while it waits, and it gives the cycles straight back (FFA_MSG_WAIT).
     */
    @Test
    @Timeout(TIMEOUT_S)
    void yieldingContextResumedByItsRequesterUnderContention() throws Exception
    {
        contend(SP1, requesters(1), new Load(600).req2().yieldEvery(5));
    }

    @Test
    @Timeout(TIMEOUT_S)
    void yieldingContextsOfAnMpPartitionUnderContention() throws Exception
    {
        contend(SP2, requesters(2), new Load(300).yieldEvery(4));
    }

    /**
     * Requesters in two processes: VM3's two contexts send from a child JVM, VM1's and VM2's from this
     * one, all to SP1's one context. Every request is answered exactly once, the serving indexes that
     * both processes received together being every index the context served, or refused with BUSY.
     */
    @Test
    @Timeout(TIMEOUT_S)
    void requestersInTwoProcessesContendForOneContext() throws Exception
    {
        final List<int[]> here = List.of(new int[] { VM1, 0 }, new int[] { VM2, 0 }, new int[] { VM1, 1 },
            new int[] { VM2, 1 });
        contend(SP1, here, new Load(1500).remote(VM3));
    }

    /** (VM, EC index) pairs: every VM's first {@code ecs} contexts. */
    private static List<int[]> requesters(final int ecs)
    {
        final List<int[]> list = new ArrayList<>();
        for (int ec = 0; ec < ecs; ec++)
        {
            for (final int vm : VMS)
            {
                list.add(new int[] { vm, ec });
            }
        }
        return list;
    }

    static long tag(final int id, final int ec, final int index)
    {
        return ((long)id << 16) | ((long)ec << 8) | index;
    }

    static long nonce(final long tag, final long seq)
    {
        long z = tag * 0x9E37_79B9_7F4A_7C15L + seq;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Payload word {@code i} of a request: 0 the tag, 1 the sequence, 3 and 4 zero (the response's
     * serving index and the STOP mark go there), every other word a nonce of its own.
     */
    static long payloadWord(final long tag, final long seq, final int i)
    {
        switch (i)
        {
            case 0: return tag;
            case 1: return seq;
            case 3:
            case 4: return 0;
            default: return nonce(tag ^ ((long)i << 40), seq);
        }
    }

    /** A REQ2's x2/x3: the target's UUID for even sequences, Nil (any UUID) for odd ones. */
    static long uuidRegister(final int target, final long seq, final int half)
    {
        for (int i = 0; i < IDS.length; i++)
        {
            if (IDS[i] == target && (seq & 1) == 0)
            {
                return uuidLe(UUIDS[i], half);
            }
        }
        return 0;
    }

    private long stateWord(final int id, final int ec)
    {
        final ControlFile cf = fx.controlFile();
        return cf.ecState(cf.ecStateOffset(cf.slotOf(id), ec));
    }

    /** One contended run's shape. */
    static final class Load
    {
        final int count;
        // The requesters' bound on each wait (0: none), and every slowEvery-th request answered only
        // once its requester has been interrupted.
        long boundNs;
        int slowEvery;
        long serveNs = SERVE_NS;
        boolean req2;
        // Every yieldEvery-th request of each requester, the serving context yields before answering.
        int yieldEvery;
        // A VM whose every context sends from a child JVM (0: none).
        int remoteVm;

        Load(final int count)
        {
            this.count = count;
        }

        Load bound(final long boundNs, final int slowEvery)
        {
            this.boundNs = boundNs;
            this.slowEvery = slowEvery;
            return this;
        }

        Load serve(final long serveNs)
        {
            this.serveNs = serveNs;
            return this;
        }

        Load req2()
        {
            this.req2 = true;
            return this;
        }

        Load yieldEvery(final int yieldEvery)
        {
            this.yieldEvery = yieldEvery;
            return this;
        }

        Load remote(final int vm)
        {
            this.remoteVm = vm;
            return this;
        }

        int requestId()
        {
            return req2 ? FunctionId.FFA_MSG_SEND_DIRECT_REQ2 : FunctionId.FFA_MSG_SEND_DIRECT_REQ_64;
        }

        int responseId()
        {
            return req2 ? FunctionId.FFA_MSG_SEND_DIRECT_RESP2 : FunctionId.FFA_MSG_SEND_DIRECT_RESP_64;
        }
    }

    /** One serving context's thread: serveDirectRequest until a STOP request, or until aborted. */
    private final class Server implements DirectRequestHandler
    {
        final ExecutionContext ec;
        final AtomicLongArray interruptedSeq;
        final Load load;
        final Map<Long, Long> nextSeq = new HashMap<>();
        final RegisterFile yieldRegs = new RegisterFile();
        volatile boolean abort;
        boolean stop;
        long served;
        long interrupts;
        long yields;
        long runs;

        Server(final ExecutionContext ec, final AtomicLongArray interruptedSeq, final Load load)
        {
            this.ec = ec;
            this.interruptedSeq = interruptedSeq;
            this.load = load;
        }

        void serve()
        {
            final RegisterFile other = new RegisterFile();
            while (!stop && !abort)
            {
                if (ec.serveDirectRequest(this, other, load.serveNs))
                {
                    served++;
                }
                else if (other.functionId() == FunctionId.FFA_INTERRUPT)
                {
                    interrupts++;
                }
                else if (other.functionId() == FunctionId.FFA_RUN && load.yieldEvery > 0 &&
                    other.x(1) == (RegisterFile.packTargetInfo(ec.partitionId(), ec.index()) & 0xFFFF_FFFFL) &&
                    other.isZero(2, 17))
                {
                    // A requester's FFA_RUN found us waiting: the next serve gives its cycles back.
                    runs++;
                }
                else
                {
                    failures.add("serve on " + Integer.toHexString(ec.partitionId()) + "/" + ec.index() +
                        " ended with " + other);
                    return;
                }
            }
        }

        public void onDirectRequest(final DirectMessage req, final DirectMessage resp)
        {
            final String where = Integer.toHexString(ec.partitionId()) + "/" + ec.index();
            final long tag = req.payload(0);
            final long seq = req.payload(1);
            // An MP partition serves each request on the requester's own context index.
            if (req.functionId() != load.requestId() || req.receiver() != ec.partitionId() ||
                (int)(tag >>> 16) != req.sender() ||
                (ec.endpoint().executionContextCount() > 1 && ((tag >>> 8) & 0xFF) != ec.index()))
            {
                failures.add(where + " served a request that is not its own: " + req);
            }
            // The response's slot index lets the requesters prove every answer reached exactly one of them.
            resp.payload(3, served);
            if (req.payload(4) == STOP)
            {
                stop = true;
                resp.payload(4, STOP);
                return;
            }
            final long expected = nextSeq.getOrDefault(tag, 0L);
            if (seq != expected)
            {
                failures.add(where + " got sequence " + seq + " from " + Long.toHexString(tag) + ", expected " + expected +
                    " (lost or duplicated request)");
            }
            nextSeq.put(tag, seq + 1);
            checkPayload(req, tag, seq, where);
            if (load.slowEvery > 0 && seq % load.slowEvery == 0)
            {
                // Answer only once the requester has seen FFA_INTERRUPT for this very request.
                final int index = (int)(tag & 0xFF);
                final long deadline = System.nanoTime() + WAIT_NS;
                while (interruptedSeq.get(index) != seq)
                {
                    if (System.nanoTime() > deadline)
                    {
                        failures.add(where + ": requester " + Long.toHexString(tag) + " never got FFA_INTERRUPT for " + seq);
                        break;
                    }
                    LockSupport.parkNanos(20_000);
                }
            }
            if (load.yieldEvery > 0 && seq % load.yieldEvery == 0)
            {
                // Mid-request, give the CPU back: only our requester's FFA_RUN brings it back here.
                yieldRegs.clear().w(0, FunctionId.FFA_YIELD);
                ec.invoke(yieldRegs);
                if (yieldRegs.functionId() != FunctionId.FFA_SUCCESS_32 || !yieldRegs.isZero(1, 17))
                {
                    failures.add(where + ": FFA_YIELD returned " + yieldRegs);
                }
                yields++;
                // The request was copied out of the log for the call: still the same request.
                checkPayload(req, tag, seq, where);
            }
            for (int i = 0; i < resp.payloadWords(); i++)
            {
                if (i != 3 && i != 4)
                {
                    resp.payload(i, i == 0 ? tag ^ RESPONSE_MASK : i == 1 ? seq : ~req.payload(i));
                }
            }
        }

        private void checkPayload(final DirectMessage req, final long tag, final long seq, final String where)
        {
            final RegisterFile r = req.registers();
            boolean intact = !load.req2 ||
                (r.x(2) == uuidRegister(ec.partitionId(), seq, 0) && r.x(3) == uuidRegister(ec.partitionId(), seq, 1));
            for (int i = 2; i < req.payloadWords(); i++)
            {
                intact &= req.payload(i) == payloadWord(tag, seq, i);
            }
            if (!intact)
            {
                failures.add(where + " got a torn request " + req);
            }
        }
    }

    /** What one requester saw. */
    static final class Outcome
    {
        final List<Long> slots = new ArrayList<>();
        long ok;
        long busy;
        long interrupts;
        long yields;
        long runs;
        long refused;

        /** An OUTCOME line of {@link RequesterProcess}: context, answered, BUSY, serving indexes. */
        static Outcome parse(final String line)
        {
            final String[] f = line.split(" ");
            final Outcome o = new Outcome();
            o.ok = Long.parseLong(f[2]);
            o.busy = Long.parseLong(f[3]);
            for (int i = 4; i < f.length; i++)
            {
                for (final String slot : f[i].split(","))
                {
                    o.slots.add(Long.parseLong(slot));
                }
            }
            return o;
        }

        void add(final Outcome o)
        {
            ok += o.ok;
            busy += o.busy;
            interrupts += o.interrupts;
            yields += o.yields;
            runs += o.runs;
            refused += o.refused;
        }
    }

    /**
     * The requesters each send {@code load.count} direct requests to {@code target} (context = the
     * requester's own index when the target has several), retrying BUSY; so do the remote VM's contexts,
     * from a child JVM ({@link RequesterProcess}), when the load names one.
     */
    private void contend(final int target, final List<int[]> requesters, final Load load) throws Exception
    {
        final int targetEcs = fx.endpoint(target).executionContextCount();
        final AtomicLongArray interruptedSeq = new AtomicLongArray(requesters.size());
        for (int i = 0; i < requesters.size(); i++)
        {
            interruptedSeq.set(i, -1);
        }
        final long[] claimWord = new long[targetEcs];
        final Server[] servers = new Server[targetEcs];
        final CyclicBarrier gaps = load.serveNs < SERVE_NS ? new CyclicBarrier(requesters.size()) : null;
        final List<Future<?>> serving = new ArrayList<>();
        final List<Future<Outcome>> sending = new ArrayList<>();
        final List<int[]> all = new ArrayList<>(requesters);
        final CountDownLatch go = new CountDownLatch(1);
        ChildProcess child = null;
        try
        {
            if (load.remoteVm != 0)
            {
                // The fixture lets go of the VM and the child claims it.
                fx.endpoint(load.remoteVm).close();
                child = ChildProcess.start(RequesterProcess.class, "--dir", fx.fabric().directory().toString(),
                    "--partition", String.valueOf(load.remoteVm), "--target", String.valueOf(target),
                    "--count", String.valueOf(load.count), "--first-index", String.valueOf(requesters.size()));
                child.awaitLine("READY", ChildProcess.START_NS);
                final ControlFile cf = fx.controlFile();
                for (int ec = 0; ec < cf.executionContextCount(cf.slotOf(load.remoteVm)); ec++)
                {
                    all.add(new int[] { load.remoteVm, ec });
                }
            }
            final long[] requesterWord = new long[all.size()];
            for (int i = 0; i < all.size(); i++)
            {
                requesterWord[i] = stateWord(all.get(i)[0], all.get(i)[1]);
            }
            for (int ec = 0; ec < targetEcs; ec++)
            {
                // Claimed and untouched: RUNNING. The first serve moves it to WAITING (one transition).
                claimWord[ec] = stateWord(target, ec);
                assertEquals(ExecutionContextState.RUNNING, ExecutionContextState.state(claimWord[ec]));
                final Server server = new Server(fx.ec(target, ec), interruptedSeq, load);
                servers[ec] = server;
                serving.add(fx.exec().submit(server::serve));
                fx.awaitState(target, ec, ExecutionContextState.WAITING);
            }
            for (int i = 0; i < requesters.size(); i++)
            {
                final int[] r = requesters.get(i);
                final Requester requester = new Requester(fx.ec(r[0], r[1]), i, target, targetEcs == 1 ? 0 : r[1], load,
                    fx.controlFile(), () -> aborted).interrupts(interruptedSeq, gaps);
                sending.add(fx.exec().submit(() ->
                {
                    assertTrue(go.await(CAP_NS, TimeUnit.NANOSECONDS), "never started");
                    return requester.run();
                }));
            }
            // With yields, the scheduler (the hypervisor endpoint) runs context 0 of the target now and
            // then: the one FFA_RUN that gives cycles to a context waiting for requests.
            final AtomicBoolean schedulerStop = new AtomicBoolean();
            final Future<Outcome> scheduling = load.yieldEvery == 0 ? null : fx.exec().submit(() ->
            {
                assertTrue(go.await(CAP_NS, TimeUnit.NANOSECONDS), "never started");
                return new Requester(fx.ec(HYP), -1, target, 0, load, fx.controlFile(), () -> aborted)
                    .schedule(schedulerStop);
            });
            if (child != null)
            {
                // Everyone starts once each of the child's requesters has had an answer (its first request
                // waits for Aeron to connect it across processes, while everyone else would race ahead).
                child.send("GO");
                child.awaitLine("GOING", CAP_NS);
            }
            go.countDown();
            final List<Outcome> outcomes = new ArrayList<>();
            final long deadline = System.nanoTime() + CAP_NS + WAIT_NS;
            for (final Future<Outcome> f : sending)
            {
                while (true)
                {
                    try
                    {
                        outcomes.add(f.get(10, TimeUnit.MILLISECONDS));
                        break;
                    }
                    catch (final TimeoutException ex)
                    {
                        // A serving thread that died explains a hung requester better than the hang does.
                        for (final Future<?> server : serving)
                        {
                            if (server.isDone())
                            {
                                server.get();
                                fail("a serving context stopped before its STOP request: " + String.join("\n", failures));
                            }
                        }
                        assertTrue(System.nanoTime() < deadline, "requesters never finished");
                    }
                }
            }
            for (int i = requesters.size(); i < all.size(); i++)
            {
                outcomes.add(Outcome.parse(child.awaitLine("OUTCOME " + all.get(i)[1] + " ", CAP_NS)));
            }
            schedulerStop.set(true);
            final Outcome scheduled = scheduling == null ? new Outcome() : scheduling.get(WAIT_NS, TimeUnit.NANOSECONDS);

            // Stop each serving context with one last request from a requester of that context.
            final List<List<Long>> slotsByEc = new ArrayList<>();
            for (int ec = 0; ec < targetEcs; ec++)
            {
                slotsByEc.add(new ArrayList<>());
            }
            for (int ec = 0; ec < targetEcs; ec++)
            {
                for (int i = 0; i < requesters.size(); i++)
                {
                    final int[] r = requesters.get(i);
                    if ((targetEcs == 1 ? 0 : r[1]) == ec)
                    {
                        slotsByEc.get(ec).add(stop(fx.ec(r[0], r[1]), target, ec, i, load));
                        break;
                    }
                }
            }
            for (final Future<?> f : serving)
            {
                f.get(WAIT_NS, TimeUnit.NANOSECONDS);
            }
            assertTrue(failures.isEmpty(), () -> String.join("\n", failures));

            final Outcome total = new Outcome();
            final Outcome[] byEc = new Outcome[targetEcs];
            for (int i = 0; i < outcomes.size(); i++)
            {
                final Outcome o = outcomes.get(i);
                assertEquals(load.count, o.ok, "every request of requester " + i + " answered");
                final int ec = targetEcs == 1 ? 0 : all.get(i)[1];
                byEc[ec] = byEc[ec] == null ? new Outcome() : byEc[ec];
                byEc[ec].add(o);
                total.add(o);
                slotsByEc.get(ec).addAll(o.slots);
            }
            byEc[0].runs += scheduled.runs;
            total.runs += scheduled.runs;
            long served = 0;
            long serverInterrupts = 0;
            for (int ec = 0; ec < targetEcs; ec++)
            {
                final Server s = servers[ec];
                served += s.served;
                serverInterrupts += s.interrupts;
                // Each answer carries its serving index: every index reached exactly one requester.
                final List<Long> slots = slotsByEc.get(ec);
                final BitSet seen = new BitSet();
                for (final long slot : slots)
                {
                    assertTrue(slot >= 0 && slot < s.served, "answer index " + slot + " of " + s.served + " served");
                    assertFalse(seen.get((int)slot), "answer " + slot + " of " + Integer.toHexString(target) + "/" + ec +
                        " delivered twice");
                    seen.set((int)slot);
                }
                assertEquals(s.served, slots.size(), "answers served by context " + ec + " == answers received");
                // Each yield reached its requester, each run of a waiting context came back to its runner.
                assertEquals(s.yields, byEc[ec].yields, "FFA_YIELDs of context " + ec + " == FFA_YIELDs received");
                assertEquals(s.runs, byEc[ec].runs, "FFA_RUNs context " + ec + " took == FFA_RUNs it gave back");
                // Every exchange is two transitions (the requester's CAS and its release, or the target's on
                // its behalf), every serving-side interrupt two more (RUNNING(interrupt), WAITING), every
                // yield two (BLOCKED, and RUNNING by its requester's FFA_RUN), every run of a waiting context
                // two (RUNNING by the runner's CAS, WAITING by its release), plus the first wait: a lost or
                // doubled transition shows in the sequence.
                final long word = stateWord(target, ec);
                final long sequence = ExecutionContextState.sequence(claimWord[ec]) + 1 +
                    2 * (s.served + s.interrupts + s.yields + s.runs);
                assertEquals(ExecutionContextState.WAITING, ExecutionContextState.state(word),
                    () -> "target context afterwards: " + ExecutionContextState.describe(word));
                assertEquals((sequence << 32) | ExecutionContextState.WAITING, word,
                    "target word: WAITING, no peer, sequence " + sequence + " (served " + s.served + ", interrupts " +
                    s.interrupts + ", yields " + s.yields + ", runs " + s.runs + "), was " + Long.toHexString(word));
            }
            assertEquals(total.ok + targetEcs, served, "requests served == successful responses (+ one stop each)");
            for (int i = 0; i < all.size(); i++)
            {
                final int[] r = all.get(i);
                assertEquals(requesterWord[i], stateWord(r[0], r[1]), "requester " + i + "'s own word is as it was");
            }
            if (child != null)
            {
                assertEquals(0, child.finish(), "the child released its VM and exited");
            }
            final long requesterCount = all.size();
            if (load.slowEvery > 0)
            {
                assertTrue(total.interrupts >= requesterCount * ((load.count + load.slowEvery - 1) / load.slowEvery),
                    "every slow request was interrupted: " + total.interrupts);
            }
            assertEquals(load.yieldEvery > 0 ? requesterCount * ((load.count + load.yieldEvery - 1) / load.yieldEvery) : 0,
                total.yields, "every yielding request yielded once");
            System.out.printf("%s: %d %s, %d BUSY, %d interrupts, %d serving-side interrupts, %d yields, %d runs of a " +
                "waiting context, %d refused%n", Integer.toHexString(target), total.ok, load.req2 ? "REQ2" : "REQ_64",
                total.busy, total.interrupts, serverInterrupts, total.yields, total.runs, total.refused);
        }
        finally
        {
            aborted = true;
            for (final Server s : servers)
            {
                if (s != null)
                {
                    s.abort = true;
                }
            }
            if (child != null)
            {
                child.close();
            }
        }
    }

    /**
     * One requester: {@code load.count} direct requests, each retried while BUSY, resumed with FFA_RUN
     * after FFA_INTERRUPT or FFA_YIELD, and its answer checked word by word.
     */
    static final class Requester
    {
        final ExecutionContext ec;
        final int index;
        final int target;
        final int targetEc;
        final Load load;
        final ControlFile controlFile;
        final BooleanSupplier aborted;
        final int me;
        final long tag;
        final int targetInfo;
        final RegisterFile r = new RegisterFile();
        final DirectMessage m = new DirectMessage(r);
        AtomicLongArray interruptedSeq;
        CyclicBarrier gaps;
        // Counted down once the first request is answered (null: nobody waits for that).
        CountDownLatch firstAnswer;

        Requester(final ExecutionContext ec, final int index, final int target, final int targetEc, final Load load,
            final ControlFile controlFile, final BooleanSupplier aborted)
        {
            this.ec = ec;
            this.index = index;
            this.target = target;
            this.targetEc = targetEc;
            this.load = load;
            this.controlFile = controlFile;
            this.aborted = aborted;
            this.me = ec.partitionId();
            this.tag = tag(me, ec.index(), index);
            this.targetInfo = RegisterFile.packTargetInfo(target, targetEc);
        }

        /** Where to report interrupted requests, and the barrier for gaps between them (null: none). */
        Requester interrupts(final AtomicLongArray interruptedSeq, final CyclicBarrier gaps)
        {
            this.interruptedSeq = interruptedSeq;
            this.gaps = gaps;
            return this;
        }

        Outcome run()
        {
            final Outcome o = new Outcome();
            final long cap = System.nanoTime() + CAP_NS;
            final long bound = load.boundNs == 0 ? WAIT_NS : load.boundNs;
            for (long seq = 0; seq < load.count; seq++)
            {
                if (load.req2 && (seq & 15) == 7)
                {
                    refuseForeignUuid(seq, o);
                }
                if (load.yieldEvery > 0 && (seq & 7) == 3)
                {
                    // As a scheduler would: run the target, which gives the cycles back unless it is busy.
                    runAsStranger(o);
                }
                while (true)
                {
                    assertFalse(aborted.getAsBoolean(), "aborted");
                    assertTrue(System.nanoTime() < cap, () -> "requester " + Long.toHexString(tag) + " hung: " + o.ok + " done");
                    request(seq);
                    ec.invoke(r, bound);
                    if (r.functionId() == FunctionId.FFA_ERROR && r.w(2) == ErrorCode.BUSY)
                    {
                        assertTrue(r.isZero(3, 17), r::toString);
                        if ((++o.busy & 3) == 0 && load.yieldEvery > 0)
                        {
                            runAsStranger(o);
                        }
                        Thread.yield();
                        continue;
                    }
                    if (r.functionId() == FunctionId.FFA_INTERRUPT || r.functionId() == FunctionId.FFA_YIELD)
                    {
                        final long current = seq;
                        assertTrue(load.boundNs != 0 || r.functionId() == FunctionId.FFA_YIELD,
                            () -> "no answer to " + Long.toHexString(tag) + "/" + current + " in 10 s");
                        resume(seq, o, cap);
                    }
                    break;
                }
                o.slots.add(checkAnswer(seq));
                if (o.ok++ == 0 && firstAnswer != null)
                {
                    firstAnswer.countDown();
                }
                if (gaps != null && (seq & 31) == 31)
                {
                    // A gap in which nobody sends, so a serving context with a short wait is interrupted
                    // between requests (and the next requests race its way back to WAITING).
                    try
                    {
                        gaps.await(WAIT_NS, TimeUnit.NANOSECONDS);
                    }
                    catch (final Exception ex)
                    {
                        fail("requesters lost step: " + ex);
                    }
                    LockSupport.parkNanos(5_000_000);
                }
            }
            return o;
        }

        private void request(final long seq)
        {
            r.clear().w(0, load.requestId()).w(1, RegisterFile.packIds(me, target));
            if (load.req2)
            {
                r.x(2, uuidRegister(target, seq, 0)).x(3, uuidRegister(target, seq, 1));
            }
            for (int i = 0; i < m.payloadWords(); i++)
            {
                m.payload(i, payloadWord(tag, seq, i));
            }
        }

        /** A REQ2 naming another partition's UUID: INVALID_PARAMETERS, before it touches the target. */
        private void refuseForeignUuid(final long seq, final Outcome o)
        {
            request(seq);
            r.x(2, uuidLe(UUIDS[1], 0)).x(3, uuidLe(UUIDS[1], 1));
            ec.invoke(r, WAIT_NS);
            assertError(ErrorCode.INVALID_PARAMETERS, r, "REQ2 naming a UUID the target does not have");
            o.refused++;
        }

        /**
         * FFA_RUN of the target by a requester that is not its owner. A VM is not the scheduler: it may
         * only resume its own request, so it is DENIED whatever the target does. The scheduler finds a
         * context that serves (or has yielded to) someone else BUSY; when it waits, it runs and gives the
         * cycles straight back with FFA_MSG_WAIT. An SP finds it BUSY when it has yielded to someone else,
         * else DENIED: an SP resumes only a BLOCKED or PREEMPTED one.
         */
        private void runAsStranger(final Outcome o)
        {
            r.clear().w(0, FunctionId.FFA_RUN).w(1, targetInfo);
            ec.invoke(r, WAIT_NS);
            final boolean scheduler = me == EndpointId.HYPERVISOR;
            if (r.functionId() == FunctionId.FFA_ERROR)
            {
                if (!scheduler && !EndpointId.isSecure(me))
                {
                    assertError(ErrorCode.DENIED, r, "FFA_RUN by a VM of a context that owes it no cycles");
                }
                else if (!EndpointId.isSecure(me) || r.errorCode() != ErrorCode.DENIED)
                {
                    assertError(ErrorCode.BUSY, r, "FFA_RUN of a context serving someone else");
                }
                return;
            }
            assertTrue(scheduler, () -> "only the scheduler runs a waiting context: " + r);
            assertEquals(FunctionId.FFA_MSG_WAIT, r.functionId(), () -> "FFA_RUN of a waiting context: " + r);
            assertEquals(targetInfo & 0xFFFF_FFFFL, r.x(1), r::toString);
            assertTrue(r.isZero(2, 17), r::toString);
            o.runs++;
        }

        /** The scheduler's loop: FFA_RUN of the target now and then, until told to stop. */
        Outcome schedule(final AtomicBoolean stop)
        {
            final Outcome o = new Outcome();
            final long cap = System.nanoTime() + CAP_NS;
            while (!stop.get())
            {
                assertFalse(aborted.getAsBoolean(), "aborted");
                assertTrue(System.nanoTime() < cap, "the scheduler outlived the requesters");
                runAsStranger(o);
                LockSupport.parkNanos(ThreadLocalRandom.current().nextInt(20_000));
            }
            return o;
        }

        /** The answer in {@code r}: its serving index, once every word is checked. */
        private long checkAnswer(final long seq)
        {
            assertEquals(load.responseId() & 0xFFFF_FFFFL, r.x(0), () -> "answer to " + seq + ": " + r);
            assertEquals(RegisterFile.packIds(target, me) & 0xFFFF_FFFFL, r.x(1), () -> "answer to " + seq + ": " + r);
            assertEquals(0L, r.x(2), () -> "answer to " + seq + ": " + r);
            assertEquals(tag ^ RESPONSE_MASK, m.payload(0), () -> "answer to " + seq + " is someone else's: " + r);
            assertEquals(seq, m.payload(1), () -> "answer to " + seq + " is another request's: " + r);
            assertEquals(0L, m.payload(4), () -> "answer to " + seq + ": " + r);
            for (int i = 2; i < m.payloadWords(); i++)
            {
                final int n = i;
                assertTrue(i == 3 || i == 4 || m.payload(i) == ~payloadWord(tag, seq, i),
                    () -> "torn answer to " + seq + " (word " + n + "): " + r);
            }
            assertTrue(load.req2 ? r.x(3) == 0 : r.isZero(8, 17), r::toString);
            return m.payload(3);
        }

        /** FFA_INTERRUPT or FFA_YIELD: one outstanding request per context, then FFA_RUN until the answer comes. */
        private void resume(final long seq, final Outcome o, final long cap)
        {
            final boolean yielded = r.functionId() == FunctionId.FFA_YIELD;
            assertEquals(targetInfo & 0xFFFF_FFFFL, r.x(1), r::toString);
            assertTrue(r.isZero(2, 17), r::toString);
            if (yielded)
            {
                o.yields++;
            }
            else
            {
                o.interrupts++;
            }
            final RegisterFile again = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, me, target);
            again.x(4, seq + 1_000_000);
            ec.invoke(again, WAIT_NS);
            assertError(ErrorCode.BUSY, again, "a second request while one is outstanding");
            if (yielded)
            {
                // Let the others find the target BLOCKED, and try to run it, before we do.
                LockSupport.parkNanos(ThreadLocalRandom.current().nextInt(50_000));
            }
            else
            {
                interruptedSeq.set(index, seq);
                if (load.serveNs < SERVE_NS)
                {
                    awaitReleaseOnOurBehalf();
                }
            }
            final long bound = load.boundNs == 0 ? WAIT_NS : load.boundNs;
            while (true)
            {
                assertFalse(aborted.getAsBoolean(), "aborted");
                assertTrue(System.nanoTime() < cap, "resume never completed");
                r.clear().w(0, FunctionId.FFA_RUN).w(1, targetInfo);
                ec.invoke(r, bound);
                if (r.functionId() != FunctionId.FFA_INTERRUPT)
                {
                    return;
                }
                assertEquals(targetInfo & 0xFFFF_FFFFL, r.x(1), r::toString);
                o.interrupts++;
            }
        }

        /**
         * Late to collect: the target answers into our inbox, its own (short) wait times out and, finding
         * its word still showing the exchange it answered, releases it on our behalf, racing the other
         * requesters' compare-and-sets. Our FFA_RUN then collects the answer.
         */
        private void awaitReleaseOnOurBehalf()
        {
            final int offset = controlFile.ecStateOffset(controlFile.slotOf(target), targetEc);
            final long deadline = System.nanoTime() + WAIT_NS;
            long word;
            while (ExecutionContextState.state(word = controlFile.ecState(offset)) == ExecutionContextState.RUNNING &&
                ExecutionContextState.peerId(word) == me && ExecutionContextState.peerEc(word) == ec.index())
            {
                final long w = word;
                assertTrue(System.nanoTime() < deadline,
                    () -> "an answered request was never released by its target: " + ExecutionContextState.describe(w));
                LockSupport.parkNanos(50_000);
            }
        }
    }

    /** The last request to one serving context: it stops serving once it has answered. Returns its index. */
    private long stop(final ExecutionContext ec, final int target, final int targetEc, final int index, final Load load)
    {
        final int me = ec.partitionId();
        final RegisterFile r = new RegisterFile();
        final DirectMessage m = new DirectMessage(r);
        final long cap = System.nanoTime() + WAIT_NS;
        do
        {
            assertTrue(System.nanoTime() < cap, "stop request never accepted");
            Thread.yield();
            r.clear().w(0, load.requestId()).w(1, RegisterFile.packIds(me, target));
            m.payload(0, tag(me, ec.index(), index)).payload(4, STOP);
            ec.invoke(r, WAIT_NS);
        }
        while (r.functionId() == FunctionId.FFA_ERROR && r.w(2) == ErrorCode.BUSY);
        assertEquals(load.responseId(), r.functionId(), r::toString);
        assertEquals(STOP, m.payload(4), r::toString);
        return m.payload(3);
    }

    // 2. The RX ownership handoff.

    /** Maps a one-page RX/TX pair and returns the descriptors a Nil PARTITION_INFO_GET writes, checked field by field. */
    private byte[] mapAndReadGolden(final Endpoint vm)
    {
        final long base = vm.memory().base();
        final RegisterFile map = regs(FunctionId.FFA_RXTX_MAP_64);
        map.x(1, base + TX_PAGE * 4096).x(2, base + RX_PAGE * 4096).w(3, 1);
        assertSuccess32(call(vm.executionContext(0), map));
        final RegisterFile r = PartitionInfoTest.infoGet(vm.executionContext(0), null, 0);
        assertSuccess32(r);
        // A VM sees every VM and SP, one entry each (one UUID each), never the hypervisor.
        final int count = IDS.length - 1;
        assertEquals(count, r.w(2));
        assertEquals(24, r.w(3));
        final byte[] golden = new byte[count * 24];
        rx(vm).getBytes(0, golden);
        final UnsafeBuffer g = new UnsafeBuffer(golden);
        for (int i = 0; i < count; i++)
        {
            assertEquals(IDS[i + 1], g.getShort(i * 24, ByteOrder.LITTLE_ENDIAN) & 0xFFFF, "ID of entry " + i);
            assertEquals(ECS[i + 1], g.getShort(i * 24 + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF, "EC count of entry " + i);
            assertArrayEquals(uuidBytes(UUIDS[i + 1]), Arrays.copyOfRange(golden, i * 24 + 8, i * 24 + 24), "UUID of entry " + i);
        }
        assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_RX_RELEASE));
        assertEquals(BufferOwnership.PRODUCER, rxOwnership(vm.partitionId()));
        return golden;
    }

    private static UnsafeBuffer rx(final Endpoint ep)
    {
        final long rx = ep.memory().base() + RX_PAGE * 4096;
        return new UnsafeBuffer(ep.memory().buffer(), ep.memory().offsetOf(rx), 4096);
    }

    private int rxOwnership(final int id)
    {
        return fx.controlFile().rxOwnership(fx.controlFile().slotOf(id));
    }

    /** What one RX user saw. */
    private static final class RxOutcome
    {
        long got;
        long released;
        long busy;
        long denied;
    }

    /**
     * Reads the RX buffer it has just been handed: exactly the golden descriptors and a zero tail, so
     * nothing torn (a producer still writing) and nothing stale (a scribble from the last owner left).
     */
    private static void assertFreshDescriptors(final UnsafeBuffer rx, final byte[] golden, final String who)
    {
        final String stale = staleness(rx, golden);
        if (stale != null)
        {
            fail(who + ": " + stale);
        }
    }

    /** Null when {@code rx} holds exactly the golden descriptors and a zero tail, else what differs. */
    private static String staleness(final UnsafeBuffer rx, final byte[] golden)
    {
        final byte[] now = new byte[4096];
        rx.getBytes(0, now);
        for (int i = 0; i < now.length; i++)
        {
            final byte expected = i < golden.length ? golden[i] : 0;
            if (now[i] != expected)
            {
                return (i < golden.length ? "descriptor byte " : "RX tail byte ") + i + " is 0x" +
                    Integer.toHexString(now[i] & 0xFF) + ", expected 0x" + Integer.toHexString(expected & 0xFF);
            }
        }
        return null;
    }

    /**
     * One context's loop: PARTITION_INFO_GET until it has had the RX buffer {@code count} times. Holding it,
     * it checks it is the only holder and the word says CONSUMER, reads the descriptors, then scribbles over
     * the whole buffer (the next producer must overwrite it all) and releases it.
     */
    private RxOutcome infoGetLoop(final Endpoint vm, final ExecutionContext ec, final byte[] golden, final int count,
        final AtomicInteger holders, final boolean checkStrayRelease)
    {
        final RxOutcome o = new RxOutcome();
        final String who = Integer.toHexString(vm.partitionId()) + "/" + ec.index();
        final UnsafeBuffer rx = rx(vm);
        final long cap = System.nanoTime() + CAP_NS;
        final RegisterFile r = new RegisterFile();
        while (o.got < count)
        {
            assertFalse(aborted, "aborted");
            assertTrue(System.nanoTime() < cap, () -> who + " hung after " + o.got + " reads");
            r.clear().w(0, FunctionId.FFA_PARTITION_INFO_GET);
            ec.invoke(r, WAIT_NS);
            if (r.functionId() == FunctionId.FFA_ERROR && r.w(2) == ErrorCode.BUSY)
            {
                assertTrue(r.isZero(3, 17), r::toString);
                o.busy++;
                if (checkStrayRelease)
                {
                    // Not ours (the hypervisor holds it, or it is already back with the producer): DENIED,
                    // and the owner keeps it.
                    r.clear().w(0, FunctionId.FFA_RX_RELEASE);
                    ec.invoke(r, WAIT_NS);
                    assertError(ErrorCode.DENIED, r, who + ": RX_RELEASE of a buffer it does not own");
                    o.denied++;
                }
                Thread.yield();
                continue;
            }
            assertSuccess32(r);
            assertEquals(golden.length / 24, r.w(2), r::toString);
            assertEquals(24, r.w(3), r::toString);
            assertEquals(1, holders.incrementAndGet(), () -> who + " got RX while someone else holds it");
            o.got++;
            assertEquals(BufferOwnership.CONSUMER, rxOwnership(vm.partitionId()), who + " holds RX");
            assertFreshDescriptors(rx, golden, who + " read " + o.got);
            rx.setMemory(0, 4096, (byte)(0xC0 | ec.index()));
            // A scribble read back intact: nobody else wrote the buffer while we held it.
            assertEquals((byte)(0xC0 | ec.index()), rx.getByte((int)(o.got % 4096)));
            assertEquals(0, holders.decrementAndGet());
            r.clear().w(0, FunctionId.FFA_RX_RELEASE);
            ec.invoke(r, WAIT_NS);
            assertSuccess32(r);
            assertTrue(r.isZero(1, 17), r::toString);
            o.released++;
            Thread.yield();
        }
        return o;
    }

    @Test
    @Timeout(TIMEOUT_S)
    void twoContextsShareOneRxBuffer() throws Exception
    {
        final Endpoint vm = fx.endpoint(VM1);
        final byte[] golden = mapAndReadGolden(vm);
        final AtomicInteger holders = new AtomicInteger();
        final int count = 1500;
        final List<Future<RxOutcome>> loops = new ArrayList<>();
        for (int ec = 0; ec < 2; ec++)
        {
            final ExecutionContext context = vm.executionContext(ec);
            loops.add(fx.exec().submit(() -> infoGetLoop(vm, context, golden, count, holders, false)));
        }
        long busy = 0;
        for (final Future<RxOutcome> f : loops)
        {
            final RxOutcome o = f.get(CAP_NS + WAIT_NS, TimeUnit.NANOSECONDS);
            assertEquals(count, o.got);
            assertEquals(o.got, o.released, "every read released, by the context that read");
            busy += o.busy;
        }
        assertEquals(BufferOwnership.PRODUCER, rxOwnership(VM1), "RX is back with the producer");
        assertEquals(0, holders.get());
        // And the producer may write it again.
        final RegisterFile r = PartitionInfoTest.infoGet(vm.executionContext(1), null, 0);
        assertSuccess32(r);
        assertFreshDescriptors(rx(vm), golden, "after the race");
        assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_RX_RELEASE));
        System.out.printf("RX shared by two contexts: %d reads, %d BUSY%n", 2L * count, busy);
    }

    /**
     * The hypervisor acquires the VM's RX buffer (FFA_RX_ACQUIRE), writes it as a producer, and
     * releases it for the VM (FFA_RX_RELEASE with the VM's ID), while the VM reads partition info.
     * Each side must find the buffer exclusively its own, answered BUSY (VM) or DENIED (hypervisor)
     * while the other holds it; a release by whoever does not hold it is DENIED and changes nothing.
     */
    @Test
    @Timeout(TIMEOUT_S)
    void hypervisorAcquiresTheRxBufferOfAVmThatReadsPartitionInfo() throws Exception
    {
        final Endpoint vm = fx.endpoint(VM1);
        final byte[] golden = mapAndReadGolden(vm);
        final AtomicInteger holders = new AtomicInteger();
        final int count = 1000;
        final Future<RxOutcome> vmLoop =
            fx.exec().submit(() -> infoGetLoop(vm, vm.executionContext(0), golden, count, holders, true));
        final Future<RxOutcome> hypLoop = fx.exec().submit(() -> acquireLoop(fx.ec(HYP), vm, count, holders));
        final RxOutcome v = vmLoop.get(CAP_NS + WAIT_NS, TimeUnit.NANOSECONDS);
        final RxOutcome h = hypLoop.get(CAP_NS + WAIT_NS, TimeUnit.NANOSECONDS);
        assertEquals(count, v.got);
        assertEquals(v.got, v.released);
        assertEquals(count, h.got);
        assertEquals(h.got, h.released);
        assertEquals(v.busy, v.denied, "every BUSY was followed by a DENIED release");
        assertEquals(BufferOwnership.PRODUCER, rxOwnership(VM1), "RX is back with the producer");
        assertEquals(0, holders.get());
        System.out.printf("RX acquired by the hypervisor: VM %d reads %d BUSY, hypervisor %d acquires %d DENIED%n",
            v.got, v.busy, h.got, h.busy);
    }

    private RxOutcome acquireLoop(final ExecutionContext hyp, final Endpoint vm, final int count, final AtomicInteger holders)
    {
        final RxOutcome o = new RxOutcome();
        final int vmId = vm.partitionId();
        final UnsafeBuffer rx = rx(vm);
        final long cap = System.nanoTime() + CAP_NS;
        final RegisterFile r = new RegisterFile();
        while (o.got < count)
        {
            assertFalse(aborted, "aborted");
            assertTrue(System.nanoTime() < cap, () -> "hypervisor hung after " + o.got + " acquires");
            r.clear().w(0, FunctionId.FFA_RX_ACQUIRE).w(1, vmId);
            hyp.invoke(r, WAIT_NS);
            if (r.functionId() == FunctionId.FFA_ERROR && r.w(2) == ErrorCode.DENIED)
            {
                assertTrue(r.isZero(3, 17), r::toString);
                o.busy++;
                r.clear().w(0, FunctionId.FFA_RX_RELEASE).w(1, vmId);
                hyp.invoke(r, WAIT_NS);
                assertError(ErrorCode.DENIED, r, "hypervisor's RX_RELEASE of a buffer it did not acquire");
                o.denied++;
                Thread.yield();
                continue;
            }
            assertSuccess32(r);
            assertEquals(1, holders.incrementAndGet(), "hypervisor acquired RX while someone else holds it");
            o.got++;
            assertEquals(BufferOwnership.HYPERVISOR, rxOwnership(vmId), "the hypervisor holds RX");
            // As a producer, it writes the whole buffer; the VM must never see these bytes.
            rx.setMemory(0, 4096, (byte)0x5A);
            assertEquals((byte)0x5A, rx.getByte((int)(o.got % 4096)));
            assertEquals(0, holders.decrementAndGet());
            r.clear().w(0, FunctionId.FFA_RX_RELEASE).w(1, vmId);
            hyp.invoke(r, WAIT_NS);
            assertSuccess32(r);
            o.released++;
            Thread.yield();
        }
        return o;
    }

    // 3. FFA_RXTX_UNMAP racing the RX buffer's holders.

    /**
     * Unmaps of one VM's buffers, counted when sent and when answered, so that a hold can tell which
     * unmaps may have been handled while it lasted.
     */
    private static final class Unmaps
    {
        final AtomicLong started = new AtomicLong();
        final AtomicLong done = new AtomicLong();
        final AtomicLong succeeded = new AtomicLong();

        /** FFA_RXTX_UNMAP, w1 naming {@code vmId} (0: the caller's own); true when it unmapped. */
        boolean unmap(final ExecutionContext ec, final int vmId, final RegisterFile r)
        {
            started.incrementAndGet();
            r.clear().w(0, FunctionId.FFA_RXTX_UNMAP).w(1, vmId << 16);
            ec.invoke(r, WAIT_NS);
            done.incrementAndGet();
            if (r.functionId() == FunctionId.FFA_ERROR)
            {
                // Someone else unmapped it first.
                assertError(ErrorCode.INVALID_PARAMETERS, r, "RXTX_UNMAP with nothing mapped");
                return false;
            }
            assertSuccess32(r);
            assertTrue(r.isZero(1, 17), r::toString);
            succeeded.incrementAndGet();
            return true;
        }
    }

    /** One hold of RX: its steps stamped from one clock that every thread shares, and what it found. */
    private static final class Hold
    {
        long doneBefore;
        long startedBefore;
        long startedAfterTake;
        long takeSent;
        long taken;
        long releaseSent;
        long releaseReturned;
        boolean released;
        String damage;
    }

    /** One side's holds, and how often its take was refused. */
    private static final class HoldLog
    {
        final List<Hold> holds = new ArrayList<>();
        long refused;

        long takenAway()
        {
            return holds.stream().filter(h -> !h.released).count();
        }
    }

    /** The VM's RX buffer where the control file says it is now, or null when it is not mapped. */
    private UnsafeBuffer mappedRx(final Endpoint vm)
    {
        final long rx = fx.controlFile().rxAddress(fx.controlFile().slotOf(vm.partitionId()));
        final long base = vm.memory().base();
        return rx == base + RX_PAGE * 4096 || rx == base + (RX_PAGE + 2) * 4096 ?
            new UnsafeBuffer(vm.memory().buffer(), vm.memory().offsetOf(rx), 4096) : null;
    }

    private static boolean filledWith(final UnsafeBuffer rx, final byte value)
    {
        for (int i = 0; i < 4096; i++)
        {
            if (rx.getByte(i) != value)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * One side of the unmap race: {@code take} gets RX (PARTITION_INFO_GET by the VM, RX_ACQUIRE by the
     * hypervisor), refused with {@code held} while the other side holds it and with {@code notMapped}
     * while nothing is mapped; {@code release} gives it back. Holding, it checks the buffer and writes it
     * all with its own byte. An unmap takes RX from whoever holds it, so a release may be DENIED, but
     * only when an unmap may have been handled during the hold.
     */
    private HoldLog holdLoop(final String who, final ExecutionContext ec, final RegisterFile take,
        final RegisterFile release, final int held, final int notMapped, final Endpoint vm, final byte[] golden,
        final byte mine, final int count, final Unmaps unmaps, final AtomicLong clock, final Runnable between)
    {
        final HoldLog log = new HoldLog();
        final long cap = System.nanoTime() + CAP_NS;
        final RegisterFile r = new RegisterFile();
        while (log.holds.size() < count)
        {
            assertFalse(aborted, "aborted");
            assertTrue(System.nanoTime() < cap, () -> who + " hung after " + log.holds.size() + " holds");
            between.run();
            final Hold h = new Hold();
            h.doneBefore = unmaps.done.get();
            h.startedBefore = unmaps.started.get();
            h.takeSent = clock.incrementAndGet();
            ec.invoke(r.copyFrom(take), WAIT_NS);
            h.startedAfterTake = unmaps.started.get();
            h.taken = clock.incrementAndGet();
            if (r.functionId() == FunctionId.FFA_ERROR && (r.w(2) == held || r.w(2) == notMapped))
            {
                assertTrue(r.isZero(3, 17), r::toString);
                log.refused++;
                Thread.yield();
                continue;
            }
            assertSuccess32(r);
            final UnsafeBuffer rx = mappedRx(vm);
            h.damage = rx == null ? "unmapped" : golden != null ? staleness(rx, golden) : null;
            if (rx != null)
            {
                rx.setMemory(0, 4096, mine);
                Thread.yield();
                if (h.damage == null && !filledWith(rx, mine))
                {
                    h.damage = "written by someone else while held";
                }
            }
            h.releaseSent = clock.incrementAndGet();
            ec.invoke(r.copyFrom(release), WAIT_NS);
            h.releaseReturned = clock.incrementAndGet();
            h.released = r.functionId() == FunctionId.FFA_SUCCESS_32;
            final int n = log.holds.size();
            if (h.released)
            {
                assertTrue(r.isZero(1, 17), r::toString);
                assertTrue(rx != null, () -> who + " hold " + n + " released, but RX was unmapped during it");
            }
            else
            {
                assertError(ErrorCode.DENIED, r, who + ": RX_RELEASE after an unmap took RX");
                // No unmap in flight when the hold began, and none sent since: nothing could take RX away.
                assertFalse(h.doneBefore == h.startedBefore && unmaps.started.get() == h.startedBefore,
                    () -> who + " hold " + n + " was taken away, but no unmap overlapped it");
            }
            log.holds.add(h);
        }
        return log;
    }

    /**
     * Across the two sides' holds. A take answered while the other side held RX (after that hold's take,
     * before its release) was possible only because an unmap handled in between took RX away, so that
     * hold's release was DENIED. A hold that ended in SUCCESS was RX's owner throughout, so it found the
     * buffer damaged only while an overlapping hold of the other side, one taken away and still writing,
     * was at work.
     */
    private static void assertHoldsConsistent(final String a, final HoldLog as, final String b, final HoldLog bs)
    {
        for (int i = 0; i < as.holds.size(); i++)
        {
            final Hold x = as.holds.get(i);
            final int n = i;
            boolean overlappedByTakenAway = false;
            for (final Hold y : bs.holds)
            {
                if (y.takeSent > x.taken && y.taken < x.releaseSent)
                {
                    assertFalse(x.released, () -> b + " took RX during " + a + " hold " + n + ", which kept it");
                    assertTrue(y.startedAfterTake > x.doneBefore,
                        () -> b + " took RX during " + a + " hold " + n + " with no unmap in between");
                }
                overlappedByTakenAway |= !y.released && y.takeSent < x.releaseSent && x.takeSent < y.releaseReturned;
            }
            if (x.released && x.damage != null)
            {
                assertTrue(overlappedByTakenAway, () -> a + " hold " + n + " kept RX, yet found it " + x.damage);
            }
        }
    }

    /**
     * The VM's second context unmaps and maps again (alternating between two pairs of pages), and the
     * hypervisor unmaps the VM's buffers too, while the VM's first context reads partition info and the
     * hypervisor acquires RX. Every answer is the spec's (BUSY, DENIED, INVALID_PARAMETERS where the
     * reference says), no hold is shared, the mapping and ownership end exactly as the counts say, and
     * the buffer works as before afterwards.
     */
    @Test
    @Timeout(TIMEOUT_S)
    void rxtxUnmapAndMapRaceTheHoldersOfTheRxBuffer() throws Exception
    {
        final Endpoint vm = fx.endpoint(VM1);
        final byte[] golden = mapAndReadGolden(vm);
        final int slot = fx.controlFile().slotOf(VM1);
        final long[] words = { stateWord(VM1, 0), stateWord(VM1, 1), stateWord(HYP, 0) };
        final Unmaps unmaps = new Unmaps();
        final AtomicLong clock = new AtomicLong();
        // -Dffa.stress.holds=30000 for a soak run.
        final int count = Integer.getInteger("ffa.stress.holds", 600);
        final AtomicInteger holdersLeft = new AtomicInteger(2);
        final ExecutionContext hyp = fx.ec(HYP);

        final Future<HoldLog> vmLoop = fx.exec().submit(() ->
        {
            try
            {
                return holdLoop("VM", vm.executionContext(0), regs(FunctionId.FFA_PARTITION_INFO_GET),
                    regs(FunctionId.FFA_RX_RELEASE), ErrorCode.BUSY, ErrorCode.BUSY, vm, golden, (byte)0xC1, count,
                    unmaps, clock, () -> { });
            }
            finally
            {
                holdersLeft.decrementAndGet();
            }
        });
        final long[] hypUnmaps = new long[1];
        final Future<HoldLog> hypLoop = fx.exec().submit(() ->
        {
            final RegisterFile r = new RegisterFile();
            try
            {
                return holdLoop("hypervisor", hyp, regs(FunctionId.FFA_RX_ACQUIRE, VM1),
                    regs(FunctionId.FFA_RX_RELEASE, VM1), ErrorCode.DENIED, ErrorCode.INVALID_PARAMETERS, vm, null,
                    (byte)0x5A, count, unmaps, clock, () ->
                    {
                        // Now and then the hypervisor unmaps the VM's buffers itself.
                        if ((clock.get() & 15) == 0)
                        {
                            hypUnmaps[0]++;
                            unmaps.unmap(hyp, VM1, r);
                        }
                    });
            }
            finally
            {
                holdersLeft.decrementAndGet();
            }
        });
        final long[] maps = new long[2];
        final Future<?> mapper = fx.exec().submit(() ->
        {
            final ExecutionContext ec = vm.executionContext(1);
            final RegisterFile r = new RegisterFile();
            final long base = vm.memory().base();
            final long cap = System.nanoTime() + CAP_NS;
            for (int cycle = 1; holdersLeft.get() > 0; cycle++)
            {
                assertFalse(aborted, "aborted");
                assertTrue(System.nanoTime() < cap, "mapper hung");
                unmaps.unmap(ec, 0, r);
                Thread.yield();
                // Only this context maps: whoever unmapped, nothing is mapped now.
                final long pages = (cycle & 1) * 2;
                r.clear().w(0, FunctionId.FFA_RXTX_MAP_64).x(1, base + (TX_PAGE + pages) * 4096)
                    .x(2, base + (RX_PAGE + pages) * 4096).w(3, 1);
                ec.invoke(r, WAIT_NS);
                assertSuccess32(r);
                maps[0]++;
                maps[1] = base + (RX_PAGE + pages) * 4096;
                // Quiet spells, so that some holds certainly overlap no unmap.
                LockSupport.parkNanos(ThreadLocalRandom.current().nextInt(100_000));
            }
        });
        final HoldLog v = vmLoop.get(CAP_NS + WAIT_NS, TimeUnit.NANOSECONDS);
        final HoldLog h = hypLoop.get(CAP_NS + WAIT_NS, TimeUnit.NANOSECONDS);
        mapper.get(CAP_NS + WAIT_NS, TimeUnit.NANOSECONDS);

        assertHoldsConsistent("VM", v, "hypervisor", h);
        assertHoldsConsistent("hypervisor", h, "VM", v);
        final long unmapped = unmaps.succeeded.get();
        // One holder at a time, and an unmap takes RX from at most the one holding it.
        assertTrue(v.takenAway() + h.takenAway() <= unmapped,
            () -> "holds taken away " + (v.takenAway() + h.takenAway()) + " > unmaps " + unmapped);
        // Mapped once at the start, and every map follows an unmap: the final state is in the counts.
        final long stillMapped = 1 + maps[0] - unmapped;
        assertTrue(stillMapped == 0 || stillMapped == 1, () -> "maps " + maps[0] + ", unmaps " + unmapped);
        assertEquals(stillMapped == 1, fx.controlFile().rxtxMapped(slot), "mapped, as the counts say");
        assertEquals(BufferOwnership.PRODUCER, rxOwnership(VM1), "RX is back with the producer");
        assertEquals(BufferOwnership.PRODUCER, fx.controlFile().txOwnership(slot), "TX is the VM's");
        assertEquals(stillMapped == 1 ? maps[1] : 0L, fx.controlFile().rxAddress(slot), "RX is where the last map put it");
        assertEquals((int)stillMapped, fx.controlFile().rxtxPageCount(slot));
        if (stillMapped == 0)
        {
            final RegisterFile r = regs(FunctionId.FFA_RXTX_MAP_64);
            r.x(1, vm.memory().base() + TX_PAGE * 4096).x(2, vm.memory().base() + RX_PAGE * 4096).w(3, 1);
            assertSuccess32(call(vm.executionContext(1), r));
        }
        // Nothing leaked: the VM reads, the hypervisor acquires, each as before the race.
        assertSuccess32(PartitionInfoTest.infoGet(vm.executionContext(0), null, 0));
        assertNull(staleness(mappedRx(vm), golden), "descriptors after the race");
        assertSuccess32(call(vm.executionContext(0), FunctionId.FFA_RX_RELEASE));
        assertSuccess32(call(hyp, FunctionId.FFA_RX_ACQUIRE, VM1));
        assertEquals(BufferOwnership.HYPERVISOR, rxOwnership(VM1));
        assertSuccess32(call(hyp, FunctionId.FFA_RX_RELEASE, VM1));
        assertEquals(BufferOwnership.PRODUCER, rxOwnership(VM1));
        assertArrayEquals(words, new long[] { stateWord(VM1, 0), stateWord(VM1, 1), stateWord(HYP, 0) },
            "no call of the race touched an execution context's state");
        System.out.printf("RXTX_UNMAP race: %d maps, %d unmaps (%d tried by the hypervisor); VM %d holds, %d taken " +
            "away, %d BUSY; hypervisor %d holds, %d taken away, %d refused%n", maps[0], unmapped, hypUnmaps[0],
            v.holds.size(), v.takenAway(), v.refused, h.holds.size(), h.takenAway(), h.refused);
    }
}
