package org.ffafabric.bench.jmh;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.abi.descriptor.PartitionInfoDescriptor;
import org.ffafabric.bench.fabric.FfaScenarios;
import org.ffafabric.control.ControlFile;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.memory.EndpointMemory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * Discovery through the raw {@code invoke}: FFA_PARTITION_INFO_GET with the Nil UUID, which
 * traps to the partition manager over Aeron IPC, has it write one descriptor per visible
 * partition into the caller's RX buffer and hand RX ownership to the caller; the caller reads the
 * descriptors and gives the buffer back with FFA_RX_RELEASE (local, no trap).
 * {@code countOnly} is the same call with the count-only flag (w5 bit 0): a trap and no buffer.
 * The requesting VM maps one TX and one RX page (FFA_RXTX_MAP_64) in set-up; no responder runs.
 * <p>
 * Every call here is a trap, so the partition manager's idle strategy is on the measured path.
 * Its default backs off to 1 ms sleeps (it is meant to be off the hot path), which would measure
 * the sleep; so this benchmark constructs its {@code PartitionManager.Context} with
 * {@code pmIdle=busy} (a {@link BusySpinIdleStrategy}: the PM thread spins on a core of its own)
 * or {@code pmIdle=backoff} (a small back-off: 100 spins, 10 yields, then 1 to 100 us parks, as the
 * endpoints' default). The calling context busy-spins in both.
 */
@State(Scope.Benchmark)
public class PartitionInfoBenchmark extends FabricState
{
    @Param({"busy", "backoff"})
    public String pmIdle;

    private final RegisterFile regs = new RegisterFile();
    private final PartitionInfoDescriptor descriptor = new PartitionInfoDescriptor();
    private ExecutionContext ec;
    private UnsafeBuffer memory;
    private int rxOffset;
    private int version;
    private int expectedCount;

    static IdleStrategy pmIdleStrategy(final String pmIdle)
    {
        switch (pmIdle)
        {
            case "busy": return new BusySpinIdleStrategy();
            case "backoff": return new BackoffIdleStrategy(
                100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
            default: throw new IllegalArgumentException("pmIdle must be busy or backoff: " + pmIdle);
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        TrialSetUp.run(this::make, this::tearDown);
    }

    private void make() throws Exception
    {
        fabric = FabricBench.launch(pmIdleStrategy(pmIdle), FabricBench.Responder.NONE);
        ec = fabric.requesterContext();
        final EndpointMemory endpointMemory = fabric.requester().memory();
        final long tx = endpointMemory.base();
        final long rx = tx + EndpointMemory.PAGE_SIZE;
        regs.clear().w(0, FunctionId.FFA_RXTX_MAP_64).x(1, tx).x(2, rx).w(3, 1);
        ec.invoke(regs);
        if (!regs.isSuccess())
        {
            throw new IllegalStateException("FFA_RXTX_MAP_64 failed: " + regs);
        }
        memory = endpointMemory.buffer();
        rxOffset = endpointMemory.offsetOf(rx);
        final ControlFile controlFile = fabric.partitionManager().controlFile();
        version = controlFile.negotiatedVersion(controlFile.slotOf(FfaScenarios.REQUESTER_ID));
        // A VM sees every partition but the hypervisor: here both of the manifest's.
        expectedCount = controlFile.partitionCount();
    }

    /**
     * PARTITION_INFO_GET (Nil UUID) + reading every descriptor from RX + RX_RELEASE.
     *
     * @return the sum of the partition IDs found in RX.
     */
    @Benchmark
    public long infoGet()
    {
        final RegisterFile r = regs;
        r.clear().w(0, FunctionId.FFA_PARTITION_INFO_GET);
        ec.invoke(r);
        final int count = r.w(2);
        final int size = r.w(3);
        if (!r.isSuccess() || count != expectedCount)
        {
            throw new IllegalStateException("unexpected FFA_PARTITION_INFO_GET answer " + r);
        }
        long ids = 0;
        for (int i = 0, offset = rxOffset; i < count; i++, offset += size)
        {
            ids += descriptor.wrap(memory, offset, size, version).partitionId();
        }
        r.clear().w(0, FunctionId.FFA_RX_RELEASE);
        ec.invoke(r);
        if (!r.isSuccess())
        {
            throw new IllegalStateException("unexpected FFA_RX_RELEASE answer " + r);
        }
        return ids;
    }

    /**
     * PARTITION_INFO_GET (Nil UUID) with the count-only flag.
     *
     * @return the partition count.
     */
    @Benchmark
    public int countOnly()
    {
        final RegisterFile r = regs;
        r.clear().w(0, FunctionId.FFA_PARTITION_INFO_GET).w(5, 1);
        ec.invoke(r);
        if (!r.isSuccess() || r.w(2) != expectedCount)
        {
            throw new IllegalStateException("unexpected FFA_PARTITION_INFO_GET answer " + r);
        }
        return r.w(2);
    }
}
