package org.ffafabric.conformance;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.aeron.driver.Configuration;
import io.aeron.driver.MediaDriver;
import io.aeron.exceptions.RegistrationException;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.PartitionManifest;
import org.ffafabric.manifest.World;
import org.ffafabric.pm.PartitionManager;
import org.ffafabric.transport.AeronTuning;
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
     * the two-context sp needs six per context (its log to the manager and the manager's reply), so
     * each count fails it at another step, on the claimer's side (0-2, 6-8) or the manager's (3-5,
     * 9-11): a log refused outright, or made and then not linked to its subscription.
     */
    @ParameterizedTest(name = "{0} counters left")
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 8, 11})
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
            PartitionManager pm = PartitionManager.launch(new PartitionManager.Context().fabricName(name)
                .manifest(manifest).embeddedDriver(false).aeronDirectoryName(aeronDir.toString())
                .errorHandler(ex -> { }));
            FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory()));
            Endpoint vm = client.claim(VM);
            Endpoint sp2 = client.claim(SP2);
            AutoCloseable serving = sp2.serve(plusOne());
            Aeron filler = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir.toString())))
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
            // And once the counters are given back, sp is claimed.
            taken.forEach(Counter::close);
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
        final Manifest.Builder manifest = Manifest.builder();
        for (int i = 0; i < Manifest.MAX_PARTITIONS; i++)
        {
            final int id = 0x8001 + i;
            manifest.partition(p -> p.name("sp" + id).id(id).world(World.SP_EL1).uuid(new UUID(0xf3000000L, id))
                .directMessaging().executionContexts(PartitionManifest.MAX_EXECUTION_CONTEXTS).memorySize(4096));
        }
        try (PartitionManager pm = PartitionManager.launch(new PartitionManager.Context()
                .fabricName("counters-" + UUID.randomUUID().toString().substring(0, 8)).manifest(manifest.build()));
            Aeron aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(FabricDirectory.aeronDirectory(pm.directory()).toString())))
        {
            final CountersReader counters = aeron.countersReader();
            final long free = free(counters);
            assertTrue(free >= 3L * 3 * contexts,
                "free counters " + free + " of " + (counters.maxCounterId() + 1) + " for " + contexts + " contexts");
        }
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
