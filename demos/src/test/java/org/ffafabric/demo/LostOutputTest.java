package org.ffafabric.demo;

import org.ffafabric.launch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The ffa tool whose standard output cannot be written: a full disk, here /dev/full. */
class LostOutputTest
{
    @Test
    @Timeout(60)
    void outputThatCannotBeWrittenIsAFailureToldInOneLine() throws Exception
    {
        // `./ffa partitions > /dev/full` (or to a full disk) exited 0 and said nothing: the report was lost.
        assumeTrue(Files.isWritable(Path.of("/dev/full")), "no /dev/full");
        final Process ffa = ChildJvm.processBuilder(ChildJvm.command(FfaCommand.class, List.of("partitions", "--help")))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(new File("/dev/full"))
            .start();
        assertTrue(ffa.waitFor(50, TimeUnit.SECONDS), "ffa ends");
        final String err = new String(ffa.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, ffa.exitValue(), err);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("ffa partitions: ") && err.contains("standard output") && err.contains("/dev/full"), err);
    }
}
