package org.ffafabric.endpoint;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.exceptions.RegistrationException;
import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.status.CountersReader;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ControlFileDescriptor;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricCounters;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.memory.EndpointMemory;
import org.ffafabric.transport.DriverCounters;
import org.ffafabric.transport.TrapProtocol;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * A claimed partition in this process: its memory mapped, one {@link ExecutionContext} per
 * manifest execution context, bound to the partition manager. Closing it releases the claim.
 */
public final class Endpoint implements AutoCloseable
{
    private final FabricClient client;
    private final int partitionId;
    private final String name;
    private final int slot;
    private final long pid;
    private final int generation;
    private final EndpointMemory memory;
    private final ExecutionContext[] contexts;
    private final List<AutoCloseable> resources = new ArrayList<>();
    // A close left to finish looks 1,000 times a second at first, then, its handler still stuck, backs off to
    // 15 times a second: 1 ms looks cost 1.5% of a core for as long as the handler runs, which may be for ever.
    private static final long FINISH_CLOSE_POLL_NS = 1_000_000L;
    private static final long FINISH_CLOSE_MAX_POLL_NS = 64_000_000L;
    private static final long MANAGER_CHECK_INTERVAL_NS = 1_000_000L;
    // A close waits on threads that idle up to 1 ms between looks (callers, the manager): no core is spun meanwhile.
    private static final long CLOSE_POLL_NS = 100_000L;
    private static final long BIND_HURRY_INTERVAL_NS = 1_000_000L;
    private static final long SESSION_HELD_FIRST_PAUSE_NS = 1_000_000L;
    private static final long SESSION_HELD_MAX_PAUSE_NS = 100_000_000L;

    private volatile boolean closed;
    // The context whose SP init failed, aborting the whole partition (Hafnium's VM_STATE_ABORTING); -1 before.
    private volatile int abortedBy = -1;
    private final Object closeLock = new Object();
    // Counted down as the first close returns: a close on another thread meanwhile returns with it.
    private final CountDownLatch closeReturned = new CountDownLatch(1);
    // The typed API's turns with the partition's one RX buffer (Linux's rx_lock).
    private final Object rxLock = new Object();
    // The serve whose threads run, until closed and they have all ended: a second would put another
    // thread on every context, each used by one at a time.
    private final AtomicReference<ServingThreads> serving = new AtomicReference<>();

