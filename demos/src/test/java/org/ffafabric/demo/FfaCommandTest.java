package org.ffafabric.demo;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.demo.FfaInThisJvm.Result;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.ffafabric.demo.FfaInThisJvm.run;
import static org.junit.jupiter.api.Assertions.*;

/** The live tools against a running fabric: send a request, show the partitions, dump RX. */
class FfaCommandTest
{
    /** ffa.fabric.dir names the fabric directory for the live tools as for `ffa pm`, PartitionManager and FabricClient. */
    @Test
    void theLiveToolsFollowTheConfiguredFabricDirectory()
    {
        final String before = System.getProperty(FabricDirectory.DIRECTORY_PROP_NAME);
        System.setProperty(FabricDirectory.DIRECTORY_PROP_NAME, "/dev/shm/ffa-configured-elsewhere");
        try
        {
            assertEquals(Paths.get("/dev/shm/ffa-configured-elsewhere"), FfaCommand.fabricDirectory(null));
            assertEquals(Paths.get("/tmp/given"), FfaCommand.fabricDirectory("/tmp/given"), "--dir wins");
        }
        finally
        {
            if (before == null)
            {
                System.clearProperty(FabricDirectory.DIRECTORY_PROP_NAME);
            }
            else
            {
                System.setProperty(FabricDirectory.DIRECTORY_PROP_NAME, before);
            }
        }
    }

