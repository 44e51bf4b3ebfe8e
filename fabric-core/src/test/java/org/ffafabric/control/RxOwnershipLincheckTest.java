package org.ffafabric.control;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import static org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt.forClasses;

/**
 * Lincheck model checking (and a stress run) of the lock-free RX ownership handoff on a real
 * {@link ControlFile}: the partition manager, a VM and the hypervisor run random scenarios of the
 * operations below, and every interleaving the model checker tries (few context switches first,
 * up to the invocation budget) must be linearizable to {@link Spec}, the ownership state machine
 * with the spec's answers (reference 6.1). The race the compare-and-set release exists for needs
 * a scenario random generation seldom makes, so it is added by hand.
 * <p>
 * The partition manager writes a sequence number into the first and last payload words of RX
 * before handing it over, and the VM reads both after its acquire load, so a write by anyone but
 * the owner, or a handover before the write, shows as a stale or torn read. The model checker
 * runs each interleaving sequentially consistent: it checks who may write when, not the
 * release/acquire ordering of the word itself.
 * <p>
 * The word operations are ControlFile's own, and so is FFA_RX_RELEASE's hand-back
 * ({@link ControlFile#releaseRx}, which ExecutionContext.rxRelease calls), the one step a party takes
 * off the manager's thread, so the compare-and-set checked here is the one that runs. Where the
 * partition manager's side is a few lines inside a bigger handler (SetupAndDiscovery), the operation
 * repeats those lines, same checks, same order, same error codes; each says where they come from.
 * Whatever runs on the partition manager's one serving thread (traps, and a claim's reset) holds
 * {@link #pmThread}, so the model never races two things the manager does one after the other.
 * <p>
 * Threads are the parties: the manager, the VM (its own traps, its reads and release; one execution
 * context, as one that unmaps or releases RX while another reads it is the VM's own race), and the
 * hypervisor. The hypervisor's writes into an acquired RX are not checked: an unmap takes RX from it
 * (the spec's rule), so the word cannot keep them apart from the next owner's.
 */
public class RxOwnershipLincheckTest
{
    private static final int SLOT = 0;
    private static final long TX_ADDRESS = 0x8000_0000L;
    private static final long RX_ADDRESS = 0x8000_1000L;
    private static final int RX_LENGTH = 4096;
    private static final int FIRST_WORD = 0;
    private static final int LAST_WORD = RX_LENGTH - Integer.BYTES;
    /**
     * A hang guard: each run is a fixed amount of CPU work (and the stress run's threads wait for one another), so it
     * takes as long as its share of the cores allows: 13 and 20 s on a lightly loaded two-core machine, 30 and 39 s
     * beside four busy processes, where 60 s left little room.
     */
    private static final int TIMEOUT_S = 300;

    @TempDir
    static Path dir;

    private static ControlFile controlFile;
    private static UnsafeBuffer rx;

    private final Object pmThread = new Object();
    private int sequence;

    /** Lincheck makes one instance per run of a scenario: each starts from a freshly mapped, empty RX. */
    public RxOwnershipLincheckTest()
    {
        if (controlFile.rxtxMapped(SLOT))
        {
            controlFile.rxtxUnmap(SLOT);
        }
        controlFile.rxtxMap(SLOT, TX_ADDRESS, RX_ADDRESS, 1);
        rx.setMemory(0, RX_LENGTH, (byte)0);
    }