    Endpoint(final FabricClient client, final int partitionId, final int slot, final Supplier<IdleStrategy> idle)
    {
        this.client = client;
        this.partitionId = partitionId;
        this.slot = slot;
        this.pid = ProcessHandle.current().pid();
        final ControlFile controlFile = client.controlFile();
        // Kept here: the control file may be unmapped while a closing endpoint is still named.
        this.name = controlFile.name(slot);
        generation = claim(controlFile);
        EndpointMemory mapped = null;
        contexts = new ExecutionContext[controlFile.executionContextCount(slot)];
        int claimsSent = 0;
        try
        {
            mapped = EndpointMemory.open(
                FabricDirectory.memoryFile(client.directory(), partitionId), controlFile.memoryBase());
            final long logDeadline = System.nanoTime() + client.connectTimeoutNs();
            for (int ec = 0; ec < contexts.length; ec++)
            {
                final int sessionId = TrapProtocol.sessionId(partitionId, ec, generation);
                final Subscription inbox;
                final ExclusivePublication toPm;
                try
                {
                    inbox = client.aeron().addSubscription(TrapProtocol.CHANNEL, TrapProtocol.inboxStreamId(partitionId, ec));
                    resources.add(inbox);
                    toPm = addManagerPublication(sessionId, logDeadline);
                }
                catch (final RegistrationException ex)
                {
                    if (DriverCounters.isShortage(ex) || DriverCounters.noneFree(client.aeron().countersReader()))
                    {
                        throw noCounterFor(ec, "log to the partition manager", ex);
                    }
                    if (DriverCounters.isSessionClash(ex))
                    {
                        throw new IllegalStateException("cannot claim " + name + ": the media driver of " +
                            client.aeronDirectory() + " still holds another log with execution context " + ec +
                            "'s session ID 0x" + Integer.toHexString(sessionId) + " to the partition manager, asked " +
                            "for until the claim's connect timeout (" + client.connectTimeoutNs() / 1_000_000 +
                            " ms) ran out (" + ex.getMessage() + ")", ex);
                    }
                    throw new IllegalStateException("cannot claim " + name + ": the media driver of " +
                        client.aeronDirectory() + " refused execution context " + ec + "'s log to the partition " +
                        "manager (" + ex.getMessage() + ")", ex);
                }
                if (!toPm.isConnected() && DriverCounters.noneFree(client.aeron().countersReader()))
                {
                    // Made, but the driver had no counter left for the manager's subscriber position, and
                    // will never link it: the claim would wait for the manager in vain.
                    throw noCounterFor(ec, "log to the partition manager", null);
                }
                contexts[ec] = new ExecutionContext(
                    this, ec, new ContextTransport(this, sessionId, inbox, toPm, idle.get()));
            }
            // Every context's claim goes before any answer is awaited: each answer comes on a new log our
            // conductor must notice, and the manager binds the next while we wait for the last.
            final RegisterFile regs = new RegisterFile();
            regs.w(0, TrapProtocol.FABRIC_CLAIM).w(1, (int)pid).w(2, (int)(pid >>> 32));
            for (int ec = 0; ec < contexts.length; ec++)
            {
                if (!contexts[ec].sendClaim(regs))
                {
                    throw notBound(ec, ErrorCode.ABORTED, generation);
                }
                claimsSent++;
            }
            awaitBound(generation, idle.get());
        }
        catch (final RuntimeException | Error ex)
        {
            abandonClaim(claimsSent);
            CloseHelper.quietClose(mapped);
            throw ex;
        }
        memory = mapped;
    }

    /**
     * Waits for the partition manager's answers to the claims of every context at once, polling each
     * context's inbox in turn, hurrying our conductor (each answer comes on a new log it must notice),
     * and idling once a round. A refusal of any context ends the claim, naming that context: the slot
     * keeps one refusal per claim. So do the client's close and the connect timeout, ABORTED.
     */
    private void awaitBound(final int generation, final IdleStrategy idleStrategy)
    {
        final ControlFile controlFile = client.controlFile();
        final long deadline = System.nanoTime() + client.connectTimeoutNs();
        final RegisterFile regs = new RegisterFile();
        final boolean[] bound = new boolean[contexts.length];
        int unbound = contexts.length;
        long nextHurryNs = 0;
        while (true)
        {
            int answers = 0;
            for (int ec = 0; ec < contexts.length; ec++)
            {
                if (!bound[ec] && contexts[ec].takeClaimAnswer(regs, generation))
                {
                    bound[ec] = true;
                    unbound--;
                    answers++;
                }
            }
            if (unbound == 0)
            {
                return;
            }
            final long nowNs = System.nanoTime();
            if (nowNs >= nextHurryNs)
            {
                // Have the conductor look for new logs every millisecond, not every ten.
                client.hurryConductor();
                nextHurryNs = nowNs + BIND_HURRY_INTERVAL_NS;
            }
            final long refusal = controlFile.claimRefusal(slot, generation);
            if (refusal != 0)
            {
                throw notBound(ControlFile.refusedEc(refusal), ControlFile.refusalErrorCode(refusal), generation);
            }
            if (nowNs > deadline || client.isClosing())
            {
                int ec = 0;
                while (bound[ec])
                {
                    ec++;
                }
                throw notBound(ec, ErrorCode.ABORTED, generation);
            }
            idleStrategy.idle(answers);
        }
    }

