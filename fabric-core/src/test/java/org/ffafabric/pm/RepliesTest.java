package org.ffafabric.pm;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricCounters;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.transport.AeronTuning;
import org.ffafabric.transport.TrapProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The manager's queue of replies whose caller's inbox had no room, driven directly over real Aeron
 * publications whose inboxes the test leaves unread until it says so. Each reply carries its
 * sequence number in x2, so that what arrives shows what was delivered and in which order.
 */
class RepliesTest
{
    private static final int TERM_LENGTH = 64 * 1024;
    private static final int STREAM_A = 1001;
    private static final int STREAM_B = 1002;
    // Nothing here waits long enough to be given up on for time: only the guards under test give up on a reply.
    private static final long REPLY_TIMEOUT_NS = TimeUnit.MINUTES.toNanos(1);
    // Only so that a broken driver fails the test rather than hanging it.
    private static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(10);
    // More sends than two inboxes' windows hold: a loop that never meets back pressure ends here.
    private static final int MAX_SENDS = 10_000;

    @TempDir
    Path dir;

    private MediaDriver driver;
    private Aeron aeron;
    private ControlFile controlFile;
    private final List<Throwable> errors = new ArrayList<>();
    // At an offset, as a register file wrapped in place in a message is: a reply is sent from where it lies.
    private final RegisterFile regs = new RegisterFile().wrap(new UnsafeBuffer(new byte[40 + RegisterFile.LENGTH]), 40);

