package org.ffafabric.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Maven run in this repository, as ./ffa runs it to build, writes no escape codes to a pipe: Debian's
 * Maven 3.8.7 (Jansi 2.4.0) wrote "ESC[0m" to standard output and error as it ended, even with -B and
 * nothing to say, unless told otherwise by a system property set before it starts (.mvn/jvm.config).
 */
class MavenOutputTest
{
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    @Timeout(120)
    void mavenWritesNoEscapeCodesToAPipe() throws Exception
    {
        final Path mvn = Files.createTempFile("mvn", ".out");
        try
        {
            final Process process = new ProcessBuilder("mvn", "-q", "-o", "validate")
                .directory(ROOT.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(mvn.toFile())
                .start();
            assertTrue(process.waitFor(100, TimeUnit.SECONDS), "mvn validate ends");
            final String out = Files.readString(mvn, StandardCharsets.UTF_8);
            assumeTrue(process.exitValue() == 0, () -> "mvn validate failed here: " + out);
            assertFalse(out.contains("\u001b"), () -> "escape codes: " + out.replace("\u001b", "ESC"));
        }
        catch (final java.io.IOException ex)
        {
            assumeTrue(false, "no mvn on PATH: " + ex.getMessage());
        }
        finally
        {
            Files.deleteIfExists(mvn);
        }
    }
}
