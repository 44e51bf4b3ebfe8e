package org.ffafabric.control;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.PartitionManifest;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The fabric's counters, kept in the control file in Agrona's counters layout (values, then
 * metadata), as Aeron keeps its own in cnc.dat, and read from outside by {@code ffa counters} as
 * AeronStat reads Aeron's. The partition manager allocates every counter when it makes the file,
 * in a fixed order, so that each writer finds its counters by the formulas here, with no
 * allocation across processes:
 * <pre>
 *   fabric:          traps dropped, replies not delivered, replies waiting
 *   each partition:  calls trapped, claims of dead claimants ended, FFA_ERROR returned by code
 *                    (NOT_SUPPORTED -1 .. NOT_READY -10, then any other code)
 *   each context:    direct requests sent, direct requests received
 * </pre>
 * Each counter has one writer at a time where the hot path touches it: a context's are bumped by
 * the thread inside a call on that context, the partition manager's by its duty cycle alone, with
 * a release store, no locked instruction. A partition's error counts are bumped by any of its
 * contexts, atomically, off the hot path. Counters live as long as the fabric: a later claim of a
 * partition adds to what the earlier ones counted. The key of each counter is its partition ID and
 * an index (the context, or the error code), both 32-bit little-endian, so that a reader groups
 * them without parsing labels.
 */
public final class FabricCounters
{
    /** Fabric: traps from a session no claimed context has, dropped ({@code PartitionManager#droppedTraps}). */
    public static final int TRAPS_DROPPED_TYPE_ID = 1;
    /**
     * Fabric: replies the partition manager gave up on: their caller's inbox gone, unread past the reply
     * timeout, beyond the room it keeps for waiting replies, or its caller's claim over before it read them.
     */
    public static final int REPLIES_NOT_DELIVERED_TYPE_ID = 2;
    /** Fabric, a gauge: replies waiting in the partition manager for room in their caller's inbox, now. */
    public static final int REPLIES_WAITING_TYPE_ID = 3;
    /** Partition: calls its contexts trapped to the partition manager. */
    public static final int TRAPS_TYPE_ID = 10;
    /** Partition: claims whose claimant died, ended by the partition manager or taken over by a later claimer. */
    public static final int CLAIMS_REAPED_TYPE_ID = 11;
    /** Partition: calls of its contexts that returned FFA_ERROR; key index the code (0 for a code not listed). */
    public static final int ERRORS_TYPE_ID = 12;
    /** Context: direct requests (REQ_32/64, REQ2) it sent, handed to their target. */
    public static final int DIRECT_REQUESTS_SENT_TYPE_ID = 20;
    /** Context: direct requests it received, by FFA_MSG_WAIT, a response's wait or a serve. */
    public static final int DIRECT_REQUESTS_RECEIVED_TYPE_ID = 21;

    public static final int KEY_PARTITION_ID_OFFSET = 0;
    public static final int KEY_INDEX_OFFSET = 4;
    /** The partition ID in the key of a fabric-wide counter: none (the partition manager's own). */
    public static final int NO_PARTITION = -1;
    /** The codes counted one by one: NOT_SUPPORTED (-1) down to NOT_READY (-10); any other shares one. */
    public static final int COUNTED_ERROR_CODES = 10;
    /** The key index of the counter shared by error codes outside {@link #COUNTED_ERROR_CODES}. */
    public static final int OTHER_ERROR_CODES = 0;

    static final int FABRIC_COUNTERS = 3;
    static final int PER_PARTITION = 2 + COUNTED_ERROR_CODES + 1;
    static final int PER_CONTEXT = 2;

    private static final int TRAPS = 0;
    private static final int CLAIMS_REAPED = 1;
    private static final int ERRORS = 2;
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private FabricCounters()
    {
    }

    /** Counters in a fabric of {@code partitionCount} partitions with {@code ecCount} contexts between them. */
    public static int count(final int partitionCount, final int ecCount)
    {
        return FABRIC_COUNTERS + partitionCount * PER_PARTITION + ecCount * PER_CONTEXT;
    }

    public static int valuesLength(final int partitionCount, final int ecCount)
    {
        return count(partitionCount, ecCount) * CountersReader.COUNTER_LENGTH;
    }

    public static int metadataLength(final int partitionCount, final int ecCount)
    {
        return count(partitionCount, ecCount) * CountersReader.METADATA_LENGTH;
    }

    public static int trapsDroppedId()
    {
        return 0;
    }

    public static int repliesNotDeliveredId()
    {
        return 1;
    }

    public static int repliesWaitingId()
    {
        return 2;
    }

    public static int trapsId(final int slot)
    {
        return partitionBase(slot) + TRAPS;
    }

    public static int claimsReapedId(final int slot)
    {
        return partitionBase(slot) + CLAIMS_REAPED;
    }

    /** The counter of FFA_ERROR({@code code}) returns to the partition in {@code slot}. */
    public static int errorsId(final int slot, final int code)
    {
        return partitionBase(slot) + ERRORS + errorIndex(code);
    }

