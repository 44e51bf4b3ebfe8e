package org.ffafabric.control;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.ffafabric.abi.FfaUuid;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.PartitionManifest;
import org.ffafabric.manifest.World;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.control.ControlFileDescriptor.*;

/**
 * The mapped control file: partition table, ownership words and execution-context state
 * words shared by the partition manager and every partition process. See
 * {@link ControlFileDescriptor} for the layout. Slot lookups by partition ID are an array
 * index, so the hot path never hashes or allocates.
 */
public final class ControlFile implements AutoCloseable
{
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final int partitionCount;
    private final short[] slotById = new short[0x10000];
    // What the partition manager wrote once from the manifest, read into Java arrays so the
    // direct-message path reads plain fields instead of the mapped file.
    private final int[] partitionIds;
    private final int[] executionContextCounts;
    private final int[] propertiesBySlot;
    private final int[] firstEcStateOffsets;
    private final int countersValuesOffset;
    private final int countersMetadataOffset;

    private ControlFile(final MappedByteBuffer mapped)
    {
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
        final String refusal = refusal(buffer);
        if (refusal != null)
        {
            // The message is made before the unmap: a read after it faults the JVM.
            IoUtil.unmap(mapped);
            throw new IllegalStateException(refusal);
        }
        partitionCount = buffer.getInt(PARTITION_COUNT_OFFSET, ORDER);
        partitionIds = new int[partitionCount];
        executionContextCounts = new int[partitionCount];
        propertiesBySlot = new int[partitionCount];
        firstEcStateOffsets = new int[partitionCount];
        java.util.Arrays.fill(slotById, (short)-1);
        final int ecTable = buffer.getInt(EC_TABLE_OFFSET_OFFSET, ORDER);
        final int ecCount = buffer.getInt(EC_COUNT_OFFSET, ORDER);
        countersValuesOffset = ControlFileDescriptor.countersValuesOffset(partitionCount, ecCount);
        countersMetadataOffset = ControlFileDescriptor.countersMetadataOffset(partitionCount, ecCount);
        for (int slot = 0; slot < partitionCount; slot++)
        {
            final int s = slotOffset(slot);
            partitionIds[slot] = buffer.getInt(s + SLOT_PARTITION_ID_OFFSET, ORDER);
            executionContextCounts[slot] = buffer.getInt(s + SLOT_EC_COUNT_OFFSET, ORDER);
            propertiesBySlot[slot] = buffer.getInt(s + SLOT_PROPERTIES_OFFSET, ORDER);
            firstEcStateOffsets[slot] = ecTable + buffer.getInt(s + SLOT_FIRST_EC_OFFSET, ORDER) * EC_STATE_LENGTH;
            slotById[partitionIds[slot]] = (short)slot;
        }
    }