    /** An FFA_ERROR whose likely cause the manifests hold is said in a line after it: the spec's code names none. */
    @Test
    @Timeout(60)
    void sendSaysWhyTheRulesRefusedARequest() throws Exception
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000e1").directMessaging())
            .partition(p -> p.name("mute").id(2).world(World.VM).uuid("00000000-0000-4000-8000-0000000000e2"))
            .partition(p -> p.name("req-only").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000e3")
                .property(PartitionProperties.DIRECT_REQ_RECV, true))
            .partition(p -> p.name("sp2").id(0x8002).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000e4")
                .directMessaging())
            .build();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest);
            Endpoint sp2 = fabric.claim(0x8002);
            AutoCloseable serving = sp2.serve((request, response) -> response.payload(0, request.payload(0) + 1)))
        {
            final String dir = fabric.directory().toString();
            assertCause("FFA_ERROR(DENIED)", "mute (0x0002) receives no DIRECT_REQ: its manifest's messaging has no " +
                "direct-req-recv", run("send", "--dir", dir, "--from", "vm1", "--to", "mute", "1"));
            assertCause("FFA_ERROR(DENIED)", "mute (0x0002) sends no DIRECT_REQ: its manifest's messaging has no " +
                "direct-req-send", run("send", "--dir", dir, "--from", "mute", "--to", "sp2", "1"));
            assertCause("FFA_ERROR(DENIED)", "req-only (0x8001) receives no DIRECT_REQ2: its manifest's messaging has no " +
                "direct-req2-recv", run("send", "--dir", dir, "--from", "vm1", "--to", "req-only", "--req2", "1"));
            assertCause("FFA_ERROR(INVALID_PARAMETERS)", "sp2 (0x8002) declares no UUID 00000000-0000-4000-8000-0000000000ff",
                run("send", "--dir", dir, "--from", "vm1", "--to", "sp2", "--req2", "--uuid",
                "00000000-0000-4000-8000-0000000000ff", "1"));
            assertCause("FFA_ERROR(INVALID_PARAMETERS)", "a secure partition sends no direct requests to the normal world",
                run("send", "--dir", dir, "--from", "req-only", "--to", "vm1", "1"));
            // It said nothing beside the code.
            assertCause("FFA_ERROR(INVALID_PARAMETERS)", "a partition sends no direct request to itself",
                run("send", "--dir", dir, "--from", "vm1", "--to", "vm1", "1"));
        }
    }

    private static void assertCause(final String answer, final String cause, final Result sent)
    {
        assertEquals(1, sent.exit, sent.out + sent.err);
        assertTrue(sent.out.contains("<- " + answer), sent.out);
        assertEquals("ffa send: " + cause, sent.err.strip());
    }

    /** As Linux's driver: DIRECT_REQ_32 when either end runs in AArch32 state, whose SMC64 calls would be refused. */
    @Test
    @Timeout(60)
    void sendUsesDirectReq32WhenEitherPartitionRunsInAarch32State() throws Exception
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm64").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000d1").directMessaging())
            .partition(p -> p.name("vm32").id(2).world(World.VM).uuid("00000000-0000-4000-8000-0000000000d2").directMessaging()
                .property(PartitionProperties.AARCH64, false))
            .partition(p -> p.name("sp64").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000d3")
                .directMessaging())
            .partition(p -> p.name("sp32").id(0x8002).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000d4")
                .directMessaging().property(PartitionProperties.AARCH64, false))
            .build();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest);
            Endpoint sp64 = fabric.claim(0x8001);
            Endpoint sp32 = fabric.claim(0x8002);
            AutoCloseable serving64 = sp64.serve((request, response) -> response.payload(0, request.payload(0) + 1));
            AutoCloseable serving32 = sp32.serve((request, response) -> response.payload(0, request.payload(0) + 1)))
        {
            final String dir = fabric.directory().toString();
            final Result to32 = run("send", "--dir", dir, "--from", "vm64", "--to", "sp32", "41");
            assertEquals(0, to32.exit, to32.out + to32.err);
            assertTrue(to32.out.contains("-> FFA_MSG_SEND_DIRECT_REQ_32 sender=0x0001 receiver=0x8002"), to32.out);
            assertTrue(to32.out.contains("<- FFA_MSG_SEND_DIRECT_RESP_32 sender=0x8002 receiver=0x0001 flags=0 payload=[0x2a"),
                to32.out);
            final Result from32 = run("send", "--dir", dir, "--from", "vm32", "--to", "sp64", "-1");
            assertEquals(0, from32.exit, from32.out + from32.err);
            assertTrue(from32.out.contains("-> FFA_MSG_SEND_DIRECT_REQ_32 sender=0x0002 receiver=0x8001 flags=0 payload=[0xffffffff,"),
                "-1 is the 32-bit word 0xffffffff: " + from32.out);
            assertTrue(from32.out.contains("<- FFA_MSG_SEND_DIRECT_RESP_32 sender=0x8001 receiver=0x0002 flags=0 payload=[0x0,"),
                "the answer, plus one, is a w register too, so it wraps: " + from32.out);
            final Result both64 = run("send", "--dir", dir, "--from", "vm64", "--to", "sp64", "41");
            assertTrue(both64.out.contains("-> FFA_MSG_SEND_DIRECT_REQ_64"), both64.out);

            // A word past 32 bits is refused before the claim, rather than cut short.
            final Result tooWide = run("send", "--dir", dir, "--from", "vm64", "--to", "sp32", "0x100000000");
            assertEquals(2, tooWide.exit, tooWide.err);
            assertEquals("ffa send: '0x100000000' does not fit the 32-bit word of DIRECT_REQ_32, which is sent as sp32 " +
                "(0x8002) runs in AArch32 state", tooWide.err.strip());
            assertEquals("", tooWide.out);
        }
    }

    @Test
    @Timeout(60)
    void sendShowsRequestAndResponseRegistersAndPartitionsShowsTheServer() throws Exception
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000c1").directMessaging())
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000c2")
                .directMessaging())
            .partition(p -> p.name("sp2").id(0x8002).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000c3")
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

            // By manifest name, as `ffa partitions` shows them: it said "'vm1' is not a partition ID".
            final Result byName = run("send", "--dir", dir, "--from", "vm1", "--to", "sp1", "21");
            assertEquals(0, byName.exit, byName.out + byName.err);
            assertTrue(byName.out.contains("<- FFA_MSG_SEND_DIRECT_RESP_64 sender=0x8001 receiver=0x0001 flags=0 payload=[0x2a"),
                byName.out);
            final Result wrongCase = run("send", "--dir", dir, "--from", "vm1", "--to", "SP1", "21");
            assertEquals(1, wrongCase.exit, wrongCase.err);
            assertOneLine("ffa send: ", wrongCase.err);
            assertTrue(wrongCase.err.contains("did you mean sp1?"), wrongCase.err);
            final Result unknown = run("dump", "--dir", dir, "--partition", "sp9");
            assertEquals(1, unknown.exit, unknown.err);
            assertOneLine("ffa dump: ", unknown.err);
            assertTrue(unknown.err.contains("'sp9' is neither a partition ID nor a partition's name in the fabric; " +
                "its partitions: vm1 (0x0001), sp1 (0x8001), sp2 (0x8002)"), unknown.err);
            final Result unknownHost = run("host", "--dir", dir, "sp2", "sp9");
            assertEquals(1, unknownHost.exit, unknownHost.err);
            assertTrue(unknownHost.err.contains("'sp9' is neither"), unknownHost.err);

            // An ID the fabric lacks: host said "the fabric has no partition 0x8009", dump "no partition 0x8009",
            // send "the fabric has no partition 0x0009"; none said which partitions it has, as a name's refusal does.
            final String noSuchPartition = "the fabric has no partition 0x8009; its partitions: vm1 (0x0001), sp1 (0x8001), " +
                "sp2 (0x8002)";
            final Result unknownIdHost = run("host", "--dir", dir, "sp2", "0x8009");
            assertEquals(1, unknownIdHost.exit, unknownIdHost.err);
            assertEquals("ffa host: " + noSuchPartition, unknownIdHost.err.strip());
            final Result unknownIdDump = run("dump", "--dir", dir, "--partition", "0x8009");
            assertEquals(1, unknownIdDump.exit, unknownIdDump.err);
            assertEquals("ffa dump: " + noSuchPartition, unknownIdDump.err.strip());
            final Result unknownIdFrom = run("send", "--dir", dir, "--from", "0x8009", "--to", "sp1");
            assertEquals(1, unknownIdFrom.exit, unknownIdFrom.err);
            assertEquals("ffa send: " + noSuchPartition, unknownIdFrom.err.strip());
            // A request to it is made all the same, FF-A's answer worth seeing; the line after says why.
            final Result unknownIdTo = run("send", "--dir", dir, "--from", "vm1", "--to", "0x8009", "1");
            assertEquals(1, unknownIdTo.exit, unknownIdTo.err);
            assertTrue(unknownIdTo.out.contains("<- FFA_ERROR(INVALID_PARAMETERS)"), unknownIdTo.out);
            assertEquals("ffa send: " + noSuchPartition, unknownIdTo.err.strip());

            // Given by name, a partition is said by name and ID: it said "partition 0x8002 is given twice".
            final Result twice = run("host", "--dir", dir, "sp2", "0x8002");
            assertEquals(1, twice.exit, twice.err);
            assertEquals("ffa host: sp2 (0x8002) is given twice", twice.err.strip());
            final Result twiceById = run("host", "--dir", dir, "0x8002", "32770");
            assertEquals(1, twiceById.exit, twiceById.err);
            assertEquals("ffa host: 0x8002 is given twice", twiceById.err.strip());

            final Result refused = run("send", "--dir", dir, "--from", "0x0001", "--to", "0x0001", "1");
            assertEquals(1, refused.exit, refused.out);
            assertTrue(refused.out.contains("<- FFA_ERROR(INVALID_PARAMETERS)"), refused.out);

            final Result unserved = run("send", "--dir", dir, "--from", "0x0001", "--to", "0x8002", "1");
            assertEquals(1, unserved.exit, unserved.out);
            assertTrue(unserved.out.contains("<- FFA_ERROR(BUSY)"), unserved.out);
            assertTrue(unserved.err.contains("0x8002 is not claimed"), unserved.err);
            // It said "send: 0x8002 is not claimed", unlike every other line of the command.
            assertOneLine("ffa send: ", unserved.err);
            // By name, it said "0x8002 is not claimed", leaving the user to tell it was sp2.
            final Result unservedByName = run("send", "--dir", dir, "--from", "vm1", "--to", "sp2", "1");
            assertEquals(1, unservedByName.exit, unservedByName.out);
            assertEquals("ffa send: sp2 (0x8002) is not claimed: no partition process serves it", unservedByName.err.strip());

            final Result claimed = run("send", "--dir", dir, "--from", "0x8001", "--to", "0x0001");
            assertEquals(1, claimed.exit, claimed.err);
            assertOneLine("ffa send: ", claimed.err);

            final Result partitions = run("partitions", "--dir", dir);
            assertEquals(0, partitions.exit, partitions.out);
            assertTrue(partitions.out.contains("sp1 id=0x8001 world=sp-el1"), partitions.out);
            assertTrue(partitions.out.contains("ec0 WAITING"), partitions.out);
            assertTrue(partitions.out.contains("vm1 id=0x0001 world=vm version=1.2 properties=0x"), partitions.out);

            // Counted on each side: vm1's two requests sp1 answered, and the calls above that vm1 saw fail.
            final Result counters = run("counters", "--dir", dir);
            assertEquals(0, counters.exit, counters.err);
            assertTrue(counters.out.startsWith("partition manager: traps-dropped=0 replies-not-delivered=0 replies-waiting=0\n"), counters.out);
            assertTrue(counters.out.contains("vm1 id=0x0001 direct-requests-sent=2 direct-requests-received=0 traps="),
                counters.out);
            assertTrue(counters.out.contains(" errors: INVALID_PARAMETERS=2 BUSY=2\n"), counters.out);
            assertTrue(counters.out.contains("sp1 id=0x8001 direct-requests-sent=0 direct-requests-received=2 traps="),
                counters.out);
            final Result contexts = run("counters", "--dir", dir, "--contexts");
            assertTrue(contexts.out.contains("\n  ec0 direct-requests-sent=0 direct-requests-received=2\nsp2 "), contexts.out);

            final Result dump = run("dump", "--dir", dir, "--partition", "vm1");
            assertEquals(0, dump.exit, dump.out);
            assertTrue(dump.out.contains("vm1: rx/tx not mapped"), dump.out);
        }
    }

    @Test
    @Timeout(60)
    void sendSaysWhyAPartitionWhoseProcessDiedAnswersAborted() throws Exception
    {
        // After `kill -9` of `ffa host`, send printed "<- FFA_ERROR(ABORTED)" and nothing more, where a
        // partition never hosted had "0x8001 is not claimed: no partition process serves it" beside its BUSY.
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000c1").directMessaging())
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000c2")
                .directMessaging())
            .build();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest))
        {
            final org.ffafabric.control.ControlFile controlFile = fabric.client().controlFile();
            final int slot = controlFile.slotOf(0x8001);
            // A claim by a process that has exited: the manager reaps it as it reaps a killed host's.
            final Process gone = new ProcessBuilder("true").start();
            assertEquals(0, gone.waitFor());
            assertTrue(controlFile.claim(slot, gone.pid()));
            while (controlFile.claimPid(slot) != 0)
            {
                Thread.onSpinWait();
            }
            final Result sent = run("send", "--dir", fabric.directory().toString(), "--from", "vm1", "--to", "sp1", "1");
            assertEquals(1, sent.exit, sent.out + sent.err);
            assertTrue(sent.out.contains("<- FFA_ERROR(ABORTED)"), sent.out);
            assertOneLine("ffa send: ", sent.err);
            assertTrue(sent.err.contains("sp1 (0x8001) is not claimed: the process that claimed it died"), sent.err);
        }
    }

    @Test
    @Timeout(60)
    void sendSaysWhenItsTimeoutRanOut() throws Exception
    {
        // It printed "<- FFA_INTERRUPT target=0x8001:0 interrupt=0" and exited 1, as if an interrupt had come.
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000c1").directMessaging())
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000c2")
                .directMessaging())
            .build();
        final java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest);
            Endpoint sp = fabric.claim(0x8001);
            AutoCloseable serving = sp.serve((request, response) ->
            {
                // No answer until the send has given up.
                try
                {
                    answer.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }))
        {
            try
            {
                final Result sent = run("send", "--dir", fabric.directory().toString(), "--from", "1", "--to", "0x8001",
                    "--timeout-ms", "200", "1");
                assertEquals(1, sent.exit, sent.out + sent.err);
                assertTrue(sent.out.contains("<- FFA_INTERRUPT"), sent.out);
                assertOneLine("ffa send: ", sent.err);
                assertTrue(sent.err.contains("no response within 200 ms"), sent.err);
            }
            finally
            {
                answer.countDown();
            }
        }
    }

    @Test
    @Timeout(60)
    void sendResumesATargetThatYieldsUntilItAnswers() throws Exception
    {
        // It printed "<- FFA_YIELD" and exited 0 with the request still pending, its answer never shown.
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000c1").directMessaging())
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000c2")
                .directMessaging())
            .build();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest);
            Endpoint sp = fabric.claim(0x8001);
            AutoCloseable serving = sp.serve((request, response) ->
            {
                sp.currentContext().ops().yieldCycles(0);
                sp.currentContext().ops().yieldCycles(0);
                response.payload(0, request.payload(0) + 1);
            }))
        {
            final Result sent = run("send", "--dir", fabric.directory().toString(), "--from", "1", "--to", "0x8001", "41");
            assertEquals(0, sent.exit, sent.out + sent.err);
            final String[] lines = sent.out.strip().split("\n");
            assertEquals(6, lines.length, sent.out);
            assertTrue(lines[0].startsWith("-> FFA_MSG_SEND_DIRECT_REQ_64"), sent.out);
            assertTrue(lines[1].startsWith("<- FFA_YIELD"), sent.out);
            assertTrue(lines[2].startsWith("-> FFA_RUN target=0x8001:0"), sent.out);
            assertTrue(lines[3].startsWith("<- FFA_YIELD"), sent.out);
            assertTrue(lines[4].startsWith("-> FFA_RUN target=0x8001:0"), sent.out);
            assertTrue(lines[5].startsWith("<- FFA_MSG_SEND_DIRECT_RESP_64 sender=0x8001 receiver=0x0001 flags=0 payload=[0x2a"),
                sent.out);
            assertEquals("", sent.err);
        }
    }

    @Test
    void everyCommandAnswersHelpAndAUsersMistakeInOneLine() throws Exception
    {
        for (final String command : new String[] { "demo", "pm", "host", "partitions", "counters", "dump", "send" })
        {
            final Result help = run(command, "--help");
            assertEquals(0, help.exit, help.err);
            assertTrue(help.out.startsWith("Usage: ffa " + command), help.out);
        }
        final Result version = run("--version");
        assertEquals(0, version.exit, version.err);
        assertTrue(version.out.startsWith("ffa-fabric "), version.out);

        final Result noIds = run("host");
        assertEquals(2, noIds.exit, noIds.err);
        assertTrue(noIds.err.contains("Missing required parameter"), noIds.err);
        final Result badId = run("dump", "--partition", "a\tb");
        assertEquals(2, badId.exit, badId.err);
        assertTrue(badId.err.contains("is not a partition ID (e.g. 0x8001) or name"), badId.err);
        final Result wideId = run("send", "--from", "0x10000", "--to", "1");
        assertEquals(2, wideId.exit, wideId.err);
        assertTrue(wideId.err.contains("'0x10000' is not a 16-bit partition ID"), wideId.err);

        final Result badWord = run("send", "--from", "1", "--to", "0x8001", "zz");
        assertEquals(2, badWord.exit, badWord.err);
        assertOneLine("ffa send: ", badWord.err);
        assertTrue(badWord.err.contains("'zz' is not a 64-bit register value"), badWord.err);

        final Path nowhere = Files.createTempDirectory("ffa-nowhere");
        try
        {
            final Path broken = Files.writeString(nowhere.resolve("broken.yaml"), "partitions:\n  - {name: vm1, id: 1\n");
            final Result badYaml = run("pm", "--manifest", broken.toString(), "--dir", nowhere.resolve("fabric").toString());
            assertEquals(1, badYaml.exit, badYaml.err);
            assertOneLine("ffa pm: ", badYaml.err);
            assertTrue(badYaml.err.contains("not valid YAML") && badYaml.err.contains("line 3"), badYaml.err);
            // A refusal quoting a name with a line break in it is still one line.
            final Path oddName = Files.writeString(nowhere.resolve("odd.yaml"),
                "partitions:\n  - {name: \"vm\\n1\", id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001}\n");
            final Result badName = run("pm", "--manifest", oddName.toString(), "--dir", nowhere.resolve("fabric").toString());
            assertEquals(1, badName.exit, badName.err);
            assertOneLine("ffa pm: ", badName.err);
            assertTrue(badName.err.contains("field 'name'"), badName.err);
            final Result noFabric = run("partitions", "--dir", nowhere.toString());
            assertEquals(1, noFabric.exit, noFabric.err);
            assertOneLine("ffa partitions: ", noFabric.err);
            final Result noManifest = run("pm", "--manifest", nowhere.resolve("absent.yaml").toString(),
                "--dir", nowhere.resolve("fabric").toString());
            assertEquals(1, noManifest.exit, noManifest.err);
            assertOneLine("ffa pm: ", noManifest.err);
            assertTrue(noManifest.err.contains("absent.yaml: no such file"), noManifest.err);
        }
        finally
        {
            Files.walk(nowhere).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    @Timeout(60)
    void sendAndHostSayAtOnceThatNoFabricIsThere() throws Exception
    {
        // partitions and dump said "no fabric in DIR (no fabric.ctl): is its partition manager running?" at
        // once; send and host waited ten seconds in silence, then said only "no fabric in DIR".
        final Path nowhere = Files.createTempDirectory("ffa-nowhere");
        try
        {
            final Result send = run("send", "--dir", nowhere.toString(), "--from", "0x0001", "--to", "0x8001", "1");
            assertEquals(1, send.exit, send.err);
            assertOneLine("ffa send: ", send.err);
            assertTrue(send.err.contains("is its partition manager running?"), send.err);
            final Result host = run("host", "--dir", nowhere.toString(), "0x8001");
            assertEquals(1, host.exit, host.err);
            assertOneLine("ffa host: ", host.err);
            assertTrue(host.err.contains("is its partition manager running?"), host.err);
        }
        finally
        {
            Files.delete(nowhere);
        }
    }

    @Test
    @Timeout(60)
    void pmGivenADirectoryWhoseParentIsMissingSaysSoInOneLine() throws Exception
    {
        // It said "ffa pm: java.nio.file.NoSuchFileException: /tmp/.../absent/fabric".
        final Path nowhere = Files.createTempDirectory("ffa-nowhere");
        try
        {
            final Path manifest = Files.writeString(nowhere.resolve("m.yaml"),
                "partitions:\n  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: 64K}\n");
            final Path fabric = nowhere.resolve("absent").resolve("fabric");
            final Result pm = run("pm", "--manifest", manifest.toString(), "--dir", fabric.toString());
            assertEquals(1, pm.exit, pm.err);
            assertOneLine("ffa pm: ", pm.err);
            assertFalse(pm.err.contains("Exception"), pm.err);
            assertTrue(pm.err.contains(fabric.toString()) && pm.err.contains(fabric.getParent() + " does not exist"),
                pm.err);
            assertFalse(Files.exists(fabric.getParent()));
        }
        finally
        {
            Files.walk(nowhere).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    @Timeout(60)
    void pmGivenAFileSaysItIsAFile() throws Exception
    {
        // It said "F is not a fabric directory: it holds files a fabric does not make (give a new or empty directory)".
        final Path nowhere = Files.createTempDirectory("ffa-nowhere");
        try
        {
            final Path manifest = Files.writeString(nowhere.resolve("m.yaml"),
                "partitions:\n  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: 64K}\n");
            final Result pm = run("pm", "--manifest", manifest.toString(), "--dir", manifest.toString());
            assertEquals(1, pm.exit, pm.err);
            assertOneLine("ffa pm: ", pm.err);
            assertTrue(pm.err.contains(manifest + " is a file, not a directory"), pm.err);
            assertTrue(Files.isRegularFile(manifest));
        }
        finally
        {
            Files.walk(nowhere).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    @Timeout(60)
    void sendRefusesOptionsThatCannotMakeARequestBeforeLookingForTheFabric() throws Exception
    {
        final Path nowhere = Files.createTempDirectory("ffa-nowhere");
        try
        {
            final String dir = nowhere.toString();
            // It looked for the fabric first, and said "at most 5 payload words" without the command's name.
            final Result words = run("send", "--dir", dir, "--from", "1", "--to", "0x8001", "1", "2", "3", "4", "5", "6");
            assertEquals(2, words.exit, words.err);
            assertOneLine("ffa send: ", words.err);
            assertTrue(words.err.contains("at most 5 payload words (14 with --req2)"), words.err);
            final Result words2 = run("send", "--dir", dir, "--req2", "--from", "1", "--to", "0x8001",
                "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15");
            assertEquals(2, words2.exit, words2.err);
            assertTrue(words2.err.contains("at most 14 payload words"), words2.err);
            // It sent a DIRECT_REQ_64, which has no UUID, without a word about the --uuid given.
            final Result uuidWithoutReq2 = run("send", "--dir", dir, "--from", "1", "--to", "0x8001",
                "--uuid", "5e7e1a57-0000-4000-8000-0000000ec400", "1");
            assertEquals(2, uuidWithoutReq2.exit, uuidWithoutReq2.err);
            assertOneLine("ffa send: ", uuidWithoutReq2.err);
            assertTrue(uuidWithoutReq2.err.contains("--uuid needs --req2"), uuidWithoutReq2.err);
            // It claimed, then said "Invalid UUID string: bad" with status 1.
            final Result badUuid = run("send", "--dir", dir, "--req2", "--from", "1", "--to", "0x8001", "--uuid", "bad");
            assertEquals(2, badUuid.exit, badUuid.err);
            assertTrue(badUuid.err.contains("--uuid") && badUuid.err.contains("'bad'"), badUuid.err);
            // A negative timeout waited forever, as 0 does.
            final Result negative = run("send", "--dir", dir, "--from", "1", "--to", "0x8001", "--timeout-ms", "-5");
            assertEquals(2, negative.exit, negative.err);
            assertOneLine("ffa send: ", negative.err);
            assertTrue(negative.err.contains("--timeout-ms"), negative.err);
            final Result help = run("send", "--help");
            assertTrue(help.out.replaceAll("\\s+", " ").contains("0 waits forever"), help.out);
        }
        finally
        {
            Files.delete(nowhere);
        }
    }

    @Test
    void dumpRefusesNegativeCounts()
    {
        // --bytes -1 printed "client-vm RX at 0x40001000 (-1 of 4096 bytes ...)" and no bytes, with status 0.
        for (final String[] args : new String[][] {
            { "dump", "--partition", "1", "--bytes", "-1" }, { "dump", "--partition", "1", "--partition-info", "-1" } })
        {
            final Result dump = run(args);
            assertEquals(2, dump.exit, dump.err);
            assertOneLine("ffa dump: ", dump.err);
            assertTrue(dump.err.contains(args[3]), dump.err);
        }
    }

    @Test
    void anEmptyControlFileIsToldAsNoFabricControlFile() throws Exception
    {
        // It said "ffa partitions: Range [0, 0 + 8) out of bounds for length 0", as a partition manager's
        // control file is for a moment while it makes it.
        final Path nowhere = Files.createTempDirectory("ffa-nowhere");
        try
        {
            Files.createFile(nowhere.resolve("fabric.ctl"));
            final Result partitions = run("partitions", "--dir", nowhere.toString());
            assertEquals(1, partitions.exit, partitions.err);
            assertOneLine("ffa partitions: ", partitions.err);
            assertTrue(partitions.err.contains("not a fabric control file"), partitions.err);
        }
        finally
        {
            Files.walk(nowhere).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void aMistakenOptionOrValueIsOneLineNamingTheCommand()
    {
        // Each said picocli's message without the command's name, then the whole usage: some 10 to 25 lines.
        final String[][] mistakes = {
            { "--bogus" }, { "dem" }, { "demo", "--rounds", "x" }, { "demo", "--rounds", "99999999999" },
            { "demo", "extra" }, { "pm" }, { "host", "z z" }, { "dump", "--partition" }, { "send", "--from", "1" } };
        for (final String[] args : mistakes)
        {
            final Result mistake = run(args);
            final String name = args[0].startsWith("-") || args[0].equals("dem") ? "ffa" : "ffa " + args[0];
            assertEquals(2, mistake.exit, mistake.err);
            assertEquals("", mistake.out);
            assertOneLine(name + ": ", mistake.err);
            assertTrue(mistake.err.contains(name + " --help"), mistake.err);
        }
        assertTrue(run("dem").err.contains("demo"), "a near miss names the command meant");
        assertTrue(run("demo", "--rounds", "x").err.contains("'x'"));
        assertTrue(run("pm").err.contains("--manifest"));
    }

    @Test
    void helpNamesEachValueAsTheReadmeAndFfaBenchDo()
    {
        // It showed the fields' names: --timeout-ms=<timeoutMs>, --partition-info=<partitionInfo>, [<payload>...],
        // where README.md and ./ffa bench --help write MS, N, WORD.
        final String[][] expected = {
            { "demo", "--rounds=N" }, { "pm", "--manifest=FILE", "--dir=DIR" }, { "host", "--dir=DIR", "PARTITION..." },
            { "partitions", "--dir=DIR" }, { "counters", "--dir=DIR" },
            { "dump", "--partition=PARTITION", "--bytes=N", "--partition-info=N", "--dir=DIR" },
            { "send", "--from=PARTITION", "--to=PARTITION", "--uuid=UUID", "--timeout-ms=MS", "[WORD...]", "--dir=DIR" } };
        for (final String[] command : expected)
        {
            final Result help = run(command[0], "--help");
            assertEquals(0, help.exit, help.err);
            assertFalse(help.out.contains("<"), help.out);
            for (int i = 1; i < command.length; i++)
            {
                assertTrue(help.out.contains(command[i]), command[i] + " in " + help.out);
            }
        }
        final Result noFrom = run("send", "--to", "echo-sp");
        assertTrue(noFrom.err.contains("'--from=PARTITION'"), noFrom.err);
    }

    @Test
    void aPartitionIdIsDecimalOr0xHexAsAPayloadWordIs()
    {
        // "010" was octal 8 (Integer.decode): ffa send --from 010 said "the fabric has no partition 0x0008",
        // where a payload word 010 is 10, and so is an ID 010 in a manifest (YAML 1.2).
        assertEquals(10, FfaCommand.PartitionArg.parse("010").id());
        assertEquals(10L, FfaCommand.registerWord("010"));
        assertEquals(0x8001, FfaCommand.PartitionArg.parse("0x8001").id());
        assertEquals(0x8001, FfaCommand.PartitionArg.parse("0X8001").id());
        assertEquals(0x8001, FfaCommand.PartitionArg.parse("32769").id());
        assertEquals(0xFFFF, FfaCommand.PartitionArg.parse("0xFFFF").id());
        for (final String wrong : new String[] { "-1", "0x10000", "65536", "0xFFFFFFFFFFFFFFFF", "", "echo sp",
            "a-name-longer-than-thirty-one-chars" })
        {
            assertThrows(picocli.CommandLine.TypeConversionException.class, () -> FfaCommand.PartitionArg.parse(wrong), wrong);
        }
        // What is not a number may be a manifest name, looked up in the fabric.
        for (final String name : new String[] { "09x", "0x", "0o17", "echo-sp" })
        {
            assertEquals(FfaCommand.PartitionArg.BY_NAME, FfaCommand.PartitionArg.parse(name).id(), name);
        }
        final Result space = run("dump", "--partition", "echo sp");
        assertEquals(2, space.exit, space.err);
        assertTrue(space.err.contains("'echo sp' is not a partition ID (e.g. 0x8001) or name"), space.err);
    }

    @Test
    void noCommandIsAUsageError()
    {
        // It printed the usage on standard output and exited 0, as if it had done something. Then it said
        // "Missing required subcommand" and the whole usage, description and options too: the commands are the point.
        final Result none = run();
        assertEquals(2, none.exit, none.err);
        assertEquals("", none.out);
        assertTrue(none.err.startsWith("Usage: ffa"), none.err);
        for (final String command : commands())
        {
            assertTrue(none.err.contains("\n  " + command + " "), command + " in " + none.err);
        }
        assertFalse(none.err.contains("--version"), "the options are --help's: " + none.err);
        assertTrue(none.err.strip().endsWith("ffa --help has the options; ffa COMMAND --help a command's."), none.err);
    }

    @Test
    void anUnknownCommandIsOneLineNamingTheCommands()
    {
        // It said "Unmatched argument at index 0: 'frobnicate'", which names neither a command nor the ones there are.
        final String listed = "(commands: " + String.join(", ", commands()) + ")";
        assertTrue(listed.contains("demo, ") && listed.contains("send"), listed);
        final Result unknown = run("frobnicate");
        assertEquals(2, unknown.exit, unknown.err);
        assertEquals("", unknown.out);
        // Near to nothing: no guess (picocli's own offered counters).
        assertOneLine("ffa: no command 'frobnicate' (commands: ", unknown.err);
        assertTrue(unknown.err.contains(listed), unknown.err);
        assertTrue(unknown.err.strip().endsWith("; ffa --help has the usage"), unknown.err);
        final Result near = run("dem", "--rounds", "1");
        assertEquals(2, near.exit, near.err);
        assertOneLine("ffa: no command 'dem'; did you mean demo? " + listed, near.err);
        assertOneLine("ffa: no command 'partition'; did you mean partitions?", run("partition").err);
        // An unknown option before any command is still told as one.
        final Result option = run("--bogus");
        assertOneLine("ffa: Unknown option: '--bogus'", option.err);
    }

    @Test
    void theScriptsBenchmarkCommandsAreAmongTheCommands()
    {
        // The ./ffa script runs bench and jmh from the benchmark jar; the tool's lists left them out, so that
        // `./ffa bnch` offered no bench and a command it has not named every command but those two.
        assertTrue(commands().containsAll(java.util.List.of("bench", "jmh")), commands().toString());
        assertOneLine("ffa: no command 'bnch'; did you mean bench?", run("bnch").err);
        // This jar run directly, not through the script: it says where they are.
        for (final String command : new String[] { "bench", "jmh" })
        {
            final Result direct = run(command, "--quick");
            assertEquals(2, direct.exit, direct.err);
            assertEquals("", direct.out);
            assertOneLine("ffa " + command + ": runs from the benchmark jar, through the ./ffa script: ./ffa " + command,
                direct.err);
        }
    }

    /** The subcommands, as the tool's model has them. */
    private static java.util.List<String> commands()
    {
        return new java.util.ArrayList<>(FfaCommand.commandLine().getSubcommands().keySet());
    }

    @Test
    @Timeout(60)
    void dumpTakesItsPartitionAsAParameterOrAsAnOption() throws Exception
    {
        // `ffa dump vm1` said "Missing required option: '--partition=PARTITION'", where `ffa host vm1` takes it so.
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000b1").directMessaging())
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000b2")
                .directMessaging())
            .build();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest))
        {
            final String dir = fabric.directory().toString();
            for (final String[] args : new String[][] {
                { "dump", "--dir", dir, "vm1" }, { "dump", "vm1", "--dir", dir }, { "dump", "--dir", dir, "0x0001" },
                { "dump", "--dir", dir, "--partition", "vm1" } })
            {
                final Result dump = run(args);
                assertEquals(0, dump.exit, String.join(" ", args) + ": " + dump.err);
                assertEquals("vm1: rx/tx not mapped\n", dump.out, String.join(" ", args));
            }
            final Result unknown = run("dump", "--dir", dir, "0x8009");
            assertEquals(1, unknown.exit, unknown.err);
            assertEquals("ffa dump: the fabric has no partition 0x8009; its partitions: vm1 (0x0001), sp1 (0x8001)",
                unknown.err.strip());
        }
    }

    @Test
    void dumpTakesOnePartition()
    {
        // Told before the fabric is looked for: this one is not there.
        final String dir = Paths.get(System.getProperty("java.io.tmpdir"), "ffa-no-fabric-" + ProcessHandle.current().pid())
            .toString();
        final String[][] twos = { { "dump", "--dir", dir, "vm1", "--partition", "sp1" }, { "dump", "--dir", dir, "vm1", "sp1" } };
        for (final String[] args : twos)
        {
            final Result two = run(args);
            assertEquals(2, two.exit, two.err);
            assertEquals("", two.out);
            assertOneLine("ffa dump: one partition, not two: vm1 and sp1 (see ffa dump --help)", two.err);
        }
        // As before PARTITION could be a parameter: a usage error naming what is missing.
        final Result none = run("dump", "--dir", dir);
        assertEquals(2, none.exit, none.err);
        assertOneLine("ffa dump: ", none.err);
        assertTrue(none.err.contains("Missing required parameter: 'PARTITION'"), none.err);
    }

    @Test
    @Timeout(60)
    void partitionsNamesThePropertiesInTheManifestsWords() throws Exception
    {
        // It showed properties=0x70f alone, leaving the user to decode the bits against the spec.
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("recv-only").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000a1")
                .property(PartitionProperties.DIRECT_REQ_RECV, true))
            .partition(p -> p.name("all").id(0x8002).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000a2")
                .directMessaging().property(PartitionProperties.INDIRECT_MSG, true)
                .property(PartitionProperties.NOTIFICATION_RECV, true))
            .partition(p -> p.name("bare32").id(0x8003).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000a3")
                .property(PartitionProperties.AARCH64, false))
            .build();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest))
        {
            final Result partitions = run("partitions", "--dir", fabric.directory().toString());
            assertEquals(0, partitions.exit, partitions.err);
            assertTrue(partitions.out.contains("recv-only id=0x8001 world=sp-el1 version=1.2 properties=0x101 " +
                "(direct-req-recv|aarch64) claimedBy=-\n"), partitions.out);
            assertTrue(partitions.out.contains(" properties=0x70f (direct-req-recv|direct-req-send|indirect|notifications|" +
                "aarch64|direct-req2-recv|direct-req2-send) claimedBy="), partitions.out);
            assertTrue(partitions.out.contains(" properties=0x0 (none) claimedBy="), partitions.out);
        }
    }

    @Test
    @Timeout(30)
    void demoRefusesRoundsBelowOne()
    {
        // It ran, and reported p50=0.00us ... (0 samples) and "demo: done" with status 0, as if measured.
        for (final String rounds : new String[] { "0", "-3" })
        {
            final Result demo = run("demo", "--rounds", rounds);
            assertEquals(2, demo.exit, demo.out + demo.err);
            assertFalse(demo.out.contains("demo: done"), demo.out);
            assertOneLine("ffa demo: ", demo.err);
            assertTrue(demo.err.contains("--rounds must be at least 1"), demo.err);
        }
    }

    /** A user's mistake: one line with the command's name, no stack trace. */
    private static void assertOneLine(final String prefix, final String err)
    {
        assertTrue(err.startsWith(prefix), err);
        assertEquals(1, err.lines().count(), err);
    }

}
