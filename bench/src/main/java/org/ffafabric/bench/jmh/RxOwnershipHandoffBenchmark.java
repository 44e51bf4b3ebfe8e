package org.ffafabric.bench.jmh;

import org.agrona.CloseHelper;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.bench.fabric.FfaScenarios;
import org.ffafabric.control.BufferOwnership;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.memory.EndpointMemory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The RX buffer ownership handoff alone, without the trap around it: one full cycle of
 * PRODUCER -&gt; CONSUMER -&gt; PRODUCER on the real ownership word of the control file and the
 * real RX page of the endpoint's memory.
 * <p>
 * A producer thread stands in for the partition manager: with its own mappings of the control
 * file (the PM's) and of the endpoint's memory file (as the PM maps it), it waits until RX is
 * PRODUCER, writes a 64-byte descriptor (eight words, the first a sequence number) into the RX
 * page and release-stores CONSUMER. The JMH thread is the endpoint: through the client's mapping
 * it waits for CONSUMER, reads the 64 bytes, checks the sequence, and calls FFA_RX_RELEASE
 * through {@link ExecutionContext#invoke} (answered locally by a release store of PRODUCER, no
 * trap). An operation is that whole cycle, so it includes the cache-line transfers of the
 * ownership word and the descriptor both ways. Both threads busy-spin.
 * <p>
 * Set-up uses an {@link EmbeddedFabric} and maps one TX and one RX page with FFA_RXTX_MAP_64
 * through {@code invoke}; the partition manager is not involved after that.
 */
@BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class RxOwnershipHandoffBenchmark
{
    static final int DESCRIPTOR_WORDS = 8;
    private static final int LIVENESS_CHECK_MASK = 0xFFFF;

    private final RegisterFile regs = new RegisterFile();
    private EmbeddedFabric fabric;
    private Path directory;
    private Endpoint endpoint;
    private ExecutionContext ec;
    private ControlFile consumerControl;
    private UnsafeBuffer consumerMemory;
    private EndpointMemory producerMapping;
    private int slot;
    private int rxOffset;
    private long sequence;
    private Thread producer;
    private volatile boolean running;
    private volatile Throwable producerFailure;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        TrialSetUp.run(this::make, this::tearDown);
    }

    private void make()
    {
        fabric = EmbeddedFabric.launch(FfaScenarios.manifest(), BusySpinIdleStrategy::new);
        directory = fabric.directory();
        endpoint = fabric.claim(FfaScenarios.REQUESTER_ID);
        ec = endpoint.executionContext(0);
        final EndpointMemory memory = endpoint.memory();
        final long tx = memory.base();
        final long rx = tx + EndpointMemory.PAGE_SIZE;
        regs.clear().w(0, FunctionId.FFA_RXTX_MAP_64).x(1, tx).x(2, rx).w(3, 1);
        ec.invoke(regs);
        if (!regs.isSuccess())
        {
            throw new IllegalStateException("FFA_RXTX_MAP_64 failed: " + regs);
        }
        consumerControl = fabric.client().controlFile();
        consumerMemory = memory.buffer();
        slot = consumerControl.slotOf(FfaScenarios.REQUESTER_ID);
        rxOffset = memory.offsetOf(rx);

        final ControlFile producerControl = fabric.partitionManager().controlFile();
        producerMapping = EndpointMemory.open(
            FabricDirectory.memoryFile(directory, FfaScenarios.REQUESTER_ID), producerControl.memoryBase());
        if (producerControl.rxOwnership(slot) != BufferOwnership.PRODUCER)
        {
            throw new IllegalStateException("RX is not empty after FFA_RXTX_MAP_64");
        }
        running = true;
        producer = new Thread(
            () -> produce(producerControl, producerMapping.buffer()), "rx-producer");
        producer.setDaemon(true);
        producer.start();
    }

    /** The partition manager's side: fill RX while it is the producer's, then pass it on. */
    private void produce(final ControlFile control, final UnsafeBuffer rxMemory)
    {
        try
        {
            final int offset = rxOffset;
            final int s = slot;
            long next = 0;
            while (running)
            {
                if (control.rxOwnership(s) != BufferOwnership.PRODUCER)
                {
                    Thread.onSpinWait();
                    continue;
                }
                next++;
                for (int i = 0; i < DESCRIPTOR_WORDS; i++)
                {
                    rxMemory.putLong(offset + (i << 3), next + i);
                }
                control.rxOwnership(s, BufferOwnership.CONSUMER);
            }
        }
        catch (final Throwable ex)
        {
            producerFailure = ex;
        }
    }

    /**
     * One handoff: wait for CONSUMER, read the descriptor, FFA_RX_RELEASE.
     *
     * @return the sum of the descriptor's eight words.
     */
    @Benchmark
    public long handoff()
    {
        int spins = 0;
        while (consumerControl.rxOwnership(slot) != BufferOwnership.CONSUMER)
        {
            Thread.onSpinWait();
            if ((++spins & LIVENESS_CHECK_MASK) == 0 && !producer.isAlive())
            {
                throw new IllegalStateException("RX producer stopped", producerFailure);
            }
        }
        final long expected = ++sequence;
        long sum = 0;
        for (int i = 0; i < DESCRIPTOR_WORDS; i++)
        {
            sum += consumerMemory.getLong(rxOffset + (i << 3));
        }
        if (consumerMemory.getLong(rxOffset) != expected)
        {
            throw new IllegalStateException("descriptor " + consumerMemory.getLong(rxOffset) + ", expected " + expected);
        }
        final RegisterFile r = regs;
        r.clear().w(0, FunctionId.FFA_RX_RELEASE);
        ec.invoke(r);
        if (!r.isSuccess())
        {
            throw new IllegalStateException("unexpected FFA_RX_RELEASE answer " + r);
        }
        return sum;
    }

    long sequence()
    {
        return sequence;
    }

    Path directory()
    {
        return directory;
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        running = false;
        try
        {
            if (producer != null)
            {
                producer.join(TimeUnit.SECONDS.toMillis(5));
                if (producer.isAlive())
                {
                    throw new IllegalStateException("RX producer did not stop");
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            // The producer's mapping first; the endpoint, then the fabric, which deletes its directory.
            // A producer that never stopped would fault on an unmapped page: then leave its mapping to the GC.
            final boolean producerStopped = producer == null || !producer.isAlive();
            CloseHelper.closeAll(producerStopped ? producerMapping : null, endpoint, fabric);
            producer = null;
            producerMapping = null;
            endpoint = null;
            fabric = null;
        }
    }
}
