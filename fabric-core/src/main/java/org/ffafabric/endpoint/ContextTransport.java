package org.ffafabric.endpoint;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.Header;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.LangUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.IdleStrategy;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.transport.AeronTuning;
import org.ffafabric.transport.DriverCounters;
import org.ffafabric.transport.TrapProtocol;


/**
 * The Aeron side of one {@link ExecutionContext}: how its registers travel, not what they mean.
 * <p>
 * It owns the context's inbox subscription and the handler that copies a fragment into the
 * caller's registers, one exclusive publication per peer context and one to the partition
 * manager, the encoding of a call into the log (64 or 144 bytes, SMC32 words zero-extended),
 * the stash for a message that arrives while the context waits for another sender, the
 * in-place receive used to serve requests, and the idle strategy used between polls.
 * <p>
 * A sender's identity is the Aeron session ID of the fragment, never w1: every context
 * publishes with a session ID made from its partition ID, EC index and claim generation
 * (see {@link TrapProtocol}). The FF-A decisions a message leads to stay in the context;
 * like the context, this is used by one thread at a time.
 */
final class ContextTransport
{
    /** {@link #takeFrom}'s sender generation for the partition manager: any. */
    static final int ANY_CLAIM = -1;
    /** {@link #takeFrom} found nothing from the sender, and nothing new was stashed. */
    static final int NOTHING = 0;
    /** {@link #takeFrom} delivered the sender's message. */
    static final int TAKEN = 1;
    /** {@link #takeFrom} received another sender's message and stashed it; it is also in the registers. */
    static final int STASHED = 2;
    /** {@link #pollInPlace} handed the message to its receiver in place. */
    static final int HANDLED = 3;
    /** {@link #pollInPlace} copied the message into the registers: the receiver declined it. */
    static final int COPIED = 4;

    private static final long CONNECT_TIMEOUT_NS = 10_000_000_000L;
    private static final long PEER_CHECK_INTERVAL_NS = 1_000_000L;
    private static final int NO_PEER = -1;

    private final Endpoint endpoint;
    private final int sessionId;
    private final int generation;
    private final long addressedToUs;
    private final Subscription inbox;
    private final ExclusivePublication toPartitionManager;
    private final Int2ObjectHashMap<ExclusivePublication> peers = new Int2ObjectHashMap<>();
    private final IdleStrategy idleStrategy;
    private final BufferClaim bufferClaim = new BufferClaim();
    private boolean claimPending;
    // The peer talked to last, and the claim of it (the low eight bits) seen to hold: a ping-pong asks for the same every time.
    private int lastPeerStreamId;
    private int lastPeerGeneration = -1;
    private ExclusivePublication lastPeer;
    private final FragmentHandler onMessage = this::onMessage;
    private final ControlledFragmentHandler onMessageInPlace = this::onMessageInPlace;

    // The CPU this context runs on, stamped on what it sends.
    private int cpu;
    // The message the inbox handler delivered, who sent it, and the CPU it ran on.
    private RegisterFile destination;
    private int receivedSessionId;
    private int receivedCpu;
    private boolean received;
    // The in-place receive: who handles the message, and where its frame ends in its image.
    private InPlaceReceiver inPlaceReceiver;
    private Image inPlaceImage;
    private long inPlacePositionAfter;
    private RegisterFile inPlaceDestination;
    private int inPlaceOutcome;
    private Throwable inPlaceFailure;
    private boolean inPlace;
    private boolean detached;
    // A message that arrived while the context was waiting for another sender.
    private final RegisterFile stash = new RegisterFile();
    private int stashSessionId;
    private boolean stashed;
    // Written by the context's thread alone, only as it drops one: off the path of every message kept.
    private volatile long dropped;

    ContextTransport(
        final Endpoint endpoint, final int sessionId, final Subscription inbox,
        final ExclusivePublication toPartitionManager, final IdleStrategy idleStrategy)
    {
        this.endpoint = endpoint;
        this.sessionId = sessionId;
        this.generation = TrapProtocol.generationOf(sessionId);
        this.addressedToUs = TrapProtocol.addressedTo(generation);
        this.inbox = inbox;
        this.toPartitionManager = toPartitionManager;
        this.idleStrategy = idleStrategy;
    }

