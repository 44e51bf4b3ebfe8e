package org.ffafabric.bench.fabric;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.transport.TrapProtocol;

import java.util.concurrent.TimeUnit;

/**
 * One side of the {@code ffa-direct} echo written straight onto the fabric's wire with raw Aeron,
 * none of the fabric's runtime: as the requester, DIRECT_REQ_64 from the requester's session into
 * the responder's inbox, x3..x7 the sequence plus the register number, as {@link EchoRequest}
 * sends it; as the responder, the answer the echo handler gives (DIRECT_RESP_64, IDs swapped,
 * each payload word plus one). Facing the real runtime on the other side, it leaves that side's
 * work alone to measure.
 * <p>
 * The requester moves the responder's state word as the runtime's requester does (WAITING to
 * RUNNING for this request by compare-and-set, and back once answered), so the runtime's
 * responder finds what it expects; a raw responder keeps no state word, and must be made WAITING
 * in the control file by whoever sets it up (the runtime's requester then keeps it so). Like the
 * runtime, each message is addressed to its receiver's claim in the frame's reserved value.
 * <p>
 * It holds its own partition's claim while open, under this process, and sends under that claim's
 * generation: the runtime takes a partition nobody has claimed for gone, and gives up at once on a
 * first log to it that the driver has not linked yet (a sender may see that for a moment).
 */
public final class RawDirectMessagePeer implements FragmentHandler, AutoCloseable
{
    private static final int FIRST_PAYLOAD = 3;
    private static final int LAST_PAYLOAD = RegisterFile.SMC32_REGISTER_COUNT - 1;
    private static final int DEADLINE_CHECK_INTERVAL = 1024;
    private static final long ANSWER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final boolean requester;
    private final ControlFile controlFile;
    private final int ownSlot;
    private final long pid = ProcessHandle.current().pid();
    // The claim this peer holds on its own partition.
    private final int generation;
    private final int peerStateOffset;
    // The responder's claim generation, for the requester to address its requests to.
    private final int peerGeneration;
    private final int self;
    private final int peer;
    private final Subscription inbox;
    private final ExclusivePublication toPeer;
    private final BufferClaim claim = new BufferClaim();
    private long sequence;
    private long deadlineNs;
    private long answerFunctionId;
    private long answerFirstPayload;
    private long answerLastPayload;

    private RawDirectMessagePeer(final Aeron aeron, final boolean requester, final ControlFile controlFile)
    {
        this.requester = requester;
        this.controlFile = controlFile;
        this.self = requester ? FfaScenarios.REQUESTER_ID : FfaScenarios.RESPONDER_ID;
        this.peer = requester ? FfaScenarios.RESPONDER_ID : FfaScenarios.REQUESTER_ID;
        this.peerStateOffset = controlFile.ecStateOffset(controlFile.slotOf(FfaScenarios.RESPONDER_ID), 0);
        this.peerGeneration = controlFile.claimGeneration(controlFile.slotOf(peer));
        ownSlot = controlFile.slotOf(self);
        if (!controlFile.claim(ownSlot, pid))
        {
            throw new IllegalStateException("partition " + Integer.toHexString(self) + " is claimed already");
        }
        generation = controlFile.claimGeneration(ownSlot);
        Subscription inbox = null;
        ExclusivePublication toPeer = null;
        try
        {
            inbox = aeron.addSubscription(TrapProtocol.CHANNEL, TrapProtocol.inboxStreamId(self, 0));
            toPeer = aeron.addExclusivePublication(TrapProtocol.publicationChannel(
                TrapProtocol.sessionId(self, 0, generation)), TrapProtocol.inboxStreamId(peer, 0));
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(inbox);
            controlFile.unclaim(ownSlot, generation, pid);
            throw ex;
        }
        this.inbox = inbox;
        this.toPeer = toPeer;
    }

    /** The requesting side; its partition must not be claimed by the runtime. */
    public static RawDirectMessagePeer requester(final Aeron aeron, final ControlFile controlFile)
    {
        return new RawDirectMessagePeer(aeron, true, controlFile);
    }

    /** The answering side; its partition must not be claimed by the runtime. */
    public static RawDirectMessagePeer responder(final Aeron aeron, final ControlFile controlFile)
    {
        return new RawDirectMessagePeer(aeron, false, controlFile);
    }

    /** The generation of the claim this peer holds on its own partition, which its messages carry. */
    public int generation()
    {
        return generation;
    }

    /** True once the other side's inbox is there to publish into. */
    public boolean isConnected()
    {
        return toPeer.isConnected();
    }