    /**
     * Why context {@code ec} of claim {@code generation} was not bound: the partition manager's refusal
     * (NO_MEMORY when it could not make the context's reply log, for want of room or of a counter; BUSY when a
     * closed log still held its session ID), or ABORTED when no answer came.
     */
    private IllegalStateException notBound(final int ec, final int errorCode, final int generation)
    {
        if (errorCode == ErrorCode.BUSY && ControlFile.refusalCause(client.controlFile().claimRefusal(slot, generation)) ==
            ControlFileDescriptor.REFUSED_SESSION_HELD)
        {
            return new IllegalStateException("cannot claim " + name + ": the media driver of " + client.aeronDirectory() +
                " still holds another log with the session ID of execution context " + ec + "'s reply log (BUSY): a " +
                "claim 256 generations before closed it since the driver's last timer check; claim again");
        }
        if (errorCode == ErrorCode.NO_MEMORY && ControlFile.refusalCause(client.controlFile().claimRefusal(slot, generation)) ==
            ControlFileDescriptor.REFUSED_NO_COUNTER)
        {
            return noCounterFor(ec, "reply log", null);
        }
        if (errorCode == ErrorCode.NO_MEMORY)
        {
            return new IllegalStateException("cannot claim " + name + ": the partition manager could not make " +
                "execution context " + ec + "'s reply log (NO_MEMORY): a log takes " +
                contexts[ec].logLength() + " bytes, and " + client.aeronDirectory() + " has " +
                usableSpace(client.aeronDirectory()) + " usable");
        }
        return new IllegalStateException("partition manager did not accept the claim of " + name +
            " execution context " + ec + " (" + ErrorCode.name(errorCode) + ")");
    }

    /**
     * A claim that failed part way: the contexts whose claims the partition manager was sent are
     * released, as a close releases them, and once it has let go of the slot the logs are closed and
     * the slot is let go, so nothing stays bound to a claim that is over. The manager lets go of every
     * claim it was sent: at the release of the last context it bound, or at its refusal when it had
     * bound none. Which it bound, the claimer cannot tell, with answers still on their way.
     */
    private void abandonClaim(final int claimsSent)
    {
        final ControlFile controlFile = client.controlFile();
        for (int ec = 0; ec < claimsSent; ec++)
        {
            contexts[ec].release();
        }
        final long deadline = System.nanoTime() + client.connectTimeoutNs();
        while (claimsSent > 0 && controlFile.holdsClaim(slot, generation, pid) && System.nanoTime() < deadline &&
            !client.isPartitionManagerGone())
        {
            LockSupport.parkNanos(MANAGER_CHECK_INTERVAL_NS);
        }
        closeResources();
        controlFile.unclaim(slot, generation, pid);
    }

    /**
     * A claim the media driver has no counter for: says how many it holds, and how many this
     * fabric's claims need (its logs between contexts take what is left, within the budget).
     */
    private IllegalStateException noCounterFor(final int ec, final String log, final Throwable cause)
    {
        final ControlFile controlFile = client.controlFile();
        int contexts = 0;
        int largest = 0;
        for (int s = 0; s < controlFile.partitionCount(); s++)
        {
            contexts += controlFile.executionContextCount(s);
            largest = Math.max(largest, controlFile.executionContextCount(s));
        }
        final long needed = DriverCounters.forFabric(controlFile.partitionCount(), contexts, largest, 0);
        return new IllegalStateException("cannot claim " + name + ": the media driver of " + client.aeronDirectory() +
            " has no counter left for execution context " + ec + "'s " + log + " (it holds " +
            (client.aeron().countersReader().maxCounterId() + 1) + ", each log takes " + DriverCounters.PER_LOG +
            ", and this fabric's claims alone need " + needed + ": a counters buffer of " +
            DriverCounters.valuesBufferLength(needed) + " bytes or more, aeron.counters.buffer.length)", cause);
    }

    private static String usableSpace(final Path directory)
    {
        try
        {
            return FabricDirectory.usableSpace(FabricDirectory.fileStore(directory), directory) + " bytes";
        }
        catch (final RuntimeException ex)
        {
            return "an unknown number of bytes";
        }
    }

