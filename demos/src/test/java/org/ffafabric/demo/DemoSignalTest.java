package org.ffafabric.demo;

import org.ffafabric.launch.ChildJvm;
import org.ffafabric.launch.PartitionHostMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** ./ffa demo stopped by SIGTERM (or Ctrl-C) mid-run. Never checks a timing value. */
class DemoSignalTest
{
    @Test
    @Timeout(120)
    void sigtermMidRunLeavesNoFabricDirectory() throws Exception
    {
        // It left /dev/shm/ffa-demo-<pid> (~120 MB: memory files and the media driver's terms) until some
        // later partition manager happened to sweep it.
        final Process demo = ChildJvm.processBuilder(ChildJvm.command(FfaCommand.class, List.of("demo", "--rounds", "2000000000")))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
        final Path dir = Path.of("/dev/shm", "ffa-demo-" + demo.pid());
        List<ProcessHandle> partitions = List.of();
        try
        {
            // Until both partition processes run.
            while ((partitions = demo.children().toList()).size() < 2 || !Files.exists(dir))
            {
                assertTrue(demo.isAlive(), "the demo exited before its partitions ran");
                Thread.sleep(100);
            }

            demo.destroy();
            assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "the demo did not end on SIGTERM");
            assertFalse(Files.exists(dir), dir + " left behind");
            awaitExit(partitions);
        }
        finally
        {
            endAll(demo, partitions, dir);
        }
    }

    @Test
    @Timeout(120)
    void anEchoSpKilledMidRunIsToldInLinesNotTraces(@TempDir final Path tmp) throws Exception
    {
        // The requester said "Exception in thread "main" java.lang.IllegalStateException: unexpected response:
        // FFA_ERROR(ABORTED)" and its stack trace, and nothing said that echo-sp had gone.
        final Path output = tmp.resolve("demo.out");
        final Process demo = ChildJvm.processBuilder(ChildJvm.command(FfaCommand.class, List.of("demo", "--rounds", "2000000000")))
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
        final Path dir = Path.of("/dev/shm", "ffa-demo-" + demo.pid());
        List<ProcessHandle> partitions = List.of();
        try
        {
            // Until the requester has discovered the fabric: its round trips come next.
            while ((partitions = demo.children().toList()).size() < 2 ||
                !Files.readString(output).contains("FFA_PARTITION_INFO_GET -> PartitionInfo{id=0x8001"))
            {
                assertTrue(demo.isAlive(), "the demo exited before its round trips: " + Files.readString(output));
                Thread.sleep(100);
            }
            final ProcessHandle echoSp = partitions.stream()
                .filter(p -> ChildJvm.runs(p, PartitionHostMain.class))
                .findFirst().orElseThrow();
            echoSp.destroyForcibly();

            assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "the demo did not end when echo-sp died");
            final String out = Files.readString(output);
            assertNotEquals(0, demo.exitValue(), out);
            assertFalse(out.contains("\tat ") || out.contains("Exception"), out);
            assertTrue(out.contains("demo: echo-sp exited"), out);
            assertFalse(Files.exists(dir), dir + " left behind");
            awaitExit(partitions);
        }
        finally
        {
            endAll(demo, partitions, dir);
        }
    }

    @Test
    @Timeout(120)
    void sigtermWhileThePartitionManagerLaunchesLeavesNoFabricDirectory() throws Exception
    {
        // Its shutdown hook came after the launch: a Ctrl-C while the partition manager made its files and driver
        // left /dev/shm/ffa-demo-<pid> (fabric.lock, mem-*.dat) until a later launch's sweep.
        final Process demo = ChildJvm.processBuilder(ChildJvm.command(FfaCommand.class, List.of("demo", "--rounds", "2000000000")))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
        final Path dir = Path.of("/dev/shm", "ffa-demo-" + demo.pid());
        try
        {
            while (!Files.exists(dir))
            {
                assertTrue(demo.isAlive(), "the demo exited before its launch");
                Thread.onSpinWait();
            }

            demo.destroy();
            assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "the demo did not end on SIGTERM");
            assertFalse(Files.exists(dir), dir + " left behind");
        }
        finally
        {
            demo.destroyForcibly().waitFor();
            org.agrona.IoUtil.delete(dir.toFile(), true);
        }
    }

    /** Each partition process ends (the demo's close ended them). */
    private static void awaitExit(final List<ProcessHandle> partitions) throws Exception
    {
        for (final ProcessHandle partition : partitions)
        {
            partition.onExit().get(60, TimeUnit.SECONDS);
        }
    }

    /** Whatever happened: the demo and its partitions end, and the fabric directory goes. */
    private static void endAll(final Process demo, final List<ProcessHandle> partitions, final Path dir)
        throws InterruptedException
    {
        demo.destroyForcibly().waitFor();
        partitions.forEach(ProcessHandle::destroyForcibly);
        org.agrona.IoUtil.delete(dir.toFile(), true);
    }
}
