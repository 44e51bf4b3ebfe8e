package org.ffafabric.demo;

import org.ffafabric.control.FabricDirectory;
import org.ffafabric.demo.FfaInThisJvm.Result;
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

import static org.ffafabric.demo.FfaInThisJvm.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * `ffa pm` and `ffa host` as processes, as the README's walk-through runs them: what they say as they start,
 * how they end when asked to stop, and what `ffa dump` and `ffa partitions` show of the partitions a host
 * brought up.
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

    /**
     * `ffa stop` of the manager under a running host: the host leaves with it, saying the manager stopped, with status
     * 0 (it exited 1, as for a manager that died, so a script running the two read an orderly end as a failure).
     */
    @Test
    @Timeout(120)
    void aHostWhoseManagerIsStoppedExitsZeroSayingSo() throws Exception
    {
        final Process pm = partitionManager();
        final Process host = host();

        final Result stop = run("stop", "--dir", dir.toString());
        assertEquals(0, stop.exit, stop.out + stop.err);
        assertTrue(pm.waitFor(60, TimeUnit.SECONDS), "the manager ended");
        assertEquals(0, pm.exitValue(), stderr("pm"));
        assertTrue(host.waitFor(60, TimeUnit.SECONDS), "the host ends with its manager");
        assertEquals("ffa host: the partition manager of " + dir + " stopped; exiting", stderr("host").strip());
        assertEquals(0, host.exitValue(), stderr("host"));
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
     * A host told to stop while its manager does not answer, or is stopping too (`kill $PM $HOST`): the host's close
     * waits for the manager to let go of its partitions, finds it gone meanwhile, and exited 1 saying nothing, its
     * status taken after the close. It stops because it was told to: 0, as when the manager answers. The manager is
     * held stopped here (SIGSTOP), and the host's Aeron client given a short driver timeout, so that the manager is
     * found gone during the close, as it was at random when both were stopped at once.
     */
    @Test
    @Timeout(120)
    void aHostStoppedWhileItsManagerDoesNotAnswerExitsZero() throws Exception
    {
        final Process pm = partitionManager();
        final Process host = host("-Daeron.driver.timeout=5000");

        signal("STOP", pm.pid());
        host.destroy();
        assertTrue(host.waitFor(60, TimeUnit.SECONDS), "the host ends on SIGTERM");
        final String err = stderr("host");
        assertEquals(0, host.exitValue(), "standard error: " + err);
        assertEquals("", err);
        // The manager is killed, stopped as it is, by cleanUp.
    }

    /**
     * `ffa host` brings each partition up as Linux's FF-A driver does at probe, served or held: `ffa dump` of one
     * showed "rx/tx not mapped" until now, as no command mapped RX/TX. A one-page partition is hosted unmapped,
     * saying so. The claim's end, by a stop or a kill, unmaps them again.
     */
    @Test
    @Timeout(120)
    void hostBringsItsPartitionsUpSoDumpShowsTheirPartitionInfo() throws Exception
    {
        final Path manifest = Files.writeString(tmp.resolve("m.yaml"), String.join("\n",
            "partitions:",
            "  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: 64K,",
            "     messaging: [direct-req-send]}",
            "  - {name: vm2, id: 2, world: vm, uuid: 11111111-0000-0000-0000-000000000002, memory: 64K,",
            "     messaging: [direct-req-send]}",
            "  - {name: sp1, id: 0x8001, world: sp-el1, uuid: 11111111-0000-0000-0000-000000008001, memory: 64K,",
            "     messaging: [direct-req-recv]}",
            "  - {name: tiny, id: 0x8002, world: sp-el1, uuid: 11111111-0000-0000-0000-000000008002, memory: 4K,",
            "     messaging: [direct-req-recv]}",
            ""));
        start("pm", List.of("pm", "--manifest", manifest.toString(), "--dir", dir.toString()));
        linesToReady(processes.get(0), "pm");
        final Process host = start("host", List.of("host", "--dir", dir.toString(), "sp1", "tiny", "vm1"));
        assertEquals(List.of(
            "partition host: pid " + host.pid() + ", fabric " + dir + ", 3 partitions, set up as Linux's FF-A driver " +
            "does at probe (FFA_VERSION, FFA_RXTX_MAP, FFA_PARTITION_INFO_GET):",
            "  sp1 (0x8001): serving direct requests (echo: payload + 1); at FF-A 1.2, 2 partition info descriptors in RX",
            "  tiny (0x8002): serving direct requests (echo: payload + 1); at FF-A 1.2, RX/TX not mapped (its memory is " +
            "one page, and TX and RX take two), so no partition info",
            "  vm1 (0x0001): held, serving nothing (it receives no direct requests); at FF-A 1.2, 4 partition info " +
            "descriptors in RX",
            "READY"), linesToReady(host, "host"));

        // A secure partition sees the secure ones; the normal world sees every partition. With no count given,
        // dump decodes as many as the partition manager wrote.
        final Result sp1 = run("dump", "--dir", dir.toString(), "--partition", "sp1");
        assertEquals(0, sp1.exit, sp1.err);
        assertTrue(sp1.out.startsWith("sp1 RX at 0x40001000 (256 of 4096 bytes, owner producer: the partition manager)"), sp1.out);
        assertTrue(sp1.out.contains("partition info[0] id 0x8001 (sp1)"), sp1.out);
        assertTrue(sp1.out.contains("partition info[1] id 0x8002 (tiny)"), sp1.out);
        assertTrue(sp1.out.contains("uuid 11111111-0000-0000-0000-000000008002"), sp1.out);
        assertFalse(sp1.out.contains("partition info[2]"), sp1.out);
        final Result vm1 = run("dump", "--dir", dir.toString(), "--partition", "vm1", "--partition-info", "4");
        assertEquals(0, vm1.exit, vm1.err);
        for (final String entry : new String[] { "[0] id 0x0001 (vm1)", "[1] id 0x0002 (vm2)", "[2] id 0x8001 (sp1)",
            "[3] id 0x8002 (tiny)" })
        {
            assertTrue(vm1.out.contains("partition info" + entry), vm1.out);
        }
        final Result tiny = run("dump", "--dir", dir.toString(), "--partition", "tiny");
        assertEquals("tiny: rx/tx not mapped\n", tiny.out);

        final Result partitions = run("partitions", "--dir", dir.toString());
        assertEquals(0, partitions.exit, partitions.err);
        // Each partition's memory starts at the fabric's memory base (0x40000000): TX in its first page, RX in its second.
        assertTrue(block(partitions.out, "vm1").contains("  tx=0x40000000 rx=0x40001000 pages=1 rx-owner=producer\n"),
            partitions.out);
        assertTrue(block(partitions.out, "sp1").contains("  tx=0x40000000 rx=0x40001000 pages=1 rx-owner=producer\n"),
            partitions.out);
        assertTrue(block(partitions.out, "tiny").contains("  rx/tx not mapped\n"), partitions.out);
        assertTrue(block(partitions.out, "vm2").contains("  rx/tx not mapped\n"), partitions.out);

        // A partition the host holds is claimed: send from it is refused, mapped or not; one it serves answers.
        final Result fromHeld = run("send", "--dir", dir.toString(), "--from", "vm1", "--to", "sp1", "41");
        assertEquals(1, fromHeld.exit, fromHeld.out + fromHeld.err);
        assertTrue(fromHeld.err.contains("is claimed by pid " + host.pid()), fromHeld.err);
        for (final String target : new String[] { "sp1", "tiny" })
        {
            final Result sent = run("send", "--dir", dir.toString(), "--from", "vm2", "--to", target, "41");
            assertEquals(0, sent.exit, sent.out + sent.err);
            assertTrue(sent.out.contains("payload=[0x2a,"), sent.out);
        }

        // Its claims' end unmaps what it mapped: after a stop, and after a kill (the manager's reap).
        host.destroy();
        assertTrue(host.waitFor(60, TimeUnit.SECONDS), "the host ends on SIGTERM");
        assertEquals(0, host.exitValue(), stderr("host"));
        awaitUnclaimed("sp1", "vm1");
        final Result stopped = run("dump", "--dir", dir.toString(), "--partition", "sp1");
        assertEquals("sp1: rx/tx not mapped\n", stopped.out);
        final Process again = start("host", List.of("host", "--dir", dir.toString(), "vm1"));
        linesToReady(again, "host");
        assertTrue(block(run("partitions", "--dir", dir.toString()).out, "vm1").contains(" pages=1 rx-owner=producer\n"));
        again.destroyForcibly();
        assertTrue(again.waitFor(60, TimeUnit.SECONDS), "killed");
        awaitUnclaimed("vm1");
        assertEquals("vm1: rx/tx not mapped\n", run("dump", "--dir", dir.toString(), "--partition", "vm1").out);
    }

    /** Until `ffa partitions` shows each of {@code names} unclaimed: a stop's releases and a kill's reap are the manager's to make. */
    private void awaitUnclaimed(final String... names) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true)
        {
            final String out = run("partitions", "--dir", dir.toString()).out;
            boolean all = true;
            for (final String name : names)
            {
                all &= block(out, name).contains(" claimedBy=-\n");
            }
            if (all)
            {
                for (final String name : names)
                {
                    assertTrue(block(out, name).contains("  rx/tx not mapped\n"), out);
                }
                return;
            }
            assertTrue(System.nanoTime() < deadline, "never let go: " + out);
            Thread.sleep(20);
        }
    }

    /** The lines `ffa partitions` shows for one partition: from its name to the next partition's. */
    private static String block(final String partitions, final String name)
    {
        final StringBuilder block = new StringBuilder();
        for (final String line : partitions.split("\n"))
        {
            if (block.length() > 0 && !line.startsWith("  "))
            {
                break;
            }
            if (block.length() > 0 || line.startsWith(name + " id="))
            {
                block.append(line).append('\n');
            }
        }
        assertTrue(block.length() > 0, partitions);
        return block.toString();
    }


    /**
     * Started, each printed READY and nothing else: neither what runs nor where. Each now says it in a line
     * before READY, which stays the last line of its start for a script that waits for it.
     */
    private Process partitionManager() throws Exception
    {
        final Path manifest = vm1AndSp1Manifest(tmp);
        final Process pm = start("pm", List.of("pm", "--manifest", manifest.toString(), "--dir", dir.toString()));
        assertEquals(List.of(
            "partition manager: pid " + pm.pid() + ", fabric " + dir + ", 2 partitions: vm1 (0x0001, vm), sp1 (0x8001, sp-el1)",
            "READY " + dir), linesToReady(pm, "pm"));
        return pm;
    }

    /** A manifest, in {@code dir}, of vm1 (0x0001), which sends direct requests, and sp1 (0x8001), which receives them. */
    static Path vm1AndSp1Manifest(final Path dir) throws java.io.IOException
    {
        return Files.writeString(dir.resolve("m.yaml"), String.join("\n",
            "partitions:",
            "  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: 64K,",
            "     messaging: [direct-req-send]}",
            "  - {name: sp1, id: 0x8001, world: sp-el1, uuid: 11111111-0000-0000-0000-000000008001, memory: 64K,",
            "     messaging: [direct-req-recv]}",
            ""));
    }

    private Process host(final String... jvmOptions) throws Exception
    {
        final Process host = start("host", List.of("host", "--dir", dir.toString(), "sp1", "vm1"), jvmOptions);
        assertEquals(List.of(
            "partition host: pid " + host.pid() + ", fabric " + dir + ", 2 partitions, set up as Linux's FF-A driver " +
            "does at probe (FFA_VERSION, FFA_RXTX_MAP, FFA_PARTITION_INFO_GET):",
            "  sp1 (0x8001): serving direct requests (echo: payload + 1); at FF-A 1.2, 1 partition info descriptor in RX",
            "  vm1 (0x0001): held, serving nothing (it receives no direct requests); at FF-A 1.2, 2 partition info " +
            "descriptors in RX",
            "READY"), linesToReady(host, "host"));
        return host;
    }

    private Process start(final String name, final List<String> args, final String... jvmOptions) throws Exception
    {
        final List<String> command = ChildJvm.command(FfaCommand.class, args);
        // Before the class path, after the options passed on from this JVM, so that they win over those.
        command.addAll(1 + ChildJvm.jvmArguments().size(), List.of(jvmOptions));
        final Process process = ChildJvm.processBuilder(command)
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