    @BeforeAll
    static void createControlFile()
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-0000-0000-0000-000000000001"))
            .build();
        controlFile = ControlFile.create(dir.resolve("fabric.ctl"), manifest, FfaVersion.LATEST, TX_ADDRESS, null);
        rx = new UnsafeBuffer(ByteBuffer.allocateDirect(RX_LENGTH));
    }

    @AfterAll
    static void closeControlFile()
    {
        controlFile.close();
    }

    @Test
    @Timeout(TIMEOUT_S)
    void modelChecking()
    {
        new ModelCheckingOptions()
            .iterations(8)
            .invocationsPerIteration(400)
            .threads(3)
            .actorsPerThread(3)
            .actorsBefore(2)
            .actorsAfter(2)
            .sequentialSpecification(Spec.class)
            .addCustomScenario(unmapBetweenReleaseCheckAndWrite())
            // Each UnsafeBuffer access is one load, store or CAS: a switch point, its insides not traced.
            .addGuarantee(forClasses(UnsafeBuffer.class.getName()).allMethods().treatAsAtomic())
            .check(RxOwnershipLincheckTest.class);
    }

    @Test
    @Timeout(TIMEOUT_S)
    void stress()
    {
        new StressOptions()
            .iterations(20)
            .invocationsPerIteration(500)
            .threads(3)
            .actorsPerThread(3)
            .actorsBefore(2)
            .actorsAfter(2)
            .sequentialSpecification(Spec.class)
            .check(RxOwnershipLincheckTest.class);
    }

    /**
     * The case the compare-and-set is for: the VM unmaps and maps again, and the manager hands RX to
     * the VM, while the hypervisor releases the RX it acquired: a release by check-then-store takes
     * RX from the VM.
     */
    private static ExecutionScenario unmapBetweenReleaseCheckAndWrite()
    {
        return new ExecutionScenario(
            List.of(),
            List.of(
                List.of(actor("rxAcquire"), actor("hypervisorRxRelease")),
                List.of(actor("rxtxUnmap"), actor("rxtxMap")),
                List.of(actor("deliver"), actor("deliver"))),
            List.of(actor("read")),
            null);
    }

    private static Actor actor(final String operation)
    {
        try
        {
            return new Actor(RxOwnershipLincheckTest.class.getMethod(operation), List.of());
        }
        catch (final NoSuchMethodException ex)
        {
            throw new IllegalArgumentException(operation, ex);
        }
    }

    // The partition manager.

    /**
     * The manager writes RX and hands it to the VM: SetupAndDiscovery.partitionInfoGet's lines on
     * the word (BUSY unless mapped and the producer's), its descriptors here a sequence number.
     */
    @Operation(nonParallelGroup = "pm")
    public String deliver()
    {
        synchronized (pmThread)
        {
            if (!controlFile.rxtxMapped(SLOT) || controlFile.rxOwnership(SLOT) != BufferOwnership.PRODUCER)
            {
                return ErrorCode.name(ErrorCode.BUSY);
            }
            final int seq = ++sequence;
            rx.putInt(FIRST_WORD, seq);
            rx.putInt(LAST_WORD, seq);
            controlFile.rxOwnership(SLOT, BufferOwnership.CONSUMER);
            return "delivered " + seq;
        }
    }

    // The VM.

    /** The VM reads RX if it owns it (acquire load of the word), both payload words. */
    @Operation(nonParallelGroup = "vm")
    public String read()
    {
        if (controlFile.rxOwnership(SLOT) != BufferOwnership.CONSUMER)
        {
            return "not owner";
        }
        final int first = rx.getInt(FIRST_WORD);
        final int last = rx.getInt(LAST_WORD);
        return first == last ? "read " + first : "torn " + first + "/" + last;
    }

    /** FFA_RX_RELEASE by the VM: ExecutionContext.rxRelease's own call for w1 = 0. */
    @Operation(nonParallelGroup = "vm")
    public String rxRelease()
    {
        return controlFile.releaseRx(SLOT, BufferOwnership.CONSUMER) ? "SUCCESS" : ErrorCode.name(ErrorCode.DENIED);
    }

    /** FFA_RXTX_UNMAP, trapped: SetupAndDiscovery.rxtxUnmap's lines once the slot is known. */
    @Operation(nonParallelGroup = "vm")
    public String rxtxUnmap()
    {
        synchronized (pmThread)
        {
            if (!controlFile.rxtxMapped(SLOT))
            {
                return ErrorCode.name(ErrorCode.INVALID_PARAMETERS);
            }
            controlFile.rxtxUnmap(SLOT);
            return "SUCCESS";
        }
    }

    /** FFA_RXTX_MAP, trapped: SetupAndDiscovery.rxtxMap's lines for valid addresses. */
    @Operation(nonParallelGroup = "vm")
    public String rxtxMap()
    {
        synchronized (pmThread)
        {
            if (controlFile.rxtxMapped(SLOT))
            {
                return ErrorCode.name(ErrorCode.DENIED);
            }
            controlFile.rxtxMap(SLOT, TX_ADDRESS, RX_ADDRESS, 1);
            return "SUCCESS";
        }
    }

    // The hypervisor.

    /** FFA_RX_ACQUIRE of the VM's RX, trapped: SetupAndDiscovery.rxAcquire's lines once the VM is known. */
    @Operation(nonParallelGroup = "hypervisor")
    public String rxAcquire()
    {
        synchronized (pmThread)
        {
            if (!controlFile.rxtxMapped(SLOT))
            {
                return ErrorCode.name(ErrorCode.INVALID_PARAMETERS);
            }
            if (controlFile.rxOwnership(SLOT) != BufferOwnership.PRODUCER)
            {
                return ErrorCode.name(ErrorCode.DENIED);
            }
            controlFile.rxOwnership(SLOT, BufferOwnership.HYPERVISOR);
            return "SUCCESS";
        }
    }

    /** FFA_RXTX_UNMAP by the hypervisor naming the VM (w1 [31:16]), trapped: as {@link #rxtxUnmap()}. */
    @Operation(nonParallelGroup = "hypervisor")
    public String rxtxUnmapForVm()
    {
        return rxtxUnmap();
    }

    /** FFA_RX_RELEASE by the hypervisor naming the VM: ExecutionContext.rxRelease's own call for w1 = VM ID. */
    @Operation(nonParallelGroup = "hypervisor")
    public String hypervisorRxRelease()
    {
        return controlFile.releaseRx(SLOT, BufferOwnership.HYPERVISOR) ? "SUCCESS" : ErrorCode.name(ErrorCode.DENIED);
    }

    /**
     * The hypervisor's claim ends (it is gone, so none of its operations is in flight):
     * PartitionManager.resetSlot gives the VM's RX back if the hypervisor held it.
     */
    @Operation(nonParallelGroup = "hypervisor")
    public void hypervisorClaimEnds()
    {
        synchronized (pmThread)
        {
            controlFile.rxOwnershipCompareAndSet(SLOT, BufferOwnership.HYPERVISOR, BufferOwnership.PRODUCER);
        }
    }

    /** The sequential specification: one owner at a time, and the payload the last delivery wrote. */
    public static final class Spec
    {
        private boolean mapped = true;
        private int owner = BufferOwnership.PRODUCER;
        private int sequence;
        private int payload;

        public String deliver()
        {
            if (!mapped || owner != BufferOwnership.PRODUCER)
            {
                return ErrorCode.name(ErrorCode.BUSY);
            }
            payload = ++sequence;
            owner = BufferOwnership.CONSUMER;
            return "delivered " + payload;
        }

        public String read()
        {
            return owner == BufferOwnership.CONSUMER ? "read " + payload : "not owner";
        }

        public String rxRelease()
        {
            return release(BufferOwnership.CONSUMER);
        }

        public String rxtxUnmap()
        {
            if (!mapped)
            {
                return ErrorCode.name(ErrorCode.INVALID_PARAMETERS);
            }
            // Whoever holds RX loses it.
            mapped = false;
            owner = BufferOwnership.PRODUCER;
            return "SUCCESS";
        }

        public String rxtxUnmapForVm()
        {
            return rxtxUnmap();
        }

        public String rxtxMap()
        {
            if (mapped)
            {
                return ErrorCode.name(ErrorCode.DENIED);
            }
            mapped = true;
            owner = BufferOwnership.PRODUCER;
            return "SUCCESS";
        }

        public String rxAcquire()
        {
            if (!mapped)
            {
                return ErrorCode.name(ErrorCode.INVALID_PARAMETERS);
            }
            if (owner != BufferOwnership.PRODUCER)
            {
                return ErrorCode.name(ErrorCode.DENIED);
            }
            owner = BufferOwnership.HYPERVISOR;
            return "SUCCESS";
        }

        public String hypervisorRxRelease()
        {
            return release(BufferOwnership.HYPERVISOR);
        }

        public void hypervisorClaimEnds()
        {
            if (owner == BufferOwnership.HYPERVISOR)
            {
                owner = BufferOwnership.PRODUCER;
            }
        }

        private String release(final int releaser)
        {
            if (!mapped || owner != releaser)
            {
                return ErrorCode.name(ErrorCode.DENIED);
            }
            owner = BufferOwnership.PRODUCER;
            return "SUCCESS";
        }

        public boolean equals(final Object o)
        {
            return o instanceof Spec && ((Spec)o).mapped == mapped && ((Spec)o).owner == owner &&
                ((Spec)o).sequence == sequence && ((Spec)o).payload == payload;
        }

        public int hashCode()
        {
            return Objects.hash(mapped, owner, sequence, payload);
        }
    }
}
