package org.ffafabric.control;

import org.agrona.BitUtil;

/**
 * Layout of the fabric's control file, {@code fabric.ctl} in the fabric directory. The
 * partition manager creates it; every partition process and the {@code ffa} tool map it.
 * <pre>
 *   Header (256 bytes)
 *   +---------------------------------------------------------------+
 *   |                         magic "FFAFABR1"                      |  0
 *   | layout version                | partition count               |  8
 *   | PM FF-A version               | peer logs held                | 16
 *   |                         PM pid                                | 24
 *   |                         PM start mark (its start, in ticks)   | 32
 *   |                         PM heartbeat (epoch ms)               | 40
 *   |                         memory base address                   | 48
 *   | slot table offset             | EC state table offset         | 56
 *   | EC state count                | peer log budget               | 64
 *   | Aeron directory length        | Aeron directory, UTF-8 ...    | 72
 *   |   ... up to 172 bytes; length 0: aeron/ in the fabric directory | 76
 *   |     PM end (0 = running, 1 = stopped, 2 = cut off from Aeron) | 248
 *   +---------------------------------------------------------------+
 *   Partition slots (256 bytes each, one per manifest entry, in manifest order)
 *   +---------------------------------------------------------------+
 *   | partition ID                  | execution-context count       |  0
 *   | properties (v1.2 form)        | world (ordinal)               |  8
 *   | manifest FF-A version         | negotiated FF-A version (*)   | 16
 *   | peer logs held by the claim   | RX partition info count       | 24
 *   | claim pid (0 = unclaimed)     | claim generation              | 32 (one claim word)
 *   |    claim mark (the claimant's start, or a later claimer's)    | 40
 *   | UUID count                    | first EC state index          | 48
 *   |                   UUIDs, 4 x 16 bytes, textual order          | 56
 *   |                   name, 32 bytes ASCII, NUL padded            | 120
 *   |                         TX buffer address                     | 152
 *   |                         RX buffer address                     | 160
 *   | RX/TX page count              | RX/TX mapped                  | 168
 *   |                         claim refusal (0 = none) (**)         | 176
 *   |                         secondary entry point (0 = none)      | 184
 *   +---------------------------------------------------------------+
 *   | RX ownership word             | TX ownership word             | 192 (own cache line)
 *   |                         memory size in bytes                  | 200
 *   | aborted claim generation (0 = none)                           | 208
 *   +---------------------------------------------------------------+
 *   (*) bit 31 set once the version is locked.
 *   (**) [63:32] claim generation, [23:16] cause, [15:8] EC index, [7:0] FF-A error code, negated: the
 *   partition manager could not bind that context of that claim (NO_MEMORY: its reply log was refused,
 *   for want of room (cause 0) or of a counter (cause 1)).
 *   EC state table: one 64-bit state word per execution context, each padded to 128 bytes
 *   so that two contexts' transitions never share a cache line, nor its prefetched neighbour.
 *   +---------------------------------------------------------------+
 *   |                         state word                            |  0
 *   |                         lost answer (0 = none) (***)          |  8
 *   +---------------------------------------------------------------+
 *   (***) written by a target, in its requester's record, when the driver refused the log its
 *   answer needed: [63:32] the sequence of the word the requester installed in the target,
 *   [31:16] the target's partition ID, [15:8] its EC index, [7:0] 1
 *   ({@link ExecutionContextState#lostAnswer}).
 *   Counters, from the next 4K page after the EC state table: Agrona's counters layout, as Aeron's
 *   cnc.dat holds its own ({@link FabricCounters}): the values (128 bytes each), then their
 *   metadata (512 bytes each: state, type ID, key, label).
 * </pre>
 * The ownership words live here, never inside the buffers, whose bytes are pure FF-A data.
 */
public final class ControlFileDescriptor
{
    /** "FFAFABR1" read as a little-endian u64. */
    public static final long MAGIC = 0x3152424146414646L;
    /**
     * 2: the peer log budget and count, and a claim refusal's cause, in words that were reserved.
     * 3: the secondary entry point, in a word that was reserved.
     * 4: the claim mark beside the claim PID; the memory size moved to the ownership words' line.
     * 5: the claim generation joined the claim PID in one word.
     * 6: the counters after the EC state table; the RX partition info count, in a word that was reserved.
     * 7: a third fabric counter, replies waiting.
     * 8: the aborted claim generation, in a word that was reserved.
     * 9: how the partition manager ended, in the Aeron directory's last 8 bytes.
     */
    public static final int LAYOUT_VERSION = 9;