    /**
     * Claims the manifest entry: refused while its claimant lives, taken over from a dead one (or from
     * a later process given its PID, this one included: the claim's mark tells its claimant's start).
     * The take-over is of the claim judged dead, by its whole word: the process given that PID (another
     * thread of this one, say) may have taken it over since, and lives. Returns the claim's generation.
     */
    private int claim(final ControlFile controlFile)
    {
        while (true)
        {
            final long claim = controlFile.claimWord(slot);
            final long holder = ControlFile.pidOf(claim);
            if (holder != 0 && controlFile.isClaimantAlive(slot, holder))
            {
                throw new IllegalStateException("partition " + controlFile.name(slot) +
                    (holder == pid ? " is already claimed by this process" : " is claimed by pid " + holder));
            }
            if (controlFile.takeOver(slot, claim, pid))
            {
                if (holder != 0)
                {
                    controlFile.countAtomic(FabricCounters.claimsReapedId(slot));
                }
                return ControlFile.generationOf(claim) + 1;
            }
        }
    }

    /**
     * A log to another context's inbox, within the fabric's peer log budget: null when the budget
     * has none left or the driver refuses it (no room, no counter, or its session ID still taken).
     * The budget keeps the driver's counters for claims; a log the driver made but had no counter
     * to link to its subscriber would leave its sender waiting out the connect timeout.
     */
    ExclusivePublication addPeerPublication(final int sessionId, final int streamId)
    {
        final ControlFile controlFile = client.controlFile();
        if (!controlFile.takePeerLog(slot))
        {
            return null;
        }
        final ExclusivePublication publication;
        try
        {
            publication = addPublication(sessionId, streamId);
        }
        catch (final RegistrationException ex)
        {
            controlFile.givePeerLog(slot);
            return null;
        }
        if (!publication.isConnected() && DriverCounters.noneFree(client.aeron().countersReader()))
        {
            synchronized (resources)
            {
                resources.remove(publication);
            }
            publication.close();
            controlFile.givePeerLog(slot);
            return null;
        }
        return publication;
    }

    /**
     * A context's log to the partition manager. Its session ID carries eight bits of the claim's generation,
     * so claim g - 256's log had it too: closed, that log keeps its session ID in the driver until the
     * driver's next timer check (every second by Aeron's default, 10 ms in the fabric's own driver). The
     * driver refuses a second log with it meanwhile, so a claim 256 on from one just closed asks again,
     * after 1, 2, 4 ms and so on up to 100 ms between asks, until {@code deadline}; any other refusal is
     * thrown at once.
     */
    private ExclusivePublication addManagerPublication(final int sessionId, final long deadline)
    {
        // Each refusal is an error the driver reports (the manager prints its driver's): the pause doubles.
        long pauseNs = SESSION_HELD_FIRST_PAUSE_NS;
        while (true)
        {
            try
            {
                return addPublication(sessionId, TrapProtocol.PM_STREAM_ID);
            }
            catch (final RegistrationException ex)
            {
                if (!DriverCounters.isSessionClash(ex) || System.nanoTime() - deadline >= 0)
                {
                    throw ex;
                }
            }
            LockSupport.parkNanos(pauseNs);
            pauseNs = Math.min(2 * pauseNs, SESSION_HELD_MAX_PAUSE_NS);
        }
    }

    ExclusivePublication addPublication(final int sessionId, final int streamId)
    {
        final ExclusivePublication publication = client.aeron().addExclusivePublication(
            TrapProtocol.publicationChannel(sessionId), streamId);
        synchronized (resources)
        {
            resources.add(publication);
        }
        return publication;
    }

    public int partitionId()
    {
        return partitionId;
    }

    public String name()
    {
        return name;
    }

    int slot()
    {
        return slot;
    }

    ControlFile controlFile()
    {
        return client.controlFile();
    }

