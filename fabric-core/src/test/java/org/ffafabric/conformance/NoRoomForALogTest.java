package org.ffafabric.conformance;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.driver.exceptions.InvalidChannelException;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.pm.PartitionManager;
import org.ffafabric.transport.TrapProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The media driver refuses a log the fabric asks for: on a full /dev/shm it has no room for it
 * (its storage check), and at scale it may have no counter left. Tests here cannot fill a file
 * system, so another Aeron client stands in: it takes the very session ID the fabric will ask for
 * on that stream, and the driver refuses the fabric's publication as it would for want of room.
 * (A claim names that cause: the manager refuses its reply log BUSY, a held session ID, and a claimer
 * waits out its connect timeout for its own log's; the paths after the refusal are those of no room.)
 * The caller must get a clear answer, and nothing may be left half-made. A responder's
 * first answer to a requester adds a log too: when that one is refused, the requester's call ends
 * in ABORTED, the responder goes on WAITING for the next request, and nothing throws.
 */
class NoRoomForALogTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int VM2 = 2;
    static final int SP1 = 0x8001;

    private FabricFixture fx;
    private Aeron intruder;
    // What the partition manager's embedded driver reports: each refused log, kept rather than printed.
    private final List<Throwable> pmErrors = new CopyOnWriteArrayList<>();

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(new PartitionManager.Context().errorHandler(pmErrors::add).manifest(Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("e0000000-0000-0000-0000-000000000000"))
            .partition(p -> p.name("vm2").id(VM2).world(World.VM).uuid("e0000000-0000-0000-0000-000000000002")
                .directMessaging())
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("e0000000-0000-0000-0000-000000000001")
                .directMessaging().executionContexts(2))
            .partition(p -> p.name("sp1").id(SP1).world(World.SP_EL1).uuid("e0000000-0000-0000-0000-000000008001")
                .directMessaging().executionContexts(2))
            .build()), null);
        intruder = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(FabricDirectory.aeronDirectory(fx.fabric().directory()).toString()));
    }

    @AfterEach
    void close() throws Exception
    {
        try
        {
            intruder.close();
        }
        finally
        {
            fx.close();
        }
        for (final Throwable error : pmErrors)
        {
            // The refusals these tests provoke, the driver's and the manager's own, and nothing else.
            final String message = String.valueOf(error.getMessage());
            assertTrue(error instanceof InvalidChannelException && message.contains("clashing sessionId") ||
                error instanceof IllegalStateException && message.startsWith("refused the claim of sp1 "), error::toString);
        }
    }

    /** The generation the next claim of a partition will have, as its session IDs carry it. */
    private int nextGeneration(final int id)
    {
        final ControlFile cf = fx.controlFile();
        return (cf.claimGeneration(cf.slotOf(id)) + 1) & 0xFF;
    }

    @Test
    @Timeout(60)
    void aClaimWhoseReplyLogIsRefusedFailsSayingSoAndLeavesNothingBound()
    {
        // The partition manager's reply log to the second context of the next claim of sp1.
        final int generation = nextGeneration(SP1);
        try (ExclusivePublication refused = intruder.addExclusivePublication(
            TrapProtocol.publicationChannel(TrapProtocol.replySessionId(generation)),
            TrapProtocol.inboxStreamId(SP1, 1)))
        {
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> fx.claim(SP1));
            assertTrue(ex.getMessage().contains("(BUSY)") && ex.getMessage().contains("execution context 1"),
                ex::getMessage);
            // Said as a held session ID, not as a driver short of room.
            assertTrue(ex.getMessage().contains("still holds another log with the session ID of execution " +
                "context 1's reply log (BUSY)"), ex::getMessage);
            assertEquals(generation, fx.controlFile().claimGeneration(fx.controlFile().slotOf(SP1)) & 0xFF,
                "the refused claim was of that generation");
            assertTrue(ex.getMessage().contains(FabricDirectory.aeronDirectory(fx.fabric().directory()).toString()),
                ex::getMessage);
        }
        assertReleased(SP1);
        assertClaimableAgain(SP1);
    }

    /**
     * A partition's contexts are claimed together, so a claimer refused one cannot tell which others
     * the manager bound, and waits for the manager to let go of the slot. With every reply log refused
     * nothing is bound, and no release will let go of it: the manager must, at its refusal. This
     * claimer's connect timeout outlasts the test's, so a wait for a let-go that never comes hangs it.
     */
    @Test
    @Timeout(60)
    void aClaimWhoseEveryReplyLogIsRefusedFailsAndIsLetGo()
    {
        final int generation = nextGeneration(SP1);
        try (FabricClient client = FabricClient.connect(new FabricClient.Context()
                .directory(fx.fabric().directory()).connectTimeoutNs(TimeUnit.MINUTES.toNanos(2)));
             ExclusivePublication refused0 = intruder.addExclusivePublication(
                 TrapProtocol.publicationChannel(TrapProtocol.replySessionId(generation)), TrapProtocol.inboxStreamId(SP1, 0));
             ExclusivePublication refused1 = intruder.addExclusivePublication(
                 TrapProtocol.publicationChannel(TrapProtocol.replySessionId(generation)), TrapProtocol.inboxStreamId(SP1, 1)))
        {
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> client.claim(SP1));
            assertTrue(ex.getMessage().contains("(BUSY)") && ex.getMessage().contains("execution context "),
                ex::getMessage);
        }
        assertReleased(SP1);
        assertClaimableAgain(SP1);
    }

    @Test
    @Timeout(60)
    void aClaimWhoseOwnLogIsRefusedReleasesTheContextsItHadBound()
    {
        // The second context's own log to the partition manager, in the next claim of sp1: waited for as long
        // as the claimer's connect timeout (ManyReclaimsTest has the wait), then said which session ID is held.
        final int session = TrapProtocol.sessionId(SP1, 1, nextGeneration(SP1));
        try (FabricClient client = FabricClient.connect(new FabricClient.Context()
                .directory(fx.fabric().directory()).connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300)));
             ExclusivePublication refused = intruder.addExclusivePublication(
                TrapProtocol.publicationChannel(session), TrapProtocol.PM_STREAM_ID))
        {
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> client.claim(SP1));
            assertTrue(ex.getMessage().contains("execution context 1"), ex::getMessage);
            assertTrue(ex.getMessage().contains("still holds another log with execution context 1's session ID 0x" +
                Integer.toHexString(session)), ex::getMessage);
            assertTrue(ex.getMessage().contains(FabricDirectory.aeronDirectory(fx.fabric().directory()).toString()),
                ex::getMessage);
        }
        assertReleased(SP1);
        assertClaimableAgain(SP1);
    }

    @Test
    @Timeout(60)
    void aRequestToAPeerWhoseLogIsRefusedAnswersNoMemoryAndMovesNothing() throws Exception
    {
        try (Endpoint vm1 = fx.claim(VM1);
             Endpoint vm2 = fx.claim(VM2);
             Endpoint sp = fx.claim(SP1);
             AutoCloseable serving = sp.serve((req, resp) -> resp.payload(0, req.payload(0) + 1)))
        {
            // vm1/0's log to sp1/0's inbox, the one its first request there adds.
            try (ExclusivePublication refused = intruder.addExclusivePublication(
                TrapProtocol.publicationChannel(TrapProtocol.sessionId(VM1, 0, generation(VM1))),
                TrapProtocol.inboxStreamId(SP1, 0)))
            {
                final RegisterFile r = call(vm1.executionContext(0),
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 41));
                assertError(org.ffafabric.abi.ErrorCode.NO_MEMORY, r);
                assertFalse(pmErrors.isEmpty(), "the driver reported the clash to the partition manager");
                assertEquals(ExecutionContextState.WAITING, state(SP1, 0), "the receiver is not taken");
                assertEquals(ExecutionContextState.RUNNING, state(VM1, 0), "the requester runs on");
            }
            // The receiver serves others, and the requester sends elsewhere.
            final RegisterFile other = call(vm2.executionContext(0),
                ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM2, SP1).x(3, 1));
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, other.w(0), other::toString);
            assertEquals(2, other.x(3));
            final RegisterFile again = call(vm1.executionContext(1),
                ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 7));
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, again.w(0), again::toString);
            assertEquals(8, again.x(3));
        }
    }

    @Test
    @Timeout(60)
    void aSchedulersRunOfAContextWhoseLogIsRefusedAnswersNoMemoryAndMovesNothing() throws Exception
    {
        try (Endpoint hyp = fx.claim(HYP);
             Endpoint sp = fx.claim(SP1);
             AutoCloseable serving = sp.serve((req, resp) -> resp.payload(0, req.payload(0) + 1)))
        {
            try (ExclusivePublication refused = intruder.addExclusivePublication(
                TrapProtocol.publicationChannel(TrapProtocol.sessionId(HYP, 0, generation(HYP))),
                TrapProtocol.inboxStreamId(SP1, 0)))
            {
                final RegisterFile r = call(hyp.executionContext(0),
                    regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP1, 0)));
                assertError(org.ffafabric.abi.ErrorCode.NO_MEMORY, r);
                assertEquals(ExecutionContextState.WAITING, state(SP1, 0), "the target is not taken");
                assertEquals(ExecutionContextState.RUNNING, state(HYP, 0), "the scheduler runs on");
            }
        }
    }

    /** Takes the session ID that context {@code ec} of {@code id} has now, on {@code peer}/{@code peerEc}'s inbox. */
    private ExclusivePublication refuseLog(final int id, final int ec, final int peer, final int peerEc)
    {
        return intruder.addExclusivePublication(
            TrapProtocol.publicationChannel(TrapProtocol.sessionId(id, ec, generation(id))),
            TrapProtocol.inboxStreamId(peer, peerEc));
    }

    private Future<Boolean> serveOnce(final ExecutionContext target, final DirectRequestHandler handler)
    {
        final Future<Boolean> serving = fx.exec().submit(() -> target.serveDirectRequest(handler, new RegisterFile(), WAIT_NS));
        fx.awaitState(target.partitionId(), target.index(), ExecutionContextState.WAITING);
        return serving;
    }

    private static void assertAnswered(final long expected, final RegisterFile r)
    {
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r::toString);
        assertEquals(expected, r.x(3), r::toString);
    }

    @Test
    @Timeout(90)
    void anAnswerServedInPlaceWhoseLogBackIsRefusedEndsTheRequestAbortedAndTheTargetServesOn() throws Exception
    {
        try (Endpoint vm1 = fx.claim(VM1);
             Endpoint vm2 = fx.claim(VM2);
             Endpoint sp = fx.claim(SP1))
        {
            final ExecutionContext target = sp.executionContext(0);
            final AtomicInteger handled = new AtomicInteger();
            final DirectRequestHandler handler = (req, resp) ->
            {
                handled.incrementAndGet();
                resp.payload(0, req.payload(0) + 1);
            };
            // sp1/0's log to vm1/0's inbox, the one its first answer there adds.
            try (ExclusivePublication refused = refuseLog(SP1, 0, VM1, 0))
            {
                final Future<Boolean> serving = serveOnce(target, handler);
                final RegisterFile r = call(vm1.executionContext(0),
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 41));
                assertError(ErrorCode.ABORTED, r, "an answer that cannot be delivered");
                assertTrue(get(serving), "the serve returns, having served the request, and throws nothing");
                assertEquals(1, handled.get(), "the handler ran");
                assertEquals(ExecutionContextState.WAITING, state(SP1, 0), "the target waits for the next request");
                assertEquals(ExecutionContextState.RUNNING, state(VM1, 0), "the requester runs on");

                // Another requester is served meanwhile.
                final Future<Boolean> next = serveOnce(target, handler);
                assertAnswered(2, call(vm2.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM2, SP1).x(3, 1)));
                assertTrue(get(next));
            }
            // And the same requester, once the log can be made.
            RegisterFile again;
            do
            {
                final Future<Boolean> next = serveOnce(target, handler);
                again = call(vm1.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 7));
                assertTrue(get(next));
                assertEquals(ExecutionContextState.WAITING, state(SP1, 0));
            }
            while (again.w(0) == FunctionId.FFA_ERROR && again.w(2) == ErrorCode.ABORTED);
            assertAnswered(8, again);
        }
    }

    /**
     * A requester's lost-answer note names the exchange by the target's 32-bit sequence. Once taken
     * it must not linger: the target's sequence comes round again (two steps per round trip, so
     * after 2^31 round trips, minutes of traffic), and a note left in place would then end a later
     * request to that target in ABORTED while its answer is on its way, to be taken as the answer
     * to the request after. Here the target's word is set 2^32 - 2 steps on (its sequence two back),
     * as that much traffic would leave it.
     */
    @Test
    @Timeout(90)
    void aLostAnswersNoteDoesNotAbortALaterRequestWhenTheTargetsSequenceComesRound() throws Exception
    {
        try (Endpoint vm1 = fx.claim(VM1);
             Endpoint sp = fx.claim(SP1))
        {
            final ExecutionContext target = sp.executionContext(0);
            final DirectRequestHandler handler = (req, resp) -> resp.payload(0, req.payload(0) + 1);
            try (ExclusivePublication refused = refuseLog(SP1, 0, VM1, 0))
            {
                final Future<Boolean> serving = serveOnce(target, handler);
                assertError(ErrorCode.ABORTED, call(vm1.executionContext(0),
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 41)), "an answer that cannot be delivered");
                assertTrue(get(serving));
            }
            final ControlFile cf = fx.controlFile();
            final int targetOffset = cf.ecStateOffset(cf.slotOf(SP1), 0);
            long lostSequence = lostSequence(cf, targetOffset);
            RegisterFile again;
            do
            {
                final Future<Boolean> next = serveOnce(target, handler);
                again = call(vm1.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 7));
                assertTrue(get(next));
                if (again.w(0) == FunctionId.FFA_ERROR && again.w(2) == ErrorCode.ABORTED)
                {
                    // Lost too, while the driver still refused the log: this is the note's exchange now.
                    lostSequence = lostSequence(cf, targetOffset);
                }
            }
            while (again.w(0) == FunctionId.FFA_ERROR && again.w(2) == ErrorCode.ABORTED);
            assertAnswered(8, again);

            // The sequence comes round: the next word the requester installs has the lost exchange's.
            final long current = cf.ecState(targetOffset);
            assertEquals(ExecutionContextState.WAITING, ExecutionContextState.state(current));
            final long rewound = ExecutionContextState.pack(ExecutionContextState.WAITING,
                ExecutionContextState.MODEL_NONE, false, 0, 0, (lostSequence - 2 & 0xFFFF_FFFFL) << 32);
            assertTrue(cf.ecStateCompareAndSet(targetOffset, current, rewound));
            // A handler that takes a while, so that the requester's wait makes its checks.
            final Future<Boolean> slow = serveOnce(target, (req, resp) ->
            {
                try
                {
                    Thread.sleep(50);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                resp.payload(0, req.payload(0) + 1);
            });
            final RegisterFile r = call(vm1.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 100));
            assertTrue(get(slow));
            assertAnswered(101, r);
        }
    }

    /**
     * The note a target that lost its answer writes into its requester's record, once it is there. The
     * target writes it just after its own word has gone WAITING, so a WAITING target says nothing yet
     * of the note: the wait is for the note itself (bounded, against a hang).
     */
    private long awaitLostAnswerNote(final int requesterOffset)
    {
        final ControlFile cf = fx.controlFile();
        final long deadline = System.nanoTime() + WAIT_NS;
        long note;
        while ((note = cf.lostAnswer(requesterOffset)) == 0 && System.nanoTime() < deadline)
        {
            Thread.yield();
        }
        return note;
    }

    /**
     * The sequence a lost exchange's note names: its target is WAITING with the word the requester's
     * release would have stored, one past the sequence the requester installed.
     */
    private static long lostSequence(final ControlFile cf, final int targetOffset)
    {
        final long afterLost = cf.ecState(targetOffset);
        assertEquals(ExecutionContextState.WAITING, ExecutionContextState.state(afterLost));
        return ExecutionContextState.sequence(afterLost) - 1 & 0xFFFF_FFFFL;
    }

    @ParameterizedTest
    @ValueSource(ints = {FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, FunctionId.FFA_ERROR})
    @Timeout(90)
    void anAnswerByInvokeWhoseLogBackIsRefusedEndsTheRequestAbortedAndTheAnswerWaitsForTheNextRequest(final int answer)
        throws Exception
    {
        try (Endpoint vm1 = fx.claim(VM1);
             Endpoint vm2 = fx.claim(VM2);
             Endpoint sp = fx.claim(SP1))
        {
            final ExecutionContext target = sp.executionContext(0);
            try (ExclusivePublication refused = refuseLog(SP1, 0, VM1, 0))
            {
                final Future<RegisterFile> sent = fx.deliver(target, vm1.executionContext(0),
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 41));
                final RegisterFile response = answer == FunctionId.FFA_ERROR ?
                    regs(FunctionId.FFA_ERROR, 0, ErrorCode.INVALID_PARAMETERS) :
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP1, VM1).x(3, 42);
                final Future<RegisterFile> answered = fx.async(target, response);
                assertError(ErrorCode.ABORTED, get(sent), "an answer that cannot be delivered");
                assertEquals(ExecutionContextState.WAITING, state(SP1, 0), "the target waits for the next request");
                assertEquals(ExecutionContextState.RUNNING, state(VM1, 0), "the requester runs on");

                // The answer's call returns the next request, as DIRECT_RESP does.
                final Future<RegisterFile> other = fx.async(vm2.executionContext(0),
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM2, SP1).x(3, 1));
                final RegisterFile next = get(answered);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, next.w(0), next::toString);
                assertEquals(RegisterFile.packIds(VM2, SP1), next.w(1), next::toString);
                assertEquals(1, next.x(3));
                fx.respond(target, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP1, VM2).x(3, 2));
                assertAnswered(2, get(other));
            }
        }
    }

    @Test
    @Timeout(90)
    void anInterruptedRequestWhoseAnswerCannotBeDeliveredEndsAbortedWhenResumed() throws Exception
    {
        try (Endpoint vm1 = fx.claim(VM1);
             Endpoint sp = fx.claim(SP1))
        {
            final ExecutionContext requester = vm1.executionContext(0);
            final ExecutionContext target = sp.executionContext(0);
            try (ExclusivePublication refused = refuseLog(SP1, 0, VM1, 0))
            {
                final Future<RegisterFile> waiting = fx.msgWait(target);
                final Future<RegisterFile> sent = fx.bounded(requester,
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 41), 100_000_000L);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(waiting).w(0));
                final RegisterFile interrupted = get(sent);
                assertEquals(FunctionId.FFA_INTERRUPT, interrupted.w(0), interrupted::toString);

                // Answered after the requester's call returned: the answer is lost.
                fx.async(target, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP1, VM1).x(3, 42));
                fx.awaitState(SP1, 0, ExecutionContextState.WAITING);
                final RegisterFile resumed = call(requester, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP1, 0)));
                assertError(ErrorCode.ABORTED, resumed, "resuming a request whose answer was lost");
                assertEquals(ExecutionContextState.RUNNING, state(VM1, 0), "the requester runs on");
            }
        }
    }

    /**
     * The target loses its answer (its note is written) and then goes away before the requester
     * resumes: the wait ends on the target being gone, and the note, which names that exchange by
     * the target's sequence, must go with it, or it lingers until a later exchange matches it.
     */
    @Test
    @Timeout(90)
    void aLostAnswersNoteIsTakenWhenItsTargetHasGoneByTheResume() throws Exception
    {
        final ControlFile cf = fx.controlFile();
        final int requesterOffset = cf.ecStateOffset(cf.slotOf(VM1), 0);
        try (Endpoint vm1 = fx.claim(VM1))
        {
            final ExecutionContext requester = vm1.executionContext(0);
            try (Endpoint sp = fx.claim(SP1);
                 ExclusivePublication refused = refuseLog(SP1, 0, VM1, 0))
            {
                final ExecutionContext target = sp.executionContext(0);
                final Future<RegisterFile> waiting = fx.msgWait(target);
                final Future<RegisterFile> sent = fx.bounded(requester,
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 41), 100_000_000L);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(waiting).w(0));
                assertEquals(FunctionId.FFA_INTERRUPT, get(sent).w(0));
                final Future<RegisterFile> answered =
                    fx.async(target, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP1, VM1).x(3, 42));
                fx.awaitState(SP1, 0, ExecutionContextState.WAITING);
                assertNotEquals(0, awaitLostAnswerNote(requesterOffset), "the target noted its lost answer");
                // The answer's call waits on for the next request: the close ends it.
                sp.close();
                assertError(ErrorCode.ABORTED, get(answered), "the answer's wait for the next request, closed");
            }
            assertNotEquals(0, cf.lostAnswer(requesterOffset), "the note is still there");
            fx.awaitState(SP1, 0, ExecutionContextState.OFF);

            final RegisterFile resumed = call(requester, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP1, 0)));
            assertError(ErrorCode.ABORTED, resumed, "resuming a request whose target has gone");
            assertEquals(0, cf.lostAnswer(requesterOffset), "the ended exchange's note is taken");
        }
    }

    /** A requester that closes with a lost answer's note unread leaves nothing for its next claim. */
    @Test
    @Timeout(90)
    void aLostAnswersNoteUnreadWhenItsRequesterClosesIsNotInheritedByTheNextClaim() throws Exception
    {
        final ControlFile cf = fx.controlFile();
        final int requesterOffset = cf.ecStateOffset(cf.slotOf(VM1), 0);
        try (Endpoint sp = fx.claim(SP1))
        {
            try (Endpoint vm1 = fx.claim(VM1);
                 ExclusivePublication refused = refuseLog(SP1, 0, VM1, 0))
            {
                final ExecutionContext target = sp.executionContext(0);
                final Future<RegisterFile> waiting = fx.msgWait(target);
                final Future<RegisterFile> sent = fx.bounded(vm1.executionContext(0),
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 41), 100_000_000L);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(waiting).w(0));
                assertEquals(FunctionId.FFA_INTERRUPT, get(sent).w(0));
                fx.async(target, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP1, VM1).x(3, 42));
                fx.awaitState(SP1, 0, ExecutionContextState.WAITING);
                assertNotEquals(0, awaitLostAnswerNote(requesterOffset), "the target noted its lost answer");
            }
            try (Endpoint vm1 = fx.claim(VM1))
            {
                assertEquals(0, cf.lostAnswer(requesterOffset), "the new claim's record holds no note");
            }
        }
    }

    @Test
    @Timeout(90)
    void aHandlersYieldWhoseLogBackIsRefusedEndsTheRequestAbortedAndTheYieldToo() throws Exception
    {
        try (Endpoint vm1 = fx.claim(VM1);
             Endpoint vm2 = fx.claim(VM2);
             Endpoint sp = fx.claim(SP1))
        {
            final ExecutionContext target = sp.executionContext(0);
            final RegisterFile yielded = new RegisterFile();
            try (ExclusivePublication refused = refuseLog(SP1, 0, VM1, 0))
            {
                final Future<Boolean> serving = serveOnce(target, (req, resp) ->
                {
                    target.invoke(yielded.clear().w(0, FunctionId.FFA_YIELD));
                    resp.payload(0, req.payload(0) + 1);
                });
                final RegisterFile r = call(vm1.executionContext(0),
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, 41));
                assertError(ErrorCode.ABORTED, r, "a yield that cannot be delivered");
                assertTrue(get(serving), "the serve returns and throws nothing");
                assertError(ErrorCode.ABORTED, yielded, "the handler's FFA_YIELD");
                assertEquals(ExecutionContextState.WAITING, state(SP1, 0), "the target waits for the next request");
            }
            final Future<Boolean> next = serveOnce(target, (req, resp) -> resp.payload(0, req.payload(0) + 1));
            assertAnswered(2, call(vm2.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM2, SP1).x(3, 1)));
            assertTrue(get(next));
        }
    }

    @Test
    @Timeout(90)
    void aWaitThatCannotGiveTheSchedulerItsCyclesBackEndsItsRunAborted() throws Exception
    {
        try (Endpoint hyp = fx.claim(HYP);
             Endpoint vm2 = fx.claim(VM2);
             Endpoint sp = fx.claim(SP1))
        {
            final ExecutionContext target = sp.executionContext(0);
            try (ExclusivePublication refused = refuseLog(SP1, 0, HYP, 0))
            {
                final Future<RegisterFile> waiting = fx.msgWait(target);
                final Future<RegisterFile> ran = fx.async(hyp.executionContext(0),
                    regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP1, 0)));
                assertEquals(FunctionId.FFA_RUN, get(waiting).w(0));
                // Its next FFA_MSG_WAIT gives the cycles back, on a log that cannot be made.
                final Future<RegisterFile> waitsAgain = fx.async(target, regs(FunctionId.FFA_MSG_WAIT));
                assertError(ErrorCode.ABORTED, get(ran), "cycles that cannot be given back");
                assertEquals(ExecutionContextState.WAITING, state(SP1, 0), "the target waits for the next request");
                assertEquals(ExecutionContextState.RUNNING, state(HYP, 0), "the scheduler runs on");

                final Future<RegisterFile> other = fx.async(vm2.executionContext(0),
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM2, SP1).x(3, 1));
                final RegisterFile next = get(waitsAgain);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, next.w(0), next::toString);
                fx.respond(target, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP1, VM2).x(3, 2));
                assertAnswered(2, get(other));
            }
        }
    }

    private int generation(final int id)
    {
        final ControlFile cf = fx.controlFile();
        return cf.claimGeneration(cf.slotOf(id)) & 0xFF;
    }

    /** Unclaimed, and the partition manager let go of every context the failed claim had bound. */
    private void assertReleased(final int id)
    {
        final ControlFile cf = fx.controlFile();
        assertEquals(0, cf.claimPid(cf.slotOf(id)), "the failed claim is let go");
        for (int ec = 0; ec < 2; ec++)
        {
            assertNotEquals(ExecutionContextState.RUNNING, state(id, ec),
                "context " + ec + " of a failed claim is left bound, RUNNING for nobody");
        }
    }

    private void assertClaimableAgain(final int id)
    {
        try (Endpoint sp = fx.claim(id))
        {
            for (int ec = 0; ec < sp.executionContextCount(); ec++)
            {
                final RegisterFile r = call(sp.executionContext(ec), FunctionId.FFA_ID_GET);
                assertEquals(id, r.w(2), () -> "ID_GET after a failed claim: " + r);
            }
        }
    }

    private int state(final int id, final int ec)
    {
        return fx.state(id, ec);
    }
}