    public static final int MAGIC_OFFSET = 0;
    public static final int LAYOUT_VERSION_OFFSET = 8;
    public static final int PARTITION_COUNT_OFFSET = 12;
    public static final int PM_FFA_VERSION_OFFSET = 16;
    /**
     * The logs the fabric's contexts hold to one another (a context's first message to another
     * adds one), against {@link #PEER_LOG_BUDGET_OFFSET}: a log past the budget is refused, so that
     * the media driver's counters always hold every context's claim.
     */
    public static final int PEER_LOGS_OFFSET = 20;
    public static final int PM_PID_OFFSET = 24;
    /** The partition manager's {@link ProcessLiveness#startMark}: not the wall clock's time, which may be stepped. */
    public static final int PM_START_MARK_OFFSET = 32;
    public static final int PM_HEARTBEAT_OFFSET = 40;
    /** A partition manager whose PID is gone and whose heartbeat (every 100 ms) is this old has died. */
    public static final long PM_HEARTBEAT_TIMEOUT_MS = 5_000;
    /** A manager this process cannot see (another PID namespace) is alive when its heartbeat moves within this long. */
    public static final long PM_HEARTBEAT_PROBE_MS = 500;
    public static final int MEMORY_BASE_OFFSET = 48;
    public static final int SLOT_TABLE_OFFSET_OFFSET = 56;
    public static final int EC_TABLE_OFFSET_OFFSET = 60;
    public static final int EC_COUNT_OFFSET = 64;
    /** The most logs between contexts the media driver has counters for, beside every context's claim. */
    public static final int PEER_LOG_BUDGET_OFFSET = 68;
    public static final int AERON_DIRECTORY_LENGTH_OFFSET = 72;
    public static final int AERON_DIRECTORY_OFFSET = 76;
    /**
     * How the partition manager ended, set by compare-and-set from {@link #PM_RUNNING} before its PID is
     * zeroed, so that its first end stands: {@link #PM_STOPPED} by its owner (a stop, SIGTERM, SIGINT), or
     * {@link #PM_CUT_OFF} when it lost its Aeron client. Its clients tell an orderly stop from the rest.
     */
    public static final int PM_END_OFFSET = 248;
    public static final long PM_RUNNING = 0;
    public static final long PM_STOPPED = 1;
    public static final long PM_CUT_OFF = 2;
    public static final int HEADER_LENGTH = 256;
    /** The longest Aeron directory name the header holds, in UTF-8 bytes. */
    public static final int AERON_DIRECTORY_MAX_LENGTH = PM_END_OFFSET - AERON_DIRECTORY_OFFSET;