    /** True once the client's partition manager has gone (closed or died). */
    boolean isPartitionManagerGone()
    {
        return client.isPartitionManagerGone();
    }

    /** The driver's counters, as this endpoint's client sees them. */
    CountersReader countersReader()
    {
        return client.aeron().countersReader();
    }

    /**
     * Where this partition's other execution contexts cold-boot, as its SP initialisation registered
     * it with FFA_SECONDARY_EP_REGISTER_64 (an address in {@link #memory()}); 0 when none has been.
     */
    public long secondaryEntryPoint()
    {
        return controlFile().secondaryEntryPoint(slot);
    }

    /**
     * Held by a typed call from its trap to its FFA_RX_RELEASE, by the typed FFA_RXTX_MAP and UNMAP, and by
     * FFA_MSG_WAIT's release of RX, so the partition's contexts take turns with RX rather than take it
     * from one another or move it under a reader.
     */
    Object rxLock()
    {
        return rxLock;
    }

    /** This partition's memory: where its RX/TX buffers and shared regions live. */
    public EndpointMemory memory()
    {
        return memory;
    }

    public int executionContextCount()
    {
        return contexts.length;
    }

    public ExecutionContext executionContext(final int index)
    {
        if (index < 0 || index >= contexts.length)
        {
            throw new IllegalArgumentException("no execution context " + index + ": " + name + " has " +
                contexts.length + " execution contexts, 0 to " + (contexts.length - 1));
        }
        return contexts[index];
    }

    public boolean isClosed()
    {
        return closed;
    }

    /**
     * True once a context's initialisation failed (FFA_ERROR(ABORTED) from SP init): every context is ABORTED
     * from its next wait on, and requests to the partition answer ABORTED.
     */
    public boolean isAborted()
    {
        return abortedBy >= 0;
    }

    /**
     * Context {@code failed}'s init failed: every context of the partition is ABORTED, a WAITING one at once
     * (so requests and FFA_RUN find it so), any other at its own next wait.
     */
    void abort(final int failed)
    {
        abortedBy = failed;
        // Before the sweep: a request that finds a context not yet ABORTED reads this off the predicted path.
        client.controlFile().abortClaim(slot, generation);
        for (final ExecutionContext ec : contexts)
        {
            if (ec.index() != failed)
            {
                ec.abortIfWaiting();
            }
        }
    }

    /**
     * The execution context serving on the calling thread (a handler's, inside {@link #serve}), or
     * null. A handler shared by several contexts makes its own FF-A calls on this one: any other
     * is another thread's, and a context is used by one thread at a time.
     */
    public ExecutionContext currentContext()
    {
        for (final ExecutionContext ec : contexts)
        {
            if (ec.isServedByCurrentThread())
            {
                return ec;
            }
        }
        return null;
    }

    /** True when the manifest lets this partition receive direct requests: DIRECT_REQ, DIRECT_REQ2 or both. */
    public boolean receivesDirectRequests()
    {
        return (client.controlFile().properties(slot) &
            (PartitionProperties.DIRECT_REQ_RECV | PartitionProperties.DIRECT_REQ2_RECV)) != 0;
    }