    /**
     * Where {@code code} falls among a partition's error counters: 0 for NOT_SUPPORTED (-1) up to
     * {@link #COUNTED_ERROR_CODES} - 1 for NOT_READY (-10), and {@link #COUNTED_ERROR_CODES} for any
     * other code (as an error key's index, {@link #OTHER_ERROR_CODES}, is).
     */
    public static int errorIndex(final int code)
    {
        return code <= -1 && code >= -COUNTED_ERROR_CODES ? -code - 1 : COUNTED_ERROR_CODES;
    }

    /** {@code firstEc}: the index, among every context of the fabric, of its partition's first (the control file's). */
    public static int directRequestsSentId(final int partitionCount, final int firstEc, final int ec)
    {
        return contextBase(partitionCount, firstEc + ec);
    }

    public static int directRequestsReceivedId(final int partitionCount, final int firstEc, final int ec)
    {
        return contextBase(partitionCount, firstEc + ec) + 1;
    }

    private static int partitionBase(final int slot)
    {
        return FABRIC_COUNTERS + slot * PER_PARTITION;
    }

    private static int contextBase(final int partitionCount, final int globalEc)
    {
        return FABRIC_COUNTERS + partitionCount * PER_PARTITION + globalEc * PER_CONTEXT;
    }

    /**
     * Allocates every counter of {@code manifest}, in the order the formulas above give, over the
     * zeroed regions of a control file being made (the partition manager, once).
     */
    static void allocate(final AtomicBuffer metadata, final AtomicBuffer values, final Manifest manifest)
    {
        final CountersManager manager = new CountersManager(metadata, values, StandardCharsets.US_ASCII);
        final UnsafeBuffer key = new UnsafeBuffer(new byte[2 * Integer.BYTES]);
        allocate(manager, key, TRAPS_DROPPED_TYPE_ID, NO_PARTITION, 0, trapsDroppedId(),
            "partition manager: traps dropped");
        allocate(manager, key, REPLIES_NOT_DELIVERED_TYPE_ID, NO_PARTITION, 0, repliesNotDeliveredId(),
            "partition manager: replies not delivered");
        allocate(manager, key, REPLIES_WAITING_TYPE_ID, NO_PARTITION, 0, repliesWaitingId(),
            "partition manager: replies waiting for room in their caller's inbox");
        final List<PartitionManifest> partitions = manifest.partitions();
        for (int slot = 0; slot < partitions.size(); slot++)
        {
            final PartitionManifest p = partitions.get(slot);
            final String name = p.name() + " " + EndpointId.toString(p.id());
            allocate(manager, key, TRAPS_TYPE_ID, p.id(), 0, trapsId(slot), name + ": calls trapped to the partition manager");
            allocate(manager, key, CLAIMS_REAPED_TYPE_ID, p.id(), 0, claimsReapedId(slot),
                name + ": claims of dead claimants ended");
            for (int code = -1; code >= -COUNTED_ERROR_CODES; code--)
            {
                allocate(manager, key, ERRORS_TYPE_ID, p.id(), code, errorsId(slot, code),
                    name + ": FFA_ERROR " + ErrorCode.name(code) + " returned");
            }
            allocate(manager, key, ERRORS_TYPE_ID, p.id(), OTHER_ERROR_CODES, errorsId(slot, OTHER_ERROR_CODES),
                name + ": FFA_ERROR of another code returned");
        }
        int firstEc = 0;
        for (final PartitionManifest p : partitions)
        {
            final String name = p.name() + " " + EndpointId.toString(p.id());
            for (int ec = 0; ec < p.executionContextCount(); ec++)
            {
                allocate(manager, key, DIRECT_REQUESTS_SENT_TYPE_ID, p.id(), ec,
                    directRequestsSentId(partitions.size(), firstEc, ec), name + " ec " + ec + ": direct requests sent");
                allocate(manager, key, DIRECT_REQUESTS_RECEIVED_TYPE_ID, p.id(), ec,
                    directRequestsReceivedId(partitions.size(), firstEc, ec), name + " ec " + ec + ": direct requests received");
            }
            firstEc += p.executionContextCount();
        }
    }

    private static void allocate(
        final CountersManager manager, final UnsafeBuffer key, final int typeId, final int partitionId, final int index,
        final int expectedId, final String label)
    {
        key.putInt(KEY_PARTITION_ID_OFFSET, partitionId, ORDER);
        key.putInt(KEY_INDEX_OFFSET, index, ORDER);
        final int id = manager.allocate(typeId, key, 0, key.capacity(), new UnsafeBuffer(label.getBytes(StandardCharsets.US_ASCII)),
            0, label.length());
        if (id != expectedId)
        {
            throw new IllegalStateException("counter " + label + " allocated as " + id + ", its formula says " + expectedId);
        }
    }

    /** A counter's partition ID, from its key. */
    public static int partitionIdOf(final org.agrona.DirectBuffer key, final int offset)
    {
        return key.getInt(offset + KEY_PARTITION_ID_OFFSET, ORDER);
    }

    /** A counter's index (context, or error code), from its key. */
    public static int indexOf(final org.agrona.DirectBuffer key, final int offset)
    {
        return key.getInt(offset + KEY_INDEX_OFFSET, ORDER);
    }
}
