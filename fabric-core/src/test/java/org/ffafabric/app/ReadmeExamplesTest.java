package org.ffafabric.app;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.ManifestParser;
import org.ffafabric.manifest.PartitionManifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's examples, held here as code: its Java examples are in this file as written (other
 * lines, the assertions, may come between theirs), and run against its manifest, which a new user
 * puts in a file and parses. Its manifest once had no 0x0001 for its examples to claim, and its
 * echo service an {@code sp} nothing claimed.
 */
@Timeout(60)
class ReadmeExamplesTest
{
    // Tests run in their module's directory.
    private static final Path README = Path.of("..", "README.md");
    private static final Path SOURCE = Path.of("src", "test", "java", "org", "ffafabric", "app", "ReadmeExamplesTest.java");

    @Test
    void theReadmesJavaExamplesAreHereAsWritten() throws IOException
    {
        final List<String> here = codeLines(Files.readAllLines(SOURCE, StandardCharsets.UTF_8));
        final List<List<String>> examples = blocks("java");
        assertEquals(2, examples.size(), "the README's Java examples");
        for (final List<String> example : examples)
        {
            int at = 0;
            for (final String line : codeLines(example))
            {
                while (at < here.size() && !here.get(at).equals(line))
                {
                    at++;
                }
                assertTrue(at < here.size(), "the README's line \"" + line + "\" is not here, in its order");
                at++;
            }
        }
    }

    @Test
    void theReadmesManifestIsWhatItsCommentsSay(@TempDir final Path dir) throws IOException
    {
        final Manifest manifest = readmeManifest(dir);
        assertEquals(2, manifest.partitions().size());
        final PartitionManifest sp = manifest.partition("echo-sp");
        assertEquals(0x8001, sp.id());
        assertEquals(World.SP_EL1, sp.world());
        assertEquals(List.of(UUID.fromString("5e7e1a57-0000-4000-8000-0000000ec400")), sp.uuids());
        assertEquals(1, sp.executionContextCount());
        assertEquals(FfaVersion.V1_2, sp.ffaVersion());
        assertEquals(1 << 20, sp.memorySize());
        assertEquals(PartitionProperties.DIRECT_REQ_RECV | PartitionProperties.DIRECT_REQ2_RECV |
            PartitionProperties.AARCH64, sp.properties());
        final PartitionManifest vm = manifest.partition("client-vm");
        assertEquals(0x0001, vm.id());
        assertEquals(World.VM, vm.world());
        assertEquals(PartitionProperties.DIRECT_REQ_SEND | PartitionProperties.DIRECT_REQ2_SEND |
            PartitionProperties.AARCH64, vm.properties());
    }

    /** The README's code as a user writes it, locals not final. */
    @Test
    void theReadmesExamplesDoWhatTheySay(@TempDir final Path dir) throws Exception
    {
        final Manifest manifest = readmeManifest(dir);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest);   // PM + media driver, in this JVM
             Endpoint vm = fabric.claim(0x0001))
        {
            ExecutionContext ec = vm.executionContext(0);
            RegisterFile regs = new RegisterFile();
            regs.w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64)
                .w(1, RegisterFile.packIds(0x0001, 0x8001))    // sender [31:16], receiver [15:0]
                .x(3, 42);                                      // payload x3..x7
            ec.invoke(regs);
            // regs: FFA_MSG_SEND_DIRECT_RESP_64 and the payload, or FFA_ERROR with the code in w2 (BUSY
            // here: nothing serves 0x8001 yet), or FFA_YIELD / FFA_INTERRUPT (resume with FFA_RUN).
            assertEquals(FunctionId.FFA_ERROR, regs.functionId(), regs.toString());
            assertEquals(ErrorCode.BUSY, regs.errorCode(), regs.toString());

            try (Endpoint sp = fabric.claim(0x8001);
                 AutoCloseable serving = sp.serve((request, response) -> response.payload(0, request.payload(0) + 1)))
            {
                DirectMessage message = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 41);
                vm.executionContext(0).ops().sendDirect(0x8001, message);   // message now holds the response: 42
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, message.functionId(), message.toString());
                assertEquals(42, message.payload(0));
            }
        }
    }

    /** The README's manifest, in a file as a user writes it, read as the README says. */
    private static Manifest readmeManifest(final Path dir) throws IOException
    {
        final List<List<String>> manifests = blocks("yaml");
        assertEquals(1, manifests.size(), "the README's manifests");
        final Path file = dir.resolve("manifest.yaml");
        Files.write(file, manifests.get(0), StandardCharsets.UTF_8);
        return ManifestParser.parse(file);
    }

    /** The README's fenced blocks of {@code language}, each its lines. */
    private static List<List<String>> blocks(final String language) throws IOException
    {
        final List<List<String>> blocks = new ArrayList<>();
        List<String> block = null;
        for (final String line : Files.readAllLines(README, StandardCharsets.UTF_8))
        {
            if (block == null && line.equals("```" + language))
            {
                block = new ArrayList<>();
            }
            else if (block != null && line.equals("```"))
            {
                blocks.add(block);
                block = null;
            }
            else if (block != null)
            {
                block.add(line);
            }
        }
        return blocks;
    }

    /** Lines without their indentation, blank ones left out: an example nested here is indented more. */
    private static List<String> codeLines(final List<String> lines)
    {
        final List<String> code = new ArrayList<>();
        for (final String line : lines)
        {
            if (!line.isBlank())
            {
                code.add(line.strip());
            }
        }
        return code;
    }
}