    /**
     * Sends to claim {@code peerGeneration} of another partition's execution context: 0 once sent;
     * ABORTED when that claim is gone or never connected, or holds no such context; NO_MEMORY when this
     * is our first message to that context and the driver refused the log it needs (no room for it, or
     * its session ID taken).
     */
    int sendTo(final int partitionId, final int ec, final int peerGeneration, final RegisterFile regs)
    {
        final ExclusivePublication publication = peer(partitionId, ec, peerGeneration);
        if (publication == null)
        {
            return noPeer(partitionId, ec, peerGeneration);
        }
        return send(publication, regs, partitionId, peerGeneration) ? 0 : ErrorCode.ABORTED;
    }

    /**
     * Claims room for a message of {@code length} bytes in a peer context's inbox and wraps
     * {@code view} over it, so the message is written in place; {@link #commitClaim} publishes
     * it, {@link #abortClaim} gives the room up. 0 once claimed; else, with {@code view} untouched,
     * ABORTED or NO_MEMORY as {@link #sendTo} answers.
     */
    int claimTo(
        final int partitionId, final int ec, final int peerGeneration, final int length, final RegisterFile view)
    {
        final ExclusivePublication publication = peer(partitionId, ec, peerGeneration);
        if (publication == null)
        {
            return noPeer(partitionId, ec, peerGeneration);
        }
        if (!claim(publication, length, partitionId, peerGeneration))
        {
            return ErrorCode.ABORTED;
        }
        claimPending = true;
        view.wrap(bufferClaim.buffer(), bufferClaim.offset(), length);
        return 0;
    }

    boolean hasPendingClaim()
    {
        return claimPending;
    }

    void commitClaim()
    {
        claimPending = false;
        bufferClaim.commit();
    }

    void abortClaim()
    {
        claimPending = false;
        bufferClaim.abort();
    }

    /** Sends to the partition manager: a trap, a claim or a release. */
    boolean sendToPartitionManager(final RegisterFile regs)
    {
        return send(toPartitionManager, regs, NO_PEER, 0);
    }

    /** The length of a log as the driver makes ours: three terms and its metadata page. */
    long logLength()
    {
        return AeronTuning.logLength(toPartitionManager.termBufferLength());
    }

    boolean isPartitionManagerConnected()
    {
        return toPartitionManager.isConnected();
    }

    /** True once our inbox has the image of claim {@code generation} of a peer context's publication to it. */
    boolean hasImageFrom(final int partitionId, final int ec, final int generation)
    {
        return inbox.imageBySessionId(TrapProtocol.sessionId(partitionId, ec, generation)) != null;
    }

    /**
     * True while the driver links claim {@code generation} of a peer context's log to our inbox: from
     * before the peer can write to it until we have read all it holds, whether or not our client has
     * its image yet. A scan of the driver's counters: for a peer that has gone, never a hot path.
     */
    boolean driverLinksLogFrom(final int partitionId, final int ec, final int generation)
    {
        return DriverCounters.hasSubscriberPosition(
            endpoint.countersReader(), inbox.registrationId(), TrapProtocol.sessionId(partitionId, ec, generation));
    }

    /** The CPU this context runs on from now: what it sends says so, for a one-context receiver to inherit. */
    void cpu(final int cpu)
    {
        this.cpu = cpu;
    }

    /** The CPU the last message's sender ran on. */
    int senderCpu()
    {
        return receivedCpu;
    }

    /** The partition ID of the last message's sender. */
    int senderId()
    {
        return TrapProtocol.partitionIdOf(receivedSessionId);
    }

    /** The EC index of the last message's sender. */
    int senderEc()
    {
        return TrapProtocol.ecOf(receivedSessionId);
    }

    /** The claim generation of the last message's sender, as its session ID carries it. */
    int senderGeneration()
    {
        return TrapProtocol.generationOf(receivedSessionId);
    }

    /**
     * Fragments the inbox has dropped: left unread by an earlier claim, or no register file of 64 or 144
     * bytes, which only something that can open the Aeron directory, not the runtime, could have written.
     */
    long dropped()
    {
        return dropped;
    }

    /** A message for this claim, of a message's length; anything else is counted and dropped. */
    private boolean isTaken(final int length, final Header header)
    {
        if (TrapProtocol.isMessageLength(length) && isForThisClaim(header))
        {
            return true;
        }
        dropped++;
        return false;
    }

