package org.ffafabric.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The README's run command end to end: PM here, echo SP and requesting VM as child processes. */
class DemoTest
{
    /**
     * A hang guard far past the demo's few seconds: its 24,000 round trips (warm-ups included) spin on both sides, and
     * beside four busy processes on two cores each waits for both on a core at once; that took 48 s.
     */
    @Test
    @Timeout(600)
    void demoDiscoversPartitionsAndTimesBothMessageKinds() throws Exception
    {
        final PrintStream original = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final int exit;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            exit = Demo.run(2_000);
        }
        finally
        {
            System.setOut(original);
        }
        final String out = captured.toString(StandardCharsets.UTF_8);
        original.print(out);
        assertEquals(0, exit, out);
        assertTrue(out.contains("client-vm: FFA_VERSION -> 1.2, FFA_ID_GET -> 0x0001"), out);
        assertTrue(out.contains("FFA_PARTITION_INFO_GET -> PartitionInfo{id=0x8001"), out);
        assertTrue(out.matches("(?s).*FFA_MSG_SEND_DIRECT_REQ_64 +round trip: p50=[0-9.]+us p99=[0-9.]+us p99\\.9=[0-9.]+us.*"), out);
        assertTrue(out.matches("(?s).*FFA_MSG_SEND_DIRECT_REQ2 +round trip: p50=[0-9.]+us.*\\(2000 samples, cross-process\\).*"), out);
        assertTrue(out.contains("demo: done"), out);
        // Every request the client sent, warm-up included, echo-sp received, and no call returned an error.
        final java.util.regex.Matcher sent = java.util.regex.Pattern.compile(
            "demo: counters: client-vm id=0x0001 direct-requests-sent=(\\d+) direct-requests-received=0 .* errors: none\n")
            .matcher(out);
        assertTrue(sent.find(), out);
        assertTrue(Long.parseLong(sent.group(1)) >= 2 * 2_000, out);
        assertTrue(out.contains("demo: counters: echo-sp id=0x8001 direct-requests-sent=0 direct-requests-received=" +
            sent.group(1) + " "), out);
        final String dir = "ffa-demo-" + ProcessHandle.current().pid();
        try (Stream<Path> shm = Files.list(Path.of("/dev/shm")))
        {
            assertTrue(shm.noneMatch(p -> p.getFileName().toString().equals(dir)), "fabric directory left behind");
        }
    }
}