    @BeforeEach
    void launch()
    {
        final String aeronDir = dir.resolve("aeron").toString();
        // Small IPC terms (half a term's window, some 340 short replies) so that an unread inbox fills quickly.
        driver = MediaDriver.launch(AeronTuning.driver(new MediaDriver.Context().aeronDirectoryName(aeronDir))
            .threadingMode(ThreadingMode.SHARED)
            .ipcTermBufferLength(TERM_LENGTH)
            .ipcPublicationTermWindowLength(TERM_LENGTH));
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir));
        controlFile = ControlFile.create(dir.resolve("fabric.ctl"), Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-0000-0000-0000-000000000001"))
            .build(), FfaVersion.LATEST, 0x8000_0000L, aeronDir);
    }

    @AfterEach
    void close()
    {
        CloseHelper.closeAll(aeron, driver, controlFile);
    }

    /**
     * Once the manager holds its most replies waiting, a further one that finds no room is given up
     * on, counted and told of with the reason, whichever caller's it is; the gauge stays at the most;
     * and once the inboxes are read, every reply that waited arrives, in order.
     */
    @Test
    @Timeout(30)
    void noMoreRepliesWaitThanTheManagersMostForAllCallers()
    {
        final int most = 3;
        final Replies replies = new Replies(controlFile, errors::add, REPLY_TIMEOUT_NS, most);
        final Inbox a = new Inbox(0x0001, 0, STREAM_A, FunctionId.FFA_SUCCESS_32);
        final Inbox b = new Inbox(0x0002, 1, STREAM_B, FunctionId.FFA_SUCCESS_64);

        // A's inbox fills: its next reply is the first to wait, and the most - 1 after it wait behind it.
        sendUntilChange(replies, a);
        assertEquals(1, waiting(), "the first reply with no room waits");
        assertEquals(0, notDelivered());
        for (int i = 1; i < most; i++)
        {
            send(replies, a);
        }
        assertEquals(most, waiting(), "A's replies wait up to the most");
        assertEquals(0, notDelivered());

        send(replies, a);
        final long lostA = a.sent - 1;
        assertEquals(most, waiting(), "no more than the most wait");
        assertEquals(1, notDelivered(), "the reply past the most is given up on and counted");
        assertEquals(1, errors.size(), "and told of: " + errors);
        assertEquals(
            "reply 1 not delivered (told of at each power of two) to partition 0x0001 context 0: " +
            "the partition manager holds 3 replies waiting already", errors.get(0).getMessage());

        // B's inbox has room: its replies go straight to it, until it too is full and its reply finds no room here.
        sendUntilChange(replies, b);
        final long lostB = b.sent - 1;
        assertTrue(b.sent > 1, "B's inbox took replies first: " + b.sent);
        assertEquals(most, waiting(), "B queues nothing past the most either");
        assertEquals(2, notDelivered(), "B's reply is given up on and counted");
        assertEquals(2, errors.size(), "and told of: " + errors);
        assertEquals(
            "reply 2 not delivered (told of at each power of two) to partition 0x0002 context 1: " +
            "the partition manager holds 3 replies waiting already", errors.get(1).getMessage());

        final int delivered = drain(replies, a, b);
        assertEquals(most, delivered, "every waiting reply was delivered");
        assertEquals(2, notDelivered(), "and none more given up on");
        assertEquals(sequence(0, a.sent, lostA), a.received, "A's replies, all but the one given up on, in order");
        assertEquals(sequence(0, b.sent, lostB), b.received, "B's replies, all but the one given up on, in order");
    }

    /**
     * A reply to a caller with replies waiting goes behind them, even when its inbox has room by then
     * (an external driver can move its limit between the manager's duty cycles): offered straight away, it
     * would overtake them.
     */
    @Test
    @Timeout(30)
    void aNewReplyGoesBehindTheWaitingOnesEvenWhenTheInboxHasRoomAgain()
    {
        final Replies replies = new Replies(controlFile, errors::add, REPLY_TIMEOUT_NS, Replies.MAX_WAITING_REPLIES);
        final Inbox a = new Inbox(0x0001, 0, STREAM_A, FunctionId.FFA_SUCCESS_64);

        sendUntilChange(replies, a);
        send(replies, a);
        assertEquals(2, waiting(), "two replies wait");

        // Room appears: read more than the eighth of the window by which the driver moves the limit.
        final int window = TERM_LENGTH / 2;
        final int toRead = window / 4 / TrapProtocol.LONG_MESSAGE_LENGTH;
        assertEquals(toRead, a.subscription.poll(a, toRead), "the inbox held replies to read");
        awaitUntil(() -> a.publication.availableWindow() > 0, "the driver moves the inbox's limit");

        send(replies, a);
        assertEquals(3, waiting(), "the new reply waits behind the others");

        assertEquals(3, drain(replies, a));
        assertEquals(0, notDelivered(), "none given up on: " + errors);
        assertEquals(sequence(0, a.sent, -1), a.received, "every reply, in the order sent");
    }

    /** Sends A's or B's next reply until one is not delivered at once: it waits or is given up on. */
    private void sendUntilChange(final Replies replies, final Inbox inbox)
    {
        final long waitingBefore = waiting();
        final long notDeliveredBefore = notDelivered();
        while (waiting() == waitingBefore && notDelivered() == notDeliveredBefore)
        {
            if (inbox.sent >= MAX_SENDS)
            {
                fail("an unread inbox never filled after " + inbox.sent + " replies");
            }
            send(replies, inbox);
        }
    }

    private void send(final Replies replies, final Inbox inbox)
    {
        regs.clear().functionId(inbox.functionId).x(2, inbox.sent++);
        replies.send(inbox.caller, regs);
    }

    /**
     * Reads the inboxes and offers the waiting replies again until none wait, then reads what is left.
     *
     * @return the replies {@link Replies#offerWaiting()} delivered.
     */
    private int drain(final Replies replies, final Inbox... inboxes)
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        int delivered = 0;
        while (waiting() > 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("replies still waiting: " + waiting());
            }
            for (final Inbox inbox : inboxes)
            {
                inbox.subscription.poll(inbox, Integer.MAX_VALUE);
            }
            delivered += replies.offerWaiting();
            Thread.yield();
        }
        for (final Inbox inbox : inboxes)
        {
            while (inbox.subscription.poll(inbox, Integer.MAX_VALUE) > 0)
            {
            }
        }
        return delivered;
    }

    private long waiting()
    {
        return controlFile.counter(FabricCounters.repliesWaitingId());
    }

    private long notDelivered()
    {
        return controlFile.counter(FabricCounters.repliesNotDeliveredId());
    }

    private static List<Long> sequence(final long from, final long to, final long except)
    {
        return LongStream.range(from, to).filter(n -> n != except).boxed().collect(Collectors.toList());
    }

    private static void awaitUntil(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out waiting until " + what);
            }
            Thread.yield();
        }
    }

    /** A caller's inbox: the manager's publication to it, and its subscription, read only when the test says. */
    private final class Inbox implements FragmentHandler
    {
        final int functionId;
        final Subscription subscription;
        final ExclusivePublication publication;
        final Caller caller;
        final List<Long> received = new ArrayList<>();
        long sent;

        Inbox(final int partitionId, final int ec, final int streamId, final int functionId)
        {
            this.functionId = functionId;
            subscription = aeron.addSubscription(TrapProtocol.CHANNEL, streamId);
            publication = aeron.addExclusivePublication(TrapProtocol.CHANNEL, streamId);
            caller = new Caller(streamId, 0, partitionId, ec, 0, publication);
            // Linked both ways, and its limit set by the driver: until then an offer finds no room the inbox lacks.
            awaitUntil(() -> publication.isConnected() && publication.availableWindow() > 0 && subscription.isConnected(),
                "the inbox is linked");
        }

        public void onFragment(
            final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            final int expected = FunctionId.isSmc64(functionId) ?
                TrapProtocol.LONG_MESSAGE_LENGTH : TrapProtocol.SHORT_MESSAGE_LENGTH;
            assertEquals(expected, length, "a reply's length");
            assertEquals(functionId, buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN));
            received.add(buffer.getLong(offset + 2 * Long.BYTES, ByteOrder.LITTLE_ENDIAN));
        }
    }
}