    /**
     * True when a message is for this claim: a partition manager's reply to our generation, or a
     * context's message addressed to it. Anything else was left unread by an earlier claim.
     */
    private boolean isForThisClaim(final Header header)
    {
        final int session = header.sessionId();
        return TrapProtocol.isPartitionManager(session) ?
            TrapProtocol.generationOf(session) == generation :
            TrapProtocol.addressOf(header.reservedValue()) == addressedToUs;
    }

    /**
     * Waits for a message from one sender, claim {@code senderGeneration} of it ({@link #ANY_CLAIM}
     * for the partition manager, whose replies are sorted by our own claim): a stashed one first,
     * else one poll. Another sender's message is stashed for whoever collects it later (it
     * replaces an older stash) and left in {@code regs}, so the caller can decide what it means;
     * {@link #senderId} names its sender. A message from an earlier claim of the sender is the late
     * answer of an exchange that ended when that claim did: it is dropped.
     */
    int takeFrom(final RegisterFile regs, final int senderId, final int senderEc, final int senderGeneration)
    {
        if (stashed && isFrom(stashSessionId, senderId, senderEc) && isOfClaim(stashSessionId, senderGeneration))
        {
            regs.copyFrom(stash);
            stashed = false;
            return TAKEN;
        }
        if (!poll(regs))
        {
            return NOTHING;
        }
        if (isFrom(receivedSessionId, senderId, senderEc))
        {
            return isOfClaim(receivedSessionId, senderGeneration) ? TAKEN : NOTHING;
        }
        stash(regs);
        return STASHED;
    }

    private static boolean isFrom(final int session, final int senderId, final int senderEc)
    {
        return TrapProtocol.partitionIdOf(session) == senderId && TrapProtocol.ecOf(session) == senderEc;
    }

    private static boolean isOfClaim(final int session, final int senderGeneration)
    {
        return senderGeneration == ANY_CLAIM || TrapProtocol.generationOf(session) == (senderGeneration & 0xFF);
    }

    /** Keeps the message just received (in {@code regs}) for whoever waits for its sender later. */
    void stash(final RegisterFile regs)
    {
        stash.copyFrom(regs);
        stashSessionId = receivedSessionId;
        stashed = true;
    }

    /** One poll of the inbox for a message from anyone; idles when there is none. */
    boolean poll(final RegisterFile regs)
    {
        if (pollOnce(regs))
        {
            idleStrategy.reset();
            return true;
        }
        idleStrategy.idle(0);
        return false;
    }

    /** One poll of the inbox for a message from anyone, never idling: for a caller polling several inboxes in turn. */
    boolean pollOnce(final RegisterFile regs)
    {
        destination = regs;
        received = false;
        return inbox.poll(onMessage, 1) > 0 && received;
    }

    private void onMessage(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (!isTaken(length, header))
        {
            return;
        }
        destination.copyFrom(buffer, offset, length);
        receivedSessionId = header.sessionId();
        receivedCpu = TrapProtocol.cpuOf(header.reservedValue());
        received = true;
    }

    /** Handles one message where it lies in the log, during the transport's poll. */
    interface InPlaceReceiver
    {
        /**
         * @param buffer the term buffer; the message's bytes stay put until this returns or
         *               {@link #detach} is called, whichever comes first.
         * @return true when the message was handled in place; false to have it copied into the
         *         registers given to {@link #pollInPlace}, as {@link #poll} would.
         */
        boolean onMessage(MutableDirectBuffer buffer, int offset, int length);
    }

    /**
     * One poll of the inbox that hands a message to {@code receiver} in place, inside the poll:
     * an answer sent from there is on its way before the poll has even moved past the request.
     * A message the receiver declines is copied into {@code regs}. Idles when there is none.
     *
     * @return {@link #NOTHING}, {@link #HANDLED} (in place) or {@link #COPIED} (into {@code regs}).
     */
    int pollInPlace(final InPlaceReceiver receiver, final RegisterFile regs)
    {
        // Fields of its own, not poll()'s: the receiver's calls may poll while this one is on the stack.
        inPlaceReceiver = receiver;
        inPlaceDestination = regs;
        inPlaceOutcome = NOTHING;
        inbox.controlledPoll(onMessageInPlace, 1);
        final Throwable failure = inPlaceFailure;
        if (failure != null)
        {
            // Thrown inside Aeron's poll it would be swallowed (and the position stored after it).
            inPlaceFailure = null;
            LangUtil.rethrowUnchecked(failure);
        }
        if (inPlaceOutcome == NOTHING)
        {
            idleStrategy.idle(0);
            return NOTHING;
        }
        idleStrategy.reset();
        return inPlaceOutcome;
    }

