package org.ffafabric.demo;

import org.ffafabric.control.FabricDirectory;
import org.ffafabric.launch.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `ffa pm` and `ffa host` as processes, as the README's walk-through runs them: what they say as they start,
 * and how they end when asked to stop.
 */
class PmAndHostLifecycleTest
{
    private final List<Process> processes = new ArrayList<>();
    private final Path dir = Path.of("/dev/shm", "ffa-lifecycle-" + UUID.randomUUID().toString().substring(0, 8));
    @TempDir
    Path tmp;

    @AfterEach
    void cleanUp() throws Exception
    {
        for (final Process p : processes)
        {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        FabricDirectory.delete(dir);
    }

    /** SIGTERM, as `kill PID` and `kill %1` send: each exited 143 after a clean close, which a script reads as failure. */
    @Test
    @Timeout(120)
    void sigtermEndsHostAndManagerWithStatusZero() throws Exception
    {
        final Process pm = partitionManager();
        final Process host = host();

        host.destroy();
        assertTrue(host.waitFor(60, TimeUnit.SECONDS), "the host ends on SIGTERM");
        assertEquals(0, host.exitValue(), stderr("host"));
        assertEquals("", stderr("host"));
        pm.destroy();
        assertTrue(pm.waitFor(60, TimeUnit.SECONDS), "the manager ends on SIGTERM");
        assertEquals(0, pm.exitValue(), stderr("pm"));
        assertEquals("", stderr("pm"));
        assertFalse(Files.exists(dir), "the manager removed its directory");
    }

    /** SIGINT, as Ctrl-C sends: each exited 130. */
    @Test
    @Timeout(120)
    void sigintEndsHostAndManagerWithStatusZero() throws Exception
    {
        final Process pm = partitionManager();
        final Process host = host();

        signal("INT", host.pid());
        assertTrue(host.waitFor(60, TimeUnit.SECONDS), "the host ends on SIGINT");
        assertEquals(0, host.exitValue(), stderr("host"));
        signal("INT", pm.pid());
        assertTrue(pm.waitFor(60, TimeUnit.SECONDS), "the manager ends on SIGINT");
        assertEquals(0, pm.exitValue(), stderr("pm"));
        assertFalse(Files.exists(dir), "the manager removed its directory");
    }

    /**
     * Started, each printed READY and nothing else: neither what runs nor where. Each now says it in a line
     * before READY, which stays the last line of its start for a script that waits for it.
     */
    private Process partitionManager() throws Exception
    {
        final Path manifest = Files.writeString(tmp.resolve("m.yaml"), String.join("\n",
            "partitions:",
            "  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: 64K,",
            "     messaging: [direct-req-send]}",
            "  - {name: sp1, id: 0x8001, world: sp-el1, uuid: 11111111-0000-0000-0000-000000008001, memory: 64K,",
            "     messaging: [direct-req-recv]}",
            ""));
        final Process pm = start("pm", List.of("pm", "--manifest", manifest.toString(), "--dir", dir.toString()));
        assertEquals(List.of(
            "partition manager: pid " + pm.pid() + ", fabric " + dir + ", 2 partitions: vm1 (0x0001, vm), sp1 (0x8001, sp-el1)",
            "READY " + dir), linesToReady(pm, "pm"));
        return pm;
    }

    private Process host() throws Exception
    {
        final Process host = start("host", List.of("host", "--dir", dir.toString(), "sp1", "vm1"));
        assertEquals(List.of(
            "partition host: pid " + host.pid() + ", fabric " + dir + ": sp1 (0x8001) claimed, serving direct requests " +
            "(echo: payload + 1); vm1 (0x0001) claimed and held: it receives no direct requests",
            "READY"), linesToReady(host, "host"));
        return host;
    }

    private Process start(final String name, final List<String> args) throws Exception
    {
        final Process process = ChildJvm.processBuilder(ChildJvm.command(FfaCommand.class, args))
            .redirectError(tmp.resolve(name + ".err").toFile()).start();
        processes.add(process);
        return process;
    }

    /** Its standard output up to READY, or to its end when it ends first. */
    private List<String> linesToReady(final Process process, final String name) throws Exception
    {
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        final List<String> lines = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null)
        {
            lines.add(line);
            if (line.startsWith("READY"))
            {
                return lines;
            }
        }
        fail(name + " ended before READY: " + lines + " " + stderr(name));
        return lines;
    }

    private String stderr(final String name) throws Exception
    {
        return Files.readString(tmp.resolve(name + ".err"), StandardCharsets.UTF_8);
    }

    private static void signal(final String signal, final long pid) throws Exception
    {
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, kill.exitValue(), "kill -" + signal);
    }
}
