package org.ffafabric.conformance;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.aeron.driver.Configuration;
import io.aeron.driver.MediaDriver;
import io.aeron.exceptions.RegistrationException;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.EmbeddedFabric;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.PartitionManifest;
import org.ffafabric.manifest.World;
import org.ffafabric.pm.PartitionManager;
import org.ffafabric.transport.AeronTuning;
import org.ffafabric.transport.DriverCounters;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The media driver holds a fixed number of counters, and every log takes three of them: its
 * publisher's position and limit, and the position of the one subscription that reads it. With
 * Aeron's default 65,536 a fabric ran out at about 10,900 claimed contexts, below what a manifest
 * may declare, and a claim past that point waited out its whole timeout to fail "ABORTED", the
 * cause only in the partition manager's error handler. A claim that finds no counter must fail at
 * once, saying so, and leave the fabric as it was.
 */
class NoCounterForALogTest
{
    static final int VM = 1;
    static final int SP = 0x8001;
    static final int SP2 = 0x8002;
    static final int FILLER_TYPE_ID = 1001;

    /**
     * An external driver whose counters another client has taken, all but {@code left}: a claim of
     * the two-context sp needs six per context (its log to the manager and the manager's reply), the
     * claimer's logs for both first, so each count fails it at another step, on the claimer's side
     * (0-5) or the manager's (6-11): a log refused outright, or made and then not linked to its subscription.
     */
    @ParameterizedTest(name = "{0} counters left")
    @ValueSource(ints = {0, 1, 2, 5, 6, 7, 8, 11})
    @Timeout(120)
    void aClaimThatFindsNoCounterFailsSayingSoAndTheFabricGoesOn(final int left) throws Exception
    {
        final String name = "counters-" + UUID.randomUUID().toString().substring(0, 8);
        final Path aeronDir = Path.of("/dev/shm", "ffa-test-aeron-" + UUID.randomUUID().toString().substring(0, 8));
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm").id(VM).world(World.VM).uuid("e1000000-0000-0000-0000-000000000001")
                .directMessaging())
            .partition(p -> p.name("sp").id(SP).world(World.SP_EL1).uuid("e1000000-0000-0000-0000-000000008001")
                .directMessaging().executionContexts(2))
            .partition(p -> p.name("sp2").id(SP2).world(World.SP_EL1).uuid("e1000000-0000-0000-0000-000000008002")
                .directMessaging())
            .build();
        // The smallest counters buffer Aeron allows, and a counter given back is free at once.
        try (MediaDriver driver = MediaDriver.launch(AeronTuning.driver(new MediaDriver.Context()
                .aeronDirectoryName(aeronDir.toString()))
                .counterValuesBufferLength(Configuration.COUNTERS_VALUES_BUFFER_LENGTH_MIN)
                .counterFreeToReuseTimeoutNs(0));
            // Closed last: its counters' removal would flood every client still connected with notices.
            Aeron filler = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir.toString()));
            // Most are taken before the fabric's clients connect: each client reads the driver's notice of
            // every counter added while it is connected, one per duty cycle, before its next answer.
            AutoCloseable most = closing(takeAllBut(filler, 256));
            PartitionManager pm = PartitionManager.launch(new PartitionManager.Context().fabricName(name)
                .manifest(manifest).embeddedDriver(false).aeronDirectoryName(aeronDir.toString())
                .errorHandler(ex -> { }));
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory()));
            Endpoint vm = client.claim(VM);
            Endpoint sp2 = client.claim(SP2);
            AutoCloseable serving = sp2.serve(plusOne()))
        {
            // vm's logs to sp2 and back are made before the counters run out.
            assertAnswered(42, call(vm.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP2).x(3, 41)));
            final CountersReader counters = filler.countersReader();
            final int capacity = counters.maxCounterId() + 1;
            final List<Counter> taken = takeAllBut(filler, left);

            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> client.claim(SP));
            final String message = ex.getMessage();
            assertTrue(message.contains("no counter left"), message);
            assertTrue(message.contains(aeronDir.toString()), "names the driver: " + message);
            assertTrue(message.contains(Integer.toString(capacity)), "says how many it holds: " + message);
            final ControlFile cf = client.controlFile();
            assertEquals(0, cf.claimPid(cf.slotOf(SP)), "the failed claim is let go");

            // The fabric goes on: the manager answers, and sp2 serves, on the logs they had.
            assertEquals(VM, call(vm.executionContext(0), FunctionId.FFA_ID_GET).w(2));
            assertAnswered(8, call(vm.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP2).x(3, 7)));
            // And once some counters are given back, sp is claimed.
            for (int i = 0; i < 64; i++)
            {
                taken.remove(taken.size() - 1).close();
            }
            try (Endpoint sp = client.claim(SP))
            {
                for (int ec = 0; ec < sp.executionContextCount(); ec++)
                {
                    assertEquals(SP, call(sp.executionContext(ec), FunctionId.FFA_ID_GET).w(2));
                }
            }
        }
        assertFalse(Files.exists(aeronDir), "the driver removed its directory");
    }

    /**
     * The largest manifest: 256 partitions of 64 contexts, 16,384 in all. Each context's claim takes
     * two logs (its own to the manager, the manager's reply) and its first message to another context
     * one more: the driver the manager launches holds counters for all of them.
     */
    @Test
    @Timeout(120)
    void theEmbeddedDriverOfTheLargestManifestHasCountersForEveryContextsLogs() throws Exception
    {
        final int contexts = Manifest.MAX_PARTITIONS * PartitionManifest.MAX_EXECUTION_CONTEXTS;
        try (PartitionManager pm = PartitionManager.launch(new PartitionManager.Context()
                .fabricName("counters-" + UUID.randomUUID().toString().substring(0, 8)).manifest(largestManifest()));
            Aeron aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(FabricDirectory.aeronDirectory(pm.directory()).toString())))
        {
            final CountersReader counters = aeron.countersReader();
            final long free = free(counters);
            assertTrue(free >= 3L * 3 * contexts,
                "free counters " + free + " of " + (counters.maxCounterId() + 1) + " for " + contexts + " contexts");
        }
    }

    private static AutoCloseable closing(final List<Counter> counters)
    {
        return () -> counters.forEach(Counter::close);
    }

    /**
     * Logs between contexts come out of a budget: what the driver's counters hold, when the manager
     * starts, beside a heartbeat for each client to come and every context's claim logs (the largest
     * partition's twice). Past it, a context's first request to another answers FFA_ERROR(NO_MEMORY) at
     * once and moves nothing, and a claim still finds its counters; a claim that ends gives its back.
     */
    @Test
    @Timeout(120)
    void logsBetweenContextsPastTheBudgetAreRefusedAndClaimsStillFindTheirCounters() throws Exception
    {
        final String name = "counters-" + UUID.randomUUID().toString().substring(0, 8);
        final Path aeronDir = Path.of("/dev/shm", "ffa-test-aeron-" + UUID.randomUUID().toString().substring(0, 8));
        final int ecs = 4;
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm").id(VM).world(World.VM).uuid("e1000000-0000-0000-0000-000000000001")
                .directMessaging().executionContexts(ecs))
            .partition(p -> p.name("sp").id(SP).world(World.SP_EL1).uuid("e1000000-0000-0000-0000-000000008001")
                .directMessaging().executionContexts(ecs))
            .partition(p -> p.name("sp2").id(SP2).world(World.SP_EL1).uuid("e1000000-0000-0000-0000-000000008002")
                .directMessaging())
            .build();
        final long keptForClaims = 3 + 1 + DriverCounters.reservedForClaims(2 * ecs + 1, ecs);
        final int budget = 2;
        try (MediaDriver driver = MediaDriver.launch(AeronTuning.driver(new MediaDriver.Context()
                .aeronDirectoryName(aeronDir.toString()))
                .counterValuesBufferLength(Configuration.COUNTERS_VALUES_BUFFER_LENGTH_MIN)
                .counterFreeToReuseTimeoutNs(0));
            Aeron filler = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir.toString()));
            // One more for the manager's own client.
            AutoCloseable most = closing(takeAllBut(filler, (int)(1 + keptForClaims + budget * DriverCounters.PER_LOG)));
            PartitionManager pm = PartitionManager.launch(new PartitionManager.Context().fabricName(name)
                .manifest(manifest).embeddedDriver(false).aeronDirectoryName(aeronDir.toString()));
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory())))
        {
            final ControlFile cf = client.controlFile();
            assertEquals(budget, cf.peerLogBudget());
            try (Endpoint vm = client.claim(VM);
                 Endpoint sp = client.claim(SP);
                 AutoCloseable serving = sp.serve(plusOne()))
            {
                // vm/0's request to sp/0 and the answer back: the budget's two logs.
                assertAnswered(42, call(vm.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP).x(3, 41)));
                assertEquals(budget, cf.peerLogs());
                final RegisterFile refused = call(vm.executionContext(1),
                    ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP).x(3, 1));
                assertError(org.ffafabric.abi.ErrorCode.NO_MEMORY, refused, "a log past the budget");
                assertEquals(ExecutionContextState.WAITING, state(cf, SP, 1), "the receiver is not taken");
                assertEquals(ExecutionContextState.RUNNING, state(cf, VM, 1), "the requester runs on");

                // The counters the budget kept: a claim finds them, and the logs made go on.
                try (Endpoint sp2 = client.claim(SP2))
                {
                    assertEquals(SP2, call(sp2.executionContext(0), FunctionId.FFA_ID_GET).w(2));
                }
                assertAnswered(8, call(vm.executionContext(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM, SP).x(3, 7)));
            }
            assertEquals(0, cf.peerLogs(), "the claims that ended gave their logs back");
            assertEquals(0, cf.peerLogs(cf.slotOf(VM)));
            assertEquals(0, cf.peerLogs(cf.slotOf(SP)));
        }
        assertFalse(Files.exists(aeronDir), "the driver removed its directory");
    }

    /**
     * A small fabric's driver keeps Aeron's fewest counters (a 1 MiB buffer and 4 MiB of their
     * metadata, where Aeron's default is 8 and 32), /dev/shm that every fabric launched writes in full.
     */
    @Test
    @Timeout(60)
    void theEmbeddedDriverOfASmallFabricHasAeronsFewestCounters() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(smallManifest());
            Aeron aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(FabricDirectory.aeronDirectory(fabric.directory()).toString())))
        {
            assertEquals(DriverCounters.capacity(Configuration.COUNTERS_VALUES_BUFFER_LENGTH_MIN),
                aeron.countersReader().maxCounterId() + 1);
            // Each of its two contexts may send to the other: the budget holds every log they can make.
            assertEquals(2, fabric.partitionManager().controlFile().peerLogBudget());
        }
    }

    private static int state(final ControlFile cf, final int id, final int ec)
    {
        return ExecutionContextState.state(cf.ecState(cf.ecStateOffset(cf.slotOf(id), ec)));
    }

    /** More logs between contexts than any driver holds counters for: refused at launch, nothing made. */
    @Test
    @Timeout(60)
    void aFabricWhosePeerLogsNoDriverHoldsIsRefusedAtLaunch()
    {
        final Path dir = FabricDirectory.defaultPath("counters-" + UUID.randomUUID().toString().substring(0, 8));
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> PartitionManager.launch(
            new PartitionManager.Context().directory(dir).manifest(largestManifest()).peerLogsPerContext(1000)));
        assertTrue(ex.getMessage().contains("1000 peer logs each"), ex::getMessage);
        assertFalse(Files.exists(dir), "nothing is made");
    }

    private static Manifest largestManifest()
    {
        final Manifest.Builder manifest = Manifest.builder();
        for (int i = 0; i < Manifest.MAX_PARTITIONS; i++)
        {
            final int id = 0x8001 + i;
            manifest.partition(p -> p.name("sp" + id).id(id).world(World.SP_EL1).uuid(new UUID(0xf3000000L, id))
                .directMessaging().executionContexts(PartitionManifest.MAX_EXECUTION_CONTEXTS).memorySize(4096));
        }
        return manifest.build();
    }

    /** Takes every counter the driver has but {@code left}, as another user of the driver would. */
    private static List<Counter> takeAllBut(final Aeron filler, final int left)
    {
        final List<Counter> taken = new ArrayList<>();
        boolean full = false;
        while (!full)
        {
            // Asynchronously, a batch at a time: one at a time, each would wait for the driver's duty cycle.
            final long[] batch = new long[256];
            for (int i = 0; i < batch.length; i++)
            {
                batch[i] = filler.asyncAddCounter(FILLER_TYPE_ID, "filler");
            }
            for (final long registrationId : batch)
            {
                try
                {
                    Counter counter;
                    while ((counter = filler.getCounter(registrationId)) == null)
                    {
                        Thread.yield();
                    }
                    taken.add(counter);
                }
                catch (final RegistrationException ex)
                {
                    full = true;
                }
            }
        }
        for (int i = 0; i < left; i++)
        {
            taken.remove(taken.size() - 1).close();
        }
        final CountersReader counters = filler.countersReader();
        final long deadline = System.nanoTime() + WAIT_NS;
        while (free(counters) != left)
        {
            assertTrue(System.nanoTime() < deadline, "the driver has " + free(counters) + " counters free, not " + left);
            Thread.yield();
        }
        return taken;
    }

    /** The counters the driver could allocate now: never used, or freed and past their reuse deadline. */
    static long free(final CountersReader counters)
    {
        final long now = System.currentTimeMillis();
        long free = 0;
        for (int id = 0, max = counters.maxCounterId(); id <= max; id++)
        {
            final int state = counters.getCounterState(id);
            if (state == CountersReader.RECORD_UNUSED ||
                (state == CountersReader.RECORD_RECLAIMED && counters.getFreeForReuseDeadline(id) <= now))
            {
                free++;
            }
        }
        return free;
    }

    private static DirectRequestHandler plusOne()
    {
        return (req, resp) -> resp.payload(0, req.payload(0) + 1);
    }

    private static void assertAnswered(final long expected, final RegisterFile r)
    {
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r::toString);
        assertEquals(expected, r.x(3), r::toString);
    }
}
