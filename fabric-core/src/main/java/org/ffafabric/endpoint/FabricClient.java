package org.ffafabric.endpoint;

import io.aeron.Aeron;
import io.aeron.exceptions.ConductorServiceTimeoutException;
import io.aeron.exceptions.DriverTimeoutException;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.IdleStrategy;
import org.ffafabric.Threads;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.transport.AeronTuning;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * A partition process's connection to a running fabric: the mapped control file and one
 * Aeron client shared by every endpoint the process claims.
 * <p>
 * A daemon thread runs the Aeron client's conductor (every 10 ms) and checks the partition manager
 * every 100 ms. Once the manager has gone (closed, or its process died), the client closes itself:
 * every call, in progress or later, answers FFA_ERROR(ABORTED) and serving threads end. The
 * conductor runs on that thread, not on one of Aeron's, because Aeron's own thread, once the media
 * driver (which the manager runs) stopped answering, would end the JVM, or else unmap the logs that
 * a handler still running reads its request from and writes its answer to.
 */
public final class FabricClient implements AutoCloseable
{
    /** Why a client that {@link #hasStalled} closed. */
    public static final String STALLED = "this process went unserviced for longer than its Aeron client's liveness " +
        "timeout (stopped, or starved of CPU), and Aeron closed the client";

    private static final long MANAGER_CHECK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long CONDUCTOR_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(AeronTuning.CLIENT_CONDUCTOR_SLEEP_MS);

    private final Context ctx;
    private final ControlFile controlFile;
    private final Aeron aeron;
    // Endpoints open, or closed with a context still inside a call (they leave once it does).
    private final List<Endpoint> endpoints = new ArrayList<>();
    // Guarded by endpoints: close has begun (set as it takes the endpoints to close, so a claim ending
    // after that sees it); Aeron and the control file are closed, or being (the watch ends then); claims
    // under way, which use both as an open endpoint does (the watch closes the client under them when the manager dies).
    private boolean closing;
    private boolean released;
    private int claiming;
    private final Thread managerWatch;
    // Counted down as the first close returns: a close on another thread meanwhile returns with it.
    private final CountDownLatch closeReturned = new CountDownLatch(1);
    // Set by Aeron's error handler: its driver stopped answering, or this process stalled (below).
    private volatile boolean driverGone;
    // Set by Aeron's error handler: this client went unserviced past the driver's client liveness timeout.
    private volatile boolean stalled;
    // Set by the watch as it closes the client for a partition manager that has gone.
    private volatile boolean closedForGoneManager;
    // Set by the watch before closedForGoneManager: that manager was closed by its owner.
    private volatile boolean managerStopped;
    private final boolean managerVisible;

