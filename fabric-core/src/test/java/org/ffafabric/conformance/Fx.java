package org.ffafabric.conformance;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.*;

/** Register-level helpers shared by the conformance tests. */
final class Fx
{
    static final long WAIT_NS = TimeUnit.SECONDS.toNanos(10);

    /** Two partitions: vm1 (0x0001, direct messaging) and sp1 (0x8001). */
    static Manifest smallManifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555").directMessaging())
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"))
            .build();
    }

    /** The scheduler (0), vm1 (0x0001) and three SPs (0x8001..0x8003), one context each, all with direct messaging. */
    static Manifest hypervisorVmAndThreeSps()
    {
        return Manifest.builder()
            .partition(p -> p.name("hyp").id(0).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0"))
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("spa").id(0x8001).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .partition(p -> p.name("spb").id(0x8002).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .partition(p -> p.name("spc").id(0x8003).world(World.SP_EL1).uuid("cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .build();
    }

    static final int V1_0 = 0x10000;
    static final int V1_1 = 0x10001;
    static final int V1_2 = 0x10002;

    private Fx()
    {
    }

    /**
     * A claim through a client whose connect timeout is short so that its closes wait briefly: the claim
     * waits that long too, and a stall of this JVM on a loaded machine outlasts it (no answer, ABORTED).
     * Such a claim is made again, for up to {@link #WAIT_NS}; any other failure is the test's.
     */
    static Endpoint claimWithShortWait(final FabricClient shortWait, final int partitionId)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (true)
        {
            try
            {
                return shortWait.claim(partitionId);
            }
            catch (final IllegalStateException ex)
            {
                if (!String.valueOf(ex.getMessage()).endsWith("(ABORTED)") || System.nanoTime() > deadline)
                {
                    throw ex;
                }
            }
        }
    }

    /**
     * Polls a condition every millisecond until it holds; fails saying {@code what} once the deadline has passed
     * and the condition still does not hold (a stall past the deadline may have been when it came true).
     */
    static void awaitUntil(final long deadlineNs, final java.util.function.BooleanSupplier condition, final String what)
    {
        awaitUntil(deadlineNs, condition, () -> what);
    }

    /** As above, with a message made only on failure, so that it can say what went on meanwhile. */
    static void awaitUntil(
        final long deadlineNs, final java.util.function.BooleanSupplier condition,
        final java.util.function.Supplier<String> what)
    {
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadlineNs || condition.getAsBoolean(), what);
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Waits for the latch, an interrupt meanwhile kept for the caller: a held handler is let go only by the test. */
    static void awaitUninterruptibly(final java.util.concurrent.CountDownLatch latch)
    {
        boolean interrupted = false;
        while (true)
        {
            try
            {
                latch.await();
                break;
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    static RegisterFile regs(final int functionId, final int... w)
    {
        final RegisterFile r = new RegisterFile();
        r.w(0, functionId);
        for (int i = 0; i < w.length; i++)
        {
            r.w(i + 1, w[i]);
        }
        return r;
    }

    /**
     * Fills what an SMC32 call does not carry, the upper halves of x1..x7 and all of x8..x17, with
     * garbage: the call must not see it, and its answer must not show it.
     */
    static RegisterFile dirtyBeyondSmc32(final RegisterFile r)
    {
        for (int n = 1; n < RegisterFile.REGISTER_COUNT; n++)
        {
            final long garbage = (0xA5A5_0000L | n) << 32;
            r.x(n, n < RegisterFile.SMC32_REGISTER_COUNT ? (r.x(n) & 0xFFFF_FFFFL) | garbage : garbage | n);
        }
        return r;
    }

    /** A messaging call: the function ID in w0, sender (or responder) and receiver IDs packed in w1. */
    static RegisterFile ids(final int functionId, final int sender, final int receiver)
    {
        final RegisterFile r = regs(functionId);
        r.w(1, RegisterFile.packIds(sender, receiver));
        return r;
    }

    static RegisterFile call(final ExecutionContext ec, final int functionId, final int... w)
    {
        final RegisterFile r = regs(functionId, w);
        ec.invoke(r, WAIT_NS);
        return r;
    }

    static RegisterFile call(final ExecutionContext ec, final RegisterFile r)
    {
        ec.invoke(r, WAIT_NS);
        return r;
    }

    /**
     * FFA_ERROR with the code in w2, zero-extended, and every other register zero: w1 is target info the fabric
     * never fills (TF-A writes 0 there too; digest 2.2).
     */
    static void assertError(final int code, final RegisterFile r)
    {
        assertError(code, r, "expected FFA_ERROR(" + code + ")");
    }

    static void assertError(final int code, final RegisterFile r, final String why)
    {
        assertEquals(FunctionId.FFA_ERROR & 0xFFFF_FFFFL, r.x(0), () -> why + ": " + r);
        assertEquals(0L, r.x(1), () -> why + ", w1 zero: " + r);
        assertEquals(code & 0xFFFF_FFFFL, r.x(2), () -> why + ", the code zero-extended: " + r);
        assertTrue(r.isZero(3, 17), () -> why + ", x3..x17 zero: " + r);
    }

    static void assertSuccess32(final RegisterFile r)
    {
        assertEquals(FunctionId.FFA_SUCCESS_32, r.w(0), () -> "expected FFA_SUCCESS_32 got " + r);
    }

    static void awaitState(final EmbeddedFabric fabric, final int id, final int ec, final int state)
    {
        final ControlFile cf = fabric.partitionManager().controlFile();
        final int offset = cf.ecStateOffset(cf.slotOf(id), ec);
        final long deadline = System.nanoTime() + WAIT_NS;
        while (ExecutionContextState.state(cf.ecState(offset)) != state)
        {
            // Looked at again once past the deadline: a stall that ran it out may be when the state came.
            if (System.nanoTime() > deadline && ExecutionContextState.state(cf.ecState(offset)) != state)
            {
                fail("partition 0x" + Integer.toHexString(id) + "/" + ec + " never reached " +
                    ExecutionContextState.stateName(state) + ": " + ExecutionContextState.describe(cf.ecState(offset)));
            }
            LockSupport.parkNanos(100_000);
        }
    }

    /**
     * As {@link #awaitState}, for a state that {@code call}, running on another thread, puts the context in
     * on its way and may leave again by itself (a bounded wait that runs out): its return also ends the
     * wait, unless it returned FFA_ERROR, a call refused before it ever reached that state.
     */
    static void awaitStateOrDone(
        final EmbeddedFabric fabric, final int id, final int ec, final int state, final Future<RegisterFile> call)
    {
        final ControlFile cf = fabric.partitionManager().controlFile();
        final int offset = cf.ecStateOffset(cf.slotOf(id), ec);
        final long deadline = System.nanoTime() + WAIT_NS;
        while (ExecutionContextState.state(cf.ecState(offset)) != state)
        {
            if (call.isDone())
            {
                final RegisterFile r;
                try
                {
                    r = call.get();
                }
                catch (final Exception ex)
                {
                    throw new AssertionError("the call failed before partition 0x" + Integer.toHexString(id) + "/" + ec +
                        " was seen " + ExecutionContextState.stateName(state), ex);
                }
                assertNotEquals(FunctionId.FFA_ERROR, r.w(0), () -> "partition 0x" + Integer.toHexString(id) + "/" + ec +
                    " never reached " + ExecutionContextState.stateName(state) + ": its call returned " + r);
                return;
            }
            // Looked at again once past the deadline, as in awaitState.
            if (System.nanoTime() > deadline && ExecutionContextState.state(cf.ecState(offset)) != state && !call.isDone())
            {
                fail("partition 0x" + Integer.toHexString(id) + "/" + ec + " never reached " +
                    ExecutionContextState.stateName(state) + ": " + ExecutionContextState.describe(cf.ecState(offset)));
            }
            LockSupport.parkNanos(100_000);
        }
    }

    static int state(final EmbeddedFabric fabric, final int id, final int ec)
    {
        final ControlFile cf = fabric.partitionManager().controlFile();
        return ExecutionContextState.state(cf.ecState(cf.ecStateOffset(cf.slotOf(id), ec)));
    }

    static <T> T get(final Future<T> f) throws Exception
    {
        return f.get(WAIT_NS, TimeUnit.NANOSECONDS);
    }

    /** The 16 UUID bytes in textual order, as the descriptors and registers carry them. */
    static byte[] uuidBytes(final UUID uuid)
    {
        return ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN)
            .putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits()).array();
    }

    /** Bytes 0-7 (half 0) or 8-15 (half 1) of a UUID as a little-endian u64. */
    static long uuidLe(final UUID uuid, final int half)
    {
        return ByteBuffer.wrap(uuidBytes(uuid), half * 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** UUID as PARTITION_INFO_GET's w1..w4: little-endian u32 words of the bytes in textual order. */
    static int uuidWord(final UUID uuid, final int n)
    {
        return ByteBuffer.wrap(uuidBytes(uuid), n * 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }
}
