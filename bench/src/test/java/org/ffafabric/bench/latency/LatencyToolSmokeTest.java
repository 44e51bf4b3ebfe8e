package org.ffafabric.bench.latency;

import org.ffafabric.transport.AeronTuning;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the latency tool on every registered scenario (the baselines and the fabric's own) with
 * tiny sample counts and checks the report's form, the files, and that nothing is left behind.
 * Never checks a timing value.
 */
class LatencyToolSmokeTest
{
    private static final int SAMPLES = 2_000;
    private static final int WARMUP = 500;
    private static final List<String> SCENARIOS = ScenarioRegistry.standard().names();
    private static final List<String> FABRIC_SCENARIOS = SCENARIOS.stream()
        .filter((name) -> name.startsWith(ScenarioRegistry.FABRIC_PREFIX)).toList();

    private static final Pattern SCENARIO_LINE = Pattern.compile(
        "scenario=(\\S+) p50_ns=(\\d+) p90_ns=(\\d+) p99_ns=(\\d+) p999_ns=(\\d+) max_ns=(\\d+) samples=(\\d+)");
    private static final Pattern RATIO_LINE = Pattern.compile(
        "ratio (\\S+)/aeron-ipc-raw p50=\\d+\\.\\d{2} p99=\\d+\\.\\d{2}");
    private static final byte[] PNG_MAGIC = {(byte)0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    @TempDir
    Path results;

    @Test
    @Timeout(120)
    void reportsEveryScenarioAndLeavesNothingBehind() throws IOException
    {
        final Set<String> before = leftovers();

        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final List<String> args = new ArrayList<>(List.of(
            "--samples", String.valueOf(SAMPLES), "--warmup", String.valueOf(WARMUP), "--results", results.toString()));
        for (final String scenario : SCENARIOS)
        {
            args.add("--scenario");
            args.add(scenario);
        }

        final int exitCode = LatencyTool.run(ScenarioRegistry.standard(), args.toArray(new String[0]), print(out), print(err));
        final String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, exitCode, stderr);

        final List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(FABRIC_SCENARIOS.containsAll(List.of("ffa-direct-inproc", "ffa-direct-xproc", "ffa-direct2-xproc")));
        assertEquals(SCENARIOS.size() + FABRIC_SCENARIOS.size() + 1, lines.size(), "stdout:\n" + String.join("\n", lines) + "\nstderr:\n" + stderr);
        for (int i = 0; i < SCENARIOS.size(); i++)
        {
            final Matcher matcher = SCENARIO_LINE.matcher(lines.get(i));
            assertTrue(matcher.matches(), lines.get(i));
            assertEquals(SCENARIOS.get(i), matcher.group(1));
            final long p50 = Long.parseLong(matcher.group(2));
            final long p90 = Long.parseLong(matcher.group(3));
            final long p99 = Long.parseLong(matcher.group(4));
            final long p999 = Long.parseLong(matcher.group(5));
            final long max = Long.parseLong(matcher.group(6));
            assertTrue(p50 <= p90 && p90 <= p99 && p99 <= p999 && p999 <= max, lines.get(i));
            assertEquals(SAMPLES, Long.parseLong(matcher.group(7)), lines.get(i));

            final Path hgrm = results.resolve(SCENARIOS.get(i) + ".hgrm");
            assertTrue(Files.size(hgrm) > 0, hgrm.toString());
        }
        for (int i = 0; i < FABRIC_SCENARIOS.size(); i++)
        {
            final String line = lines.get(SCENARIOS.size() + i);
            final Matcher ratio = RATIO_LINE.matcher(line);
            assertTrue(ratio.matches(), line);
            assertEquals(FABRIC_SCENARIOS.get(i), ratio.group(1));
        }
        assertEquals("aeron-settings: " + AeronTuning.describe(), lines.get(lines.size() - 1));

        final byte[] png = Files.readAllBytes(results.resolve(PercentilePlot.FILE_NAME));
        assertTrue(png.length > PNG_MAGIC.length);
        final byte[] magic = new byte[PNG_MAGIC.length];
        System.arraycopy(png, 0, magic, 0, magic.length);
        assertArrayEquals(PNG_MAGIC, magic);

        // The tool may sweep what killed runs left, so compare only what is new.
        final Set<String> left = leftovers();
        left.removeAll(before);
        assertEquals(Set.of(), left, "files left in /dev/shm or the temp directory");
    }

    @Test
    @Timeout(30)
    void failingScenarioIsNamedAndExitCodeIsNonZero()
    {
        final ScenarioRegistry registry = new ScenarioRegistry().register("broken", BrokenScenario::new);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        final int exitCode = LatencyTool.run(
            registry, new String[]{ "--samples", "10", "--results", results.toString() }, print(out), print(err));

        assertEquals(1, exitCode);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("scenario broken FAILED"), err.toString());
        assertTrue(BrokenScenario.closed, "a scenario is closed after a failed set-up");
        assertEquals(List.of("aeron-settings: " + AeronTuning.describe()),
            out.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void unknownScenarioIsAUsageError()
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exitCode = LatencyTool.run(ScenarioRegistry.standard(),
            new String[]{ "--scenario", "no-such", "--results", results.toString() }, print(new ByteArrayOutputStream()),
            print(err));

        assertEquals(2, exitCode);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown scenario no-such"));
    }

    private static PrintStream print(final ByteArrayOutputStream bytes)
    {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    /** Names with the bench's prefix in /dev/shm and the temp directory. */
    private static Set<String> leftovers() throws IOException
    {
        final Set<String> names = new TreeSet<>();
        for (final Path directory : List.of(ScenarioContext.shmDirectory(), Path.of(System.getProperty("java.io.tmpdir"))))
        {
            try (Stream<Path> entries = Files.list(directory))
            {
                entries.map((path) -> path.getFileName().toString())
                    .filter((name) -> name.startsWith(ScenarioContext.NAME_PREFIX))
                    .forEach((name) -> names.add(directory + "/" + name));
            }
        }
        return names;
    }

    static final class BrokenScenario implements LatencyScenario
    {
        static volatile boolean closed;

        @Override
        public void setUp(final ScenarioContext ctx)
        {
            throw new IllegalStateException("cannot set up");
        }

        @Override
        public long roundTrip()
        {
            throw new AssertionError("not set up");
        }

        @Override
        public void close()
        {
            closed = true;
        }
    }
}
