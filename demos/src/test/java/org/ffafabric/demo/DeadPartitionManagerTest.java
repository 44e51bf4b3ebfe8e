package org.ffafabric.demo;

import org.ffafabric.control.FabricDirectory;
import org.ffafabric.launch.ChildJvm;
import org.ffafabric.launch.PartitionManagerMain;
import org.junit.jupiter.api.AfterEach;
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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The `ffa` tool on a fabric whose partition manager was killed a moment ago: its directory is still
 * there, and its heartbeat is not yet 5 s stale.
 */
class DeadPartitionManagerTest
{
    private final List<Process> processes = new ArrayList<>();
    private Path dir;

    @AfterEach
    void cleanUp() throws Exception
    {
        for (final Process p : processes)
        {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        if (dir != null)
        {
            FabricDirectory.delete(dir);
            Files.deleteIfExists(dir.getParent());
        }
    }

    /** A manifest of one secure partition, sp1 (0x8001), that receives direct requests. */
    private static Path sp1Manifest(final Path tmp) throws Exception
    {
        return Files.writeString(tmp.resolve("m.yaml"),
            "partitions:\n  - {name: sp1, id: 0x8001, world: sp-el1, uuid: 11111111-0000-0000-0000-000000008001, " +
            "memory: 64K, messaging: [direct-req-recv]}\n");
    }

    /** Starts a partition manager in a new directory, waits until it is up, and kills it. */
    private Process killedPartitionManager(final Path manifest, final String name) throws Exception
    {
        final Process pm = partitionManager(manifest, name);
        pm.destroyForcibly();
        assertTrue(pm.waitFor(30, TimeUnit.SECONDS), "killed");
        return pm;
    }

    /** `ffa` with {@code args} as a child process, its standard error to {@code err}; killed by cleanUp. */
    private Process ffa(final ProcessBuilder.Redirect err, final String... args) throws Exception
    {
        final Process process = ChildJvm.processBuilder(ChildJvm.command(FfaCommand.class, List.of(args)))
            .redirectError(err).start();
        processes.add(process);
        return process;
    }

    /** Starts a partition manager in a new directory and waits until it is up. */
    private Process partitionManager(final Path manifest, final String name) throws Exception
    {
        // In a parent of its own: a manager launched beside a dead fabric removes it (another test run's, say),
        // and these tests keep theirs to look at.
        final Path parent = Files.createDirectory(Path.of("/dev/shm", "ffatest-dead-" + UUID.randomUUID().toString().substring(0, 8)));
        dir = parent.resolve("ffa-" + name);
        final Process pm = ChildJvm.processBuilder(ChildJvm.command(PartitionManagerMain.class,
            List.of("--manifest", manifest.toString(), "--dir", dir.toString(), "--exit-on-stdin-eof")))
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        processes.add(pm);
        final BufferedReader out = new BufferedReader(new InputStreamReader(pm.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("READY"))
        {
            // Skip to READY.
        }
        assertNotNull(line, "the partition manager started");
        return pm;
    }

    /**
     * `ffa send`: the client connected to the dead manager's Aeron directory and claimed; the claim's
     * first Aeron call waited out the driver's keepalive, ten seconds, and the user was told "FATAL -
     * MediaDriver (...) keepalive: age=10005ms > timeout=10000ms" (after the client's own "the partition
     * manager ... died" line), or the JVM was ended by Aeron's default error handler, if its conductor
     * thread got there first. It should be one line saying the partition manager is not running, and exit 1.
     */
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
        final Process pm = killedPartitionManager(manifest, "deadpm");

        final Process send = ffa(ProcessBuilder.Redirect.PIPE, "send", "--dir", dir.toString(), "--from", "0x0001",
            "--to", "0x8001", "1");
        send.getOutputStream().close();
        assertTrue(send.waitFor(60, TimeUnit.SECONDS), "send ends");
        final String err = new String(send.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, send.exitValue(), err);
        assertEquals(1, err.lines().count(), err);
        // It said "has stopped", as if by ffa stop, where ffa stop and ffa partitions said it died.
        assertEquals("ffa send: the partition manager of " + dir + " is not running (pid " + pm.pid() + " has died)",
            err.strip());
    }

    /**
     * `ffa stop` of a fabric whose partition manager was killed says so, naming it, and how its files go; `ffa counters`
     * shows the manager gone, as `ffa partitions` does.
     */
    @Test
    @Timeout(120)
    void stopOfAFabricWhosePartitionManagerWasKilledSaysHowItsFilesGo(@TempDir final Path tmp) throws Exception
    {
        final Path manifest = sp1Manifest(tmp);
        final Process pm = killedPartitionManager(manifest, "stopdead");
        final FfaInThisJvm.Result stop = FfaInThisJvm.run("stop", "--dir", dir.toString());
        assertEquals(1, stop.exit, stop.out + stop.err);
        assertEquals("ffa stop: no partition manager runs the fabric " + dir + " (pid " + pm.pid() + ", its last, has " +
            "died): its files stay until ffa pm --dir " + dir + " takes them over, or they are removed (rm -r " + dir + ")",
            stop.err.strip());
        assertTrue(Files.exists(dir), "nothing removed");
        final FfaInThisJvm.Result counters = FfaInThisJvm.run("counters", "--dir", dir.toString());
        assertEquals(0, counters.exit, counters.out + counters.err);
        assertTrue(counters.out.startsWith("partition manager (gone): traps-dropped="), counters.out);
    }

    /** `ffa pm` in the directory of a manager that died takes its files over, and says so in its first line. */
    @Test
    @Timeout(120)
    void pmInADeadManagersDirectorySaysItTookItsFilesOver(@TempDir final Path tmp) throws Exception
    {
        final Path manifest = sp1Manifest(tmp);
        final Process dead = killedPartitionManager(manifest, "takeover");
        final Process pm = ffa(ProcessBuilder.Redirect.INHERIT, "pm", "--manifest", manifest.toString(), "--dir", dir.toString());
        final BufferedReader out = new BufferedReader(new InputStreamReader(pm.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("partition manager: pid " + pm.pid() + ", fabric " + dir + " (in place of the fabric of a " +
            "partition manager that died, pid " + dead.pid() + "), 1 partition: sp1 (0x8001, sp-el1)", out.readLine());
        assertEquals("READY " + dir, out.readLine());
    }

    /**
     * `ffa host` whose partition manager is killed under it exits 1 saying so, in a line that names the
     * command as every other `ffa` command's lines do: it said "partition host: the partition manager of ...".
     */
    @Test
    @Timeout(120)
    void hostSaysItsPartitionManagerWentUnderItsCommandsName(@TempDir final Path tmp) throws Exception
    {
        final Path manifest = sp1Manifest(tmp);
        final Process pm = partitionManager(manifest, "hostpm");
        final Process host = ffa(ProcessBuilder.Redirect.to(tmp.resolve("host.err").toFile()), "host", "--dir", dir.toString(),
            "sp1");
        final BufferedReader out = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.equals("READY"))
        {
            // Past what it hosts, to READY.
        }
        assertEquals("READY", line, "the host is up");
        pm.destroyForcibly();
        assertTrue(host.waitFor(60, TimeUnit.SECONDS), "the host exits by itself");
        final String err = Files.readString(tmp.resolve("host.err"), StandardCharsets.UTF_8);
        assertEquals(1, host.exitValue(), err);
        assertEquals("ffa host: the partition manager of " + dir + " is gone; exiting", err.strip(), err);
    }

    /**
     * `ffa partitions` printed "partition manager pid=N heartbeat=320ms-ago ..." as for a live one (for
     * 5 s, until the heartbeat went stale), while `ffa send` and `ffa host` said at once that it is not running.
     */
    @Test
    @Timeout(120)
    void partitionsSaysAKilledPartitionManagerIsGone(@TempDir final Path tmp) throws Exception
    {
        final Path manifest = Files.writeString(tmp.resolve("m.yaml"),
            "partitions:\n  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: 64K}\n");
        final Process pm = killedPartitionManager(manifest, "killedpm");

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
        final java.util.List<String> lines = shown.toString(StandardCharsets.UTF_8).lines().toList();
        final String first = lines.isEmpty() ? "" : lines.get(0);
        assertEquals(0, exit, first);
        assertTrue(first.startsWith("partition manager pid=" + pm.pid() + " gone "), first);
        // Its partitions' claims and states stay as it left them: said, as a claim unclaimed yet RUNNING puzzled a user.
        assertEquals("  (it died: the partitions below are as it left them, until ffa pm takes its directory over)",
            lines.get(1));
    }
}