    /**
     * Creates and fills the control file for a manifest (partition manager only).
     * {@code aeronDirectory}: the media driver's directory, null for {@code aeron/} in the fabric's.
     */
    public static ControlFile create(
        final Path file, final Manifest manifest, final int pmVersion, final long memoryBase,
        final String aeronDirectory)
    {
        final byte[] aeronDirectoryBytes =
            aeronDirectory == null ? new byte[0] : aeronDirectory.getBytes(StandardCharsets.UTF_8);
        if (aeronDirectoryBytes.length > AERON_DIRECTORY_MAX_LENGTH)
        {
            throw new IllegalArgumentException("Aeron directory name longer than " + AERON_DIRECTORY_MAX_LENGTH +
                " bytes: " + aeronDirectory);
        }
        // Made under another name and linked into place once complete, so that a reader that maps
        // the file as soon as its name appears (a client waiting for a starting manager) never finds it half-made.
        final Path making = file.resolveSibling(file.getFileName() + MAKING_SUFFIX);
        FabricDirectory.createOwnerOnlyFile(making);
        final List<PartitionManifest> partitions = manifest.partitions();
        final int ecCount = manifest.executionContextCount();
        final int length = fileLength(partitions.size(), ecCount);
        final MappedByteBuffer mapped;
        try (FileChannel channel = FileChannel.open(making, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            channel.truncate(length);
            channel.write(java.nio.ByteBuffer.allocate(1), length - 1);
            mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
        }
        catch (final IOException ex)
        {
            deleteQuietly(making);
            throw new UncheckedIOException(ex);
        }
        final UnsafeBuffer b = new UnsafeBuffer(mapped);
        b.setMemory(0, length, (byte)0);
        b.putInt(LAYOUT_VERSION_OFFSET, LAYOUT_VERSION, ORDER);
        b.putInt(PARTITION_COUNT_OFFSET, partitions.size(), ORDER);
        b.putInt(PM_FFA_VERSION_OFFSET, pmVersion, ORDER);
        b.putLong(PM_PID_OFFSET, ProcessHandle.current().pid(), ORDER);
        b.putLong(PM_START_MARK_OFFSET, ProcessLiveness.startMark(ProcessHandle.current().pid()), ORDER);
        b.putLong(PM_HEARTBEAT_OFFSET, System.currentTimeMillis(), ORDER);
        b.putLong(MEMORY_BASE_OFFSET, memoryBase, ORDER);
        b.putInt(SLOT_TABLE_OFFSET_OFFSET, HEADER_LENGTH, ORDER);
        b.putInt(EC_TABLE_OFFSET_OFFSET, ecTableOffset(partitions.size()), ORDER);
        b.putInt(EC_COUNT_OFFSET, ecCount, ORDER);
        b.putInt(AERON_DIRECTORY_LENGTH_OFFSET, aeronDirectoryBytes.length, ORDER);
        b.putBytes(AERON_DIRECTORY_OFFSET, aeronDirectoryBytes);
        int firstEc = 0;
        for (int slot = 0; slot < partitions.size(); slot++)
        {
            final PartitionManifest p = partitions.get(slot);
            final int s = slotOffset(slot);
            b.putInt(s + SLOT_PARTITION_ID_OFFSET, p.id(), ORDER);
            b.putInt(s + SLOT_EC_COUNT_OFFSET, p.executionContextCount(), ORDER);
            b.putInt(s + SLOT_PROPERTIES_OFFSET, p.properties(), ORDER);
            b.putInt(s + SLOT_WORLD_OFFSET, p.world().ordinal(), ORDER);
            b.putInt(s + SLOT_MANIFEST_VERSION_OFFSET, p.ffaVersion(), ORDER);
            b.putInt(s + SLOT_NEGOTIATED_VERSION_OFFSET, p.ffaVersion(), ORDER);
            b.putLong(s + SLOT_MEMORY_SIZE_OFFSET, p.memorySize(), ORDER);
            b.putInt(s + SLOT_UUID_COUNT_OFFSET, p.uuids().size(), ORDER);
            b.putInt(s + SLOT_FIRST_EC_OFFSET, firstEc, ORDER);
            for (int u = 0; u < p.uuids().size(); u++)
            {
                FfaUuid.put(b, s + SLOT_UUIDS_OFFSET + u * FfaUuid.LENGTH, p.uuids().get(u));
            }
            final byte[] name = p.name().getBytes(StandardCharsets.US_ASCII);
            b.putBytes(s + SLOT_NAME_OFFSET, name, 0, Math.min(name.length, SLOT_NAME_LENGTH - 1));
            firstEc += p.executionContextCount();
        }
        final int countersValues = countersValuesOffset(partitions.size(), ecCount);
        final int countersMetadata = countersMetadataOffset(partitions.size(), ecCount);
        FabricCounters.allocate(
            new UnsafeBuffer(b, countersMetadata, FabricCounters.metadataLength(partitions.size(), ecCount)),
            new UnsafeBuffer(b, countersValues, FabricCounters.valuesLength(partitions.size(), ecCount)), manifest);
        // Magic last, with a release store: a reader that sees it sees a complete file.
        b.putLongOrdered(MAGIC_OFFSET, MAGIC);
        mapped.force();
        try
        {
            // A link, not a move: it fails, rather than replaces, when the name is already taken.
            Files.createLink(file, making);
        }
        catch (final IOException ex)
        {
            IoUtil.unmap(mapped);
            throw new UncheckedIOException("cannot put the control file in place: " + file, ex);
        }
        finally
        {
            deleteQuietly(making);
        }
        return new ControlFile(mapped);
    }

    private static void deleteQuietly(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ignore)
        {
            // The fabric directory is removed with everything in it when the launch fails.
        }
    }

    /** Why the mapped bytes are no control file this build reads, or null when they are one. */
    private static String refusal(final UnsafeBuffer buffer)
    {
        if (buffer.capacity() < HEADER_LENGTH)
        {
            return "not a fabric control file (" + buffer.capacity() + " bytes, shorter than its header)";
        }
        if (buffer.getLongVolatile(MAGIC_OFFSET) != MAGIC)
        {
            return "not a fabric control file (bad magic)";
        }
        final int layoutVersion = buffer.getInt(LAYOUT_VERSION_OFFSET, ORDER);
        if (layoutVersion != LAYOUT_VERSION)
        {
            return "control file layout " + layoutVersion + " is not " + LAYOUT_VERSION;
        }
        final long length = fileLength(buffer.getInt(PARTITION_COUNT_OFFSET, ORDER), buffer.getInt(EC_COUNT_OFFSET, ORDER));
        return buffer.capacity() < length ?
            "not a whole fabric control file (" + buffer.capacity() + " bytes, its layout takes " + length + ")" : null;
    }