    /**
     * The requester's round trip; {@code idle} runs between empty polls. Checks the answer's x0 and
     * its first and last payload word (x3, x7), as the runtime's requester in {@link EchoRequest} does.
     * Returns the answer's x3.
     */
    public long roundTrip(final IdleStrategy idle)
    {
        final long sequence = ++this.sequence;
        final long waiting = controlFile.ecState(peerStateOffset);
        final long serving = ExecutionContextState.pack(ExecutionContextState.RUNNING,
            ExecutionContextState.MODEL_DIRECT_REQ, false, self, 0, waiting);
        if (ExecutionContextState.state(waiting) != ExecutionContextState.WAITING ||
            !controlFile.ecStateCompareAndSet(peerStateOffset, waiting, serving))
        {
            throw new IllegalStateException("responder not waiting: " + ExecutionContextState.describe(waiting));
        }
        final MutableDirectBuffer buffer = claim();
        final int offset = claim.offset();
        putRegisters(buffer, offset, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, RegisterFile.packIds(self, peer));
        for (int n = FIRST_PAYLOAD; n < RegisterFile.SMC32_REGISTER_COUNT; n++)
        {
            buffer.putLong(offset + (n << 3), sequence + n);
        }
        claim.reservedValue(TrapProtocol.addressedTo(peerGeneration));
        claim.commit();

        idle.reset();
        long idles = 0;
        while (inbox.poll(this, 1) == 0)
        {
            idle.idle();
            if ((++idles & (DEADLINE_CHECK_INTERVAL - 1)) == 0)
            {
                checkDeadline(idles == DEADLINE_CHECK_INTERVAL, "no answer");
            }
        }
        if (answerFunctionId != (FunctionId.FFA_MSG_SEND_DIRECT_RESP_64 & 0xFFFF_FFFFL) ||
            answerFirstPayload != sequence + FIRST_PAYLOAD + 1 || answerLastPayload != sequence + LAST_PAYLOAD + 1)
        {
            throw new IllegalStateException("unexpected answer to " + sequence + ": x0=0x" +
                Long.toHexString(answerFunctionId) + " x3=" + answerFirstPayload + " x7=" + answerLastPayload);
        }
        controlFile.ecStateCompareAndSet(peerStateOffset, serving, ExecutionContextState.waitingAfter(serving));
        return answerFirstPayload;
    }

    // A wait that outlives this was not answered: fail rather than spin on (a test's timeout can not stop a spin).
    private void checkDeadline(final boolean first, final String what)
    {
        final long nowNs = System.nanoTime();
        if (first)
        {
            deadlineNs = nowNs + ANSWER_TIMEOUT_NS;
        }
        else if (nowNs > deadlineNs)
        {
            throw new IllegalStateException(what + " within " + TimeUnit.NANOSECONDS.toSeconds(ANSWER_TIMEOUT_NS) +
                " s (request " + sequence + ", peer " + Integer.toHexString(peer) + ")");
        }
    }

    /** The responder's duty cycle: answers what has arrived. */
    public int doWork()
    {
        return inbox.poll(this, 1);
    }

    @Override
    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (requester)
        {
            answerFunctionId = buffer.getLong(offset);
            answerFirstPayload = buffer.getLong(offset + (FIRST_PAYLOAD << 3));
            answerLastPayload = buffer.getLong(offset + (LAST_PAYLOAD << 3));
            return;
        }
        final MutableDirectBuffer answer = claim();
        final int answerOffset = claim.offset();
        final int ids = (int)buffer.getLong(offset + 8);
        putRegisters(answer, answerOffset, FunctionId.FFA_MSG_SEND_DIRECT_RESP_64,
            RegisterFile.packIds(RegisterFile.receiverOf(ids), RegisterFile.senderOf(ids)));
        for (int n = FIRST_PAYLOAD; n < RegisterFile.SMC32_REGISTER_COUNT; n++)
        {
            answer.putLong(answerOffset + (n << 3), buffer.getLong(offset + (n << 3)) + 1);
        }
        claim.reservedValue(TrapProtocol.addressedTo(TrapProtocol.generationOf(header.sessionId())));
        claim.commit();
    }

    private MutableDirectBuffer claim()
    {
        long spins = 0;
        while (toPeer.tryClaim(TrapProtocol.SHORT_MESSAGE_LENGTH, claim) <= 0)
        {
            if (toPeer.isClosed())
            {
                throw new IllegalStateException("publication to " + Integer.toHexString(peer) + " closed");
            }
            // Not connected (the peer's inbox has gone) or back pressure that never clears.
            if ((++spins & (DEADLINE_CHECK_INTERVAL - 1)) == 0)
            {
                checkDeadline(spins == DEADLINE_CHECK_INTERVAL, "no room in the peer's inbox");
            }
            Thread.onSpinWait();
        }
        return claim.buffer();
    }

    /** x0, x1 and a zero x2 (no flags); SMC32 words zero-extended, as the runtime sends them. */
    private static void putRegisters(final MutableDirectBuffer buffer, final int offset, final int functionId, final int ids)
    {
        buffer.putLong(offset, functionId & 0xFFFF_FFFFL);
        buffer.putLong(offset + 8, ids & 0xFFFF_FFFFL);
        buffer.putLong(offset + 16, 0);
    }

    @Override
    public void close()
    {
        try
        {
            CloseHelper.closeAll(toPeer, inbox);
        }
        finally
        {
            controlFile.unclaim(ownSlot, generation, pid);
        }
    }
}
