package org.ffafabric.demo;

import org.ffafabric.launch.ChildJvm;
import org.ffafabric.transport.AeronTuning;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ./ffa demo in a container, whose /dev/shm is 64 MiB unless given more: here a small tmpfs mounted on
 * /dev/shm in a mount namespace of the demo's own (unshare -m, as root), so that nobody else's fabric sees it.
 */
class DemoInASmallShmTest
{
    @BeforeEach
    void canMountATmpfsOfItsOwn() throws Exception
    {
        final Process probe = new ProcessBuilder("unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1M tmpfs /dev/shm")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assumeTrue(probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0, "cannot mount a tmpfs of its own");
    }

    @Test
    @Timeout(120)
    void aDemoWithoutRoomForItsLogsIsRefusedInOneLine() throws Exception
    {
        // It launched, claimed, and failed at its first request: some 120 lines of the media driver's
        // "space is running low" and "insufficient usable storage" stack traces, then the client's
        // "IllegalStateException: unexpected response: FFA_ERROR(NO_MEMORY)".
        final Result demo = demoIn("64M");
        assertEquals(1, demo.exit, demo.out);
        assertEquals(1, demo.out.lines().count(), demo.out);
        assertTrue(demo.out.startsWith("ffa demo: no room") && demo.out.contains("/dev/shm"), demo.out);
    }

    /** A hang guard as DemoTest's: the demo runs whole here, its round trips spinning on both sides. */
    @Test
    @Timeout(600)
    void aDemoWithRoomBelowAeronsWarningThresholdIsToldInLinesNotTraces() throws Exception
    {
        // It ran, its results among some 130 lines of "AeronException: WARN - space is running low" stack
        // traces: one for each log the driver made with less than 160 MiB left.
        final Result demo = demoIn("100M");
        assertEquals(0, demo.exit, demo.out);
        assertTrue(demo.out.contains("demo: done"), demo.out);
        assertTrue(demo.out.contains("space is running low"), demo.out);
        assertFalse(demo.out.contains("\tat ") || demo.out.contains("Exception"), demo.out);
    }

    /** The demo, a few rounds with the terms it ships with, in a /dev/shm of {@code size}; its output and status. */
    private static Result demoIn(final String size) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("unshare", "-m", "sh", "-c",
            "mount -t tmpfs -o size=" + size + " tmpfs /dev/shm && exec \"$@\"", "sh"));
        final List<String> java = ChildJvm.command(FfaCommand.class, List.of("demo", "--rounds", "1000"));
        // The terms it ships with (4 MiB), not the tests' 64 KiB that this JVM's arguments pass on.
        java.add(java.indexOf("-cp"), "-Daeron.ipc.term.buffer.length=" + AeronTuning.IPC_TERM_LENGTH_DEFAULT);
        command.addAll(java);
        final Process demo = ChildJvm.processBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectErrorStream(true).start();
        try
        {
            final String out = new String(demo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "the demo ends");
            return new Result(demo.exitValue(), out);
        }
        finally
        {
            // The tmpfs, and anything left in it, went with the namespace.
            demo.destroyForcibly().waitFor();
        }
    }

    private record Result(int exit, String out)
    {
    }
}