    /** Maps an existing control file (partition processes and tools). */
    public static ControlFile open(final Path file)
    {
        requireExists(file);
        if (Files.isDirectory(file))
        {
            throw new IllegalStateException(file + " is a directory, not a fabric control file");
        }
        final MappedByteBuffer mapped;
        try
        {
            mapped = FabricDirectory.mapExisting(file);
        }
        catch (final java.nio.file.NoSuchFileException ex)
        {
            // Removed since the look: its manager has just closed.
            throw noFabric(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot map the fabric control file " + file, ex);
        }
        try
        {
            return new ControlFile(mapped);
        }
        catch (final IllegalStateException refused)
        {
            // Named, as a tool may have been pointed at the wrong one.
            throw new IllegalStateException(file + ": " + refused.getMessage());
        }
    }

    /** Refuses a missing control file at once, saying what to check: for a tool that would wait for one. */
    public static void requireExists(final Path file)
    {
        if (!Files.exists(file))
        {
            throw noFabric(file);
        }
    }

    /**
     * Waits for the control file of a fabric whose partition manager is launching, up to {@code timeoutNs}:
     * its directory made, its lock's maker running, its control file not yet there. With no manager
     * launching it refuses at once, as {@link #requireExists} does: a tool run just after its manager
     * ({@code ./ffa pm & ./ffa host echo-sp}) finds the fabric, and one run on none is told so at once.
     *
     * @param directory the fabric directory.
     * @param timeoutNs the longest wait for a launching manager's control file.
     */
    public static void awaitLaunch(final Path directory, final long timeoutNs)
    {
        final Path file = FabricDirectory.controlFile(directory);
        final long deadline = System.nanoTime() + timeoutNs;
        while (!Files.exists(file) && isLaunching(directory))
        {
            if (System.nanoTime() - deadline >= 0)
            {
                final long pid = FabricLock.makerPid(directory);
                final String seconds = BigDecimal.valueOf(TimeUnit.NANOSECONDS.toMillis(timeoutNs), 3)
                    .stripTrailingZeros().toPlainString();
                throw new IllegalStateException("the partition manager" + (pid != 0 ? " (pid " + pid + ")" : "") +
                    " launching the fabric in " + directory + " has not made its " + file.getFileName() + " within " +
                    seconds + " s");
            }
            // A launch makes its memory files before the control file: milliseconds, more for large ones.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        requireExists(file);
    }

    /** A manager makes its directory and then its lock, holding it until the directory is gone. */
    private static boolean isLaunching(final Path directory)
    {
        try
        {
            return Files.isDirectory(directory) && FabricLock.isMakerRunning(directory);
        }
        catch (final IllegalStateException notALock)
        {
            // A lock that is no regular file: no manager made it, and no launch is waited for.
            return false;
        }
    }

    private static IllegalStateException noFabric(final Path file)
    {
        // No directory at all: never made, or removed (a manager's close, or a launch beside it sweeping a dead one).
        return new IllegalStateException("no fabric in " + file.getParent() + " (" +
            (Files.isDirectory(file.getParent()) ? "no " + file.getFileName() : "no such directory") +
            "): is its partition manager running?");
    }

    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    public int partitionCount()
    {
        return partitionCount;
    }

    /** Slot index for a partition ID, or -1 when the fabric has no such partition. */
    public int slotOf(final int partitionId)
    {
        return slotById[partitionId & 0xFFFF];
    }

    public int pmVersion()
    {
        return buffer.getInt(PM_FFA_VERSION_OFFSET, ORDER);
    }

    public long pmPid()
    {
        return buffer.getLongVolatile(PM_PID_OFFSET);
    }

    /**
     * True once the partition manager has closed (its PID zeroed), or died: its PID gone and its
     * heartbeat stopped for {@link ControlFileDescriptor#PM_HEARTBEAT_TIMEOUT_MS}. Both, because a
     * PID from another PID namespace cannot be looked up; the heartbeat alone would take a long
     * pause of a live manager for its death.
     */
    public boolean isPartitionManagerGone()
    {
        return pmPid() == 0 ||
            (!isPartitionManagerProcessAlive() && System.currentTimeMillis() - pmHeartbeat() > PM_HEARTBEAT_TIMEOUT_MS);
    }

    /**
     * Running now, not merely within {@link #isPartitionManagerGone}'s 5 s: its process seen alive,
     * or, where this process cannot see it (another PID namespace), its heartbeat moving within
     * {@link ControlFileDescriptor#PM_HEARTBEAT_PROBE_MS}, which this may wait for.
     */
    public boolean isPartitionManagerRunning()
    {
        if (pmPid() == 0)
        {
            return false;
        }
        if (isPartitionManagerProcessAlive())
        {
            return true;
        }
        final long heartbeat = pmHeartbeat();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PM_HEARTBEAT_PROBE_MS);
        while (System.nanoTime() < deadline)
        {
            if (pmPid() == 0)
            {
                return false;
            }
            if (pmHeartbeat() != heartbeat)
            {
                return true;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return false;
    }

    /**
     * True when this process sees the partition manager's process alive ({@link ProcessLiveness}: a
     * zombie is dead): its PID, and a process start no later than its own, marked as it made the
     * control file, so not a later process given the same PID.
     */
    public boolean isPartitionManagerProcessAlive()
    {
        return ProcessLiveness.isAliveSinceStart(pmPid(), buffer.getLong(PM_START_MARK_OFFSET, ORDER));
    }

    /** The media driver's directory, when the partition manager was given one; else null. */
    public String aeronDirectory()
    {
        final int length = buffer.getInt(AERON_DIRECTORY_LENGTH_OFFSET, ORDER);
        return length == 0 ? null : buffer.getStringWithoutLengthUtf8(AERON_DIRECTORY_OFFSET, length);
    }

    /** Zero when the partition manager closes: its clients close too. */
    public void pmPid(final long pid)
    {
        buffer.putLongOrdered(PM_PID_OFFSET, pid);
    }

    /**
     * Ends the partition manager: says how ({@link ControlFileDescriptor#PM_STOPPED} or
     * {@link ControlFileDescriptor#PM_CUT_OFF}) unless an end has already, then zeroes its PID, so that
     * a client that sees the PID zero reads the first end, whichever thread made the second.
     */
    public void endPartitionManager(final long how)
    {
        buffer.compareAndSetLong(PM_END_OFFSET, PM_RUNNING, how);
        buffer.putLongOrdered(PM_PID_OFFSET, 0);
    }

    /** True once the partition manager's first end was its owner's close: stopped, not died nor cut off from Aeron. */
    public boolean isPartitionManagerStopped()
    {
        return buffer.getLongVolatile(PM_END_OFFSET) == PM_STOPPED;
    }

    public long pmHeartbeat()
    {
        return buffer.getLongVolatile(PM_HEARTBEAT_OFFSET);
    }

    public void pmHeartbeat(final long epochMs)
    {
        buffer.putLongOrdered(PM_HEARTBEAT_OFFSET, epochMs);
    }

    public long memoryBase()
    {
        return buffer.getLong(MEMORY_BASE_OFFSET, ORDER);
    }

    // Per-slot fields.

    public int partitionId(final int slot)
    {
        return partitionIds[slot];
    }

    public int executionContextCount(final int slot)
    {
        return executionContextCounts[slot];
    }

    public int properties(final int slot)
    {
        return propertiesBySlot[slot];
    }

    /** True when the partition runs in AArch64 state (properties bit 8): only then has it SMC64 calls. */
    public boolean isAarch64(final int slot)
    {
        return (propertiesBySlot[slot] & PartitionProperties.AARCH64) != 0;
    }

    public World world(final int slot)
    {
        return World.fromOrdinal(buffer.getInt(slotOffset(slot) + SLOT_WORLD_OFFSET, ORDER));
    }

    public int manifestVersion(final int slot)
    {
        return buffer.getInt(slotOffset(slot) + SLOT_MANIFEST_VERSION_OFFSET, ORDER);
    }

    /** The version the partition negotiated with FFA_VERSION (its manifest's until then). */
    public int negotiatedVersion(final int slot)
    {
        return buffer.getIntVolatile(slotOffset(slot) + SLOT_NEGOTIATED_VERSION_OFFSET) & ~VERSION_LOCKED_BIT;
    }

    /** True once a call other than FFA_VERSION has fixed the version. */
    public boolean versionLocked(final int slot)
    {
        return buffer.getIntVolatile(slotOffset(slot) + SLOT_NEGOTIATED_VERSION_OFFSET) < 0;
    }

    /**
     * FFA_VERSION's record of {@code version}, by compare-and-set on the word that also holds the
     * lock: false when the version is locked, even by a call that locked it a moment ago.
     */
    public boolean negotiateVersion(final int slot, final int version)
    {
        final int offset = slotOffset(slot) + SLOT_NEGOTIATED_VERSION_OFFSET;
        while (true)
        {
            final int current = buffer.getIntVolatile(offset);
            if (current < 0)
            {
                return false;
            }
            if (buffer.compareAndSetInt(offset, current, version))
            {
                return true;
            }
        }
    }

    /** Locks the version (a call other than FFA_VERSION was made) and returns the version locked. */
    public int lockVersion(final int slot)
    {
        final int offset = slotOffset(slot) + SLOT_NEGOTIATED_VERSION_OFFSET;
        while (true)
        {
            final int current = buffer.getIntVolatile(offset);
            if (current < 0 || buffer.compareAndSetInt(offset, current, current | VERSION_LOCKED_BIT))
            {
                return current & ~VERSION_LOCKED_BIT;
            }
        }
    }

    /** A new claim starts from {@code version}, open to negotiation. */
    public void resetVersion(final int slot, final int version)
    {
        buffer.putIntOrdered(slotOffset(slot) + SLOT_NEGOTIATED_VERSION_OFFSET, version);
    }

    /** The slot's claim word, {@link ControlFileDescriptor#SLOT_CLAIM_OFFSET}: its PID and generation read together. */
    public long claimWord(final int slot)
    {
        return buffer.getLongVolatile(slotOffset(slot) + SLOT_CLAIM_OFFSET);
    }

    public int claimGeneration(final int slot)
    {
        return generationOf(claimWord(slot));
    }

    public long claimPid(final int slot)
    {
        return pidOf(claimWord(slot));
    }

    /** True while claim {@code generation} by {@code pid} holds the slot. */
    public boolean holdsClaim(final int slot, final int generation, final long pid)
    {
        return claimWord(slot) == claimWord(generation, pid);
    }

    /** The claimant's PID in a claim word (0 = unclaimed). */
    public static long pidOf(final long claimWord)
    {
        return claimWord & 0xFFFF_FFFFL;
    }

    /** The claim generation in a claim word. */
    public static int generationOf(final long claimWord)
    {
        return (int)(claimWord >>> 32);
    }

    private static long claimWord(final int generation, final long pid)
    {
        return ((long)generation << 32) | pid;
    }

    /** The start of the slot's claimant, or of a later claimer: {@link ControlFileDescriptor#SLOT_CLAIM_MARK_OFFSET}. */
    public long claimMark(final int slot)
    {
        return buffer.getLongVolatile(slotOffset(slot) + SLOT_CLAIM_MARK_OFFSET);
    }

    /**
     * True when the process that made the slot's claim, {@code pid} as {@link #claimPid} read it
     * before this call, is alive ({@link ProcessLiveness}: a zombie is dead): its PID, and a process
     * start no later than the claim's mark, so not a later process given the same PID. The PID is read
     * first: the mark read after it is no earlier than that claim's (see {@link #takeOver}). A reader
     * whose PID a claim has replaced since may read the new claim's mark, later than the old claimant's:
     * that makes a claimant look older, never younger, so a live claim is never taken for dead.
     * <p>
     * Not for a hot path: {@link ProcessLiveness} reads /proc.
     */
    public boolean isClaimantAlive(final int slot, final long pid)
    {
        return ProcessLiveness.isAliveSinceStart(pid, claimMark(slot));
    }

    /** Claims the slot for {@code pid} (a running process: this one) if it is free; see {@link #takeOver}. */
    public boolean claim(final int slot, final long pid)
    {
        final long claim = claimWord(slot);
        return pidOf(claim) == 0 && takeOver(slot, claim, pid);
    }

    /**
     * Claims the slot for {@code pid} (a running process: this one) in place of {@code claim}, the claim
     * word as its claimer read it: free, or a claim whose claimant it judged dead. The exact word, generation
     * and all: by the time the claimer acts, the dead claim may have been taken over under the same PID (by
     * the later process given it, or another thread of this one), and that claim is live. The new claim's
     * generation is {@code claim}'s plus one. The claim's mark is raised to that process's start first ({@link
     * ProcessLiveness#startMark}: not a time of the wall clock, which may be stepped), so that the
     * compare-and-set that makes the claim also publishes a mark no earlier than its claimant's start: a
     * reader that sees the PID never pairs it with an earlier claim's mark. Raised, never lowered: a claim
     * that lost its race only ever makes a claimant look older, and every claimer started before any
     * later process given a dead claimant's PID. A slot that does not hold {@code claim} is left
     * alone, mark and all: a claimer looks at the holder's liveness by that mark.
     */
    public boolean takeOver(final int slot, final long claim, final long pid)
    {
        if (pid <= 0 || pid != pidOf(pid))
        {
            throw new IllegalArgumentException("a claim word holds a PID in 32 bits: " + pid);
        }
        final int s = slotOffset(slot);
        if (buffer.getLongVolatile(s + SLOT_CLAIM_OFFSET) != claim)
        {
            return false;
        }
        raiseClaimMark(s + SLOT_CLAIM_MARK_OFFSET, ProcessLiveness.startMark(pid));
        return buffer.compareAndSetLong(s + SLOT_CLAIM_OFFSET, claim, claimWord(generationOf(claim) + 1, pid));
    }

    private void raiseClaimMark(final int offset, final long start)
    {
        long mark;
        do
        {
            mark = buffer.getLongVolatile(offset);
        }
        while (mark < start && !buffer.compareAndSetLong(offset, mark, start));
    }

    /**
     * The partition manager could not bind context {@code ec} of claim {@code generation}:
     * {@code errorCode} is the FF-A error (NO_MEMORY when its reply log was refused), {@code cause}
     * why ({@link ControlFileDescriptor#REFUSED_NO_ROOM}, {@link ControlFileDescriptor#REFUSED_NO_COUNTER} or
     * {@link ControlFileDescriptor#REFUSED_SESSION_HELD}).
     */
    public void refuseClaim(final int slot, final int generation, final int ec, final int errorCode, final int cause)
    {
        buffer.putLongOrdered(slotOffset(slot) + SLOT_CLAIM_REFUSAL_OFFSET,
            ((long)generation << 32) | ((cause & 0xFF) << 16) | ((ec & 0xFF) << 8) | (-errorCode & 0xFF));
    }

    /** The refusal of claim {@code generation}, as {@link #refuseClaim} stored it; 0 when none. */
    public long claimRefusal(final int slot, final int generation)
    {
        final long refusal = buffer.getLongVolatile(slotOffset(slot) + SLOT_CLAIM_REFUSAL_OFFSET);
        return refusal != 0 && (int)(refusal >>> 32) == generation ? refusal : 0;
    }

    /** The context a refusal names. */
    public static int refusedEc(final long refusal)
    {
        return (int)(refusal >>> 8) & 0xFF;
    }

    /** The FF-A error code a refusal carries. */
    public static int refusalErrorCode(final long refusal)
    {
        return -(int)(refusal & 0xFF);
    }

    /** Why the log was refused: one of the {@code REFUSED_} causes of {@link ControlFileDescriptor}. */
    public static int refusalCause(final long refusal)
    {
        return (int)(refusal >>> 16) & 0xFF;
    }

    // The peer log budget: logs between contexts, against the counters the media driver has for them.

    /** Set by the partition manager once its media driver is up, before any claim is bound. */
    public void peerLogBudget(final int budget)
    {
        buffer.putIntOrdered(PEER_LOG_BUDGET_OFFSET, budget);
    }

    public int peerLogBudget()
    {
        return buffer.getIntVolatile(PEER_LOG_BUDGET_OFFSET);
    }

    /** The logs between contexts the fabric's claims hold now. */
    public int peerLogs()
    {
        return buffer.getIntVolatile(PEER_LOGS_OFFSET);
    }

    /** The logs between contexts a claim of the slot holds now. */
    public int peerLogs(final int slot)
    {
        return buffer.getIntVolatile(slotOffset(slot) + SLOT_PEER_LOGS_OFFSET);
    }

    /** Takes one log of the budget for a context of the slot's claim: false when none is left. */
    public boolean takePeerLog(final int slot)
    {
        final int budget = peerLogBudget();
        int held;
        do
        {
            held = buffer.getIntVolatile(PEER_LOGS_OFFSET);
            if (held >= budget)
            {
                return false;
            }
        }
        while (!buffer.compareAndSetInt(PEER_LOGS_OFFSET, held, held + 1));
        buffer.getAndAddInt(slotOffset(slot) + SLOT_PEER_LOGS_OFFSET, 1);
        return true;
    }

    /** Gives back a log taken by {@link #takePeerLog} and never made. */
    public void givePeerLog(final int slot)
    {
        buffer.getAndAddInt(slotOffset(slot) + SLOT_PEER_LOGS_OFFSET, -1);
        buffer.getAndAddInt(PEER_LOGS_OFFSET, -1);
    }

    /** A claim has ended (released, reaped, or taken over): its logs are closed, and go back to the budget. */
    public void givePeerLogsBack(final int slot)
    {
        final int held = buffer.getAndSetInt(slotOffset(slot) + SLOT_PEER_LOGS_OFFSET, 0);
        buffer.getAndAddInt(PEER_LOGS_OFFSET, -held);
    }

    /**
     * Lets go of the slot if claim {@code generation} by {@code pid} still holds it: never of a later
     * claim, by another process or by the same one.
     */
    public boolean unclaim(final int slot, final int generation, final long pid)
    {
        return pid != 0 && buffer.compareAndSetLong(
            slotOffset(slot) + SLOT_CLAIM_OFFSET, claimWord(generation, pid), claimWord(generation, 0));
    }

    public long memorySize(final int slot)
    {
        return buffer.getLong(slotOffset(slot) + SLOT_MEMORY_SIZE_OFFSET, ORDER);
    }

    public int uuidCount(final int slot)
    {
        return buffer.getInt(slotOffset(slot) + SLOT_UUID_COUNT_OFFSET, ORDER);
    }

    /** Bytes 0-7 of UUID {@code index} as a little-endian u64. */
    public long uuidLo(final int slot, final int index)
    {
        return buffer.getLong(slotOffset(slot) + SLOT_UUIDS_OFFSET + index * FfaUuid.LENGTH, ORDER);
    }

    /** Bytes 8-15 of UUID {@code index} as a little-endian u64. */
    public long uuidHi(final int slot, final int index)
    {
        return buffer.getLong(slotOffset(slot) + SLOT_UUIDS_OFFSET + index * FfaUuid.LENGTH + 8, ORDER);
    }

    public UUID uuid(final int slot, final int index)
    {
        return FfaUuid.fromWords(uuidLo(slot, index), uuidHi(slot, index));
    }

    /** True when the partition declares the UUID whose bytes are (lo, hi). */
    public boolean hasUuid(final int slot, final long lo, final long hi)
    {
        final int count = uuidCount(slot);
        for (int i = 0; i < count; i++)
        {
            if (uuidLo(slot, i) == lo && uuidHi(slot, i) == hi)
            {
                return true;
            }
        }
        return false;
    }

    public String name(final int slot)
    {
        final int s = slotOffset(slot) + SLOT_NAME_OFFSET;
        int length = 0;
        while (length < SLOT_NAME_LENGTH && buffer.getByte(s + length) != 0)
        {
            length++;
        }
        return buffer.getStringWithoutLengthAscii(s, length);
    }

    public long txAddress(final int slot)
    {
        return buffer.getLong(slotOffset(slot) + SLOT_TX_ADDRESS_OFFSET, ORDER);
    }

    public long rxAddress(final int slot)
    {
        return buffer.getLong(slotOffset(slot) + SLOT_RX_ADDRESS_OFFSET, ORDER);
    }

    public int rxtxPageCount(final int slot)
    {
        return buffer.getInt(slotOffset(slot) + SLOT_RXTX_PAGE_COUNT_OFFSET, ORDER);
    }

    public boolean rxtxMapped(final int slot)
    {
        return buffer.getIntVolatile(slotOffset(slot) + SLOT_RXTX_MAPPED_OFFSET) != 0;
    }

    /** Records a mapping; the mapped flag is stored last so readers see complete fields. */
    public void rxtxMap(final int slot, final long tx, final long rx, final int pageCount)
    {
        final int s = slotOffset(slot);
        buffer.putLong(s + SLOT_TX_ADDRESS_OFFSET, tx, ORDER);
        buffer.putLong(s + SLOT_RX_ADDRESS_OFFSET, rx, ORDER);
        buffer.putInt(s + SLOT_RXTX_PAGE_COUNT_OFFSET, pageCount, ORDER);
        buffer.putIntOrdered(s + SLOT_RX_OWNERSHIP_OFFSET, BufferOwnership.PRODUCER);
        buffer.putIntOrdered(s + SLOT_TX_OWNERSHIP_OFFSET, BufferOwnership.PRODUCER);
        buffer.putIntOrdered(s + SLOT_RX_PARTITION_INFO_OFFSET, 0);
        buffer.putIntOrdered(s + SLOT_RXTX_MAPPED_OFFSET, 1);
    }

    /** How many partition information descriptors the partition manager last wrote to the slot's RX; 0 when none. */
    public int rxPartitionInfoCount(final int slot)
    {
        return buffer.getIntVolatile(slotOffset(slot) + SLOT_RX_PARTITION_INFO_OFFSET);
    }

    public void rxPartitionInfoCount(final int slot, final int count)
    {
        buffer.putIntOrdered(slotOffset(slot) + SLOT_RX_PARTITION_INFO_OFFSET, count);
    }

    public void rxtxUnmap(final int slot)
    {
        final int s = slotOffset(slot);
        buffer.putIntOrdered(s + SLOT_RXTX_MAPPED_OFFSET, 0);
        buffer.putLong(s + SLOT_TX_ADDRESS_OFFSET, 0, ORDER);
        buffer.putLong(s + SLOT_RX_ADDRESS_OFFSET, 0, ORDER);
        buffer.putInt(s + SLOT_RXTX_PAGE_COUNT_OFFSET, 0, ORDER);
        buffer.putIntOrdered(s + SLOT_RX_PARTITION_INFO_OFFSET, 0);
        buffer.putIntOrdered(s + SLOT_RX_OWNERSHIP_OFFSET, BufferOwnership.PRODUCER);
    }

    /** Marks claim {@code generation} of the slot aborted: an SP init of it failed. */
    public void abortClaim(final int slot, final int generation)
    {
        buffer.putIntOrdered(slotOffset(slot) + SLOT_ABORTED_GENERATION_OFFSET, generation);
    }

    /** True while the slot's claim is one that {@link #abortClaim} marked: not once it has ended, nor a later one. */
    public boolean isClaimAborted(final int slot)
    {
        final int aborted = buffer.getIntVolatile(slotOffset(slot) + SLOT_ABORTED_GENERATION_OFFSET);
        final long claim = claimWord(slot);
        return aborted != 0 && pidOf(claim) != 0 && aborted == generationOf(claim);
    }

    /** The entry point FFA_SECONDARY_EP_REGISTER recorded for the claim: 0 when none has been. */
    public long secondaryEntryPoint(final int slot)
    {
        return buffer.getLongVolatile(slotOffset(slot) + SLOT_SECONDARY_EP_OFFSET);
    }

    public void secondaryEntryPoint(final int slot, final long entryPoint)
    {
        buffer.putLongOrdered(slotOffset(slot) + SLOT_SECONDARY_EP_OFFSET, entryPoint);
    }

    /** Acquire load of the RX ownership word. */
    public int rxOwnership(final int slot)
    {
        return buffer.getIntVolatile(slotOffset(slot) + SLOT_RX_OWNERSHIP_OFFSET);
    }

    /** Release store of the RX ownership word: only the partition manager calls this. */
    public void rxOwnership(final int slot, final int ownership)
    {
        buffer.putIntOrdered(slotOffset(slot) + SLOT_RX_OWNERSHIP_OFFSET, ownership);
    }

    /**
     * Hands RX back from {@code owner}: a compare-and-set, because an unmap by the partition manager
     * may take RX from its owner at any moment, and a plain store after the owner's check could then
     * overwrite whoever got RX next.
     */
    public boolean rxOwnershipCompareAndSet(final int slot, final int owner, final int ownership)
    {
        return buffer.compareAndSetInt(slotOffset(slot) + SLOT_RX_OWNERSHIP_OFFSET, owner, ownership);
    }

    /**
     * FFA_RX_RELEASE: hands RX back to the producer from {@code owner} (the consumer, or the hypervisor
     * for a VM's RX it acquired); false, DENIED, when no pair is mapped or {@code owner} does not hold RX.
     */
    public boolean releaseRx(final int slot, final int owner)
    {
        return rxtxMapped(slot) && rxOwnershipCompareAndSet(slot, owner, BufferOwnership.PRODUCER);
    }

    public int txOwnership(final int slot)
    {
        return buffer.getIntVolatile(slotOffset(slot) + SLOT_TX_OWNERSHIP_OFFSET);
    }

    public void txOwnership(final int slot, final int ownership)
    {
        buffer.putIntOrdered(slotOffset(slot) + SLOT_TX_OWNERSHIP_OFFSET, ownership);
    }

    // Execution-context state words.

    public int ecStateOffset(final int slot, final int ec)
    {
        return firstEcStateOffsets[slot] + ec * EC_STATE_LENGTH;
    }

    public long ecState(final int stateOffset)
    {
        return buffer.getLongVolatile(stateOffset);
    }

    public boolean ecStateCompareAndSet(final int stateOffset, final long expected, final long update)
    {
        return buffer.compareAndSetLong(stateOffset, expected, update);
    }

    /** Release store: for transitions only the context itself may make. */
    public void ecStateOrdered(final int stateOffset, final long update)
    {
        buffer.putLongOrdered(stateOffset, update);
    }

    /** What a target last said, in the context at {@code stateOffset}, of an answer it could not send it. */
    public long lostAnswer(final int stateOffset)
    {
        return buffer.getLongVolatile(stateOffset + EC_LOST_ANSWER_OFFSET);
    }

    /**
     * Release store, by a target into its requester's record ({@link ExecutionContextState#lostAnswer}):
     * it has one request outstanding at a time, so no other target writes it meanwhile.
     */
    public void lostAnswer(final int stateOffset, final long lostAnswer)
    {
        buffer.putLongOrdered(stateOffset + EC_LOST_ANSWER_OFFSET, lostAnswer);
    }

    /**
     * Adds one to a counter only one thread writes at a time ({@link FabricCounters}): a release store,
     * no locked instruction, so a reader from outside sees each count whole.
     */
    public void countOrdered(final int counterId)
    {
        final int offset = countersValuesOffset + CountersReader.counterOffset(counterId);
        buffer.putLongRelease(offset, buffer.getLong(offset) + 1);
    }

    /** Sets a counter that one thread writes and that goes down as well as up: a release store. */
    public void counterOrdered(final int counterId, final long value)
    {
        buffer.putLongRelease(countersValuesOffset + CountersReader.counterOffset(counterId), value);
    }

    /** Adds one to a counter that several threads or processes write. */
    public void countAtomic(final int counterId)
    {
        buffer.getAndAddLong(countersValuesOffset + CountersReader.counterOffset(counterId), 1);
    }

    public long counter(final int counterId)
    {
        return buffer.getLongVolatile(countersValuesOffset + CountersReader.counterOffset(counterId));
    }

    /** The index, among every context of the fabric, of the first context of the partition in {@code slot}. */
    public int firstEc(final int slot)
    {
        return (firstEcStateOffsets[slot] - buffer.getInt(EC_TABLE_OFFSET_OFFSET, ORDER)) / EC_STATE_LENGTH;
    }

    /** A reader of the fabric's counters, as Agrona reads any: labels, types, keys and values. */
    public CountersReader countersReader()
    {
        final int ecCount = buffer.getInt(EC_COUNT_OFFSET, ORDER);
        return new CountersReader(
            new UnsafeBuffer(buffer, countersMetadataOffset, FabricCounters.metadataLength(partitionCount, ecCount)),
            new UnsafeBuffer(buffer, countersValuesOffset, FabricCounters.valuesLength(partitionCount, ecCount)),
            StandardCharsets.US_ASCII);
    }

    /** Unmaps the file; the buffer is emptied first, so a stale access throws rather than faults. */
    public void close()
    {
        buffer.wrap(0, 0);
        IoUtil.unmap(mapped);
    }
}