    private ControlledFragmentHandler.Action onMessageInPlace(
        final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (inPlaceOutcome != NOTHING)
        {
            // One message per poll: after a detach the subscription goes on to its other images.
            return ControlledFragmentHandler.Action.ABORT;
        }
        if (!isTaken(length, header))
        {
            // Left unread by an earlier claim, or no message: consumed, and the poll finds nothing.
            return ControlledFragmentHandler.Action.CONTINUE;
        }
        final Image image = (Image)header.context();
        final long positionAfter = header.position();
        final long frameStart = positionAfter - BitUtil.align(header.frameLength(), FrameDescriptor.FRAME_ALIGNMENT);
        if (image.position() != frameStart)
        {
            // Padding came first in this scan: an ABORT after a detach would store the message's
            // start over the detach's position. Consume up to the message; the next poll starts there.
            image.position(frameStart);
            return ControlledFragmentHandler.Action.ABORT;
        }
        receivedSessionId = header.sessionId();
        receivedCpu = TrapProtocol.cpuOf(header.reservedValue());
        inPlaceImage = image;
        inPlacePositionAfter = positionAfter;
        detached = false;
        inPlace = true;
        boolean handled = true;
        try
        {
            handled = inPlaceReceiver.onMessage((MutableDirectBuffer)buffer, offset, length);
        }
        catch (final Throwable ex)
        {
            inPlaceFailure = ex;
            if (claimPending)
            {
                // An answer claimed and never committed would block the requester's inbox.
                abortClaim();
            }
        }
        finally
        {
            inPlace = false;
        }
        if (!handled)
        {
            inPlaceDestination.copyFrom(buffer, offset, length);
        }
        inPlaceOutcome = handled ? HANDLED : COPIED;
        // A detached message was consumed by detach(): the poll must not move the position back.
        return detached ? ControlledFragmentHandler.Action.ABORT : ControlledFragmentHandler.Action.BREAK;
    }

    /** True while a receiver handles a message in place and has not detached from it. */
    boolean isInPlace()
    {
        return inPlace && !detached;
    }

    /**
     * Lets the in-place receiver use the inbox again before it returns (a call made while
     * serving): the message is consumed now, so its bytes may be reused from here on; the
     * receiver must have copied what it still needs.
     */
    void detach()
    {
        if (inPlace && !detached)
        {
            detached = true;
            inPlaceImage.position(inPlacePositionAfter);
        }
    }

    /**
     * Writes the registers straight into the log: x0..x7 for SMC32 calls and for SMC64 calls that
     * define nothing past x7 (the receiver zero-fills the rest); else x0..x17.
     */
    private boolean send(
        final ExclusivePublication publication, final RegisterFile regs, final int peerId, final int peerGeneration)
    {
        final int functionId = regs.functionId();
        final int length = FunctionId.isSmc64(functionId) && carriesExtendedRegisters(functionId, regs) ?
            TrapProtocol.LONG_MESSAGE_LENGTH : TrapProtocol.SHORT_MESSAGE_LENGTH;
        if (!claim(publication, length, peerId, peerGeneration))
        {
            return false;
        }
        // SMC32 registers were zero-extended when the call entered invoke (or built with w()).
        regs.copyTo(bufferClaim.buffer(), bufferClaim.offset(), length >> 3);
        bufferClaim.commit();
        return true;
    }

