package org.ffafabric.demo;

import org.ffafabric.control.FabricDirectory;
import org.ffafabric.control.FabricLock;
import org.ffafabric.demo.FfaInThisJvm.Result;
import org.ffafabric.launch.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.ffafabric.demo.FfaInThisJvm.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * `ffa pm --detach`, `ffa host --detach` and `ffa stop`: the README's walk-through as one pasted block.
 * Each detached command returns once its process has printed READY, and `stop` ends the manager, the
 * host leaving with it.
 */
class DetachAndStopTest
{
    private static final Pattern DETACHED = Pattern.compile("(?m)^ffa (pm|host): detached, pid (\\d+); its output goes on to (.+)$");

    private final Path dir = Path.of("/dev/shm", "ffa-detach-" + UUID.randomUUID().toString().substring(0, 8));
    private final List<Long> started = new ArrayList<>();
    @TempDir
    Path tmp;

    @AfterEach
    void cleanUp() throws Exception
    {
        // Detached processes outlive whoever started them, by design: a failed test must not leave them behind,
        // nor one a README that went wrong started with &. Each names the test's own fabric directory, which no
        // later process given one of their PIDs does.
        for (final ProcessHandle process : ProcessHandle.allProcesses().toArray(ProcessHandle[]::new))
        {
            if (commandLine(process).contains(dir.toString()))
            {
                process.destroyForcibly();
                process.onExit().get(30, TimeUnit.SECONDS);
            }
        }
        FabricDirectory.delete(dir);
    }

