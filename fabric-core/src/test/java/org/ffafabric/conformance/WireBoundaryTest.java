package org.ffafabric.conformance;

import io.aeron.Subscription;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.transport.TrapProtocol;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.ffafabric.conformance.WireFixture.*;
import static org.ffafabric.transport.TrapProtocol.sessionId;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The fabric's wire boundary. Anything that can open the fabric's Aeron directory can publish into
 * the partition manager's trap stream and any context's inbox, with any session ID the driver has not
 * given a publication on that stream already. What is not a claimed context's well-formed message is
 * dropped, or refused with the spec's error where a claimed context sent it; nothing is taken for
 * another sender's, nothing throws out of a receiver or holds it, and the fabric answers as before.
 */
class WireBoundaryTest
{
    /** The bound of each FFA_MSG_WAIT that reads an inbox while a test waits for it to be read. */
    private static final long WAIT_SLICE_NS = TimeUnit.MILLISECONDS.toNanos(20);

    /**
     * Traps from sessions no claimed context has (a partition nobody claimed, none of the fabric's, a
     * context its partition does not have, another claim of a claimed one, the manager's own), of
     * every wrong length and well-formed, are dropped: nobody is answered and no claim moves. A flood
     * of them (forged claims, say) is told of a bounded number of times, not once each.
     */
    @Test
    void trapsFromNoClaimedContextAreDroppedAndToldOfBoundedly()
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        try (WireFixture wire = new WireFixture())
        {
            final ControlFile controlFile = wire.controlFile;
            final int vmGeneration = wire.generation(VM);
            final int spGeneration = wire.generation(SP);
            // The driver's own guard: a session ID a bound context publishes with is nobody else's on that stream.
            assertFalse(wire.send(TrapProtocol.PM_STREAM_ID, sessionId(VM, 0, vmGeneration), 0, regs(FunctionId.FFA_ID_GET), 64),
                "vm1's trap session is taken");
            final long vmClaim = controlFile.claimWord(controlFile.slotOf(VM));
            final long spClaim = controlFile.claimWord(controlFile.slotOf(SP));
            final Subscription sp2Inbox = wire.raw.addSubscription(TrapProtocol.CHANNEL, TrapProtocol.inboxStreamId(SP2, 0));
            final long pid = ProcessHandle.current().pid();
            final int[] sessions = {
                sessionId(SP2, 0, 1),
                sessionId(NO_SUCH_PARTITION, 0, 1),
                sessionId(SP, 5, spGeneration),
                sessionId(VM, 0, vmGeneration + 1),
                TrapProtocol.PM_SESSION_ID,
            };
            final RegisterFile[] calls = {
                regs(FunctionId.FFA_ID_GET),
                regs(FunctionId.FFA_VERSION, V1_2),
                regs(FunctionId.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 1),
                regs(TrapProtocol.FABRIC_RELEASE),
                regs(TrapProtocol.FABRIC_CLAIM, (int)pid, (int)(pid >>> 32)),
                regs(TrapProtocol.FABRIC_CLAIM, 1, 0),
            };
            int sent = 0;
            for (final int session : sessions)
            {
                for (final int length : MALFORMED_LENGTHS)
                {
                    assertTrue(wire.send(TrapProtocol.PM_STREAM_ID, session, 0, idGetAndNoise(random, length), length));
                    sent++;
                }
                for (final RegisterFile call : calls)
                {
                    assertTrue(wire.send(TrapProtocol.PM_STREAM_ID, session, 0, call, TrapProtocol.SHORT_MESSAGE_LENGTH));
                    sent++;
                }
                final byte[] noise = new byte[TrapProtocol.LONG_MESSAGE_LENGTH];
                random.nextBytes(noise);
                assertTrue(wire.send(TrapProtocol.PM_STREAM_ID, session, 0, noise, noise.length));
                sent++;
            }
            final RegisterFile forgedClaim = regs(TrapProtocol.FABRIC_CLAIM, (int)pid, (int)(pid >>> 32));
            for (int i = 0; i < 512; i++)
            {
                assertTrue(wire.send(TrapProtocol.PM_STREAM_ID, sessionId(SP2, 0, 7), 0, forgedClaim,
                    TrapProtocol.SHORT_MESSAGE_LENGTH));
                sent++;
            }
            wire.awaitRead();

            final String why = "seed=" + seed;
            assertEquals(0, sp2Inbox.poll((buffer, offset, length, header) -> { }, 16), "nobody was answered " + why);
            assertEquals(vmClaim, controlFile.claimWord(controlFile.slotOf(VM)), why);
            assertEquals(spClaim, controlFile.claimWord(controlFile.slotOf(SP)), why);
            assertEquals(0, controlFile.claimPid(controlFile.slotOf(SP2)), why);
            assertEquals(ExecutionContextState.OFF, wire.state(SP2), why);
            // A release from a context never bound is the rest of a claim that failed, dropped quietly.
            assertEquals(wire.fragmentsSent(TrapProtocol.PM_STREAM_ID) - sessions.length, wire.pm.droppedTraps(),
                "each trap but the releases counted " + why);
            assertFalse(wire.pmErrors.isEmpty(), "the partition manager told of what it dropped");
            final int dropped = sent;
            assertTrue(wire.pmErrors.size() <= 16, () -> wire.pmErrors.size() + " reports of " + dropped + " traps dropped " + why);
            wire.assertStillWorks();
        }
    }

    /**
     * A claimed context's trap is 64 or 144 bytes. One of another length is not a register file: it is
     * answered FFA_ERROR(INVALID_PARAMETERS), as its context waits for an answer, whatever its first
     * bytes say; an FFA_ID_GET cut short or run long is not taken for one.
     */
    @Test
    void aClaimedContextsTrapOfAnotherLengthIsAnsweredInvalidParameters()
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        try (WireFixture wire = new WireFixture())
        {
            final int generation = wire.claimByHand(SP2);
            final int session = sessionId(SP2, 0, generation);
            final Subscription inbox = wire.raw.addSubscription(TrapProtocol.CHANNEL, TrapProtocol.inboxStreamId(SP2, 0));
            final long pid = ProcessHandle.current().pid();
            assertTrue(wire.send(TrapProtocol.PM_STREAM_ID, session, 0,
                regs(TrapProtocol.FABRIC_CLAIM, (int)pid, (int)(pid >>> 32)), TrapProtocol.SHORT_MESSAGE_LENGTH));
            final RegisterFile reply = new RegisterFile();
            final int[] from = new int[1];
            take(inbox, reply, from, "the claim was answered");
            assertTrue(reply.isSuccess(), reply::toString);
            assertEquals(TrapProtocol.FABRIC_CLAIM, reply.w(1));

            for (final int length : MALFORMED_LENGTHS)
            {
                assertTrue(wire.send(TrapProtocol.PM_STREAM_ID, session, 0, idGetAndNoise(random, length), length));
            }
            assertTrue(wire.send(TrapProtocol.PM_STREAM_ID, session, 0, regs(FunctionId.FFA_ID_GET),
                TrapProtocol.SHORT_MESSAGE_LENGTH));
            int refused = 0;
            while (true)
            {
                take(inbox, reply, from, "every trap was answered");
                assertEquals(TrapProtocol.replySessionId(generation), from[0], "the partition manager's reply to this claim");
                if (reply.isSuccess())
                {
                    break;
                }
                assertError(ErrorCode.INVALID_PARAMETERS, reply, "seed=" + seed + " a trap of another length");
                refused++;
            }
            assertEquals(SP2, reply.w(2), "the well-formed FFA_ID_GET after them");
            assertTrue(refused >= MALFORMED_LENGTHS.length, "each was answered, " + refused);

            assertTrue(wire.send(TrapProtocol.PM_STREAM_ID, session, 0, regs(TrapProtocol.FABRIC_RELEASE),
                TrapProtocol.SHORT_MESSAGE_LENGTH));
            awaitUntil(System.nanoTime() + WAIT_NS, () -> wire.controlFile.claimPid(wire.controlFile.slotOf(SP2)) == 0,
                "the release let go of sp2");
            wire.assertStillWorks();
        }
    }

    /**
     * A fragment in an inbox that is not a register file of 64 or 144 bytes is dropped, though it is
     * addressed to the context's claim and starts as a direct request to it would: a serving context
     * neither throws nor serves it, and FFA_MSG_WAIT does not return it. From a partition claimed by hand
     * that writes its own messages, a claim that partition does not hold, and a partition of none.
     */
    @Test
    void anInboxMessageOfAnotherLengthIsDropped()
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        try (WireFixture wire = new WireFixture())
        {
            final int generation = wire.claimByHand(SP2);
            final int[] sessions = {
                sessionId(SP2, 0, generation),
                sessionId(SP2, 0, generation + 1),
                sessionId(NO_SUCH_PARTITION, 0, 1),
            };
            for (final int session : sessions)
            {
                for (final int length : MALFORMED_LENGTHS)
                {
                    assertTrue(wire.send(TrapProtocol.inboxStreamId(SP, 0), session, wire.addressedTo(SP),
                        requestAndNoise(random, TrapProtocol.partitionIdOf(session), SP, length), length));
                }
            }
            wire.awaitRead();
            final String why = "seed=" + seed;
            assertEquals(List.of(), wire.serveErrors, "sp1's serving threw nothing " + why);
            assertEquals(List.of(), wire.served, "sp1 served none of them " + why);
            assertEquals(wire.fragmentsSent(TrapProtocol.inboxStreamId(SP, 0)), wire.sp.executionContext(0).droppedMessages(),
                "each fragment counted " + why);

            for (final int session : sessions)
            {
                for (final int length : MALFORMED_LENGTHS)
                {
                    assertTrue(wire.send(TrapProtocol.inboxStreamId(VM, 0), session, wire.addressedTo(VM),
                        requestAndNoise(random, TrapProtocol.partitionIdOf(session), VM, length), length));
                }
            }
            final ExecutionContext vm = wire.vm.executionContext(0);
            final RegisterFile regs = new RegisterFile();
            wire.awaitRead(() ->
            {
                vm.invoke(regs.clear().w(0, FunctionId.FFA_MSG_WAIT), WAIT_SLICE_NS);
                assertEquals(FunctionId.FFA_INTERRUPT, regs.functionId(), () -> "FFA_MSG_WAIT returned " + regs + " " + why);
            });
            assertEquals(wire.fragmentsSent(TrapProtocol.inboxStreamId(VM, 0)), vm.droppedMessages(), "each fragment counted " + why);
            wire.assertStillWorks();
        }
    }

    /**
     * A request's w1 names its sender and receiver, and the requester's runtime refuses to send one that
     * does not name itself and its target. One written by hand that names another partition as sender,
     * or another receiver, is refused FFA_ERROR(INVALID_PARAMETERS) to the context its session names, as
     * the spec's SPMC refuses a caller that names another ID; the handler, which reads the sender from
     * w1, never sees it. Served in place by sp1, which the requester took as the runtime's would, and
     * through vm1's FFA_MSG_WAIT; so is a request from a partition to itself, which no runtime sends.
     */
    @Test
    void aRequestNamingAnotherSenderOrReceiverIsRefused()
    {
        try (WireFixture wire = new WireFixture())
        {
            final int generation = wire.claimByHand(SP2);
            final int session = sessionId(SP2, 0, generation);
            final Subscription inbox = wire.raw.addSubscription(TrapProtocol.CHANNEL, TrapProtocol.inboxStreamId(SP2, 0));
            final RegisterFile answer = new RegisterFile();
            final int[] from = new int[1];
            final int[][] lies = {{VM, SP}, {SP2, 0x8003}};
            for (final int[] lie : lies)
            {
                final long waiting = wire.stateWord(SP);
                assertEquals(ExecutionContextState.WAITING, ExecutionContextState.state(waiting));
                final long installed = ExecutionContextState.pack(
                    ExecutionContextState.RUNNING, ExecutionContextState.MODEL_DIRECT_REQ, false, SP2, 0, waiting);
                assertTrue(wire.controlFile.ecStateCompareAndSet(wire.stateOffset(SP), waiting, installed));
                final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, lie[0], lie[1]);
                request.x(3, 41);
                assertTrue(wire.send(TrapProtocol.inboxStreamId(SP, 0), session, wire.addressedTo(SP), request,
                    TrapProtocol.SHORT_MESSAGE_LENGTH));
                take(inbox, answer, from, "sp1 answered");
                assertEquals(sessionId(SP, 0, wire.generation(SP)), from[0], "sp1's answer");
                assertError(ErrorCode.INVALID_PARAMETERS, answer,
                    String.format("a request whose w1 is 0x%08x", RegisterFile.packIds(lie[0], lie[1])));
                wire.release(SP, installed);
            }
            assertEquals(List.of(), wire.served, "sp1's handler saw none of them");

            // From sp1 to itself, as the runtime never sends: with a session of its own partition, another claim.
            assertTrue(wire.send(TrapProtocol.inboxStreamId(SP, 0), sessionId(SP, 0, wire.generation(SP) + 1),
                wire.addressedTo(SP), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SP, SP), TrapProtocol.SHORT_MESSAGE_LENGTH));
            wire.awaitRead();
            assertEquals(List.of(), wire.served, "sp1's handler did not see its request to itself");
            assertEquals(List.of(), wire.serveErrors, "sp1's serving threw nothing");

            assertTrue(wire.send(TrapProtocol.inboxStreamId(VM, 0), session, wire.addressedTo(VM),
                ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SP, VM), TrapProtocol.SHORT_MESSAGE_LENGTH));
            final ExecutionContext vm = wire.vm.executionContext(0);
            final RegisterFile regs = new RegisterFile();
            wire.awaitRead(() ->
            {
                vm.invoke(regs.clear().w(0, FunctionId.FFA_MSG_WAIT), WAIT_SLICE_NS);
                assertEquals(FunctionId.FFA_INTERRUPT, regs.functionId(), () -> "FFA_MSG_WAIT returned " + regs);
            });
            take(inbox, answer, from, "vm1 answered");
            assertEquals(sessionId(VM, 0, wire.generation(VM)), from[0], "vm1's answer");
            assertError(ErrorCode.INVALID_PARAMETERS, answer, "a request naming sp1 as its sender");
            wire.assertStillWorks();
        }
    }

    /**
     * A requester that keeps an inbox subscription but reads none of its answers fills it: sp1's next
     * answer finds no room, and sp1 waits for some. Once that requester's claim is over it never will
     * be read, and sp1 gives the answer up and serves on (it waited for ever).
     */
    @Test
    void anAnswerWaitingForRoomIsGivenUpOnOnceItsRequestersClaimEnds()
    {
        try (WireFixture wire = new WireFixture())
        {
            final int generation = wire.claimByHand(SP2);
            final int session = sessionId(SP2, 0, generation);
            // Subscribed, and never read: the driver holds sp1's log to it to what this inbox's window takes.
            final int sp2Inbox = TrapProtocol.inboxStreamId(SP2, 0);
            final int spSession = sessionId(SP, 0, wire.generation(SP));
            wire.raw.addSubscription(TrapProtocol.CHANNEL, sp2Inbox);
            final long deadline = System.nanoTime() + WAIT_NS;
            int answered = 0;
            while (true)
            {
                // A window holds ~340 answers: far more means sp1 never waits for room.
                assertTrue(answered < 10_000, "sp1 answered " + answered + " requests and went on");
                final long waiting = wire.stateWord(SP);
                assertEquals(ExecutionContextState.WAITING, ExecutionContextState.state(waiting));
                final long installed = ExecutionContextState.pack(
                    ExecutionContextState.RUNNING, ExecutionContextState.MODEL_DIRECT_REQ, false, SP2, 0, waiting);
                assertTrue(wire.controlFile.ecStateCompareAndSet(wire.stateOffset(SP), waiting, installed));
                final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SP2, SP);
                request.x(3, answered);
                assertTrue(wire.send(TrapProtocol.inboxStreamId(SP, 0), session, wire.addressedTo(SP), request,
                    TrapProtocol.SHORT_MESSAGE_LENGTH));
                // sp1 claims room for its answer before its handler runs: its log to our inbox at its limit (a window
                // of 64 KiB terms holds ~340 answers), and the handler not given the request a second on, it waits
                // for room. (Misjudged, after a stall between a last claim and its handler, it merely tests less.)
                final long seenBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                final int taken = answered;
                awaitUntil(deadline, () -> wire.served.size() != taken ||
                    System.nanoTime() > seenBy && wire.atPublisherLimit(spSession, sp2Inbox),
                    "sp1 took request " + answered + " or waits for room");
                if (wire.served.size() == answered)
                {
                    break;
                }
                answered++;
                wire.release(SP, installed);
            }
            assertTrue(answered >= 300, "answers before the inbox was full: " + answered);

            assertTrue(wire.controlFile.unclaim(wire.controlFile.slotOf(SP2), generation, ProcessHandle.current().pid()));
            final int seen = answered + 1;
            awaitUntil(System.nanoTime() + WAIT_NS, () -> wire.served.size() == seen, "sp1 gave the answer up and served");
            // Nobody will release sp1 for that request: it gives itself back at its next check of its last requester.
            awaitUntil(System.nanoTime() + WAIT_NS, () -> wire.state(SP) == ExecutionContextState.WAITING, "sp1 waiting again");
            wire.assertStillWorks();
        }
    }

    /**
     * A well-formed request from a session no claimed context has (a partition of none, one nobody
     * claimed, another claim of a claimed one, a context a claimed partition does not have) is served
     * as the request a requester left behind when its claim ended is, attributed to the partition its
     * session names; but its answer goes nowhere. No log is made for it, each of which would take one
     * of the fabric's peer logs (and a log's room in /dev/shm), and the serving context is not held
     * waiting for an inbox that nobody reads.
     */
    @Test
    void aRequestFromNoClaimedContextTakesNoLogForItsAnswer()
    {
        try (WireFixture wire = new WireFixture())
        {
            final int vmGeneration = wire.generation(VM);
            final int spSlot = wire.controlFile.slotOf(SP);
            final int peerLogs = wire.controlFile.peerLogs(spSlot);
            final int[] sessions = {
                sessionId(NO_SUCH_PARTITION, 0, 1),
                sessionId(SP2, 0, 1),
                sessionId(VM, 0, vmGeneration + 1),
                sessionId(VM, 3, vmGeneration),
            };
            for (final int session : sessions)
            {
                final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, TrapProtocol.partitionIdOf(session), SP);
                request.x(3, session);
                assertTrue(wire.send(TrapProtocol.inboxStreamId(SP, 0), session, wire.addressedTo(SP), request,
                    TrapProtocol.SHORT_MESSAGE_LENGTH));
            }
            wire.awaitRead();
            assertEquals(List.of(), wire.serveErrors, "sp1's serving threw nothing");
            assertEquals(peerLogs, wire.controlFile.peerLogs(spSlot), "sp1 made no log to answer them");
            assertEquals(sessions.length, wire.served.size(), "each was served");
            for (final long[] served : wire.served)
            {
                assertEquals(TrapProtocol.partitionIdOf((int)served[1]), served[0], "the handler's sender is its session's");
            }
            wire.assertStillWorks();
        }
    }

    /**
     * A request served that no requester took the context for (from a session of a claim that does not
     * hold: another claim of a partition it already has a log to, or a partition of none) leaves the
     * context as its word is. It took the next requester's word for the one it had answered, and gave
     * it back under that requester: the context then took in a request while its word said WAITING.
     */
    @Test
    void aRequestNobodyTookTheContextForLeavesItAsItsWordIs()
    {
        try (WireFixture wire = new WireFixture())
        {
            final int generation = wire.claimByHand(SP2);
            final Subscription inbox = wire.raw.addSubscription(TrapProtocol.CHANNEL, TrapProtocol.inboxStreamId(SP2, 0));
            final int[] forgers = {sessionId(VM, 0, wire.generation(VM) + 1), sessionId(NO_SUCH_PARTITION, 0, 1)};
            final RegisterFile answer = new RegisterFile();
            final int[] from = new int[1];
            for (final int forger : forgers)
            {
                final RegisterFile forged = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, TrapProtocol.partitionIdOf(forger), SP);
                assertTrue(wire.send(TrapProtocol.inboxStreamId(SP, 0), forger, wire.addressedTo(SP), forged.x(3, forger),
                    TrapProtocol.SHORT_MESSAGE_LENGTH));
                wire.awaitRead();

                // sp2 takes sp1 as a requester does, and sends its request a while later: its word stays its own.
                final long waiting = wire.stateWord(SP);
                assertEquals(ExecutionContextState.WAITING, ExecutionContextState.state(waiting));
                final long installed = ExecutionContextState.pack(
                    ExecutionContextState.RUNNING, ExecutionContextState.MODEL_DIRECT_REQ, false, SP2, 0, waiting);
                assertTrue(wire.controlFile.ecStateCompareAndSet(wire.stateOffset(SP), waiting, installed));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                assertEquals(ExecutionContextState.describe(installed), ExecutionContextState.describe(wire.stateWord(SP)),
                    String.format("sp1 left alone the word a requester took, after a request from session 0x%08x", forger));
                assertEquals(installed, wire.stateWord(SP));
                assertTrue(wire.send(TrapProtocol.inboxStreamId(SP, 0), sessionId(SP2, 0, generation), wire.addressedTo(SP),
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SP2, SP).x(3, 7), TrapProtocol.SHORT_MESSAGE_LENGTH));
                take(inbox, answer, from, "sp1 answered sp2");
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, answer.functionId(), answer::toString);
                assertEquals(8, answer.x(3));
                // Our release, unless sp1's wait has made it on our behalf already.
                wire.controlFile.ecStateCompareAndSet(wire.stateOffset(SP), installed, ExecutionContextState.waitingAfter(installed));
                assertEquals(ExecutionContextState.waitingAfter(installed), wire.stateWord(SP));
                wire.assertStillWorks();
            }
        }
    }

    /**
     * An answer is taken only from the target's claim. Answers from sp2 (claimed by hand) with no request
     * pending, and while vm1 waits for sp1, and from another claim of sp1, are not taken for sp1's answer,
     * nor for the partition manager's reply to a trap.
     */
    @Test
    void anAnswerFromAnyoneButTheTargetIsNotTakenForTheAnswer()
    {
        try (WireFixture wire = new WireFixture())
        {
            final int generation = wire.claimByHand(SP2);
            final int[] sessions = {sessionId(SP2, 0, generation), sessionId(SP, 0, wire.generation(SP) + 1)};
            final RegisterFile[] answers = {
                ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP2, VM).x(3, 0xBAD),
                regs(FunctionId.FFA_ERROR, 0, ErrorCode.BUSY),
                regs(FunctionId.FFA_SUCCESS_32, 0, 0xBAD),
                regs(FunctionId.FFA_YIELD, RegisterFile.packTargetInfo(SP2, 0)),
            };
            final Runnable sendAnswers = () ->
            {
                for (final int session : sessions)
                {
                    for (final RegisterFile answer : answers)
                    {
                        assertTrue(wire.send(TrapProtocol.inboxStreamId(VM, 0), session, wire.addressedTo(VM), answer,
                            TrapProtocol.SHORT_MESSAGE_LENGTH));
                    }
                }
            };
            sendAnswers.run();
            wire.assertStillWorks();
            wire.beforeAnswer = sendAnswers;
            wire.assertStillWorks();
            wire.beforeAnswer = () -> { };
            wire.assertStillWorks();
        }
    }

    /**
     * The partition manager's replies come with its session ID for the claim they answer, which the
     * driver gives no one else on an inbox: replies forged with the manager's session IDs of other claims
     * are dropped, and a trap takes its own.
     */
    @Test
    void aTrapTakesOnlyItsPartitionManagersReply()
    {
        try (WireFixture wire = new WireFixture())
        {
            final int vmGeneration = wire.generation(VM);
            final int stream = TrapProtocol.inboxStreamId(VM, 0);
            final RegisterFile forged = regs(FunctionId.FFA_SUCCESS_32, 0, 0xBAD);
            assertFalse(wire.send(stream, TrapProtocol.replySessionId(vmGeneration), 0, forged, TrapProtocol.SHORT_MESSAGE_LENGTH),
                "the manager's reply session to vm1's claim is taken");
            final long dropped = wire.vm.executionContext(0).droppedMessages();
            for (int i = 0; i < 8; i++)
            {
                assertTrue(wire.send(stream, TrapProtocol.replySessionId(vmGeneration + 1), 0, forged,
                    TrapProtocol.SHORT_MESSAGE_LENGTH));
                assertTrue(wire.send(stream, TrapProtocol.PM_SESSION_ID, wire.addressedTo(VM), forged,
                    TrapProtocol.SHORT_MESSAGE_LENGTH));
            }
            wire.awaitRead(() ->
            {
                final RegisterFile id = call(wire.vm.executionContext(0), FunctionId.FFA_ID_GET);
                assertTrue(id.isSuccess(), id::toString);
                assertEquals(VM, id.w(2), "the manager's own reply");
            });
            assertEquals(dropped + wire.fragmentsSent(stream), wire.vm.executionContext(0).droppedMessages());
            wire.assertStillWorks();
        }
    }

    /**
     * What cannot be told at this layer. The driver refuses a session ID only to a second publication on
     * the same stream, first come first served, and a process that can open the fabric's Aeron directory
     * can open its control file too. Such a process takes vm1's session ID on the inbox of sp2, to which
     * vm1 has never sent, moves sp2's state word as vm1's runtime would, and sends a well-formed request:
     * sp2 serves it as vm1's and answers into vm1's inbox. vm1 can then make no log of its own to sp2: its
     * request answers NO_MEMORY, as the driver refuses it that session ID there. The fabric's trust
     * boundary is its user (ARCHITECTURE.md, "The trap and identity").
     */
    @Test
    void aProcessThatCanOpenTheAeronDirectoryCanActAsAnyPartition() throws Exception
    {
        try (WireFixture wire = new WireFixture();
            Endpoint sp2 = wire.client.claim(SP2))
        {
            final List<Long> senders = new CopyOnWriteArrayList<>();
            try (AutoCloseable serving = sp2.serve((request, response) ->
            {
                senders.add((long)request.sender());
                response.payload(0, request.payload(0) + 1);
            }))
            {
                final int vmSession = sessionId(VM, 0, wire.generation(VM));
                final Subscription vmInbox = wire.raw.addSubscription(TrapProtocol.CHANNEL, TrapProtocol.inboxStreamId(VM, 0));
                final long waiting = wire.stateWord(SP2);
                final long installed = ExecutionContextState.pack(
                    ExecutionContextState.RUNNING, ExecutionContextState.MODEL_DIRECT_REQ, false, VM, 0, waiting);
                assertTrue(wire.controlFile.ecStateCompareAndSet(wire.stateOffset(SP2), waiting, installed));
                final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP2).x(3, 41);
                assertTrue(wire.send(TrapProtocol.inboxStreamId(SP2, 0), vmSession, wire.addressedTo(SP2), request,
                    TrapProtocol.SHORT_MESSAGE_LENGTH));
                final RegisterFile answer = new RegisterFile();
                final int[] from = new int[1];
                take(vmInbox, answer, from, "sp2 answered into vm1's inbox");
                // Our release, unless sp2's wait has made it on our behalf already.
                wire.controlFile.ecStateCompareAndSet(wire.stateOffset(SP2), installed, ExecutionContextState.waitingAfter(installed));
                assertEquals(ExecutionContextState.waitingAfter(installed), wire.stateWord(SP2));
                vmInbox.close();

                assertEquals(List.of((long)VM), senders, "sp2 served it as vm1's");
                assertEquals(sessionId(SP2, 0, wire.generation(SP2)), from[0]);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, answer.functionId(), answer::toString);
                assertEquals(42, answer.x(3));
                final RegisterFile own = call(wire.vm.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP2));
                assertError(ErrorCode.NO_MEMORY, own, "vm1's own first request to sp2, its session ID there taken");
                wire.assertStillWorks();
            }
        }
    }

    /** {@code length} bytes of noise, DIRECT_REQ_64 from {@code sender} to {@code receiver} first where it fits. */
    private static byte[] requestAndNoise(final Random random, final int sender, final int receiver, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, sender, receiver);
        request.buffer().getBytes(0, bytes, 0, Math.min(length, 2 * Long.BYTES));
        return bytes;
    }

    /** {@code length} bytes of noise, FFA_ID_GET's function ID first where it fits. */
    private static byte[] idGetAndNoise(final Random random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        for (int i = 0; i < Math.min(length, Integer.BYTES); i++)
        {
            bytes[i] = (byte)(FunctionId.FFA_ID_GET >>> (8 * i));
        }
        return bytes;
    }
}
