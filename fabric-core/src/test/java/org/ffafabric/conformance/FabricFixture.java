package org.ffafabric.conformance;

import org.agrona.concurrent.IdleStrategy;
import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.pm.PartitionManager;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * One launched {@link EmbeddedFabric}, the endpoints claimed at launch (by partition ID) and an
 * executor for the calls that block. {@link #close()} lets every call still on the executor return
 * (each wait is bounded) before the fabric closes.
 */
final class FabricFixture implements AutoCloseable
{
    /** How long a response waits for the next message on another thread before FFA_INTERRUPT. */
    static final long RESPOND_NS = 300_000_000L;

    private final EmbeddedFabric fabric;
    private final ExecutorService exec;
    private final Map<Integer, Endpoint> endpoints = new HashMap<>();
    private boolean closed;

    private FabricFixture(final EmbeddedFabric fabric)
    {
        this.fabric = fabric;
        this.exec = Executors.newCachedThreadPool();
    }

    /** Launches the manifest and claims the given partitions; closes again if a claim fails. */
    static FabricFixture launch(final Manifest manifest, final int... claimed)
    {
        return launch(manifest, null, claimed);
    }

    /** As {@link #launch(Manifest, int...)}, the endpoints idling with {@code idle} (null: the default). */
    static FabricFixture launch(final Manifest manifest, final Supplier<IdleStrategy> idle, final int... claimed)
    {
        return launch(new PartitionManager.Context().manifest(manifest), idle, claimed);
    }

    /** As {@link #launch(Manifest, Supplier, int...)}, the partition manager as {@code pmContext} configures it. */
    static FabricFixture launch(final PartitionManager.Context pmContext, final Supplier<IdleStrategy> idle, final int... claimed)
    {
        final FabricFixture fx = new FabricFixture(EmbeddedFabric.launch(pmContext, idle));
        try
        {
            for (final int id : claimed)
            {
                fx.endpoints.put(id, fx.fabric.claim(id));
            }
            return fx;
        }
        catch (final RuntimeException | Error ex)
        {
            try
            {
                fx.close();
            }
            catch (final Exception | Error suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
    }

    EmbeddedFabric fabric()
    {
        return fabric;
    }

    ExecutorService exec()
    {
        return exec;
    }

    ControlFile controlFile()
    {
        return fabric.partitionManager().controlFile();
    }

    /** A further claim, closed by the caller (not by the fixture). */
    Endpoint claim(final int id)
    {
        return fabric.claim(id);
    }

    /** The endpoint claimed at launch (or by {@link #reclaim}). */
    Endpoint endpoint(final int id)
    {
        final Endpoint ep = endpoints.get(id);
        assertNotNull(ep, () -> "partition 0x" + Integer.toHexString(id) + " was not claimed by the fixture");
        return ep;
    }

    /** Closes the held endpoint of a partition and claims it again: a new claim, a new negotiation. */
    Endpoint reclaim(final int id)
    {
        endpoint(id).close();
        final Endpoint ep = fabric.claim(id);
        endpoints.put(id, ep);
        return ep;
    }

    ExecutionContext ec(final int id)
    {
        return ec(id, 0);
    }

    ExecutionContext ec(final int id, final int index)
    {
        return endpoint(id).executionContext(index);
    }

    int state(final int id, final int ec)
    {
        return Fx.state(fabric, id, ec);
    }

    void awaitState(final int id, final int ec, final int state)
    {
        Fx.awaitState(fabric, id, ec, state);
    }

    /** Starts FFA_MSG_WAIT on another thread and waits until the context is WAITING. */
    Future<RegisterFile> msgWait(final ExecutionContext ec)
    {
        return msgWait(ec, WAIT_NS);
    }

    /**
     * As {@link #msgWait(ExecutionContext)}, the wait bounded by {@code timeoutNs}. A short bound may run
     * out before this thread has looked at the state word: a wait that has returned, other than with
     * FFA_ERROR, was WAITING (it ends in FFA_INTERRUPT only from WAITING), so that is as good. A caller
     * that needs the context still WAITING afterwards must not give it a bound that can run out first.
     */
    Future<RegisterFile> msgWait(final ExecutionContext ec, final long timeoutNs)
    {
        final Future<RegisterFile> f = bounded(ec, regs(FunctionId.FFA_MSG_WAIT), timeoutNs);
        Fx.awaitStateOrDone(fabric, ec.partitionId(), ec.index(), ExecutionContextState.WAITING, f);
        return f;
    }

    /** Invokes on another thread (the call blocks until the other side answers). */
    Future<RegisterFile> async(final ExecutionContext ec, final RegisterFile r)
    {
        return bounded(ec, r, WAIT_NS);
    }

    /** Invokes on another thread with its own bound (FFA_INTERRUPT when nothing answers by then). */
    Future<RegisterFile> bounded(final ExecutionContext ec, final RegisterFile r, final long timeoutNs)
    {
        return exec.submit(() ->
        {
            ec.invoke(r, timeoutNs);
            return r;
        });
    }

    /** Responds on another thread; the response returns the next message (or FFA_INTERRUPT after RESPOND_NS). */
    Future<RegisterFile> respond(final ExecutionContext ec, final RegisterFile r)
    {
        return bounded(ec, r, RESPOND_NS);
    }

    /**
     * Sends a request from another thread to a receiver put in FFA_MSG_WAIT first, and waits until the
     * receiver has it. Returns the request's own future (done when the receiver responds).
     */
    Future<RegisterFile> deliver(final ExecutionContext receiver, final ExecutionContext sender, final RegisterFile r)
        throws Exception
    {
        final Future<RegisterFile> waiting = msgWait(receiver);
        final Future<RegisterFile> sent = async(sender, r);
        get(waiting);
        return sent;
    }

    /**
     * Lets every thread still inside invoke return (each wait is bounded) before the fabric
     * unmaps the files they read: closing under a blocked invoke crashes the JVM. Idempotent.
     */
    @Override
    public void close() throws Exception
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            exec.shutdown();
            assertTrue(exec.awaitTermination(30, TimeUnit.SECONDS), "a call never returned");
        }
        finally
        {
            fabric.close();
        }
    }
}
