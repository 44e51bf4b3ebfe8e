package org.ffafabric.bench.latency;

import org.ffafabric.launch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The latency tool stopped by SIGTERM (or Ctrl-C) in the middle of a scenario. Never checks a timing value. */
class LatencyToolSignalTest
{
    @TempDir
    Path results;

    @Test
    @Timeout(120)
    void sigtermMidScenarioLeavesNothingInDevShm() throws Exception
    {
        // A SIGTERM'd run left its media driver's directory (~70 MB of pre-touched IPC terms) in /dev/shm
        // until a later run was given --sweep-stale.
        final Process tool = ChildJvm.processBuilder(ChildJvm.command(LatencyTool.class, List.of(
            "--scenario", ScenarioRegistry.RATIO_BASELINE, "--samples", "2000000000", "--warmup", "0",
            "--results", results.toString())))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
        final long pid = tool.pid();
        List<ProcessHandle> echoes = List.of();
        try
        {
            // Until the scenario is up: its driver's directory is there and its echo runs.
            while (entriesOf(pid).isEmpty() || tool.children().findAny().isEmpty())
            {
                assertTrue(tool.isAlive(), "the tool exited before its scenario was up");
                Thread.sleep(100);
            }
            echoes = tool.descendants().toList();

            tool.destroy();
            assertTrue(tool.waitFor(60, TimeUnit.SECONDS), "the tool did not end on SIGTERM");
            for (final ProcessHandle echo : echoes)
            {
                echo.onExit().get(30, TimeUnit.SECONDS);
            }

            assertEquals(Set.of(), entriesOf(pid), "left in /dev/shm or the temp directory");
        }
        finally
        {
            // Once the tool has gone its echoes are no longer its descendants: end the ones seen while it ran.
            tool.descendants().forEach(ProcessHandle::destroyForcibly);
            tool.destroyForcibly().waitFor();
            echoes.forEach(ProcessHandle::destroyForcibly);
            entriesOf(pid).forEach((entry) -> ScenarioContext.deleteQuietly(Path.of(entry)));
            assertFalse(tool.isAlive());
        }
    }

    @Test
    @Timeout(120)
    void sigtermToAToolThatRelaunchedItselfEndsTheRelaunchedOne() throws Exception
    {
        // Started without the JVM flags, the tool runs itself again with them and waits. A SIGTERM to the
        // process the user started ended only that one: the relaunched tool and its echo went on spinning.
        final List<String> command = new java.util.ArrayList<>(List.of(ChildJvm.javaBinary()));
        // The tests' Aeron settings all the same (the pom's ffa.test.flags: small terms, timeouts that outlast a
        // stall of the machine), which the relaunched tool and its echo take from its arguments.
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter((arg) -> arg.startsWith("-Daeron.")).toList());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), LatencyTool.class.getName(),
            "--scenario", ScenarioRegistry.RATIO_BASELINE, "--samples", "2000000000", "--warmup", "0",
            "--results", results.toString()));
        final Process tool = new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
        List<ProcessHandle> descendants = List.of();
        try
        {
            // Until the relaunched tool's scenario is up: its echo is the started process's grandchild.
            while ((descendants = tool.descendants().toList()).size() < 2)
            {
                assertTrue(tool.isAlive(), "the tool exited before its scenario was up");
                Thread.sleep(100);
            }

            tool.destroy();
            assertTrue(tool.waitFor(60, TimeUnit.SECONDS), "the tool did not end on SIGTERM");
            for (final ProcessHandle descendant : descendants)
            {
                descendant.onExit().get(60, TimeUnit.SECONDS);
            }
        }
        finally
        {
            tool.destroyForcibly().waitFor();
            for (final ProcessHandle descendant : descendants)
            {
                descendant.destroyForcibly();
                descendant.onExit().get(30, TimeUnit.SECONDS);
                entriesOf(descendant.pid()).forEach((entry) -> ScenarioContext.deleteQuietly(Path.of(entry)));
            }
        }
    }

    /** The bench's entries in /dev/shm and the temp directory named for the process. */
    private static Set<String> entriesOf(final long pid) throws IOException
    {
        final Set<String> entries = new TreeSet<>();
        for (final Path directory : List.of(ScenarioContext.shmDirectory(), Path.of(System.getProperty("java.io.tmpdir"))))
        {
            try (Stream<Path> list = Files.list(directory))
            {
                list.filter((path) -> ScenarioContext.ownerPid(path.getFileName().toString()) == pid)
                    .forEach((path) -> entries.add(path.toString()));
            }
        }
        return entries;
    }
}