    /**
     * Claims {@code length} bytes, addressed to the peer's claim {@code peerGeneration} (none for the
     * partition manager), waiting out back pressure and a peer that is still connecting; false once
     * that claim is over (it closed, or died and was reaped), or after the connect timeout.
     */
    private boolean claim(
        final ExclusivePublication publication, final int length, final int peerId, final int peerGeneration)
    {
        long deadline = 0;
        long nextPeerCheck = 0;
        while (true)
        {
            final long result = publication.tryClaim(length, bufferClaim);
            if (result > 0)
            {
                break;
            }
            if (result == Publication.ADMIN_ACTION)
            {
                // The claim padded out the term and rotated it: the next one succeeds. Not a reason
                // to give up even when the endpoint has closed (its releases are sent from here).
                continue;
            }
            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED || endpoint.isClosed())
            {
                return false;
            }
            final long now = System.nanoTime();
            if (result == Publication.NOT_CONNECTED)
            {
                if (deadline == 0)
                {
                    deadline = now + CONNECT_TIMEOUT_NS;
                }
                else if (now > deadline)
                {
                    return false;
                }
            }
            if (peerId != NO_PEER && now >= nextPeerCheck)
            {
                // A requester that closed after its call returned (FFA_INTERRUPT) has no inbox to answer into;
                // one whose claim ended with its inbox full of answers it never read will read no more.
                // Back pressure alone is waited out however long it lasts: a stalled driver causes it too.
                if (!endpoint.isClaimed(peerId, peerGeneration))
                {
                    return false;
                }
                nextPeerCheck = now + PEER_CHECK_INTERVAL_NS;
            }
            Thread.onSpinWait();
        }
        bufferClaim.reservedValue(peerId == NO_PEER ? 0 : TrapProtocol.addressedTo(peerGeneration, cpu));
        return true;
    }

    /**
     * REQ2/RESP2 carry x4..x17; DIRECT_REQ/RESP_64 define x0..x7 only, so x8..x17 reach the
     * receiver as zero whatever the sender left there; other SMC64 calls carry x8..x17 when set.
     */
    private static boolean carriesExtendedRegisters(final int functionId, final RegisterFile regs)
    {
        switch (functionId)
        {
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ2:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP2:
                return true;
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_64:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP_64:
                return false;
            default:
                return !regs.isZero(8, 17);
        }
    }

    /** Why {@link #peer} has no publication for claim {@code peerGeneration} of a context. */
    private int noPeer(final int partitionId, final int ec, final int peerGeneration)
    {
        return endpoint.isClaimed(partitionId, ec, peerGeneration) ? ErrorCode.NO_MEMORY : ErrorCode.ABORTED;
    }

    /**
     * Adds our log to a peer context's inbox unless we have one: 0 when we do, NO_MEMORY when the
     * driver refuses it (no room in its file system for the log, or no counter left) or the fabric's
     * peer log budget has none left. Called before a request or a scheduler's FFA_RUN moves any
     * word, so that a refusal moves none.
     */
    int open(final int partitionId, final int ec)
    {
        final int streamId = TrapProtocol.inboxStreamId(partitionId, ec);
        return streamId == lastPeerStreamId || peers.containsKey(streamId) || addPeer(streamId) != null ?
            0 : ErrorCode.NO_MEMORY;
    }

    /**
     * The publication to claim {@code peerGeneration} of a peer context's inbox, added the first time we
     * talk to it; null when that claim does not hold that context, or when the fabric's peer log budget
     * has none left or the driver refuses the log (nothing is kept, so the next message to that context
     * asks again). A message is answered to the claim its session names, and anything that can open the
     * Aeron directory can publish with a session no claimed context has: a log for it would take one of
     * the fabric's peer logs, a claim that never links it to an inbox would hold the answer for the
     * connect timeout, and an answer to a claim that has ended would pass for one delivered.
     */
    private ExclusivePublication peer(final int partitionId, final int ec, final int peerGeneration)
    {
        final int streamId = TrapProtocol.inboxStreamId(partitionId, ec);
        if (streamId == lastPeerStreamId && (peerGeneration & 0xFF) == lastPeerGeneration)
        {
            return lastPeer;
        }
        if (!endpoint.isClaimed(partitionId, ec, peerGeneration))
        {
            return null;
        }
        ExclusivePublication publication = peers.get(streamId);
        if (publication == null)
        {
            publication = addPeer(streamId);
            if (publication == null)
            {
                return null;
            }
        }
        lastPeerStreamId = streamId;
        lastPeerGeneration = peerGeneration & 0xFF;
        lastPeer = publication;
        return publication;
    }

    private ExclusivePublication addPeer(final int streamId)
    {
        final ExclusivePublication publication = endpoint.addPeerPublication(sessionId, streamId);
        if (publication != null)
        {
            peers.put(streamId, publication);
        }
        return publication;
    }
}
