package org.ffafabric.pm;

import io.aeron.Publication;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.ExpandableRingBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.ArrayListUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricCounters;
import org.ffafabric.transport.TrapProtocol;

import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The partition manager's replies to its callers. A reply goes out at once when the caller's inbox has
 * room, as it always has for a context that reads its replies (it traps one call at a time). One that
 * has no room waits here, behind any earlier one for the same caller, and is offered again on each duty
 * cycle, so that a caller reading none of its replies holds up nobody else's trap. A reply is given up
 * on, and counted, when it is still not taken after the reply timeout; when the caller's inbox is not
 * linked 100 ms after the reply came here (a driver links one sooner), or its log is closed; when it
 * finds no room here (64 KiB for one caller, 65,536 replies for all); or when its caller's claim ends,
 * or the manager closes, before it is taken.
 */
final class Replies implements ExpandableRingBuffer.MessageConsumer
{
    // An external driver announces a new publication a moment before it links its subscribers.
    static final long LINK_GRACE_NS = TimeUnit.MILLISECONDS.toNanos(100);
    // Per caller: over 400 replies on top of the half term its inbox's window already holds.
    static final int MAX_WAITING_BYTES_PER_CALLER = 64 * 1024;
    // For all callers: some 10 MiB, however many of the fabric's contexts (up to 16,384) flood at once.
    static final int MAX_WAITING_REPLIES = 65_536;
    private static final int TIME_OFFSET = 0;
    private static final int REPLY_OFFSET = BitUtil.SIZE_OF_LONG;

    private final ControlFile controlFile;
    private final ErrorHandler errorHandler;
    private final long timeoutNs;
    private final int maxWaitingReplies;
    private final UnsafeBuffer entry = new UnsafeBuffer(new byte[REPLY_OFFSET + RegisterFile.LENGTH]);
    // The callers with a reply waiting, so that a duty cycle looks at them alone.
    private final ArrayList<Caller> callersWaiting = new ArrayList<>();
    private long waiting;
    private Caller offering;
    private long offeringNowNs;
    private int delivered;

    /** {@code maxWaitingReplies}: {@link #MAX_WAITING_REPLIES} for the manager; a test's own to reach it quickly. */
    Replies(
        final ControlFile controlFile, final ErrorHandler errorHandler, final long timeoutNs, final int maxWaitingReplies)
    {
        this.controlFile = controlFile;
        this.errorHandler = errorHandler;
        this.timeoutNs = timeoutNs;
        this.maxWaitingReplies = maxWaitingReplies;
    }

    /** Sends the reply in {@code regs}: 32-bit calls' registers as w0..w7, 64-bit calls' as x0..x17. */
    void send(final Caller caller, final RegisterFile regs)
    {
        final int length = FunctionId.isSmc64(regs.functionId()) ?
            TrapProtocol.LONG_MESSAGE_LENGTH : TrapProtocol.SHORT_MESSAGE_LENGTH;
        regs.buffer().getBytes(regs.offset(), entry, REPLY_OFFSET, length);
        if (!hasWaiting(caller))
        {
            final long result = offer(caller, entry, REPLY_OFFSET, length);
            if (result >= 0)
            {
                return;
            }
            if (result == Publication.CLOSED)
            {
                notDelivered(caller, "its inbox's log is closed");
                return;
            }
        }
        if (waiting >= maxWaitingReplies)
        {
            notDelivered(caller, "the partition manager holds " + maxWaitingReplies + " replies waiting already");
            return;
        }
        if (caller.waitingReplies == null)
        {
            caller.waitingReplies = new ExpandableRingBuffer(0, MAX_WAITING_BYTES_PER_CALLER, false);
        }
        final boolean wasEmpty = caller.waitingReplies.isEmpty();
        entry.putLong(TIME_OFFSET, System.nanoTime());
        if (!caller.waitingReplies.append(entry, 0, REPLY_OFFSET + length))
        {
            notDelivered(caller, "more than " + MAX_WAITING_BYTES_PER_CALLER + " bytes of its replies wait unread");
            return;
        }
        if (wasEmpty)
        {
            callersWaiting.add(caller);
        }
        controlFile.counterOrdered(FabricCounters.repliesWaitingId(), ++waiting);
    }

