package org.ffafabric.pm;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.Configuration;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.exceptions.RegistrationException;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.SystemUtil;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.ffafabric.Threads;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.BufferOwnership;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ControlFileDescriptor;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricCounters;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.control.FabricLock;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.ManifestParser;
import org.ffafabric.manifest.PartitionManifest;
import org.ffafabric.memory.EndpointMemory;
import org.ffafabric.transport.AeronTuning;
import org.ffafabric.transport.DriverCounters;
import org.ffafabric.transport.TrapProtocol;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The partition manager: owns the fabric directory, the control file and every endpoint's
 * memory, runs the embedded media driver, and answers the control-plane traps. It is off
 * the direct-message hot path and idles politely when there is nothing to do.
 */
public final class PartitionManager implements Agent, AutoCloseable
{
    private static final long LIVENESS_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);
    // Clients check every 100 ms; a close takes them a few more.
    private static final long CLIENTS_CLOSE_WAIT_NS = TimeUnit.SECONDS.toNanos(1);
    // A launch removing a dead manager's directory holds its lock a moment: long enough under any load.
    private static final long REMOVAL_WAIT_NS = TimeUnit.SECONDS.toNanos(5);
    private static final long REMOVAL_POLL_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final Context ctx;
    private final FabricLock lock;
    private final ControlFile controlFile;
    private final EndpointMemory[] memories;
    private final MediaDriver driver;
    private final Aeron aeron;
    private final RingBuffer driverCommands;
    private final Subscription subscription;
    private final SetupAndDiscovery setupAndDiscovery;
    private final Replies replies;
    private final Int2ObjectHashMap<Caller> callers = new Int2ObjectHashMap<>();
    // The callers bound to each slot, kept so the liveness check need not walk them all for every slot.
    private final int[] bound;
    private final RegisterFile regs = new RegisterFile();
    private final FragmentHandler trapHandler = this::onTrap;
    private final AgentRunner runner;
    private long nextLivenessCheckNs;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closeReturned = new CountDownLatch(1);
    private boolean endedWithoutClient;
    // The directory held a fabric whose manager had died, removed before this one was made; its PID, 0 unknown.
    private final boolean replacedDeadFabric;
    private final long deadManagerPid;

    private PartitionManager(final Context ctx)
    {
        this.ctx = ctx;
        final Path dir = ctx.directory();
        final long replaced = prepareDirectory(dir);
        replacedDeadFabric = replaced != NOT_REMOVED;
        deadManagerPid = Math.max(replaced, 0);
        final String aeronDir = ctx.aeronDirectoryName() != null ?
            ctx.aeronDirectoryName() : FabricDirectory.aeronDirectory(dir).toString();
        // The driver's and our client's duty cycles run in ours: one thread that sleeps when idle,
        // where three would each wake a thousand times a second and take a partition's core.
        // Its errors (a log with no room or no counter left) go to our handler too, not only to cnc.dat.
        final MediaDriver.Context driverCtx = ctx.embeddedDriver() ? withCountersFor(ctx, AeronTuning.driver(
            new MediaDriver.Context().aeronDirectoryName(aeronDir)).threadingMode(ThreadingMode.INVOKER)
            .errorHandler(ctx.errorHandler())) : null;
        requireRoom(dir, ctx.manifest(), driverCtx);
        FabricDirectory.createOwnerOnlyDirectory(dir);
        // Before the first file: from here until the directory is gone, nobody takes it for a dead manager's.
        try
        {
            lock = FabricLock.create(dir);
        }
        catch (final RuntimeException ex)
        {
            // No lock on this file system: the directory we just made stays empty, so nothing is left.
            try
            {
                Files.deleteIfExists(dir);
            }
            catch (final java.io.IOException ignore)
            {
                // Not empty: another launch's files since, not ours to remove.
            }
            throw ex;
        }
        if (lock == null)
        {
            // Another launch took the directory between our making it and locking it: it runs the fabric now.
            throw new FabricInUseException(dir, FabricLock.makerPid(dir));
        }
        final List<PartitionManifest> partitions = ctx.manifest().partitions();
        memories = new EndpointMemory[partitions.size()];
        bound = new int[partitions.size()];
        MediaDriver startedDriver = null;
        Aeron startedAeron = null;
        ControlFile createdControlFile = null;
        Subscription startedSubscription = null;
        try
        {
            for (int slot = 0; slot < partitions.size(); slot++)
            {
                final PartitionManifest p = partitions.get(slot);
                memories[slot] = EndpointMemory.create(
                    FabricDirectory.memoryFile(dir, p.id()), p.memorySize(), ctx.memoryBase());
            }
            createdControlFile = ControlFile.create(
                FabricDirectory.controlFile(dir), ctx.manifest(), FfaVersion.LATEST, ctx.memoryBase(),
                ctx.aeronDirectoryName());
            final Aeron.Context aeronCtx = AeronTuning.client(new Aeron.Context().aeronDirectoryName(aeronDir))
                .useConductorAgentInvoker(true).errorHandler(ctx.errorHandler());
            if (driverCtx != null)
            {
                startedDriver = MediaDriver.launchEmbedded(driverCtx);
                aeronCtx.driverAgentInvoker(startedDriver.sharedAgentInvoker());
            }
            startedAeron = Aeron.connect(aeronCtx);
            startedSubscription = startedAeron.addSubscription(TrapProtocol.CHANNEL, TrapProtocol.PM_STREAM_ID);
            // Before any claim can be bound: our duty cycle, which binds them, has not started.
            createdControlFile.peerLogBudget(
                peerLogBudget(ctx.manifest(), DriverCounters.free(startedAeron.countersReader())));
        }
        catch (final RuntimeException | Error ex)
        {
            // An Error too: a file made through its mapping faults (SIGBUS) where its room ran out. The
            // lock goes with the directory, or every later launch there in this JVM would be refused.
            CloseHelper.quietCloseAll(startedAeron, startedDriver, createdControlFile);
            CloseHelper.quietCloseAll(memories);
            lock.deleteDirectory();
            throw ex;
        }
        controlFile = createdControlFile;
        driver = startedDriver;
        aeron = startedAeron;
        // Through our client's mapping of cnc.dat, which Aeron unmaps when it closes the client: read only
        // while the client is open (doWork ends the moment it finds it closed).
        driverCommands = startedAeron.context().toDriverBuffer();
        subscription = startedSubscription;
        setupAndDiscovery = new SetupAndDiscovery(controlFile, memories);
        replies = new Replies(controlFile, ctx.errorHandler(), ctx.replyTimeoutNs(), Replies.MAX_WAITING_REPLIES);
        runner = new AgentRunner(ctx.idleStrategy(), ctx.errorHandler(), null, this);
    }

    /** Starts a partition manager on its own thread. */
    public static PartitionManager launch(final Context ctx)
    {
        ctx.conclude();
        final PartitionManager pm = new PartitionManager(ctx);
        AgentRunner.startOnThread(pm.runner);
        return pm;
    }

    /** {@link #removeIfDead}: nothing removed. */
    private static final long NOT_REMOVED = -1;

    /**
     * A fabric directory left by a partition manager that died is removed, here and among its
     * siblings (crashed runs leave them), with any tomb beside whose remover died ({@link
     * FabricLock#removeTomb}); one a live manager runs, or is still making, is refused
     * here and left alone beside. Here, one whose lock is held by a process that did not make it is
     * waited for a while: another launch removing it for a dead manager's, its own or one beside.
     *
     * @return the PID of the dead manager whose fabric was removed here (0 when its lock named none), or
     *         {@link #NOT_REMOVED}.
     */
    private static long prepareDirectory(final Path dir)
    {
        if (Files.isSymbolicLink(dir))
        {
            // Removing an empty directory to make it again owner-only would remove the link, and make the fabric
            // in its place, on the link's file system; a link to nothing cannot be made a directory.
            throw new IllegalStateException(dir + " is a symbolic link (to " + linkTarget(dir) +
                "): give the directory itself");
        }
        long removed = NOT_REMOVED;
        final long deadline = System.nanoTime() + REMOVAL_WAIT_NS;
        while (Files.exists(dir))
        {
            if (!Files.isDirectory(dir))
            {
                throw new IllegalStateException(dir + " is a file, not a directory (give a new or empty directory)");
            }
            if (!holdsOnlyFabricFiles(dir))
            {
                if (Files.exists(dir))
                {
                    // The user's directory, not a fabric: launching would delete what is in it.
                    throw new IllegalStateException(dir + " is not a fabric directory: it holds files a fabric " +
                        "does not make (give a new or empty directory)");
                }
                // Gone as we looked: removed by another launch.
            }
            else if (!isLeftByALaunch(dir))
            {
                if (Files.exists(dir))
                {
                    // As beside: aeron/ alone is the user's Aeron directory, idle to look at while its driver runs.
                    throw new IllegalStateException(dir + " is not a fabric directory: it holds " + FabricDirectory.AERON_DIR +
                        "/ with no " + FabricLock.FILE_NAME + " or " + ControlFileDescriptor.FILE_NAME +
                        ", which no launch leaves (give a new or empty directory)");
                }
            }
            else if (isEmpty(dir) ? deleteEmpty(dir) : (removed = removeIfDead(dir)) != NOT_REMOVED)
            {
                break;
            }
            else if (FabricLock.isMakerRunning(dir))
            {
                throw new FabricInUseException(dir, FabricLock.makerPid(dir));
            }
            else if (System.nanoTime() - deadline >= 0)
            {
                // Still not ours after the wait: what holds it is taken at its word, and the refusal says what it is.
                throw new IllegalStateException("a partition manager may run the fabric in " + dir + ": " +
                    (Files.exists(FabricLock.file(dir)) ?
                    "its " + FabricLock.FILE_NAME + " has been held for " + TimeUnit.NANOSECONDS.toSeconds(REMOVAL_WAIT_NS) +
                    " s by a process that did not make it (another launch removing it, or a manager in another PID namespace)" :
                    "it has no " + FabricLock.FILE_NAME + ", and a manager from a build without one died less than " +
                    ControlFileDescriptor.PM_HEARTBEAT_TIMEOUT_MS / 1000 + " s ago, or runs it"));
            }
            else
            {
                // Held by a launch removing it, about to go or let go; or no lock yet to tell by.
                LockSupport.parkNanos(REMOVAL_POLL_NS);
            }
        }
        final Path parent = dir.toAbsolutePath().getParent();
        if (parent != null)
        {
            try (java.util.stream.Stream<Path> siblings = Files.list(parent))
            {
                // A link is left, as our own directory given as one is refused: what it names is elsewhere, maybe
                // anyone's link to the launching user's files (all of them are checked, and removed, through it).
                siblings.filter(p -> !p.equals(dir.toAbsolutePath()) &&
                    Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).forEach(PartitionManager::sweep);
            }
            catch (final java.io.IOException | RuntimeException ignore)
            {
                // Sweeping is best effort; our own directory was handled above.
            }
        }
        return removed;
    }

    /** Removes a sibling left by a dead launch; one that fails to go is left, and the sweep goes on. */
    private static void sweep(final Path sibling)
    {
        try
        {
            if (FabricLock.isTomb(sibling))
            {
                // A removal cut short by its remover's death.
                if (holdsOnlyFabricFiles(sibling))
                {
                    FabricLock.removeTomb(sibling);
                }
            }
            // An empty one holds nothing to free, and may be the user's, made for a launch to come.
            else if (sibling.getFileName().toString().startsWith(FabricDirectory.PREFIX) &&
                holdsOnlyFabricFiles(sibling) && !isEmpty(sibling) && isLeftByALaunch(sibling))
            {
                removeIfDead(sibling);
            }
        }
        catch (final RuntimeException ignore)
        {
            // Not ours to remove after all (another user's, read-only, immutable): best effort.
        }
    }

    /**
     * Removes a fabric directory whose manager has died, and says whether it did. Its lock says so;
     * without one (a build from before the lock, or a launch between making the directory and its
     * lock) its control file does, or, with none yet, nothing in it having changed for as long as a
     * heartbeat takes to go stale. Removed under its lock, so no other launch acts on it meanwhile.
     *
     * @return the dead manager's PID as its lock named it (0 for none), or {@link #NOT_REMOVED}.
     */
    private static long removeIfDead(final Path dir)
    {
        // Read before the take: to be told, only.
        final long pid = FabricLock.makerPid(dir);
        FabricLock dead = FabricLock.tryTake(dir);
        if (dead == null)
        {
            if (Files.exists(FabricLock.file(dir)) || !isDeadWithoutLock(dir))
            {
                return NOT_REMOVED;
            }
            dead = FabricLock.create(dir);
            if (dead == null)
            {
                return NOT_REMOVED;
            }
        }
        dead.deleteDirectory();
        return pid;
    }

    private static String linkTarget(final Path link)
    {
        try
        {
            return Files.readSymbolicLink(link).toString();
        }
        catch (final java.io.IOException ex)
        {
            return "?";
        }
    }

    /** An empty directory (the user's, made for this launch) is made again, owner-only; false when it fills meanwhile. */
    private static boolean deleteEmpty(final Path dir)
    {
        try
        {
            Files.deleteIfExists(dir);
            return true;
        }
        catch (final java.nio.file.DirectoryNotEmptyException ex)
        {
            return false;
        }
        catch (final java.io.IOException ex)
        {
            // Not a fabric being made: its parent will not let it go (read-only, or a mount point).
            throw FabricDirectory.cannotMake(dir, ex);
        }
    }

    private static boolean isEmpty(final Path dir)
    {
        try (java.util.stream.Stream<Path> entries = Files.list(dir))
        {
            return entries.findAny().isEmpty();
        }
        catch (final java.io.IOException ex)
        {
            return false;
        }
    }

    /**
     * Sizes the embedded driver's counters for the manifest ({@link DriverCounters#forFabric}): every
     * context's claim logs, and {@link Context#peerLogsPerContext} logs between contexts for each
     * context, or as many as all of them sending to every context of every other partition, where
     * that is fewer. Aeron's own setting, when given, is a floor.
     */
    private static MediaDriver.Context withCountersFor(final Context ctx, final MediaDriver.Context driverCtx)
    {
        final Manifest manifest = ctx.manifest();
        final long peerLogs = Math.min((long)ctx.peerLogsPerContext() * manifest.executionContextCount(), allPeerLogs(manifest));
        final long counters = DriverCounters.forFabric(
            manifest.partitions().size(), manifest.executionContextCount(), manifest.largestExecutionContextCount(), peerLogs);
        final int length;
        try
        {
            length = DriverCounters.valuesBufferLength(counters);
        }
        catch (final IllegalStateException ex)
        {
            throw new IllegalStateException("the media driver cannot hold the counters of " + manifest.executionContextCount() +
                " execution contexts with " + ctx.peerLogsPerContext() + " peer logs each (" + ex.getMessage() +
                "): ask for fewer peer logs per context", ex);
        }
        final boolean configured = System.getProperty(Configuration.COUNTERS_VALUES_BUFFER_LENGTH_PROP_NAME) != null;
        return driverCtx.counterValuesBufferLength(
            configured ? Math.max(length, driverCtx.counterValuesBufferLength()) : length);
    }

    /**
     * The logs between contexts the driver's counters hold beside every context's claim logs, from
     * the counters it has free now: no more than all contexts sending to every context of every
     * other partition. Past it a context's first message to another is refused, FFA_ERROR(NO_MEMORY),
     * and claims always find their counters.
     */
    private static int peerLogBudget(final Manifest manifest, final long freeCounters)
    {
        // A heartbeat for each client yet to come: a process per partition at most, and a tool.
        final long spare = freeCounters - manifest.partitions().size() - 1 -
            DriverCounters.reservedForClaims(manifest.executionContextCount(), manifest.largestExecutionContextCount());
        return (int)Math.max(0, Math.min(Math.min(spare / DriverCounters.PER_LOG, allPeerLogs(manifest)), Integer.MAX_VALUE));
    }

    /** Every context with a log to every context of every other partition: the most a fabric's contexts make between them. */
    public static long allPeerLogs(final Manifest manifest)
    {
        final long contexts = manifest.executionContextCount();
        long logs = 0;
        for (final PartitionManifest p : manifest.partitions())
        {
            logs += p.executionContextCount() * (contexts - p.executionContextCount());
        }
        return logs;
    }

    /**
     * Refuses a launch its file system has no room for, before anything is made. The memory files,
     * the control file and the driver's cnc.dat are written in full as they are made, the last two
     * through their mappings, where a page without room faults (SIGBUS) rather than fails.
     */
    private static void requireRoom(final Path dir, final Manifest manifest, final MediaDriver.Context driverCtx)
    {
        long memory = 0;
        for (final PartitionManifest p : manifest.partitions())
        {
            memory += p.memorySize();
        }
        final long control = BitUtil.align((long)ControlFileDescriptor.fileLength(
            manifest.partitions().size(), manifest.executionContextCount()), EndpointMemory.PAGE_SIZE);
        final long driver = driverCtx != null ? AeronTuning.cncFileLength(driverCtx) : 0;
        final FileStore store = FabricDirectory.fileStore(dir);
        final boolean driverHere = driverCtx != null &&
            store.equals(FabricDirectory.fileStore(Paths.get(driverCtx.aeronDirectoryName())));
        final long needed = memory + control + (driverHere ? driver : 0);
        final long usable = FabricDirectory.usableSpace(store, dir);
        if (needed > usable)
        {
            throw new IllegalStateException("no room for the fabric in " + dir + ": it needs " + needed + " bytes (" +
                memory + " for its partitions' memory, " + control + " for the control file" +
                (driverHere ? ", " + driver + " for the media driver's cnc.dat" : "") + ") and " + usable +
                " are usable; each execution context claimed then takes two logs of " +
                AeronTuning.logLength(AeronTuning.ipcTermLength()) + " bytes");
        }
        if (driverCtx != null && !driverHere)
        {
            final Path driverDir = Paths.get(driverCtx.aeronDirectoryName());
            final long driverUsable = FabricDirectory.usableSpace(FabricDirectory.fileStore(driverDir), driverDir);
            if (driver > driverUsable)
            {
                throw new IllegalStateException("no room for the media driver in " + driverDir + ": its cnc.dat takes " +
                    driver + " bytes and " + driverUsable + " are usable");
            }
        }
    }

    /**
     * A directory, and nothing in it but what a partition manager makes (the control file, memory
     * files, the Aeron directory): a fabric, or what one that died while creating it left.
     */
    private static boolean holdsOnlyFabricFiles(final Path dir)
    {
        if (!Files.isDirectory(dir))
        {
            return false;
        }
        try (java.util.stream.Stream<Path> entries = Files.list(dir))
        {
            return entries.map(p -> p.getFileName().toString()).allMatch(name ->
                name.equals(ControlFileDescriptor.FILE_NAME) || name.equals(FabricDirectory.AERON_DIR) ||
                name.equals(ControlFileDescriptor.FILE_NAME + ControlFileDescriptor.MAKING_SUFFIX) ||
                name.equals(FabricLock.FILE_NAME) || name.matches(FabricLock.MAKING_PATTERN) ||
                name.matches("mem-[0-9a-f]{4}\\.dat"));
        }
        catch (final java.io.IOException ex)
        {
            return false;
        }
    }

    /**
     * A sibling a launch could have left: one with its lock or control file (made or being made), or
     * memory files alone (a build before the lock dying before its control file). A launch starts
     * the driver after its control file, so aeron/ with neither is not a fabric's: the user's own
     * Aeron directory, whose driver writes only through its mapping and so looks idle.
     */
    private static boolean isLeftByALaunch(final Path dir)
    {
        try (java.util.stream.Stream<Path> entries = Files.list(dir))
        {
            final List<String> names = entries.map(p -> p.getFileName().toString()).toList();
            return !names.contains(FabricDirectory.AERON_DIR) || names.stream().anyMatch(name ->
                name.equals(FabricLock.FILE_NAME) || name.matches(FabricLock.MAKING_PATTERN) ||
                name.equals(ControlFileDescriptor.FILE_NAME) ||
                name.equals(ControlFileDescriptor.FILE_NAME + ControlFileDescriptor.MAKING_SUFFIX));
        }
        catch (final java.io.IOException ex)
        {
            return false;
        }
    }

    /**
     * A directory with no lock: dead when its control file says its manager has gone (its process
     * gone and its heartbeat stopped), else, unreadable or not there yet, when nothing in it has
     * changed for {@link ControlFileDescriptor#PM_HEARTBEAT_TIMEOUT_MS}: a launch writes its memory
     * files and control file in turn.
     */
    private static boolean isDeadWithoutLock(final Path dir)
    {
        final Path ctl = FabricDirectory.controlFile(dir);
        if (Files.exists(ctl))
        {
            try (ControlFile existing = ControlFile.open(ctl))
            {
                return existing.isPartitionManagerGone();
            }
            catch (final RuntimeException ex)
            {
                // Half-written by a manager that died creating it, or one creating it now.
            }
        }
        try (java.util.stream.Stream<Path> entries = Files.list(dir))
        {
            long newest = Files.getLastModifiedTime(dir).toMillis();
            for (final Path p : (Iterable<Path>)entries::iterator)
            {
                newest = Math.max(newest, Files.getLastModifiedTime(p).toMillis());
            }
            return System.currentTimeMillis() - newest > ControlFileDescriptor.PM_HEARTBEAT_TIMEOUT_MS;
        }
        catch (final java.io.IOException | java.io.UncheckedIOException ex)
        {
            return false;
        }
    }

    public String roleName()
    {
        return "ffa-partition-manager";
    }

    public Path directory()
    {
        return ctx.directory();
    }

    /** True when its directory held the fabric of a partition manager that had died, removed before this one was made. */
    public boolean replacedDeadFabric()
    {
        return replacedDeadFabric;
    }

    /** That dead manager's PID, as its lock named it; 0 when none did, or nothing was replaced. */
    public long deadManagerPid()
    {
        return deadManagerPid;
    }

    public ControlFile controlFile()
    {
        return controlFile;
    }

    public int doWork()
    {
        final long commandsRead = driver != null ? driverCommands.consumerPosition() : 0;
        serviceAeron();
        if (aeron.isClosed())
        {
            endWithoutClient();
        }
        // Only traps, waiting replies delivered, and clients' commands to our embedded driver count as
        // work: the driver has some on every cycle while partitions talk (a publisher's limit moves), and
        // counting that would keep this thread from ever sleeping, a third runnable thread on two cores;
        // so would a reply still waiting for a caller that may never read. A command (a log added or
        // closed) comes with a claim or a close, whose next command should not wait out a sleep.
        int work = replies.offerWaiting();
        work += subscription.poll(trapHandler, 16);
        if (driver != null && driverCommands.consumerPosition() != commandsRead)
        {
            work++;
        }
        final long now = System.nanoTime();
        if (now >= nextLivenessCheckNs)
        {
            nextLivenessCheckNs = now + LIVENESS_INTERVAL_NS;
            controlFile.pmHeartbeat(System.currentTimeMillis());
            work += reapDeadClaims();
        }
        return work;
    }

    private void onTrap(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int sessionId = header.sessionId();
        final boolean registers = TrapProtocol.isMessageLength(length);
        regs.clear();
        if (registers)
        {
            regs.buffer().putBytes(0, buffer, offset, length);
            if (regs.functionId() == TrapProtocol.FABRIC_CLAIM)
            {
                bind(sessionId);
                return;
            }
        }
        final Caller caller = callers.get(sessionId);
        if (caller == null)
        {
            // Not a claimed context: there is nobody to answer. A release is the rest of a claim that failed,
            // whose other contexts were never bound, and goes quietly as ever.
            if (!registers)
            {
                dropTrap(sessionId, "a fragment of " + length + " bytes, from a session no claimed context has");
            }
            else if (regs.functionId() != TrapProtocol.FABRIC_RELEASE)
            {
                dropTrap(sessionId, "no claimed context has its session");
            }
            return;
        }
        if (!registers)
        {
            // Not a register file, whatever its first bytes say; its context waits for an answer all the same.
            regs.error(ErrorCode.INVALID_PARAMETERS);
        }
        else if (regs.functionId() == TrapProtocol.FABRIC_RELEASE)
        {
            release(caller);
            return;
        }
        else
        {
            dispatch(caller, regs);
        }
        controlFile.countOrdered(FabricCounters.trapsId(caller.slot));
        replies.send(caller, regs);
    }

    /**
     * Traps dropped so far: from a session no claimed context has (but releases, which a claim that failed
     * sends for contexts never bound), or a claim the control file does not hold. Anything that can open
     * the Aeron directory can publish on our stream. Read while the manager runs (its counter, which
     * {@code ffa counters} shows too).
     */
    public long droppedTraps()
    {
        return controlFile.counter(FabricCounters.trapsDroppedId());
    }

    /**
     * Counts a trap dropped, and tells the error handler of the 1st, 2nd, 4th, 8th... of them only: a flood of
     * forged traps is told of a few dozen times at most, however long it lasts.
     */
    private void dropTrap(final int sessionId, final String why)
    {
        controlFile.countOrdered(FabricCounters.trapsDroppedId());
        final long dropped = controlFile.counter(FabricCounters.trapsDroppedId());
        if ((dropped & (dropped - 1)) == 0)
        {
            ctx.errorHandler().onError(new IllegalStateException(String.format(
                "dropped trap %d (told of at each power of two): %s, session 0x%08x (partition 0x%04x, context %d, " +
                "generation %d)", dropped, why, sessionId, TrapProtocol.partitionIdOf(sessionId),
                TrapProtocol.ecOf(sessionId), TrapProtocol.generationOf(sessionId))));
        }
    }

    /** One case per trapped ABI; the endpoint runtime answers direct messaging and RX_RELEASE itself. */
    private void dispatch(final Caller caller, final RegisterFile regs)
    {
        // The SVE hint names no function: the callee decodes the ID without it (the runtime clears it too).
        final int functionId = FunctionId.withoutSveHint(regs.functionId());
        regs.w(0, functionId);
        if (FunctionId.isSmc64(functionId) && !controlFile.isAarch64(caller.slot))
        {
            // SMCCC: AArch32 has no SMC64, so such an ID is an unknown function (the runtime refuses it first).
            regs.error(ErrorCode.NOT_SUPPORTED);
            return;
        }
        if (functionId != FunctionId.FFA_VERSION)
        {
            final int version = controlFile.negotiatedVersion(caller.slot);
            final int introduced = FunctionId.introducedIn(functionId);
            if (introduced == 0 || introduced > version)
            {
                regs.error(ErrorCode.NOT_SUPPORTED);
                return;
            }
        }
        switch (functionId)
        {
            case FunctionId.FFA_VERSION: setupAndDiscovery.version(caller, regs); break;
            case FunctionId.FFA_FEATURES: setupAndDiscovery.features(caller, regs); break;
            case FunctionId.FFA_ID_GET: setupAndDiscovery.idGet(caller, regs); break;
            case FunctionId.FFA_SPM_ID_GET: setupAndDiscovery.spmIdGet(regs); break;
            case FunctionId.FFA_RXTX_MAP_32:
            case FunctionId.FFA_RXTX_MAP_64: setupAndDiscovery.rxtxMap(caller, regs); break;
            case FunctionId.FFA_RXTX_UNMAP: setupAndDiscovery.rxtxUnmap(caller, regs); break;
            case FunctionId.FFA_RX_ACQUIRE: setupAndDiscovery.rxAcquire(caller, regs); break;
            case FunctionId.FFA_PARTITION_INFO_GET: setupAndDiscovery.partitionInfoGet(caller, regs); break;
            case FunctionId.FFA_PARTITION_INFO_GET_REGS: setupAndDiscovery.partitionInfoGetRegs(caller, regs); break;
            default: regs.error(ErrorCode.NOT_SUPPORTED); break;
        }
    }

    /**
     * Aeron closes a client that went unserviced past the driver's client liveness timeout (this thread
     * stalled: a debugger, a SIGSTOP, a starved machine), or whose driver went, and every log and mapping
     * with it: the fabric has no manager from here. Clients are told as by a close, and the duty cycle ends.
     */
    private void endWithoutClient()
    {
        controlFile.endPartitionManager(ControlFileDescriptor.PM_CUT_OFF);
        endedWithoutClient = true;
        throw new AgentTerminationException("the partition manager's Aeron client was closed (unserviced for longer " +
            "than the driver's client liveness timeout, or its driver gone): the fabric " + ctx.directory() +
            " has no partition manager");
    }

    /** One duty cycle of the embedded driver (when there is one) and of our Aeron client. */
    private void serviceAeron()
    {
        if (driver != null)
        {
            driver.sharedAgentInvoker().invoke();
        }
        AeronTuning.serviceConductor(aeron.conductorAgentInvoker());
    }

    /** Binds a session to the context whose claim it names, after checking the claim in the control file. */
    private void bind(final int sessionId)
    {
        final int partitionId = TrapProtocol.partitionIdOf(sessionId);
        final int ec = TrapProtocol.ecOf(sessionId);
        final int slot = controlFile.slotOf(partitionId);
        final long pid = (regs.w(1) & 0xFFFF_FFFFL) | ((long)regs.w(2) << 32);
        final long claim = slot >= 0 ? controlFile.claimWord(slot) : 0;
        final boolean thisGeneration = (ControlFile.generationOf(claim) & 0xFF) == TrapProtocol.generationOf(sessionId);
        if (slot >= 0 && ControlFile.pidOf(claim) == 0 && thisGeneration)
        {
            // The rest of a claim that is over, refused or abandoned: its contexts' claims come together, in no order.
            return;
        }
        if (slot < 0 || ec >= controlFile.executionContextCount(slot) || pid == 0 ||
            ControlFile.pidOf(claim) != pid || !thisGeneration)
        {
            dropTrap(sessionId, "a claim the control file does not hold (PID " + pid + ")");
            return;
        }
        final int generation = ControlFile.generationOf(claim);
        // A session bound already is this claim's, or (its generation's low eight bits the same) one 256 or more before it.
        final Caller stale = removeCaller(sessionId);
        reapEarlierClaim(slot, generation, stale != null && stale.generation != generation);
        // Each claim generation gets its own reply session: the driver refuses a publication whose
        // session ID clashes with a closed one that still lingers on the stream, and a reused IPC
        // publication can replay old replies to the new claim's inbox.
        final ExclusivePublication reply;
        try
        {
            reply = stale != null ? stale.reply : aeron.addExclusivePublication(
                TrapProtocol.publicationChannel(TrapProtocol.replySessionId(TrapProtocol.generationOf(sessionId))),
                TrapProtocol.inboxStreamId(partitionId, ec));
        }
        catch (final RegistrationException ex)
        {
            // No room for the log in the driver's file system, no counter left, or its session ID still held by a
            // closed log: with no log there is no reply, so the claimer learns it from the control file, and nothing
            // is bound. The manager does not wait in its duty cycle for the driver's next timer check.
            refuseClaim(slot, claim, ec, refusalCause(ex, DriverCounters.noneFree(aeron.countersReader())), ex);
            return;
        }
        if (stale == null && !reply.isConnected() && DriverCounters.noneFree(aeron.countersReader()))
        {
            // Made, but the driver had no counter left for its subscriber's position, and will never
            // link it to the claimer's inbox: the reply would wait for it in vain.
            reply.close();
            refuseClaim(slot, claim, ec, ControlFileDescriptor.REFUSED_NO_COUNTER, null);
            return;
        }
        final Caller caller = new Caller(sessionId, slot, partitionId, ec, generation, reply);
        callers.put(sessionId, caller);
        bound[slot]++;
        final int stateOffset = controlFile.ecStateOffset(slot, ec);
        // A new claim owes nothing: a note of an answer lost to an earlier claim names none of its exchanges.
        controlFile.lostAnswer(stateOffset, 0);
        // A secure partition's context starts in its initialisation; the normal world has no such model.
        final int model = EndpointId.isSecure(partitionId) ?
            ExecutionContextState.MODEL_INIT : ExecutionContextState.MODEL_NONE;
        controlFile.ecStateOrdered(stateOffset, ExecutionContextState.pack(
            ExecutionContextState.RUNNING, model, false, 0, 0, controlFile.ecState(stateOffset)));
        regs.success().w(1, TrapProtocol.FABRIC_CLAIM).w(2, generation);
        replies.send(caller, regs);
    }

    /** Why the driver refused a reply log, as the control file records it; {@code noCounterLeft} as the counters show. */
    static int refusalCause(final RegistrationException ex, final boolean noCounterLeft)
    {
        if (DriverCounters.isShortage(ex) || noCounterLeft)
        {
            return ControlFileDescriptor.REFUSED_NO_COUNTER;
        }
        return DriverCounters.isSessionClash(ex) ? ControlFileDescriptor.REFUSED_SESSION_HELD : ControlFileDescriptor.REFUSED_NO_ROOM;
    }

    private void refuseClaim(final int slot, final long claim, final int ec, final int why, final Throwable cause)
    {
        final boolean held = why == ControlFileDescriptor.REFUSED_SESSION_HELD;
        controlFile.refuseClaim(slot, ControlFile.generationOf(claim), ec, held ? ErrorCode.BUSY : ErrorCode.NO_MEMORY, why);
        ctx.errorHandler().onError(new IllegalStateException("refused the claim of " + controlFile.name(slot) +
            " execution context " + ec + ": " + (why == ControlFileDescriptor.REFUSED_NO_COUNTER ?
            "the media driver has no counter left for its reply log (it holds " + (aeron.countersReader().maxCounterId() + 1) +
            ")" : held ? "the media driver still holds a closed log with its reply log's session ID" : "no reply log"), cause));
        if (!hasCallers(slot))
        {
            // Nothing of the claim is bound (nor changed), so no release will let go of the slot. Its claimer,
            // whose contexts' claims come together and cannot tell which were bound, waits for it.
            controlFile.unclaim(slot, ControlFile.generationOf(claim), ControlFile.pidOf(claim));
        }
    }

    /**
     * A context let go by its claim's close. The last of the slot's lets go of the slot, when the claim is
     * still the slot's: a claim taken over from a claimant that died after sending its releases is not
     * (no context of the later claim is bound yet, as its first bind reaps every earlier session), and
     * its releases let go of the earlier claim's contexts and state alone.
     */
    private void release(final Caller caller)
    {
        removeCaller(caller.sessionId);
        caller.reply.close();
        final int stateOffset = controlFile.ecStateOffset(caller.slot, caller.ec);
        controlFile.ecStateOrdered(stateOffset, ExecutionContextState.pack(
            ExecutionContextState.OFF, 0, false, 0, 0, controlFile.ecState(stateOffset)));
        if (!hasCallers(caller.slot))
        {
            resetSlot(caller.slot);
            controlFile.unclaim(caller.slot, caller.generation, ControlFile.pidOf(controlFile.claimWord(caller.slot)));
        }
    }

    /**
     * A claim taken over from a dead process before the liveness check saw it die
     * ({@code Endpoint}'s claim does that) leaves no dead PID for {@link #reapDeadClaims} to find:
     * the first bind of the new generation reaps the earlier one's sessions and state instead. By whole
     * generations: a session ID has its claim's low eight bits alone, so a claim 256 (or more) on has an
     * earlier one's session IDs, and the bind finds one of them bound ({@code staleEarlier}). Such a
     * session is the new claim's too: it stays bound until its own bind takes it over, reusing its reply
     * log, which the driver would not make again while a closed one lingers with its session ID.
     */
    private void reapEarlierClaim(final int slot, final int generation, final boolean staleEarlier)
    {
        boolean earlier = staleEarlier;
        final Int2ObjectHashMap<Caller>.ValueIterator it = callers.values().iterator();
        while (it.hasNext())
        {
            final Caller c = it.next();
            if (c.slot == slot && c.generation != generation)
            {
                earlier = true;
                if ((c.generation & 0xFF) != (generation & 0xFF))
                {
                    replies.discard(c, "its claim was taken over");
                    c.reply.close();
                    it.remove();
                    bound[c.slot]--;
                }
            }
        }
        if (earlier)
        {
            resetSlot(slot);
            releaseContextsServing(controlFile.partitionId(slot));
        }
    }

    private boolean hasCallers(final int slot)
    {
        return bound[slot] > 0;
    }

    private Caller removeCaller(final int sessionId)
    {
        final Caller caller = callers.remove(sessionId);
        if (caller != null)
        {
            replies.discard(caller, "its context was let go of, or bound again by a later claim");
            bound[caller.slot]--;
        }
        return caller;
    }

    /**
     * A claimed partition whose process died (its PID gone, or given to a later process) is aborted
     * and its slot made claimable again; so is the dead claim of a slot a claimer took over and let go
     * of again before the manager bound any of its contexts.
     */
    private int reapDeadClaims()
    {
        int reaped = 0;
        for (int slot = 0; slot < controlFile.partitionCount(); slot++)
        {
            final long claim = controlFile.claimWord(slot);
            final long pid = ControlFile.pidOf(claim);
            // A few small reads of /proc per claimed slot (its state and start), every LIVENESS_INTERVAL_NS.
            // An unclaimed slot whose sessions are still bound was let go of by its claimer, not by us: a
            // take-over of a dead claim that ended before its first bind, which would have reaped that claim.
            if (pid != 0 ? !controlFile.isClaimantAlive(slot, pid) : hasCallers(slot))
            {
                final Int2ObjectHashMap<Caller>.ValueIterator it = callers.values().iterator();
                while (it.hasNext())
                {
                    final Caller c = it.next();
                    if (c.slot == slot)
                    {
                        replies.discard(c, "its claimant died");
                        c.reply.close();
                        it.remove();
                        bound[c.slot]--;
                    }
                }
                for (int ec = 0; ec < controlFile.executionContextCount(slot); ec++)
                {
                    final int stateOffset = controlFile.ecStateOffset(slot, ec);
                    controlFile.ecStateOrdered(stateOffset, ExecutionContextState.pack(
                        ExecutionContextState.ABORTED, 0, false, 0, 0, controlFile.ecState(stateOffset)));
                }
                resetSlot(slot);
                releaseContextsServing(controlFile.partitionId(slot));
                if (controlFile.unclaim(slot, ControlFile.generationOf(claim), pid) && pid != 0)
                {
                    controlFile.countAtomic(FabricCounters.claimsReapedId(slot));
                }
                reaped++;
            }
        }
        return reaped;
    }

    /**
     * Requesters release the contexts they called when they take the answer; a requester that
     * died cannot, so the contexts still running for it (or run by it) go back to WAITING.
     */
    private void releaseContextsServing(final int deadPartitionId)
    {
        for (int slot = 0; slot < controlFile.partitionCount(); slot++)
        {
            for (int ec = 0; ec < controlFile.executionContextCount(slot); ec++)
            {
                final int stateOffset = controlFile.ecStateOffset(slot, ec);
                final long word = controlFile.ecState(stateOffset);
                if (ExecutionContextState.isGivenBackOnPeerDeath(word) &&
                    ExecutionContextState.peerId(word) == deadPartitionId)
                {
                    controlFile.ecStateCompareAndSet(stateOffset, word, ExecutionContextState.waitingAfter(word));
                }
            }
        }
    }

    private boolean anyClaimed()
    {
        for (int slot = 0; slot < controlFile.partitionCount(); slot++)
        {
            if (controlFile.claimPid(slot) != 0)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * A claim has ended: the slot's RX/TX mapping, version and secondary entry point go back, and
     * its peer logs to the budget; a hypervisor's, the VMs' RX buffers it acquired, which nobody
     * else may release.
     */
    private void resetSlot(final int slot)
    {
        controlFile.givePeerLogsBack(slot);
        controlFile.secondaryEntryPoint(slot, 0);
        if (controlFile.rxtxMapped(slot))
        {
            controlFile.rxtxUnmap(slot);
        }
        controlFile.resetVersion(slot, controlFile.manifestVersion(slot));
        if (controlFile.partitionId(slot) == EndpointId.HYPERVISOR)
        {
            for (int vm = 0; vm < controlFile.partitionCount(); vm++)
            {
                // A VM's unmap takes RX back from anyone, so only from the hypervisor, by compare-and-set.
                controlFile.rxOwnershipCompareAndSet(vm, BufferOwnership.HYPERVISOR, BufferOwnership.PRODUCER);
            }
        }
    }

    public void onClose()
    {
        for (final Caller c : callers.values())
        {
            replies.discard(c, "the partition manager closed");
            c.reply.close();
        }
        callers.clear();
        java.util.Arrays.fill(bound, 0);
        if (endedWithoutClient && ctx.terminationHook() != null)
        {
            // After the runner has reported why.
            ctx.terminationHook().run();
        }
    }

    /**
     * Stops the duty cycle, then closes the driver, the control file and the memory files, and removes the
     * directory. A close while another thread's close runs returns once that one has. Interrupted, it still
     * waits for the duty cycle's thread to end before unmapping anything that thread reads; from that thread
     * itself (a handler or hook it runs) it throws {@link IllegalStateException}.
     */
    public void close()
    {
        if (Thread.currentThread() == runner.thread())
        {
            // A close waits for the duty cycle to end, and the driver it closes is serviced on this thread.
            throw new IllegalStateException("the partition manager's own duty cycle cannot close it (from an error " +
                "handler, a termination hook or an idle strategy): close it from another thread");
        }
        if (!closing.compareAndSet(false, true))
        {
            Threads.awaitUninterruptibly(closeReturned);
            return;
        }
        try
        {
            closeOnce();
        }
        finally
        {
            closeReturned.countDown();
        }
    }

    private void closeOnce()
    {
        // Clients watch for this and close themselves: wait a little for their releases, still
        // answering traps, so that they are gone before the driver they use. Stopped, unless the duty cycle
        // found the Aeron client lost first (which its clients may have seen already).
        controlFile.endPartitionManager(ControlFileDescriptor.PM_STOPPED);
        final long deadline = System.nanoTime() + CLIENTS_CLOSE_WAIT_NS;
        while (anyClaimed() && System.nanoTime() < deadline)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        final Thread dutyCycle = runner.thread();
        CloseHelper.quietClose(runner);
        if (dutyCycle != null && dutyCycle != Thread.currentThread())
        {
            // Agrona's close returns at once when this thread is interrupted; the duty cycle reads the driver's files.
            Threads.joinUninterruptibly(dutyCycle);
        }
        CloseHelper.quietCloseAll(subscription, aeron, driver);
        CloseHelper.quietClose(controlFile);
        CloseHelper.quietCloseAll(memories);
        if (ctx.deleteDirectoryOnClose())
        {
            lock.deleteDirectory();
        }
        else
        {
            lock.close();
        }
    }

    /** Configuration, Aeron style: fluent setters, defaults from system properties, {@link #conclude()}. */
    public static final class Context
    {
        public static final String MANIFEST_PROP_NAME = "ffa.manifest";
        public static final String MEMORY_BASE_PROP_NAME = "ffa.memory.base";
        public static final long MEMORY_BASE_DEFAULT = 0x4000_0000L;
        public static final String EMBEDDED_DRIVER_PROP_NAME = "ffa.embedded.driver";
        public static final String PEER_LOGS_PER_CONTEXT_PROP_NAME = "ffa.peer.logs.per.context";
        public static final int PEER_LOGS_PER_CONTEXT_DEFAULT = 4;
        public static final String REPLY_TIMEOUT_PROP_NAME = "ffa.pm.reply.timeout";
        public static final long REPLY_TIMEOUT_DEFAULT_NS = TimeUnit.SECONDS.toNanos(10);

        // Null until set in code: the system properties' then, at conclude (FabricDirectory.resolve).
        private String fabricName;
        private Path directory;
        private Manifest manifest;
        private long memoryBase = Long.decode(System.getProperty(MEMORY_BASE_PROP_NAME, "0x40000000"));
        private boolean embeddedDriver = Boolean.parseBoolean(System.getProperty(EMBEDDED_DRIVER_PROP_NAME, "true"));
        private String aeronDirectoryName;
        private IdleStrategy idleStrategy;
        private ErrorHandler errorHandler;
        private Runnable terminationHook;
        private boolean deleteDirectoryOnClose = true;
        private int peerLogsPerContext = Integer.getInteger(PEER_LOGS_PER_CONTEXT_PROP_NAME, PEER_LOGS_PER_CONTEXT_DEFAULT);
        private long replyTimeoutNs = SystemUtil.getDurationInNanos(REPLY_TIMEOUT_PROP_NAME, REPLY_TIMEOUT_DEFAULT_NS);

        public Context fabricName(final String name)
        {
            this.fabricName = name;
            return this;
        }

        public String fabricName()
        {
            return fabricName != null ? fabricName : FabricDirectory.configuredName();
        }

        public Context directory(final Path directory)
        {
            this.directory = directory;
            return this;
        }

        public Path directory()
        {
            return directory;
        }

        public Context manifest(final Manifest manifest)
        {
            this.manifest = manifest;
            return this;
        }

        public Manifest manifest()
        {
            return manifest;
        }

        public Context memoryBase(final long base)
        {
            this.memoryBase = base;
            return this;
        }

        public long memoryBase()
        {
            return memoryBase;
        }

        /** Runs Aeron's media driver inside the partition manager (the default). */
        public Context embeddedDriver(final boolean embedded)
        {
            this.embeddedDriver = embedded;
            return this;
        }

        public boolean embeddedDriver()
        {
            return embeddedDriver;
        }

        /**
         * Aeron directory; defaults to {@code aeron/} inside the fabric directory. Another one (an
         * external driver's, say) is written in the control file, where partition processes find it.
         */
        public Context aeronDirectoryName(final String name)
        {
            this.aeronDirectoryName = name;
            return this;
        }

        public String aeronDirectoryName()
        {
            return aeronDirectoryName;
        }

        public Context idleStrategy(final IdleStrategy idleStrategy)
        {
            this.idleStrategy = idleStrategy;
            return this;
        }

        public IdleStrategy idleStrategy()
        {
            return idleStrategy;
        }

        public Context errorHandler(final ErrorHandler errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        public ErrorHandler errorHandler()
        {
            return errorHandler;
        }

        /** Run on the manager's thread when it ends by itself, its Aeron client closed under it; not by {@link #close()}. */
        public Context terminationHook(final Runnable terminationHook)
        {
            this.terminationHook = terminationHook;
            return this;
        }

        public Runnable terminationHook()
        {
            return terminationHook;
        }

        public Context deleteDirectoryOnClose(final boolean delete)
        {
            this.deleteDirectoryOnClose = delete;
            return this;
        }

        public boolean deleteDirectoryOnClose()
        {
            return deleteDirectoryOnClose;
        }

        /**
         * The logs between contexts the embedded driver's counters are sized for, on average per context
         * (4 by default, {@code -Dffa.peer.logs.per.context}): a context's first message to another adds
         * one, which its claim holds until it ends. The budget is the fabric's, so that a scheduler or a
         * server many contexts call may hold more than its share; it is what the driver has free at
         * launch beside every context's claim (an external driver's too). Past it a first message
         * answers FFA_ERROR(NO_MEMORY).
         */
        public Context peerLogsPerContext(final int peerLogs)
        {
            this.peerLogsPerContext = peerLogs;
            return this;
        }

        public int peerLogsPerContext()
        {
            return peerLogsPerContext;
        }

        /**
         * How long the manager keeps a reply its caller's inbox has no room for (10 s by default,
         * {@code -Dffa.pm.reply.timeout=10s}), offering it again on each duty cycle, before it gives up on
         * it, counting it in "replies not delivered". Meanwhile it answers every other trap. Such replies
         * come from a caller that traps without reading its replies, which only a process bypassing the
         * runtime can be; a reply to an inbox not linked 100 ms after the trap is given up on then.
         */
        public Context replyTimeoutNs(final long timeoutNs)
        {
            this.replyTimeoutNs = timeoutNs;
            return this;
        }

        public long replyTimeoutNs()
        {
            return replyTimeoutNs;
        }

        public Context conclude()
        {
            if (replyTimeoutNs <= 0)
            {
                throw new IllegalStateException("the reply timeout must be positive: " + replyTimeoutNs + " ns");
            }
            if (peerLogsPerContext < 0)
            {
                throw new IllegalStateException("peer logs per context must not be negative: " + peerLogsPerContext);
            }
            if (manifest == null)
            {
                final String file = System.getProperty(MANIFEST_PROP_NAME);
                if (file == null)
                {
                    throw new IllegalStateException("no manifest: set one on the Context or -D" + MANIFEST_PROP_NAME);
                }
                manifest = ManifestParser.parse(Paths.get(file));
            }
            directory = FabricDirectory.resolve(directory, fabricName);
            if (!EndpointMemory.isPageAligned(memoryBase) || memoryBase == 0)
            {
                throw new IllegalStateException("memory base must be a non-zero multiple of 4 KiB: 0x" +
                    Long.toHexString(memoryBase));
            }
            if (idleStrategy == null)
            {
                // Off the hot path: back off to 1 ms sleeps so the partitions own the cores.
                idleStrategy = new BackoffIdleStrategy(10, 10, TimeUnit.MICROSECONDS.toNanos(10),
                    TimeUnit.MILLISECONDS.toNanos(1));
            }
            if (errorHandler == null)
            {
                errorHandler = Throwable::printStackTrace;
            }
            return this;
        }
    }
}