    private FabricClient(final Context ctx)
    {
        this.ctx = ctx;
        final Path ctl = FabricDirectory.controlFile(ctx.directory());
        final long deadline = System.nanoTime() + ctx.connectTimeoutNs();
        while (!Files.exists(ctl))
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("no fabric in " + ctx.directory());
            }
            // Up to the connect timeout (10 s by default): a spin would hold a core the manager may need.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        controlFile = ControlFile.open(ctl);
        try
        {
            requireRunningPartitionManager();
            aeron = Aeron.connect(AeronTuning.client(new Aeron.Context()
                .aeronDirectoryName(aeronDirectory().toString()))
                .useConductorAgentInvoker(true)
                .errorHandler(this::onAeronError));
        }
        catch (final RuntimeException ex)
        {
            controlFile.close();
            throw ex;
        }
        managerVisible = controlFile.isPartitionManagerProcessAlive();
        managerWatch = new Thread(this::watchPartitionManager, "ffa-pm-watch");
        managerWatch.setDaemon(true);
        managerWatch.start();
    }

    /**
     * Refuses a fabric whose partition manager has stopped but whose directory is still there (a
     * manager killed a moment ago): Aeron's client would wait out its driver timeout, ten seconds,
     * and then fail with Aeron's own message.
     */
    private void requireRunningPartitionManager()
    {
        if (controlFile.isPartitionManagerRunning())
        {
            return;
        }
        final long pid = controlFile.pmPid();
        throw new IllegalStateException("the partition manager of " + ctx.directory() + " is not running" +
            (pid != 0 ? " (pid " + pid + " has died)" : controlFile.isPartitionManagerStopped() ? " (it was stopped)" :
            " (it has ended)"));
    }

    /**
     * Aeron's errors, without its default's exit of the JVM on a driver timeout: the driver went
     * with the partition manager, and the watch closes this client for that.
     */
    private void onAeronError(final Throwable ex)
    {
        if (ex instanceof DriverTimeoutException || ex instanceof ConductorServiceTimeoutException)
        {
            // A service timeout is this process's stall (stopped, starved), not the driver's: Aeron
            // closes the client either way, and the driver has dropped its logs.
            stalled |= ex instanceof ConductorServiceTimeoutException;
            driverGone = true;
            return;
        }
        ctx.errorHandler().onError(ex);
    }

    /**
     * True once Aeron has closed this client because this process went unserviced for longer than the
     * driver's client liveness timeout (stopped, or starved of CPU): the client closes as for a manager
     * gone, though the manager may be running still.
     */
    public boolean hasStalled()
    {
        return stalled;
    }

    /**
     * True once this client closed because its partition manager was closed by its owner (stopped: by
     * {@code ffa stop}, SIGTERM, SIGINT, or a {@code close()} in its JVM), not because it died, lost its
     * Aeron client, or this client {@link #hasStalled stalled}. Set before the gone handler runs.
     */
    public boolean hasPartitionManagerStopped()
    {
        return managerStopped;
    }

    public static FabricClient connect(final Context ctx)
    {
        return new FabricClient(ctx.conclude());
    }

    /** Claims a partition by ID. */
    public Endpoint claim(final int partitionId)
    {
        return claim(partitionId, null);
    }

    /** Claims a partition by its manifest name. */
    public Endpoint claim(final String name)
    {
        return claim(0, name);
    }

    private Endpoint claim(final int id, final String name)
    {
        final String partition = name != null ? "'" + name + "'" : String.format("0x%04X", id);
        synchronized (endpoints)
        {
            if (closing)
            {
                // Not the control file's word: a closed client may have unmapped it.
                throw closedForGoneManager ? managerGone(partition, null) :
                    new IllegalStateException("the fabric client of " + ctx.directory() + " is closed");
            }
            claiming++;
        }
        final Endpoint endpoint;
        try
        {
            final int partitionId = name != null ? partitionIdOf(name) : id;
            final int slot = controlFile.slotOf(partitionId);
            if (slot < 0)
            {
                throw new IllegalArgumentException("the fabric has no partition " + partition);
            }
            endpoint = new Endpoint(this, partitionId, slot, ctx.idleStrategySupplier());
        }
        catch (final RuntimeException | Error ex)
        {
            // Aeron's driver timeout, a bind never answered: say why, while the control file is still ours to read.
            final boolean gone = !(ex instanceof IllegalArgumentException) && isPartitionManagerGone();
            final boolean open = claimEnded(null);
            if (gone)
            {
                throw managerGone(partition, ex);
            }
            if (!open && !(ex instanceof IllegalArgumentException))
            {
                // A bind that stopped waiting because the client closed: ABORTED, which says nothing of why.
                throw closedWhileClaiming(partition, ex);
            }
            throw ex;
        }
        if (!claimEnded(endpoint))
        {
            final RuntimeException closed = isPartitionManagerGone() ? managerGone(partition, null) :
                closedWhileClaiming(partition, null);
            endpoint.close();
            throw closed;
        }
        return endpoint;
    }

    private int partitionIdOf(final String name)
    {
        for (int slot = 0; slot < controlFile.partitionCount(); slot++)
        {
            if (controlFile.name(slot).equals(name))
            {
                return controlFile.partitionId(slot);
            }
        }
        throw new IllegalArgumentException("the fabric has no partition named '" + name + "'");
    }

    private IllegalStateException managerGone(final String partition, final Throwable cause)
    {
        return new IllegalStateException("cannot claim " + partition + ": the partition manager of " +
            ctx.directory() + " has gone", cause);
    }

    private IllegalStateException closedWhileClaiming(final String partition, final Throwable cause)
    {
        return new IllegalStateException("the fabric client of " + ctx.directory() + " closed while claiming " + partition, cause);
    }

    /**
     * A claim has ended, its endpoint (null when it failed) now open like any other; false when the
     * client closed meanwhile. The last of them after the close closes what they all shared.
     */
    private boolean claimEnded(final Endpoint endpoint)
    {
        final boolean open;
        final boolean last;
        synchronized (endpoints)
        {
            claiming--;
            if (endpoint != null)
            {
                endpoints.add(endpoint);
            }
            open = !closing;
            last = closing && !released && endpoints.isEmpty() && claiming == 0;
            released |= last;
        }
        if (last)
        {
            closeShared();
        }
        return open;
    }

    public ControlFile controlFile()
    {
        return controlFile;
    }

    /**
     * Has the watch thread run the client's conductor now rather than at its next 10 ms turn: a
     * claim waits for the conductor to notice its contexts' reply logs.
     */
    void hurryConductor()
    {
        LockSupport.unpark(managerWatch);
    }

    private void watchPartitionManager()
    {
        final AgentInvoker conductor = aeron.conductorAgentInvoker();
        long nextManagerCheckNs = System.nanoTime() + MANAGER_CHECK_INTERVAL_NS;
        while (true)
        {
            LockSupport.parkNanos(CONDUCTOR_INTERVAL_NS);
            final boolean closing;
            synchronized (endpoints)
            {
                // closeShared waits for this thread to end before it closes Aeron and the control file.
                if (released)
                {
                    return;
                }
                closing = this.closing;
            }
            // Keepalives, new images; a driver timeout reaches onAeronError.
            AeronTuning.serviceConductor(conductor);
            if (closing)
            {
                // Its owner closes it: endpoints still closing (a handler that runs on) use Aeron until
                // they let go, and the driver drops a client whose keepalives stop. Once the driver or the
                // manager is gone there is nothing to keep alive, and Aeron must not time out on its own
                // under that handler: the owner's close sees to the rest.
                final long now = System.nanoTime();
                if (driverGone)
                {
                    return;
                }
                if (now >= nextManagerCheckNs)
                {
                    nextManagerCheckNs = now + MANAGER_CHECK_INTERVAL_NS;
                    if (isPartitionManagerGone())
                    {
                        return;
                    }
                }
                continue;
            }
            final long now = System.nanoTime();
            if (now < nextManagerCheckNs && !driverGone)
            {
                continue;
            }
            nextManagerCheckNs = now + MANAGER_CHECK_INTERVAL_NS;
            // The control file stays mapped until this thread has ended (closeShared waits for it).
            if (isPartitionManagerGone())
            {
                managerStopped = !stalled && controlFile.pmPid() == 0 && controlFile.isPartitionManagerStopped();
                closedForGoneManager = true;
                try
                {
                    final Runnable handler = ctx.partitionManagerGoneHandler();
                    if (handler != null)
                    {
                        handler.run();
                    }
                    else if (stalled)
                    {
                        System.err.println("ffa: " + STALLED + ": its partitions' calls answer FFA_ERROR(ABORTED) from here on");
                    }
                    else if (controlFile.pmPid() != 0)
                    {
                        System.err.println("ffa: the partition manager of " + ctx.directory() + " (pid " +
                            controlFile.pmPid() + ") died: its partitions' calls answer FFA_ERROR(ABORTED) from here on");
                    }
                }
                finally
                {
                    // Whatever the application's handler does: what it throws goes on to this thread's uncaught handler.
                    close();
                }
                return;
            }
        }
    }

    /**
     * Closed, or died. A manager whose process this one could see at connect is dead once that
     * process is; else the control file's rule, which waits for its heartbeat to stop, decides.
     */
    boolean isPartitionManagerGone()
    {
        return driverGone || (managerVisible ?
            controlFile.pmPid() == 0 || !controlFile.isPartitionManagerProcessAlive() : controlFile.isPartitionManagerGone());
    }

    /** Closing, by its owner or by the watch once the partition manager has gone: a claim under way stops waiting. */
    boolean isClosing()
    {
        synchronized (endpoints)
        {
            return closing;
        }
    }

    Aeron aeron()
    {
        return aeron;
    }

    Path directory()
    {
        return ctx.directory();
    }

    /** The media driver's directory: the control file names it, else aeron/ in the fabric's. */
    Path aeronDirectory()
    {
        return controlFile.aeronDirectory() != null ?
            Path.of(controlFile.aeronDirectory()) : FabricDirectory.aeronDirectory(ctx.directory());
    }

    long connectTimeoutNs()
    {
        return ctx.connectTimeoutNs();
    }

    ErrorHandler errorHandler()
    {
        return ctx.errorHandler();
    }

    /**
     * An endpoint has closed its Aeron resources and unmapped its memory: at once, or once the
     * last of its contexts that was inside a call when it closed has left. The last one after
     * this client's close closes what they all shared.
     */
    void closed(final Endpoint endpoint)
    {
        final boolean last;
        synchronized (endpoints)
        {
            endpoints.remove(endpoint);
            last = closing && !released && endpoints.isEmpty() && claiming == 0;
            released |= last;
        }
        if (last)
        {
            closeShared();
        }
    }

    /**
     * Closes every endpoint, then Aeron and the control file. An endpoint with a context still
     * inside a call (a handler that runs on) keeps them open: that context's thread still reads
     * its logs in place, and its release goes over Aeron once it leaves; the endpoint that finishes
     * its close last closes them. A claim under way fails, its endpoint closed. A close while another
     * thread's close runs (the watch's, once the partition manager has gone) returns once that one has;
     * from a handler it returns at once, as that close may be waiting for the handler.
     */
    public void close()
    {
        final List<Endpoint> open;
        final boolean first;
        final boolean last;
        synchronized (endpoints)
        {
            // Marked closing as the endpoints to close are taken: a claim that ends after this sees
            // it and closes its own endpoint, rather than hand its caller one this close missed.
            first = !closing;
            closing = true;
            open = new ArrayList<>(endpoints);
            last = first && !released && open.isEmpty() && claiming == 0;
            released |= last;
        }
        if (!first)
        {
            awaitClose(closeReturned);
            return;
        }
        try
        {
            if (last)
            {
                closeShared();
                return;
            }
            // Each tells closed() as it finishes; the last of them, or of the claims under way, closes what they shared.
            CloseHelper.quietCloseAll(open);
        }
        finally
        {
            closeReturned.countDown();
        }
    }

    /**
     * Waits for another thread's close (of this client or an endpoint) to return, as this close would
     * have had it been first; not on a thread that close may itself wait for: the watch, which the close
     * of what the endpoints share joins, and a handler serving one of our endpoints, which a close waits
     * for to leave its call.
     */
    void awaitClose(final CountDownLatch returned)
    {
        if (Thread.currentThread() == managerWatch)
        {
            return;
        }
        synchronized (endpoints)
        {
            for (final Endpoint endpoint : endpoints)
            {
                if (endpoint.isServedByCurrentThread())
                {
                    return;
                }
            }
        }
        // The first close is bounded (by the connect timeout): finish waiting, and keep the interrupt.
        Threads.awaitUninterruptibly(returned);
    }

    private void closeShared()
    {
        if (Thread.currentThread() != managerWatch)
        {
            // It reads the control file: it ends (within a check) before that is unmapped.
            LockSupport.unpark(managerWatch);
            Threads.joinUninterruptibly(managerWatch);
        }
        CloseHelper.quietClose(aeron);
        controlFile.close();
    }

    /** Configuration: which fabric, how execution contexts wait, where errors off any caller's thread go. */
    public static final class Context
    {
        /** The longest {@link #connectTimeoutNs}: a day, far short of where a deadline would overflow. */
        public static final long MAX_CONNECT_TIMEOUT_NS = TimeUnit.DAYS.toNanos(1);

        // Null until set in code: the system properties' then, at conclude (FabricDirectory.resolve).
        private String fabricName;
        private Path directory;
        private Supplier<IdleStrategy> idleStrategySupplier;
        private long connectTimeoutNs = TimeUnit.SECONDS.toNanos(10);
        private Runnable partitionManagerGoneHandler;
        private ErrorHandler errorHandler;

        public Context fabricName(final String name)
        {
            this.fabricName = name;
            return this;
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

        /**
         * How a waiting execution context idles: busy-spin for the lowest latency when it has a
         * core of its own; when cores are shared, back-off ({@link SettlingIdleStrategy}, the
         * default: parks up to 100 us, and up to 1 ms once idle for 10 ms).
         */
        public Context idleStrategySupplier(final Supplier<IdleStrategy> supplier)
        {
            this.idleStrategySupplier = supplier;
            return this;
        }

        public Supplier<IdleStrategy> idleStrategySupplier()
        {
            return idleStrategySupplier;
        }

        /**
         * Run (on the client's watch thread) once the partition manager has gone, just before the
         * client closes itself; by default, a partition manager that died is reported on stderr.
         */
        public Context partitionManagerGoneHandler(final Runnable handler)
        {
            this.partitionManagerGoneHandler = handler;
            return this;
        }

        public Runnable partitionManagerGoneHandler()
        {
            return partitionManagerGoneHandler;
        }

        /**
         * Told what goes wrong away from any caller, where nobody could catch it: a serve's handler that
         * threw (its requester got ABORTED), an endpoint's close that left a call running, the errors of
         * the client's Aeron. Stack traces on stderr by default.
         */
        public Context errorHandler(final ErrorHandler handler)
        {
            this.errorHandler = handler;
            return this;
        }

        public ErrorHandler errorHandler()
        {
            return errorHandler;
        }

        /**
         * How long to wait for the fabric and for threads to stop, 10 s by default: for the control file
         * at connect, for the partition manager to bind a claim, for a serve's contexts to start waiting;
         * and, at a close, for threads inside an endpoint's calls to leave, for the manager to let go of
         * its slot, and for a serve's threads to stop (past their duty cycle). More than 0, at most
         * {@link #MAX_CONNECT_TIMEOUT_NS}: {@link #conclude()} refuses others.
         */
        public Context connectTimeoutNs(final long timeoutNs)
        {
            this.connectTimeoutNs = timeoutNs;
            return this;
        }

        public long connectTimeoutNs()
        {
            return connectTimeoutNs;
        }

        public Context conclude()
        {
            if (connectTimeoutNs <= 0 || connectTimeoutNs > MAX_CONNECT_TIMEOUT_NS)
            {
                // Deadlines are nanoTime() plus this: a longer one would overflow into the past.
                throw new IllegalStateException("connect timeout must be more than 0 and at most " +
                    TimeUnit.NANOSECONDS.toHours(MAX_CONNECT_TIMEOUT_NS) + " h: " + connectTimeoutNs + " ns");
            }
            directory = FabricDirectory.resolve(directory, fabricName);
            if (idleStrategySupplier == null)
            {
                idleStrategySupplier = SettlingIdleStrategy::new;
            }
            if (errorHandler == null)
            {
                errorHandler = Throwable::printStackTrace;
            }
            return this;
        }
    }
}