    /**
     * Offers every waiting reply again, in order per caller, and gives up on those past their time.
     *
     * @return the replies delivered: work done.
     */
    int offerWaiting()
    {
        if (callersWaiting.isEmpty())
        {
            return 0;
        }
        final long waitingBefore = waiting;
        delivered = 0;
        offeringNowNs = System.nanoTime();
        for (int i = callersWaiting.size() - 1; i >= 0; i--)
        {
            final Caller caller = callersWaiting.get(i);
            offering = caller;
            caller.waitingReplies.consume(this, Integer.MAX_VALUE);
            if (caller.waitingReplies.isEmpty())
            {
                ArrayListUtil.fastUnorderedRemove(callersWaiting, i);
            }
        }
        offering = null;
        if (waiting != waitingBefore)
        {
            controlFile.counterOrdered(FabricCounters.repliesWaitingId(), waiting);
        }
        return delivered;
    }

    public boolean onMessage(final MutableDirectBuffer buffer, final int offset, final int length, final int headOffset)
    {
        final Caller caller = offering;
        final long result = offer(caller, buffer, offset + REPLY_OFFSET, length - REPLY_OFFSET);
        if (result >= 0)
        {
            delivered++;
            waiting--;
            return true;
        }
        final long waitedNs = offeringNowNs - buffer.getLong(offset + TIME_OFFSET);
        final String why;
        if (result == Publication.CLOSED)
        {
            why = "its inbox's log is closed";
        }
        else if (result == Publication.NOT_CONNECTED && waitedNs > LINK_GRACE_NS)
        {
            // The caller's inbox was linked before it trapped: not connected since means it has gone.
            why = "its inbox is gone";
        }
        else if (waitedNs > timeoutNs)
        {
            why = "not taken within the reply timeout";
        }
        else
        {
            return false;
        }
        waiting--;
        notDelivered(caller, why);
        return true;
    }

    /**
     * A caller let go of, reaped or bound again, or the manager closing: its waiting replies will never be
     * read, and are given up on for {@code why}.
     */
    void discard(final Caller caller, final String why)
    {
        if (hasWaiting(caller))
        {
            caller.waitingReplies.consume((buffer, offset, length, headOffset) ->
            {
                waiting--;
                notDelivered(caller, why);
                return true;
            }, Integer.MAX_VALUE);
            callersWaiting.remove(caller);
            controlFile.counterOrdered(FabricCounters.repliesWaitingId(), waiting);
        }
    }

    private static boolean hasWaiting(final Caller caller)
    {
        return caller.waitingReplies != null && !caller.waitingReplies.isEmpty();
    }

    private static long offer(final Caller caller, final DirectBuffer buffer, final int offset, final int length)
    {
        final long result = caller.reply.offer(buffer, offset, length);
        // The log rotated a term under us: the next offer finds room in the new one.
        return result == Publication.ADMIN_ACTION ? caller.reply.offer(buffer, offset, length) : result;
    }

    /**
     * Counts a reply given up on, and tells the error handler of the 1st, 2nd, 4th, 8th... of them only: a
     * caller flooding the manager with traps whose replies it never reads is told of a few dozen times at most.
     */
    private void notDelivered(final Caller caller, final String why)
    {
        controlFile.countOrdered(FabricCounters.repliesNotDeliveredId());
        final long count = controlFile.counter(FabricCounters.repliesNotDeliveredId());
        if ((count & (count - 1)) == 0)
        {
            errorHandler.onError(new IllegalStateException(String.format(
                "reply %d not delivered (told of at each power of two) to partition 0x%04x context %d: %s",
                count, caller.partitionId, caller.ec, why)));
        }
    }
}
