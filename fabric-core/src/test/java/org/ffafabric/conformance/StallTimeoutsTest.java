package org.ffafabric.conformance;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.launch.PartitionManagerMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The tests' Aeron timeouts (the pom's ffa.test.flags), which a pause of the whole machine (a CI VM stalled for
 * 10-30 s) must not run out: with Aeron's 10 s, a partition manager's own client found after such a stall that it
 * had gone unserviced too long ("service interval exceeded"), and a test about something else failed. They hold in
 * this JVM, as Aeron reads them, and in the JVMs tests start, which take them from {@code ChildJvm}.
 */
class StallTimeoutsTest
{
    static final long STALL_NS = TimeUnit.SECONDS.toNanos(30);

    @Test
    void thisJvmsDriverAndClientsWaitOutAStall()
    {
        final MediaDriver.Context driver = new MediaDriver.Context();
        assertTrue(driver.clientLivenessTimeoutNs() >= STALL_NS, "client liveness " + driver.clientLivenessTimeoutNs());
        assertTrue(driver.publicationUnblockTimeoutNs() > driver.clientLivenessTimeoutNs(),
            "publication unblock " + driver.publicationUnblockTimeoutNs() + ", which Aeron wants past the liveness");
        // Read as plain ms: a value with a unit ("30s") is taken for no value, and Aeron's 10 s stands.
        final long driverTimeoutMs = new Aeron.Context().driverTimeoutMs();
        assertTrue(TimeUnit.MILLISECONDS.toNanos(driverTimeoutMs) >= STALL_NS, "driver timeout " + driverTimeoutMs + " ms");
    }

    /**
     * A partition manager in a child JVM, as tests start them: its driver's client liveness, which its own client
     * and every other take as the longest they may go unserviced, is the tests' and not Aeron's 10 s.
     */
    @Test
    @Timeout(120)
    void aPartitionManagerInAChildJvmWaitsOutAStall() throws Exception
    {
        final Path manifest = Files.createTempFile("ffa-stall-", ".yaml");
        final Path dir = Path.of("/dev/shm", "ffa-stall-" + UUID.randomUUID().toString().substring(0, 8));
        try
        {
            Files.writeString(manifest,
                "partitions:\n  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: 4K}\n");
            try (ChildProcess pm = ChildProcess.start(PartitionManagerMain.class,
                "--manifest", manifest.toString(), "--dir", dir.toString(), "--exit-on-stdin-eof"))
            {
                pm.awaitLine("READY", ChildProcess.START_NS);
                try (Aeron aeron = Aeron.connect(new Aeron.Context()
                    .aeronDirectoryName(FabricDirectory.aeronDirectory(dir).toString())))
                {
                    final long livenessNs = aeron.context().interServiceTimeoutNs();
                    assertTrue(livenessNs >= STALL_NS, "the child's driver's client liveness " + livenessNs);
                }
                assertEquals(0, pm.finish(), "the manager closes cleanly");
            }
            assertFalse(Files.exists(dir), "its close removed " + dir);
        }
        finally
        {
            Files.deleteIfExists(manifest);
            // A manager killed by a failure above left its directory.
            FabricDirectory.delete(dir);
        }
    }
}
