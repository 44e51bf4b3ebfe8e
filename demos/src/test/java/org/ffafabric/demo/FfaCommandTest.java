package org.ffafabric.demo;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** The live tools against a running fabric: send a request, show the partitions, dump RX. */
class FfaCommandTest
{
    @Test
    @Timeout(60)
    void sendShowsRequestAndResponseRegistersAndPartitionsShowsTheServer() throws Exception
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000c1").directMessaging())
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000c2")
                .directMessaging())
            .build();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest);
            Endpoint sp = fabric.claim(0x8001);
            AutoCloseable serving = sp.serve((request, response) ->
            {
                for (int i = 0; i < request.payloadWords(); i++)
                {
                    response.payload(i, request.payload(i) * 2);
                }
            }))
        {
            final String dir = fabric.directory().toString();
            final Result sent = run("send", "--dir", dir, "--from", "0x0001", "--to", "0x8001", "21", "0x10");
            assertEquals(0, sent.exit, sent.out);
            assertTrue(sent.out.contains("-> FFA_MSG_SEND_DIRECT_REQ_64 sender=0x0001 receiver=0x8001"), sent.out);
            assertTrue(sent.out.contains("<- FFA_MSG_SEND_DIRECT_RESP_64 sender=0x8001 receiver=0x0001 flags=0 payload=[0x2a,0x20"),
                sent.out);

            final Result refused = run("send", "--dir", dir, "--from", "0x0001", "--to", "0x0001", "1");
            assertEquals(1, refused.exit, refused.out);
            assertTrue(refused.out.contains("<- FFA_ERROR(INVALID_PARAMETERS)"), refused.out);

            final Result partitions = run("partitions", "--dir", dir);
            assertEquals(0, partitions.exit, partitions.out);
            assertTrue(partitions.out.contains("sp1 id=0x8001 world=sp-el1"), partitions.out);
            assertTrue(partitions.out.contains("ec0 WAITING"), partitions.out);
            assertTrue(partitions.out.contains("vm1 id=0x0001 world=vm version=1.2 properties=0x"), partitions.out);

            final Result dump = run("dump", "--dir", dir, "--partition", "0x0001");
            assertEquals(0, dump.exit, dump.out);
            assertTrue(dump.out.contains("vm1: rx/tx not mapped"), dump.out);
        }
    }

    private static Result run(final String... args)
    {
        final PrintStream original = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            final int exit = new CommandLine(new FfaCommand()).execute(args);
            return new Result(exit, captured.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(original);
        }
    }

    private static final class Result
    {
        final int exit;
        final String out;

        Result(final int exit, final String out)
        {
            this.exit = exit;
            this.out = out;
        }
    }
}
