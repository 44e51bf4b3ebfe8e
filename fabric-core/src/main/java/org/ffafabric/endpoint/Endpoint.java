package org.ffafabric.endpoint;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.memory.EndpointMemory;
import org.ffafabric.transport.TrapProtocol;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A claimed partition in this process: its memory mapped, one {@link ExecutionContext} per
 * manifest execution context, bound to the partition manager. Closing it releases the claim.
 */
public final class Endpoint implements AutoCloseable
{
    private final FabricClient client;
    private final int partitionId;
    private final int slot;
    private final long pid;
    private final EndpointMemory memory;
    private final ExecutionContext[] contexts;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private volatile boolean closed;
    // Guarded by this: close found a context inside invoke, so the last to leave finishes the close.
    private boolean closeDeferred;

    Endpoint(final FabricClient client, final int partitionId, final int slot, final Supplier<IdleStrategy> idle)
    {
        this.client = client;
        this.partitionId = partitionId;
        this.slot = slot;
        this.pid = ProcessHandle.current().pid();
        final ControlFile controlFile = client.controlFile();
        claim(controlFile);
        EndpointMemory mapped = null;
        try
        {
            mapped = EndpointMemory.open(
                FabricDirectory.memoryFile(client.directory(), partitionId), controlFile.memoryBase());
            final int generation = controlFile.claimGeneration(slot);
            contexts = new ExecutionContext[controlFile.executionContextCount(slot)];
            for (int ec = 0; ec < contexts.length; ec++)
            {
                final int sessionId = TrapProtocol.sessionId(partitionId, ec, generation);
                final Subscription inbox = client.aeron().addSubscription(
                    TrapProtocol.CHANNEL, TrapProtocol.inboxStreamId(partitionId, ec));
                resources.add(inbox);
                final ExclusivePublication toPm = addPublication(sessionId, TrapProtocol.PM_STREAM_ID);
                contexts[ec] = new ExecutionContext(
                    this, ec, new ContextTransport(this, sessionId, inbox, toPm, idle.get()));
                final RegisterFile regs = new RegisterFile();
                regs.w(0, TrapProtocol.FABRIC_CLAIM).w(1, (int)pid).w(2, (int)(pid >>> 32));
                if (!contexts[ec].bind(regs, client.connectTimeoutNs()))
                {
                    throw new IllegalStateException("partition manager did not accept the claim of " +
                        controlFile.name(slot) + " execution context " + ec);
                }
            }
        }
        catch (final RuntimeException ex)
        {
            closeResources();
            CloseHelper.quietClose(mapped);
            controlFile.unclaim(slot, pid);
            throw ex;
        }
        memory = mapped;
    }

    /** Claims the manifest entry: refused while a live process holds it, taken over from a dead one. */
    private void claim(final ControlFile controlFile)
    {
        while (!controlFile.claim(slot, 0, pid))
        {
            final long holder = controlFile.claimPid(slot);
            if (holder == pid)
            {
                throw new IllegalStateException("partition " + controlFile.name(slot) + " is already claimed by this process");
            }
            if (holder != 0 && ProcessHandle.of(holder).map(ProcessHandle::isAlive).orElse(false))
            {
                throw new IllegalStateException("partition " + controlFile.name(slot) + " is claimed by pid " + holder);
            }
            if (holder != 0 && controlFile.claim(slot, holder, pid))
            {
                return;
            }
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
        return client.controlFile().name(slot);
    }

    int slot()
    {
        return slot;
    }

    ControlFile controlFile()
    {
        return client.controlFile();
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
        return contexts[index];
    }

    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Serves direct requests on every execution context, one thread each, with {@code handler}
     * (one instance shared by all contexts: it must be thread-safe if it keeps state). Returns
     * once every context waits in FFA_MSG_WAIT, so a request sent next is not answered BUSY.
     * Closing the result stops the threads; close it before the endpoint.
     */
    public AutoCloseable serve(final DirectRequestHandler handler)
    {
        final List<AgentRunner> runners = new ArrayList<>();
        for (final ExecutionContext ec : contexts)
        {
            // The context idles inside invoke with its own strategy, so the runner never needs to.
            final AgentRunner runner = new AgentRunner(
                NoOpIdleStrategy.INSTANCE, Throwable::printStackTrace, null, new DirectRequestServer(ec, handler));
            AgentRunner.startOnThread(runner);
            runners.add(runner);
        }
        final ControlFile controlFile = client.controlFile();
        final long deadline = System.nanoTime() + client.connectTimeoutNs();
        for (int ec = 0; ec < contexts.length; ec++)
        {
            final int stateOffset = controlFile.ecStateOffset(slot, ec);
            while (ExecutionContextState.state(controlFile.ecState(stateOffset)) != ExecutionContextState.WAITING &&
                System.nanoTime() < deadline)
            {
                Thread.yield();
            }
        }
        return () -> CloseHelper.closeAll(runners);
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
     * by that thread as it leaves its call, which also unmaps the endpoint once none is left inside.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        final long quietDeadline = System.nanoTime() + client.connectTimeoutNs();
        while (!isQuiet() && System.nanoTime() < quietDeadline)
        {
            Thread.yield();
        }
        final boolean quiet;
        synchronized (this)
        {
            for (final ExecutionContext ec : contexts)
            {
                // A context still inside invoke (a handler that outlived the wait) owns its
                // publications: its own thread sends the release when it leaves (contextLeft).
                if (!ec.isInvoking())
                {
                    releaseOnce(ec);
                }
            }
            quiet = isQuiet();
            closeDeferred = !quiet;
        }
        final long deadline = System.nanoTime() + client.connectTimeoutNs();
        while (quiet && client.controlFile().claimPid(slot) == pid && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
            Thread.yield();
        }
        if (quiet)
        {
            closeResources();
            CloseHelper.quietClose(memory);
            client.closed(this);
        }
        // Else a thread is still inside invoke, reading its logs and memory in place: the last one
        // to leave releases its context and unmaps them (contextLeft), and tells the client, whose
        // Aeron it still needs until then.
    }

    /**
     * A context's thread left its last invoke after the endpoint closed: release the context from
     * that thread, and once no context is inside invoke, finish the close that had to wait.
     */
    void contextLeft(final ExecutionContext ec)
    {
        final boolean finished;
        synchronized (this)
        {
            releaseOnce(ec);
            finished = closeDeferred && isQuiet();
            if (finished)
            {
                closeDeferred = false;
                closeResources();
                CloseHelper.quietClose(memory);
            }
        }
        if (finished)
        {
            // Outside our monitor: the client may close its Aeron and control file now.
            client.closed(this);
        }
    }

    private void releaseOnce(final ExecutionContext ec)
    {
        if (!ec.releaseSent)
        {
            ec.releaseSent = true;
            ec.release();
        }
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