    private static String commandLine(final ProcessHandle process)
    {
        try
        {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline")),
                StandardCharsets.UTF_8);
        }
        catch (final java.io.IOException ex)
        {
            return "";
        }
    }

    @Test
    @Timeout(120)
    void detachedManagerAndHostServeUntilStopped() throws Exception
    {
        final Path pmLog = tmp.resolve("pm.log");
        final Result pm = run("pm", "--manifest", PmAndHostLifecycleTest.vm1AndSp1Manifest(tmp).toString(), "--dir", dir.toString(), "--detach",
            "--log", pmLog.toString());
        assertEquals(0, pm.exit, pm.out + pm.err);
        final long pmPid = detachedPid(pm, pmLog);
        final String[] pmLines = pm.out.split("\n");
        assertEquals("partition manager: pid " + pmPid + ", fabric " + dir + ", 2 partitions: vm1 (0x0001, vm), " +
            "sp1 (0x8001, sp-el1)", pmLines[0]);
        assertEquals("READY " + dir, pmLines[1]);
        assertEquals("", pm.err);
        assertTrue(ProcessHandle.of(pmPid).map(ProcessHandle::isAlive).orElse(false), "the manager runs on");

        final Path hostLog = tmp.resolve("host.log");
        final Result host = run("host", "--dir", dir.toString(), "sp1", "--detach", "--log", hostLog.toString());
        assertEquals(0, host.exit, host.out + host.err);
        final long hostPid = detachedPid(host, hostLog);
        assertTrue(host.out.startsWith("partition host: pid " + hostPid + ", fabric " + dir + ", 1 partition, "), host.out);
        assertTrue(host.out.contains("\n  sp1 (0x8001): serving direct requests"), host.out);
        assertTrue(host.out.contains("\nREADY\n"), host.out);

        // Serving at once: no wait between the commands, as in a pasted block.
        final Result sent = run("send", "--dir", dir.toString(), "--from", "vm1", "--to", "sp1", "41");
        assertEquals(0, sent.exit, sent.out + sent.err);
        assertTrue(sent.out.contains("payload=[0x2a,"), sent.out);

        final Result stop = run("stop", "--dir", dir.toString());
        assertEquals(0, stop.exit, stop.out + stop.err);
        assertEquals("stopped the partition manager of " + dir + " (pid " + pmPid + ")\n", stop.out);
        assertFalse(ProcessHandle.of(pmPid).map(ProcessHandle::isAlive).orElse(false), "the manager has ended");
        assertFalse(Files.exists(dir), "the manager removed its directory");
        awaitEnd(hostPid);
        assertTrue(Files.readString(hostLog).contains("ffa host: the partition manager of " + dir + " stopped; exiting"),
            Files.readString(hostLog));

        final Result again = run("stop", "--dir", dir.toString());
        assertEquals(1, again.exit, again.out + again.err);
        assertTrue(again.err.startsWith("ffa stop: "), again.err);
    }

    /**
     * The README's walk-through, run as one pasted block in bash from the repository root: each line as
     * written, but for {@code ./ffa}, which here runs the tool from the test's class path, with its
     * fabric directory and temporary directory the test's own.
     */
    @Test
    @Timeout(180)
    void theReadmeWalkThroughRunsAsOnePastedBlock() throws Exception
    {
        final Path root = Path.of("..").toAbsolutePath().normalize();
        final String readme = Files.readString(root.resolve("README.md"));
        final int start = readme.indexOf("```\n./ffa pm ");
        assertTrue(start >= 0, "the README has a walk-through starting with ./ffa pm");
        final String block = readme.substring(start + 4, readme.indexOf("```", start + 4));
        final Path logs = Files.createDirectories(tmp.resolve("logs"));
        final List<String> command = org.ffafabric.launch.ChildJvm.command(FfaCommand.class, List.of());
        command.addAll(1, List.of("-Dffa.fabric.dir=" + dir, "-Djava.io.tmpdir=" + logs));
        final Path ffa = tmp.resolve("ffa");
        final StringBuilder wrapper = new StringBuilder("#!/usr/bin/env bash\nexec");
        for (final String arg : command)
        {
            wrapper.append(" '").append(arg.replace("'", "'\\''")).append('\'');
        }
        Files.writeString(ffa, wrapper.append(" \"$@\"\n").toString());
        assertTrue(ffa.toFile().setExecutable(true));
        final Path script = Files.writeString(tmp.resolve("walk-through.sh"), block.replace("./ffa ", "'" + ffa + "' "));
        final Path output = tmp.resolve("walk-through.out");
        final Process bash = org.ffafabric.launch.ChildJvm.processBuilder(List.of("bash", "-e", "-o", "pipefail", script.toString()))
            .directory(root.toFile()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        final boolean ended = bash.waitFor(120, TimeUnit.SECONDS);
        if (!ended)
        {
            bash.destroyForcibly();
        }
        final String out = Files.readString(output);
        assertTrue(ended, out);
        final Matcher detached = DETACHED.matcher(out);
        while (detached.find())
        {
            started.add(Long.parseLong(detached.group(2)));
            assertTrue(detached.group(3).startsWith(logs.toString()), detached.group());
        }
        assertEquals(0, bash.exitValue(), out);
        assertEquals(2, started.size(), out);
        assertTrue(out.contains("partition info[0] id 0x8001 (echo-sp)"), out);
        assertTrue(out.contains("payload=[0x2a,0x1,0x1,0x1,0x1]"), out);
        assertTrue(out.contains("direct-requests-received=1"), out);
        assertTrue(out.contains("stopped the partition manager of " + dir), out);
        for (final long pid : started)
        {
            awaitEnd(pid);
        }
        assertFalse(Files.exists(dir), "the manager removed its directory");
    }

    /** One that ends before READY ends the detaching command too, with its status, and says what it said on standard error. */
    @Test
    @Timeout(120)
    void aDetachedCommandThatFailsToStartSaysSoWithItsStatus() throws Exception
    {
        final Path log = tmp.resolve("pm.log");
        final Path missing = tmp.resolve("no-such-manifest.yaml");
        final Result pm = run("pm", "--manifest", missing.toString(), "--dir", dir.toString(), "--detach",
            "--log", log.toString());
        assertEquals(1, pm.exit, pm.out + pm.err);
        assertEquals("", pm.out);
        assertTrue(pm.err.contains(missing.toString()), pm.err);
        assertTrue(pm.err.endsWith("ffa pm: ended with status 1 before it was ready; its output is in " + log + "\n"), pm.err);
        assertFalse(Files.exists(dir), "no fabric made");

        // With a log of its own naming, all of which it has shown, none is left behind: run in a JVM whose
        // temporary directory is the test's.
        final Path tmpdir = Files.createDirectory(tmp.resolve("tmpdir"));
        final List<String> command = new ArrayList<>(ChildJvm.command(FfaCommand.class,
            List.of("pm", "--manifest", missing.toString(), "--dir", dir.toString(), "--detach")));
        command.add(1, "-Djava.io.tmpdir=" + tmpdir);
        final Process unlogged = ChildJvm.processBuilder(command).redirectErrorStream(true)
            .redirectOutput(tmp.resolve("unlogged.out").toFile()).start();
        assertTrue(unlogged.waitFor(60, TimeUnit.SECONDS));
        final String said = Files.readString(tmp.resolve("unlogged.out"));
        assertEquals(1, unlogged.exitValue(), said);
        assertTrue(said.contains(missing.toString()), said);
        assertTrue(said.endsWith("ffa pm: ended with status 1 before it was ready\n"), said);
        try (java.util.stream.Stream<Path> left = Files.list(tmpdir))
        {
            assertEquals(List.of(), left.collect(java.util.stream.Collectors.toList()), "no log left");
        }
    }

    /**
     * Its session of its own keeps the terminal's signals from a detached process once the command has returned;
     * until then, a command told to stop (Ctrl-C, SIGTERM) stops it too. The host here waits for a fabric whose
     * launch has begun (its directory and lock, held by this JVM) and is never finished, so the detaching command
     * is waiting when it is told; the host would give up only after the connect timeout (10 s), which its log
     * would say.
     */
    @Test
    @Timeout(120)
    void aDetachingCommandStoppedBeforeReadyStopsItsProcess() throws Exception
    {
        Files.createDirectory(dir);
        try (FabricLock lock = FabricLock.create(dir))
        {
            assertNotNull(lock);
            final Process detaching = ChildJvm.processBuilder(ChildJvm.command(FfaCommand.class,
                List.of("host", "--dir", dir.toString(), "sp1", "--detach", "--log", tmp.resolve("host.log").toString())))
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("detaching.out").toFile())
                .start();
            final ProcessHandle host = awaitChild(detaching);
            started.add(host.pid());
            assertEquals(host.pid(), sessionOf(host.pid()), "in a session of its own while it starts");

            detaching.destroy();
            assertTrue(detaching.waitFor(60, TimeUnit.SECONDS), "the detaching command ends on SIGTERM");
            host.onExit().get(60, TimeUnit.SECONDS);
            assertFalse(host.isAlive(), "the host it started has ended with it");
            assertFalse(Files.readString(tmp.resolve("host.log")).contains("has not made its"),
                "stopped, not ended by its own timeout: " + Files.readString(tmp.resolve("host.log")));
            assertTrue(Files.readString(tmp.resolve("detaching.out")).contains("ffa host: told to stop before it was ready, so stopped it too (pid " + host.pid() + ")"),
                Files.readString(tmp.resolve("detaching.out")) + "|host log: " + Files.readString(tmp.resolve("host.log")));
        }
    }

    /** The JVM a detaching command started: its child, once setsid has execed java. */
    private static ProcessHandle awaitChild(final Process detaching) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline)
        {
            // Once setsid has execed java: before, its command line names the class too, and before the spawn's exec,
            // a moment's copy of the detaching JVM has that one's, with --detach.
            final Optional<ProcessHandle> child = detaching.children()
                .filter(process -> commandLine(process).contains(FfaCommand.class.getName()) &&
                    !commandLine(process).contains("--detach") &&
                    process.info().command().map(command -> command.endsWith("/java")).orElse(false))
                .findFirst();
            if (child.isPresent())
            {
                return child.get();
            }
            assertTrue(detaching.isAlive(), "the detaching command is still waiting");
            Thread.sleep(10);
        }
        throw new AssertionError("no child of the detaching command ran " + FfaCommand.class.getName());
    }

    @Test
    void logWithoutDetachIsAUsageError()
    {
        final Result pm = run("pm", "--manifest", "m.yaml", "--log", tmp.resolve("pm.log").toString());
        assertEquals(2, pm.exit, pm.out + pm.err);
        assertTrue(pm.err.contains("--log goes with --detach"), pm.err);
    }

    /** A log that cannot be written is a mistake in the option, said of it, not of the child's start. */
    @Test
    void aLogThatCannotBeWrittenIsAUsageError()
    {
        final Result toADirectory = run("host", "--dir", dir.toString(), "sp1", "--detach", "--log", tmp.toString());
        assertEquals(2, toADirectory.exit, toADirectory.out + toADirectory.err);
        assertTrue(toADirectory.err.startsWith("ffa host: --log " + tmp + " is a directory"), toADirectory.err);
        final Path nowhere = tmp.resolve("no-such-dir").resolve("host.log");
        final Result inNoDirectory = run("pm", "--manifest", "m.yaml", "--detach", "--log", nowhere.toString());
        assertEquals(2, inNoDirectory.exit, inNoDirectory.out + inNoDirectory.err);
        assertTrue(inNoDirectory.err.startsWith("ffa pm: --log " + nowhere + " has no directory " + nowhere.getParent()),
            inNoDirectory.err);
    }

    private static void awaitEnd(final long pid) throws Exception
    {
        final Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isPresent())
        {
            process.get().onExit().get(30, TimeUnit.SECONDS);
        }
    }

    private long detachedPid(final Result result, final Path log)
    {
        final Matcher matcher = DETACHED.matcher(result.out);
        assertTrue(matcher.find(), result.out);
        final long pid = Long.parseLong(matcher.group(2));
        started.add(pid);
        assertEquals(log.toAbsolutePath().toString(), matcher.group(3));
        assertTrue(result.out.endsWith(matcher.group() + "\n"), "the last line: " + result.out);
        // A session of its own: a Ctrl-C or hang-up of the starting terminal does not reach it.
        assertEquals(pid, sessionOf(pid), "the detached process leads a session of its own");
        return pid;
    }

    /** The session ID, field 6 of /proc/PID/stat (counted after the command name's closing parenthesis). */
    private static long sessionOf(final long pid)
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[3]);
        }
        catch (final java.io.IOException ex)
        {
            throw new AssertionError("no /proc entry for " + pid, ex);
        }
    }
}
