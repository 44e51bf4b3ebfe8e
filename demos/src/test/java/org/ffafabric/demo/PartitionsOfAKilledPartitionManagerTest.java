package org.ffafabric.demo;

import org.ffafabric.control.FabricDirectory;
import org.ffafabric.launch.ChildJvm;
import org.ffafabric.launch.PartitionManagerMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `./ffa partitions` on a fabric whose partition manager was killed a moment ago: it printed
 * "partition manager pid=N heartbeat=320ms-ago ..." as for a live one (for 5 s, until the heartbeat
 * went stale), while `ffa send` and `ffa host` said at once that it is not running.
 */
class PartitionsOfAKilledPartitionManagerTest
{
    @Test
    @Timeout(120)
    void partitionsSaysAKilledPartitionManagerIsGone(@TempDir final Path tmp) throws Exception
    {
        final Path manifest = Files.writeString(tmp.resolve("m.yaml"),
            "partitions:\n  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: 64K}\n");
        final Path dir = Path.of("/dev/shm", "ffa-killedpm-" + UUID.randomUUID().toString().substring(0, 8));
        final Process pm = new ProcessBuilder(ChildJvm.command(PartitionManagerMain.class,
            List.of("--manifest", manifest.toString(), "--dir", dir.toString(), "--exit-on-stdin-eof")))
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try
        {
            final BufferedReader out = new BufferedReader(new InputStreamReader(pm.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("READY"))
            {
                // Skip to READY.
            }
            assertNotNull(line, "the partition manager started");
            pm.destroyForcibly();
            assertTrue(pm.waitFor(30, TimeUnit.SECONDS), "killed");

            final PrintStream originalOut = System.out;
            final ByteArrayOutputStream shown = new ByteArrayOutputStream();
            final int exit;
            System.setOut(new PrintStream(shown, true, StandardCharsets.UTF_8));
            try
            {
                exit = FfaCommand.commandLine().execute("partitions", "--dir", dir.toString());
            }
            finally
            {
                System.setOut(originalOut);
            }
            final String first = shown.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("");
            assertEquals(0, exit, first);
            assertTrue(first.startsWith("partition manager pid=" + pm.pid() + " gone "), first);
        }
        finally
        {
            pm.destroyForcibly();
            pm.waitFor(30, TimeUnit.SECONDS);
            FabricDirectory.delete(dir);
        }
    }
}