    /**
     * Serves direct requests on every execution context, one thread each, with {@code handler}
     * (one instance shared by all contexts: it must be thread-safe if it keeps state, and makes its
     * own FF-A calls on {@link #currentContext()}). Returns
     * once every context waits in FFA_MSG_WAIT, so a request sent next is not answered BUSY. A handler
     * that throws, an Error too, aborts that request (its requester gets ABORTED), is told to the client's
     * {@link FabricClient.Context#errorHandler error handler} (stack traces on stderr by default),
     * and the context serves on. One serve at a time: a
     * second while the first runs throws {@link IllegalStateException}; so does a partition that receives
     * no direct requests (its manifest's properties), a context that
     * cannot wait (its partition's initialisation failed, ABORTED) or does not within the client's connect
     * timeout, and an endpoint that closes before they all wait; then the threads it started are
     * stopped as a close stops them.
     * <p>
     * Closing the result stops the threads, and each context leaves FFA_MSG_WAIT (a request to it is
     * then BUSY); so does closing the endpoint. A thread stops once its request is answered, or its
     * duty cycle's wait ends (100 ms at most); the close waits for them, bounded by the client's connect
     * timeout past that, interrupting a thread still running halfway through (5 s at most). A handler
     * that runs on after that (it ignores interrupts, or blocks where they do not reach) is left running:
     * the close throws {@link IllegalStateException} naming its execution contexts and threads. Such a
     * thread ends once its handler returns; until then its context is BUSY to other requests, and the
     * endpoint stays serving, so a serve is refused rather than put a second thread on that context.
     * Closing the result again waits again, as bounded, and returns once every thread has ended. The
     * endpoint's close is bounded as before, and lets go of the context once the handler has returned.
     * The threads are daemon threads: a handler that never returns does not hold the JVM's exit, and a
     * program that serves until told to stop waits for that itself (as {@code ffa host} does). A handler
     * may close the result: the close then returns at once, and the serve ends once the handler has
     * returned.
     */
    public AutoCloseable serve(final DirectRequestHandler handler)
    {
        if (closed)
        {
            throw new IllegalStateException("endpoint " + name + " is closed");
        }
        if (partitionId == EndpointId.HYPERVISOR)
        {
            // Nobody sends the scheduler requests, and its FFA_MSG_WAIT is NOT_SUPPORTED.
            throw new IllegalStateException("the hypervisor endpoint " + name + " is never sent direct requests");
        }
        if (!receivesDirectRequests())
        {
            // Every request to it is DENIED: a serve would wait for ever.
            throw new IllegalStateException("partition " + name + " receives no direct requests: its manifest " +
                "gives it neither DIRECT_REQ nor DIRECT_REQ2 receipt");
        }
        final int failed = abortedBy;
        if (failed >= 0)
        {
            // Its contexts not yet ABORTED would be at their first wait: none serves.
            throw new IllegalStateException(DirectRequestServer.abortedMessage(contexts[failed]));
        }
        final ServingThreads threads = new ServingThreads(
            this, contexts, handler, serving, client.connectTimeoutNs(), client.errorHandler());
        final ServingThreads holder = threads.hold();
        if (holder != null)
        {
            throw new IllegalStateException(holder.refusal());
        }
        threads.start();
        final ControlFile controlFile = client.controlFile();
        final long deadline = System.nanoTime() + client.connectTimeoutNs();
        for (int ec = 0; ec < contexts.length; ec++)
        {
            final int stateOffset = controlFile.ecStateOffset(slot, ec);
            String refusal = null;
            while (!threads.hasWaited(ec))
            {
                final int state;
                synchronized (closeLock)
                {
                    if (closed)
                    {
                        // Closed meanwhile, the context never waits (a released one is OFF): say so now, as a
                        // serve after the close would. Looked at under the close's lock, as the state is read:
                        // the client unmaps the control file only after every endpoint's close has begun.
                        refusal = "endpoint " + name + " is closed";
                        break;
                    }
                    state = ExecutionContextState.state(controlFile.ecState(stateOffset));
                }
                if (state == ExecutionContextState.WAITING)
                {
                    break;
                }
                refusal = state == ExecutionContextState.ABORTED ? DirectRequestServer.abortedMessage(contexts[ec]) :
                    System.nanoTime() >= deadline ? "execution context " + ec + " of " + name +
                    " did not start waiting for requests within " + client.connectTimeoutNs() / 1_000_000 + " ms" : null;
                if (refusal != null)
                {
                    break;
                }
                Thread.yield();
            }
            if (refusal != null)
            {
                final IllegalStateException failure = new IllegalStateException(refusal);
                threads.closeAfterFailure(failure);
                throw failure;
            }
        }
        return threads;
    }