    public static final int SLOT_LENGTH = 256;
    public static final int SLOT_PARTITION_ID_OFFSET = 0;
    public static final int SLOT_EC_COUNT_OFFSET = 4;
    public static final int SLOT_PROPERTIES_OFFSET = 8;
    public static final int SLOT_WORLD_OFFSET = 12;
    public static final int SLOT_MANIFEST_VERSION_OFFSET = 16;
    /**
     * The negotiated version, with {@link #VERSION_LOCKED_BIT} set once another call has locked it:
     * one word, so that FFA_VERSION and a partition's first other call agree on which came first.
     */
    public static final int SLOT_NEGOTIATED_VERSION_OFFSET = 20;
    /** Bit 31, which no version has (FFA_VERSION refuses it as MBZ). */
    public static final int VERSION_LOCKED_BIT = 0x8000_0000;
    /** The claim's part of {@link #PEER_LOGS_OFFSET}, given back by the partition manager when the claim ends. */
    public static final int SLOT_PEER_LOGS_OFFSET = 24;
    /**
     * The descriptors the partition manager's last FFA_PARTITION_INFO_GET wrote to the partition's RX
     * (0 once RX/TX is mapped or unmapped again): for {@code ffa dump}, since the count a call returns
     * is in its registers, not in the buffer.
     */
    public static final int SLOT_RX_PARTITION_INFO_OFFSET = 28;
    /**
     * The claim word: the claimant's PID in [31:0] (0 = unclaimed), the claim's generation in [63:32],
     * bumped by each claim. One word, so that one compare-and-set makes, takes over or ends the claim
     * of one generation: a claim that ended cannot be let go of again once a later one holds the slot,
     * even a later claim by the same process.
     */
    public static final int SLOT_CLAIM_OFFSET = 32;
    /**
     * The start of the process whose PID holds the claim, as {@link ProcessLiveness#startMark} gives it
     * (clock ticks after boot, on Linux), or a later claimer's: a later process given that PID is not the
     * claimant. Raised to each claimer's start before the claim PID's compare-and-set, never lowered.
     */
    public static final int SLOT_CLAIM_MARK_OFFSET = 40;
    public static final int SLOT_UUID_COUNT_OFFSET = 48;
    public static final int SLOT_FIRST_EC_OFFSET = 52;
    public static final int SLOT_UUIDS_OFFSET = 56;
    public static final int SLOT_MAX_UUIDS = 4;
    public static final int SLOT_NAME_OFFSET = 120;
    public static final int SLOT_NAME_LENGTH = 32;
    public static final int SLOT_TX_ADDRESS_OFFSET = 152;
    public static final int SLOT_RX_ADDRESS_OFFSET = 160;
    public static final int SLOT_RXTX_PAGE_COUNT_OFFSET = 168;
    public static final int SLOT_RXTX_MAPPED_OFFSET = 172;
    /**
     * Where the partition manager says it refused to bind a context of a claim: the claimer waits
     * for an answer on a log the manager could not make, so it looks here too.
     */
    public static final int SLOT_CLAIM_REFUSAL_OFFSET = 176;
    /** A refusal's cause: the driver had no room for the log in its file system. */
    public static final int REFUSED_NO_ROOM = 0;
    /** A refusal's cause: the driver had no counter left for the log. */
    public static final int REFUSED_NO_COUNTER = 1;
    /**
     * A refusal's cause: the driver still held another log with the reply's session ID (a claim's 256 generations
     * before, closed since its last timer check).
     */
    public static final int REFUSED_SESSION_HELD = 2;
    /** Where FFA_SECONDARY_EP_REGISTER put the partition's other contexts' cold-boot entry point. */
    public static final int SLOT_SECONDARY_EP_OFFSET = 184;
    public static final int SLOT_RX_OWNERSHIP_OFFSET = 192;
    public static final int SLOT_TX_OWNERSHIP_OFFSET = 196;
    /** Written once, when the file is made, and read by no hot path: it may share the ownership words' line. */
    public static final int SLOT_MEMORY_SIZE_OFFSET = 200;
    /** The claim generation whose SP init failed, aborting the partition: read off the predicted round trip only. */
    public static final int SLOT_ABORTED_GENERATION_OFFSET = 208;

    public static final int EC_STATE_LENGTH = 128;
    /**
     * From a context's state word, where its targets say they could not answer it: the requester
     * waits for an answer on a log the driver refused, so it looks here too, as a claimer looks at
     * {@link #SLOT_CLAIM_REFUSAL_OFFSET}.
     */
    public static final int EC_LOST_ANSWER_OFFSET = 8;

    /** A page: the counters' values start on a line of their own, whatever the tables before them hold. */
    public static final int COUNTERS_ALIGNMENT = 4096;

    public static final String FILE_NAME = "fabric.ctl";
    /** Added to a control file's name while it is made, until it is linked under its own name complete. */
    public static final String MAKING_SUFFIX = ".making";

    private ControlFileDescriptor()
    {
    }

    public static int slotOffset(final int slotIndex)
    {
        return HEADER_LENGTH + slotIndex * SLOT_LENGTH;
    }

    public static int ecTableOffset(final int partitionCount)
    {
        return HEADER_LENGTH + partitionCount * SLOT_LENGTH;
    }

    /** The counters' values, page aligned after the EC state table; their metadata follows them. */
    public static int countersValuesOffset(final int partitionCount, final int ecCount)
    {
        return BitUtil.align(ecTableOffset(partitionCount) + ecCount * EC_STATE_LENGTH, COUNTERS_ALIGNMENT);
    }

    public static int countersMetadataOffset(final int partitionCount, final int ecCount)
    {
        return countersValuesOffset(partitionCount, ecCount) + FabricCounters.valuesLength(partitionCount, ecCount);
    }

    public static int fileLength(final int partitionCount, final int ecCount)
    {
        return countersMetadataOffset(partitionCount, ecCount) + FabricCounters.metadataLength(partitionCount, ecCount);
    }
}
