package org.ffafabric.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * `./ffa pm --dir` under a directory the user cannot write. A new directory was refused as
 * "cannot make the fabric directory D (java.nio.file.AccessDeniedException: D)"; an empty one of the
 * user's, which a launch removes to make again owner-only, as "a partition manager already runs the
 * fabric in D or is launching it", and none did.
 */
class PmInAnUnwritableDirectoryTest
{
    @Test
    @Timeout(60)
    void pmUnderADirectoryItCannotWriteSaysSoInOneLine(@TempDir final Path tmp) throws Exception
    {
        final Path manifest = Files.writeString(tmp.resolve("m.yaml"),
            "partitions:\n  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: 64K}\n");
        final Path parent = Files.createDirectory(tmp.resolve("locked"));
        final Path empty = Files.createDirectory(parent.resolve("empty"));
        makeUnwritable(parent);
        try
        {
            for (final Path dir : new Path[] { parent.resolve("fabric"), empty })
            {
                final PrintStream originalErr = System.err;
                final ByteArrayOutputStream err = new ByteArrayOutputStream();
                final int exit;
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                try
                {
                    exit = FfaCommand.commandLine().execute("pm", "--manifest", manifest.toString(), "--dir", dir.toString());
                }
                finally
                {
                    System.setErr(originalErr);
                }
                final String message = err.toString(StandardCharsets.UTF_8);
                assertEquals(1, exit, message);
                assertEquals(1, message.lines().count(), message);
                assertTrue(message.startsWith("ffa pm: cannot make the fabric directory " + dir + ": "), message);
                assertFalse(message.contains("Exception") || message.contains("already runs"), message);
            }
            assertTrue(Files.isDirectory(empty), "the user's directory is left as it was");
        }
        finally
        {
            makeWritable(parent);
        }
    }

    /** Read-only to its owner; root writes there anyway, so there it is made immutable (where chattr works). */
    private static void makeUnwritable(final Path dir) throws Exception
    {
        assertTrue(dir.toFile().setWritable(false, false));
        final Path probe = dir.resolve("probe");
        try
        {
            Files.createFile(probe);
        }
        catch (final java.io.IOException ex)
        {
            return;
        }
        Files.delete(probe);
        final Process chattr = new ProcessBuilder("chattr", "+i", dir.toString()).redirectErrorStream(true).start();
        assumeTrue(chattr.waitFor(30, TimeUnit.SECONDS) && chattr.exitValue() == 0, "cannot make a directory unwritable");
    }

    private static void makeWritable(final Path dir) throws Exception
    {
        try
        {
            new ProcessBuilder("chattr", "-i", dir.toString()).redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
        }
        catch (final java.io.IOException ignore)
        {
            // No chattr: not made immutable.
        }
        dir.toFile().setWritable(true, true);
    }
}
