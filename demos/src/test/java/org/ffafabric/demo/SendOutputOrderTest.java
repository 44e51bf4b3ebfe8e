package org.ffafabric.demo;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.launch.ChildJvm;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The ffa tool's standard output and error, written to one pipe as a terminal takes them: each line
 * reaches it as it is printed, so a cause said on standard error follows the request and answer it explains.
 * A review saw the cause first; the JVM's System.out and System.err each flush every println, so the tool
 * writes them in this order, and a reader of two pipes (an IDE's console, a pipe through tee) is what
 * reorders them. This holds the order against a buffered standard output.
 */
class SendOutputOrderTest
{
    @Test
    @Timeout(60)
    void aRequestToAPartitionTheFabricLacksIsFollowedByWhy() throws Exception
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000f1").directMessaging())
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000f2")
                .directMessaging())
            .build();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest))
        {
            final Process send = ChildJvm.processBuilder(ChildJvm.command(FfaCommand.class,
                List.of("send", "--dir", fabric.directory().toString(), "--from", "vm1", "--to", "0x8009", "1")))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .start();
            final String both = new String(send.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(send.waitFor(50, TimeUnit.SECONDS), "ffa send ends");
            assertEquals(1, send.exitValue(), both);
            final String[] lines = both.strip().split("\n");
            assertEquals(3, lines.length, both);
            assertTrue(lines[0].startsWith("-> FFA_MSG_SEND_DIRECT_REQ_64 sender=0x0001 receiver=0x8009"), both);
            assertEquals("<- FFA_ERROR(INVALID_PARAMETERS)", lines[1], both);
            assertEquals("ffa send: the fabric has no partition 0x8009; its partitions: vm1 (0x0001), sp1 (0x8001)", lines[2],
                both);
        }
    }
}
