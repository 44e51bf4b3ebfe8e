package org.ffafabric.demo;

import org.ffafabric.launch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** `./ffa pm --dir LINK`, a symbolic link the user made to a directory elsewhere (a short name for one in /dev/shm). */
class PmGivenASymbolicLinkTest
{
    @Test
    @Timeout(120)
    void aSymbolicLinkIsRefusedAndLeftAsItWas(@TempDir final Path tmp) throws Exception
    {
        // A link to an empty directory: the launch removed the link, as the empty directory it makes again, and made
        // the fabric in the link's place, on the link's file system; its close then removed that, link and all.
        // A link to nothing: "fabric directory already exists", of a directory there is not.
        final Path manifest = Files.writeString(tmp.resolve("m.yaml"),
            "partitions:\n  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001, memory: 64K}\n");
        final Path target = Files.createDirectory(tmp.resolve("target"));
        for (final Path leadsTo : new Path[] { target, tmp.resolve("absent") })
        {
            final Path link = Files.createSymbolicLink(tmp.resolve("link-to-" + leadsTo.getFileName()), leadsTo);
            final Process pm = ChildJvm.processBuilder(ChildJvm.command(FfaCommand.class,
                List.of("pm", "--manifest", manifest.toString(), "--dir", link.toString())))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
            try
            {
                // Ended before its error is read: a launch that went through would wait for a signal.
                assertTrue(pm.waitFor(30, TimeUnit.SECONDS), "ffa pm ends");
                final String err = new String(pm.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(1, pm.exitValue(), err);
                assertEquals(1, err.lines().count(), err);
                assertTrue(err.startsWith("ffa pm: " + link + " is a symbolic link"), err);
                assertTrue(Files.isSymbolicLink(link), "the link is left");
                assertEquals(leadsTo, Files.readSymbolicLink(link));
            }
            finally
            {
                pm.destroy();
                pm.waitFor(30, TimeUnit.SECONDS);
            }
        }
        assertTrue(Files.isDirectory(target), "the directory it leads to is left");
    }
}