    /** True while claim {@code generation} (its low eight bits) of {@code partitionId} holds. */
    boolean isClaimed(final int partitionId, final int generation)
    {
        final ControlFile controlFile = client.controlFile();
        final int peerSlot = controlFile.slotOf(partitionId);
        final long claim = peerSlot >= 0 ? controlFile.claimWord(peerSlot) : 0;
        return ControlFile.pidOf(claim) != 0 && (ControlFile.generationOf(claim) & 0xFF) == (generation & 0xFF);
    }

    /** True while claim {@code generation} of {@code partitionId} holds, and the partition has context {@code ec}. */
    boolean isClaimed(final int partitionId, final int ec, final int generation)
    {
        final ControlFile controlFile = client.controlFile();
        return isClaimed(partitionId, generation) && ec < controlFile.executionContextCount(controlFile.slotOf(partitionId));
    }

    /** Has the client's conductor look for new images now: an answer may wait on one. */
    void hurryConductor()
    {
        client.hurryConductor();
    }

    /** True once no thread is inside an execution context's {@code invoke}. */
    boolean isQuiet()
    {
        for (final ExecutionContext ec : contexts)
        {
            if (ec != null && ec.isInvoking())
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Releases the claim; waits (bounded by the client's connect timeout) for threads inside
     * {@code invoke} to notice and leave, and for the partition manager to let go of the slot. A
     * context whose thread is still inside after that wait (a handler that runs on) is released
     * once that thread leaves its call, by a daemon thread the close starts, which then unmaps the
     * endpoint; the close returns with the partition still claimed, and says so to the client's
     * {@link FabricClient.Context#errorHandler error handler}. A handler may close its own endpoint:
     * the close then returns at once, and the rest follows once the handler has returned and its
     * answer is out. A call made after close answers FFA_ERROR(ABORTED); calls and {@link #serve}
     * threads may run on while it closes: a call is either waited for or answers ABORTED. A close while
     * another thread's close runs (the client's, say) returns once that one has, as
     * {@link FabricClient#close()} does.
     */
    public void close()
    {
        final boolean first;
        synchronized (closeLock)
        {
            // The client's partition manager watch may close it while its owner does.
            first = !closed;
            closed = true;
        }
        if (!first)
        {
            client.awaitClose(closeReturned);
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
        final boolean fromHandler = isServedByCurrentThread();
        // Closed from a handler, this thread is inside a call until its answer is out: not quiet,
        // so the close finishes on its own thread once the handler has returned and answered.
        boolean quiet = fromHandler && releaseQuietContexts();
        if (!fromHandler)
        {
            // A call enters by compare-and-set and then reads the closed flag stored above: one we do not
            // see here sees the close, and touches nothing. Such a late call (a serving thread leaving its
            // wait, a caller not yet told) is inside for a moment as we release: look again, rather than
            // leave the claim to a finisher and return with it still held.
            final long quietDeadline = System.nanoTime() + client.connectTimeoutNs();
            awaitQuiet(quietDeadline);
            while (!(quiet = releaseQuietContexts()) && System.nanoTime() - quietDeadline < 0)
            {
                LockSupport.parkNanos(CLOSE_POLL_NS);
            }
        }
        if (quiet)
        {
            awaitLetGo();
            // A claim the manager did not let go of (it has gone, or this process stalled past its client's
            // liveness and Aeron dropped the releases with the client) is let go of here: the sessions still
            // bound to it are the manager's to reap at its next check, not held until this process exits.
            client.controlFile().unclaim(slot, generation, pid);
            closeResources();
            CloseHelper.quietClose(memory);
            client.closed(this);
        }
        else
        {
            // A thread is still inside invoke, reading its logs and memory in place: a thread of its
            // own finishes the close once it has left, so that no call pays for noticing the close.
            final Thread finisher = new Thread(this::finishCloseOnceQuiet, "ffa-close-" + name());
            finisher.setDaemon(true);
            finisher.start();
            final String inside = describeCallsInside();
            if (!fromHandler && inside != null)
            {
                // A handler's own close is expected to finish so; anyone else's is told that it returned early.
                client.errorHandler().onError(new IllegalStateException(inside + " after " +
                    client.connectTimeoutNs() / 1_000_000 + " ms: endpoint " + name + " stays claimed, and its " +
                    "close finishes on thread " + finisher.getName() + " once the call returns"));
            }
        }
    }

    /** "execution context 0 is still inside a call", naming every context a thread is inside; null for none. */
    private String describeCallsInside()
    {
        final StringBuilder sb = new StringBuilder();
        int inside = 0;
        for (int ec = 0; ec < contexts.length; ec++)
        {
            if (contexts[ec].isInvoking())
            {
                sb.append(inside++ == 0 ? "" : ", ").append(ec);
            }
        }
        if (inside == 0)
        {
            return null;
        }
        return (inside > 1 ? "execution contexts " + sb + " are" : "execution context " + sb + " is") + " still inside a call";
    }

    /** Waits, bounded by the connect timeout, for the manager to let go of the slot once every release has gone. */
    private void awaitLetGo()
    {
        final long deadline = System.nanoTime() + client.connectTimeoutNs();
        long nextManagerCheck = 0;
        while (client.controlFile().holdsClaim(slot, generation, pid))
        {
            final long now = System.nanoTime();
            if (now >= deadline)
            {
                break;
            }
            if (now >= nextManagerCheck)
            {
                // A partition manager that died will never let go of the slot: nothing to wait for.
                if (client.isPartitionManagerGone())
                {
                    break;
                }
                nextManagerCheck = now + MANAGER_CHECK_INTERVAL_NS;
            }
            LockSupport.parkNanos(CLOSE_POLL_NS);
        }
    }

    /** True on one of this endpoint's serving threads: a handler closes, say. */
    boolean isServedByCurrentThread()
    {
        for (final ExecutionContext ec : contexts)
        {
            if (ec != null && ec.isServedByCurrentThread())
            {
                return true;
            }
        }
        return false;
    }

    private void awaitQuiet(final long deadline)
    {
        while (!isQuiet() && System.nanoTime() < deadline)
        {
            LockSupport.parkNanos(CLOSE_POLL_NS);
        }
    }

    /**
     * Releases every context no thread is inside (a context inside owns its publications until it
     * leaves); true once all of them have been released and none is inside. Not quiet alone: a thread
     * inside at its context's look may leave by the last look, its context still not released.
     */
    private synchronized boolean releaseQuietContexts()
    {
        boolean released = true;
        for (final ExecutionContext ec : contexts)
        {
            if (!ec.releaseSent)
            {
                if (ec.isInvoking())
                {
                    released = false;
                }
                else
                {
                    ec.releaseSent = true;
                    ec.release();
                }
            }
        }
        return released && isQuiet();
    }

    /**
     * The rest of a close that found a context inside a call (a handler that outlived the wait):
     * each context is released as its thread leaves, and once none is left inside, the endpoint
     * closes its logs, unmaps its memory and tells the client, whose Aeron it needed until then.
     */
    private void finishCloseOnceQuiet()
    {
        long pollNs = FINISH_CLOSE_POLL_NS;
        while (true)
        {
            synchronized (this)
            {
                if (releaseQuietContexts())
                {
                    if (client.hasStalled())
                    {
                        // Its releases went nowhere: let go of the claim as the close above does.
                        client.controlFile().unclaim(slot, generation, pid);
                    }
                    closeResources();
                    CloseHelper.quietClose(memory);
                    break;
                }
            }
            LockSupport.parkNanos(pollNs);
            pollNs = Math.min(pollNs * 2, FINISH_CLOSE_MAX_POLL_NS);
        }
        client.closed(this);
    }

    private void closeResources()
    {
        synchronized (resources)
        {
            CloseHelper.quietCloseAll(resources);
            resources.clear();
        }
    }
}
