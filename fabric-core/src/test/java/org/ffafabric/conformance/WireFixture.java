package org.ffafabric.conformance;

import io.aeron.Aeron;
import io.aeron.AeronCounters;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.status.StreamCounter;
import io.aeron.exceptions.RegistrationException;
import org.agrona.CloseHelper;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.pm.PartitionManager;
import org.ffafabric.transport.TrapProtocol;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A fabric and a raw Aeron client on its media driver, for writing onto the fabric's wire what the
 * runtime never would. vm1 (0x0001) and sp1 (0x8001) are claimed by the runtime, sp1 served by a
 * loop of the fixture's own that keeps whatever its serving throws; sp2 (0x8002) is left unclaimed,
 * for a test to leave so or to claim by hand ({@link #claimByHand}). The partition manager's error
 * handler keeps what it is given. A first round trip has been made, so vm1 and sp1 each have their
 * log to the other's inbox, and the driver refuses their session IDs on those streams to anyone else.
 */
final class WireFixture implements AutoCloseable
{
    static final int VM = 0x0001;
    static final int SP = 0x8001;
    static final int SP2 = 0x8002;
    /** No partition of the fabric. */
    static final int NO_SUCH_PARTITION = 0x7777;
    /** Lengths that are neither 64 nor 144 bytes, the two a message may have (4096: three fragments). */
    static final int[] MALFORMED_LENGTHS = {0, 1, 63, 65, 143, 145, 4096};
    private static final long SERVE_PERIOD_NS = TimeUnit.MILLISECONDS.toNanos(10);

    final PartitionManager pm;
    final FabricClient client;
    final ControlFile controlFile;
    final Endpoint vm;
    final Endpoint sp;
    final Aeron raw;
    /** What the partition manager's error handler was given. */
    final List<Throwable> pmErrors = new CopyOnWriteArrayList<>();
    /** What sp1's serving loop threw. */
    final List<Throwable> serveErrors = new CopyOnWriteArrayList<>();
    /** Each request sp1's handler was given: its w1 sender, then its x3. */
    final List<long[]> served = new CopyOnWriteArrayList<>();
    /** Run by sp1's handler before it answers, while its requester waits. */
    volatile Runnable beforeAnswer = () -> { };
    private final Long2ObjectHashMap<ExclusivePublication> publications = new Long2ObjectHashMap<>();
    private final List<Integer> claimedByHand = new ArrayList<>();
    private final Map<Integer, Integer> fragmentsSent = new HashMap<>();
    private final Thread server;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[8192]);
    private long payload;

    WireFixture()
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(VM).world(World.VM).uuid("11111111-2222-3333-4444-555555555555").directMessaging())
            .partition(p -> p.name("sp1").id(SP).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee").directMessaging())
            .partition(p -> p.name("sp2").id(SP2).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeef").directMessaging())
            .build();
        pm = PartitionManager.launch(new PartitionManager.Context()
            .fabricName("wire-" + UUID.randomUUID().toString().substring(0, 8)).manifest(manifest).errorHandler(pmErrors::add));
        FabricClient connected = null;
        Endpoint vmClaimed = null;
        Endpoint spClaimed = null;
        Aeron rawClient = null;
        try
        {
            connected = FabricClient.connect(new FabricClient.Context().directory(pm.directory()));
            vmClaimed = connected.claim(VM);
            spClaimed = connected.claim(SP);
            rawClient = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(FabricDirectory.aeronDirectory(pm.directory()).toString()).errorHandler(ex -> { }));
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(rawClient, spClaimed, vmClaimed, connected, pm);
            throw ex;
        }
        client = connected;
        controlFile = connected.controlFile();
        vm = vmClaimed;
        sp = spClaimed;
        raw = rawClient;
        final ExecutionContext spEc = sp.executionContext(0);
        server = new Thread(() ->
        {
            final RegisterFile other = new RegisterFile();
            while (!sp.isClosed())
            {
                try
                {
                    spEc.serveDirectRequestWithin((request, response) ->
                    {
                        served.add(new long[] {request.sender(), request.payload(0)});
                        beforeAnswer.run();
                        response.payload(0, request.payload(0) + 1);
                    }, other, SERVE_PERIOD_NS);
                }
                catch (final Throwable ex)
                {
                    serveErrors.add(ex);
                }
            }
        }, "wire-fixture-sp1");
        server.start();
        awaitUntil(System.nanoTime() + WAIT_NS, () -> state(SP) == ExecutionContextState.WAITING, "sp1 waits for requests");
        assertRoundTrip();
        served.clear();
    }

    /** The generation of the claim a partition has now. */
    int generation(final int partitionId)
    {
        return controlFile.claimGeneration(controlFile.slotOf(partitionId));
    }

    int state(final int partitionId)
    {
        return ExecutionContextState.state(stateWord(partitionId));
    }

    long stateWord(final int partitionId)
    {
        return controlFile.ecState(stateOffset(partitionId));
    }

    int stateOffset(final int partitionId)
    {
        return controlFile.ecStateOffset(controlFile.slotOf(partitionId), 0);
    }

    /** The reserved value of a message for the current claim of a partition's context 0, as the runtime writes it. */
    long addressedTo(final int partitionId)
    {
        return TrapProtocol.addressedTo(generation(partitionId));
    }

    /** Claims a partition in the control file under this process, as a claimer does before its traps; let go at close. */
    int claimByHand(final int partitionId)
    {
        assertTrue(controlFile.claim(controlFile.slotOf(partitionId), ProcessHandle.current().pid()));
        claimedByHand.add(partitionId);
        return generation(partitionId);
    }

    /**
     * Publishes {@code length} bytes (fragments past the driver's MTU, as Aeron does) on a stream with a
     * session ID of our choosing; false when the driver refuses that session ID there, as it does one
     * another publication on the stream has. The publication stays open for the next message alike.
     */
    boolean send(final int streamId, final int sessionId, final long reservedValue, final byte[] bytes, final int length)
    {
        final long key = ((long)streamId << 32) | (sessionId & 0xFFFF_FFFFL);
        ExclusivePublication publication = publications.get(key);
        if (publication == null)
        {
            try
            {
                publication = raw.addExclusivePublication(TrapProtocol.publicationChannel(sessionId), streamId);
            }
            catch (final RegistrationException ex)
            {
                assertTrue(String.valueOf(ex.getMessage()).contains("clashing sessionId"), ex::toString);
                return false;
            }
            publications.put(key, publication);
        }
        final int payload = publication.maxPayloadLength();
        fragmentsSent.merge(streamId, Math.max(1, (length + payload - 1) / payload), Integer::sum);
        scratch.putBytes(0, bytes, 0, length);
        final long deadline = System.nanoTime() + WAIT_NS;
        long result;
        while ((result = publication.offer(scratch, 0, length, (buffer, offset, frameLength) -> reservedValue)) < 0)
        {
            assertTrue(result == Publication.NOT_CONNECTED || result == Publication.BACK_PRESSURED ||
                result == Publication.ADMIN_ACTION, "offer: " + result);
            assertTrue(System.nanoTime() < deadline, () -> "stream " + Integer.toHexString(streamId) + " never took our message");
            Thread.yield();
        }
        return true;
    }

    boolean send(final int streamId, final int sessionId, final long reservedValue, final RegisterFile regs, final int length)
    {
        final byte[] bytes = new byte[length];
        regs.buffer().getBytes(0, bytes, 0, Math.min(length, RegisterFile.LENGTH));
        return send(streamId, sessionId, reservedValue, bytes, length);
    }

    /** The fragments {@link #send} has published on a stream: a message past the driver's MTU takes several. */
    int fragmentsSent(final int streamId)
    {
        return fragmentsSent.getOrDefault(streamId, 0);
    }

    /**
     * Waits until every subscriber of every stream we published on has read all we published: what
     * it was given has been handled. A stream some context reads only inside its calls is read by
     * {@code meanwhile}, run between looks.
     */
    void awaitRead(final Runnable meanwhile)
    {
        final long deadline = System.nanoTime() + 2 * WAIT_NS;
        while (!allRead())
        {
            assertTrue(System.nanoTime() < deadline, "our messages were read");
            meanwhile.run();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    void awaitRead()
    {
        awaitRead(() -> { });
    }

    /**
     * Our release of {@code partitionId}'s context 0 from the word we installed, as the runtime's requester makes
     * it on taking the answer. The context stores that very word itself when the release is slow (its check a
     * millisecond after its answer, for a requester whose wait was cut short), so either leaves it.
     */
    void release(final int partitionId, final long installed)
    {
        final long released = ExecutionContextState.waitingAfter(installed);
        assertTrue(controlFile.ecStateCompareAndSet(stateOffset(partitionId), installed, released) ||
            stateWord(partitionId) == released, () -> ExecutionContextState.describe(stateWord(partitionId)));
    }

    /**
     * Whether the driver's counters show the log of {@code sessionId} on {@code streamId} at its publisher
     * limit: its inbox's reader is a window behind, and the next message waits for room.
     */
    boolean atPublisherLimit(final int sessionId, final int streamId)
    {
        final CountersReader counters = raw.countersReader();
        final AtomicBuffer metaData = counters.metaDataBuffer();
        long position = -1;
        long limit = -1;
        for (int id = 0, max = counters.maxCounterId(); id <= max; id++)
        {
            final int keyOffset = CountersReader.metaDataOffset(id) + CountersReader.KEY_OFFSET;
            if (counters.getCounterState(id) == CountersReader.RECORD_ALLOCATED &&
                metaData.getInt(keyOffset + StreamCounter.SESSION_ID_OFFSET) == sessionId &&
                metaData.getInt(keyOffset + StreamCounter.STREAM_ID_OFFSET) == streamId)
            {
                final int type = counters.getCounterTypeId(id);
                if (type == AeronCounters.DRIVER_PUBLISHER_POS_TYPE_ID)
                {
                    position = counters.getCounterValue(id);
                }
                else if (type == AeronCounters.DRIVER_PUBLISHER_LIMIT_TYPE_ID)
                {
                    limit = counters.getCounterValue(id);
                }
            }
        }
        return position >= 0 && limit >= 0 && position >= limit;
    }

    private boolean allRead()
    {
        final CountersReader counters = raw.countersReader();
        final AtomicBuffer metaData = counters.metaDataBuffer();
        for (final ExclusivePublication publication : publications.values())
        {
            final long position = publication.position();
            boolean linked = false;
            for (int id = 0, max = counters.maxCounterId(); id <= max; id++)
            {
                final int keyOffset = CountersReader.metaDataOffset(id) + CountersReader.KEY_OFFSET;
                if (counters.getCounterState(id) == CountersReader.RECORD_ALLOCATED &&
                    counters.getCounterTypeId(id) == AeronCounters.DRIVER_SUBSCRIBER_POSITION_TYPE_ID &&
                    metaData.getInt(keyOffset + StreamCounter.SESSION_ID_OFFSET) == publication.sessionId() &&
                    metaData.getInt(keyOffset + StreamCounter.STREAM_ID_OFFSET) == publication.streamId())
                {
                    linked = true;
                    if (counters.getCounterValue(id) < position)
                    {
                        return false;
                    }
                }
            }
            if (!linked)
            {
                return false;
            }
        }
        return true;
    }

    /** Polls a subscription until a message comes, or fails; the message is left in {@code regs}. */
    static void take(final Subscription subscription, final RegisterFile regs, final int[] sessionId, final String what)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (subscription.poll((buffer, offset, length, header) ->
        {
            regs.clear().copyFrom(buffer, offset, length);
            sessionId[0] = header.sessionId();
        }, 1) == 0)
        {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.yield();
        }
    }

    /** A vm1 to sp1 round trip answered by sp1's handler. */
    void assertRoundTrip()
    {
        final long sent = ++payload;
        final DirectMessage message = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, sent);
        vm.executionContext(0).ops().sendDirect(SP, message, WAIT_NS);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, message.functionId(), message.registers()::toString);
        assertEquals(RegisterFile.packIds(SP, VM), message.registers().w(1), message.registers()::toString);
        assertEquals(sent + 1, message.payload(0), "sp1's answer to this request");
    }

    /** Direct messaging and the partition manager both still answer as before, and sp1's serving threw nothing. */
    void assertStillWorks()
    {
        assertRoundTrip();
        final RegisterFile count = call(vm.executionContext(0), FunctionId.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 1);
        assertTrue(count.isSuccess(), count::toString);
        assertEquals(3, count.w(2), "vm1 sees every partition");
        final RegisterFile id = call(vm.executionContext(0), FunctionId.FFA_ID_GET);
        assertTrue(id.isSuccess(), id::toString);
        assertEquals(VM, id.w(2));
        assertEquals(List.of(), serveErrors, "sp1's serving threw nothing");
    }

    public void close()
    {
        try
        {
            CloseHelper.quietClose(sp);
            server.join(TimeUnit.NANOSECONDS.toMillis(WAIT_NS));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            for (final int partitionId : claimedByHand)
            {
                final int slot = controlFile.slotOf(partitionId);
                controlFile.unclaim(slot, controlFile.claimGeneration(slot), ProcessHandle.current().pid());
            }
            CloseHelper.quietCloseAll(raw, vm, client, pm);
        }
    }
}
