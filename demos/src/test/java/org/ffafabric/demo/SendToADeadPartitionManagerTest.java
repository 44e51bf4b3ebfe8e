package org.ffafabric.demo;

import org.ffafabric.control.FabricDirectory;
import org.ffafabric.launch.ChildJvm;
import org.ffafabric.launch.PartitionManagerMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `./ffa send` on a fabric whose partition manager was killed a moment ago (its directory is still
 * there, and a new manager may not take it over for 5 s). The client connects to the dead manager's
 * Aeron directory and claims; the claim's first Aeron call waits for the driver's keepalive to run
 * out, ten seconds, and the user is told "FATAL - MediaDriver (...) keepalive: age=10005ms >
 * timeout=10000ms" (after the client's own "the partition manager ... died" line), or the JVM is
 * ended by Aeron's default error handler, if its conductor thread gets there first. It should be
 * one line saying the partition manager is not running, and exit 1.
 */
class SendToADeadPartitionManagerTest
{
    @Test
    @Timeout(120)
    void sendToAFabricWhosePartitionManagerWasKilledSaysSoInOneLine(@TempDir final Path tmp) throws Exception
    {
        final Path manifest = Files.writeString(tmp.resolve("m.yaml"), String.join("\n",
            "partitions:",
            "  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001,",
            "     messaging: [direct-req-send]}",
            "  - {name: sp1, id: 0x8001, world: sp-el1, uuid: 11111111-0000-0000-0000-000000008001,",
            "     messaging: [direct-req-recv]}",
            ""));
        final Path dir = Path.of("/dev/shm", "ffa-deadpm-" + UUID.randomUUID().toString().substring(0, 8));
        final Process pm = new ProcessBuilder(ChildJvm.command(PartitionManagerMain.class,
            List.of("--manifest", manifest.toString(), "--dir", dir.toString(), "--exit-on-stdin-eof")))
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Process send = null;
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

            send = new ProcessBuilder(ChildJvm.command(FfaCommand.class,
                List.of("send", "--dir", dir.toString(), "--from", "0x0001", "--to", "0x8001", "1")))
                .redirectErrorStream(false).start();
            send.getOutputStream().close();
            assertTrue(send.waitFor(60, TimeUnit.SECONDS), "send ends");
            final String err = new String(send.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(1, send.exitValue(), err);
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.startsWith("ffa send: ") && err.contains("partition manager"), err);
        }
        finally
        {
            pm.destroyForcibly();
            pm.waitFor(30, TimeUnit.SECONDS);
            if (send != null)
            {
                send.destroyForcibly();
                send.waitFor(30, TimeUnit.SECONDS);
            }
            FabricDirectory.delete(dir);
        }
    }
}
