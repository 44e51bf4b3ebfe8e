package org.ffafabric.bench.latency;

import org.ffafabric.transport.AeronTuning;
import org.HdrHistogram.Histogram;
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
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
        "scenario=(\\S+) p50_ns=(\\d+) p90_ns=(\\d+) p99_ns=(\\d+) p999_ns=(\\d+) max_ns=(\\d+) samples=(\\d+)" +
        " body_mean_ns=(\\d+\\.\\d)");
    private static final Pattern RATIO_LINE = Pattern.compile(
        "ratio (\\S+)/aeron-ipc-raw p50=\\d+\\.\\d{2} p99=\\d+\\.\\d{2}");
    private static final Pattern ANY_RATIO_LINE = Pattern.compile(
        "ratio (\\S+)/(\\S+) p50=\\d+\\.\\d{2} p99=\\d+\\.\\d{2}");
    private static final String SAME_SIZE = "raw-same-size";
    private static final String FAKE = ScenarioRegistry.FABRIC_PREFIX + "fake";
    private static final int ROUNDS = 3;
    private static final Pattern HGRM_TOTAL_COUNT = Pattern.compile("Total count\\s+=\\s+(\\d+)]");
    private static final byte[] PNG_MAGIC = {(byte)0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    /**
     * The hang guard of a run of the real scenarios, far past the seconds one takes: they spin on both sides, and
     * on a loaded two-core machine each round trip waits for both to be on a core at once (2,500 in each of eight
     * scenarios once ran past two minutes).
     */
    private static final int REAL_SCENARIOS_TIMEOUT_S = 600;

    @TempDir
    Path results;

    @Test
    @Timeout(REAL_SCENARIOS_TIMEOUT_S)
    void reportsEveryScenarioAndLeavesNothingBehind() throws IOException
    {
        final Set<String> before = leftovers();
        final Set<Long> childrenBefore = children();

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
        final Map<String, String> sameSize = ScenarioRegistry.standard().sameSizeBaselines();
        assertEquals(Map.of("ffa-direct2-xproc", ScenarioRegistry.LONG_MESSAGE_BASELINE), sameSize);
        assertEquals(SCENARIOS.size() + FABRIC_SCENARIOS.size() + sameSize.size() + 1, lines.size(),
            "stdout:\n" + String.join("\n", lines) + "\nstderr:\n" + stderr);
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
            final double bodyMean = Double.parseDouble(matcher.group(8));
            assertTrue(bodyMean > 0 && bodyMean <= p99, lines.get(i));

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
        assertRatioLine("", "ffa-direct2-xproc", ScenarioRegistry.LONG_MESSAGE_BASELINE,
            lines.get(SCENARIOS.size() + FABRIC_SCENARIOS.size()));
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
        final Set<Long> children = children();
        children.removeAll(childrenBefore);
        assertEquals(Set.of(), children, "echo processes left running");
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
    @Timeout(30)
    void roundsAreReportedEachThenAddedTogether() throws IOException
    {
        final ScenarioRegistry registry = new ScenarioRegistry()
            .register(ScenarioRegistry.RATIO_BASELINE, ConstantScenario::new)
            .register(FAKE, ConstantScenario::new);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        final int exitCode = LatencyTool.run(registry, new String[]{ "--rounds", String.valueOf(ROUNDS),
            "--samples", "100", "--warmup", "10", "--results", results.toString() }, print(out), print(err));
        assertEquals(0, exitCode, err.toString(StandardCharsets.UTF_8));

        assertRoundsOfTheBaselineAndFake(out, 100);

        // The files hold the rounds added together.
        for (final String name : List.of(ScenarioRegistry.RATIO_BASELINE, FAKE))
        {
            final Matcher totalCount = HGRM_TOTAL_COUNT.matcher(Files.readString(results.resolve(name + ".hgrm")));
            assertTrue(totalCount.find(), name);
            assertEquals(ROUNDS * 100, Integer.parseInt(totalCount.group(1)), name);
        }
        assertTrue(Files.size(results.resolve(PercentilePlot.FILE_NAME)) > PNG_MAGIC.length);
    }

    @Test
    @Timeout(30)
    void scenarioFailingInARoundIsNotRunAgain()
    {
        BrokenScenario.setUps.set(0);
        final String broken = ScenarioRegistry.FABRIC_PREFIX + "broken";
        final ScenarioRegistry registry = new ScenarioRegistry()
            .register(ScenarioRegistry.RATIO_BASELINE, ConstantScenario::new)
            .register(broken, BrokenScenario::new)
            .register(FAKE, ConstantScenario::new);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        final int exitCode = LatencyTool.run(registry, new String[]{ "--rounds", String.valueOf(ROUNDS),
            "--samples", "10", "--warmup", "0", "--results", results.toString() }, print(out), print(err));

        assertEquals(1, exitCode);
        assertEquals(1, BrokenScenario.setUps.get(), "set-ups of the broken scenario");
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("scenario " + broken + " FAILED"), err.toString());
        final List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(ROUNDS * 3 + 2 + 1 + 1, lines.size(), String.join("\n", lines));
        assertTrue(lines.stream().noneMatch((line) -> line.contains(broken)), String.join("\n", lines));
        assertScenarioLine("", FAKE, ROUNDS * 10, lines.get(ROUNDS * 3 + 1));
        assertRatioLine("", FAKE, lines.get(ROUNDS * 3 + 2));
    }

    @Test
    @Timeout(30)
    void aSameSizeBaselineGetsARatioLineAfterTheStandardOnesWhenItRan()
    {
        final ScenarioRegistry registry = new ScenarioRegistry()
            .register(ScenarioRegistry.RATIO_BASELINE, ConstantScenario::new)
            .register(SAME_SIZE, ConstantScenario::new)
            .register(FAKE, ConstantScenario::new)
            .sameSizeBaseline(FAKE, SAME_SIZE);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        assertEquals(0, LatencyTool.run(registry, new String[]{ "--rounds", "2", "--samples", "50", "--warmup", "0",
            "--results", results.toString() }, print(out), print(err)), err.toString(StandardCharsets.UTF_8));
        final List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2 * 5 + 5 + 1, lines.size(), String.join("\n", lines));
        for (final String prefix : List.of("round=1 ", "round=2 "))
        {
            final int first = prefix.equals("round=1 ") ? 0 : 5;
            assertRatioLine(prefix, FAKE, ScenarioRegistry.RATIO_BASELINE, lines.get(first + 3));
            assertRatioLine(prefix, FAKE, SAME_SIZE, lines.get(first + 4));
        }
        assertRatioLine("", FAKE, ScenarioRegistry.RATIO_BASELINE, lines.get(13));
        assertRatioLine("", FAKE, SAME_SIZE, lines.get(14));

        // Without its same-size baseline, a scenario has only the standard ratio.
        final ByteArrayOutputStream alone = new ByteArrayOutputStream();
        assertEquals(0, LatencyTool.run(registry, new String[]{ "--samples", "50", "--warmup", "0",
            "--scenario", ScenarioRegistry.RATIO_BASELINE, "--scenario", FAKE, "--results", results.toString() },
            print(alone), print(err)));
        final List<String> aloneLines = alone.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(4, aloneLines.size(), String.join("\n", aloneLines));
        assertRatioLine("", FAKE, ScenarioRegistry.RATIO_BASELINE, aloneLines.get(2));
    }

    @Test
    void aSameSizeBaselineMustBeRegisteredFirst()
    {
        final ScenarioRegistry registry = new ScenarioRegistry().register(FAKE, ConstantScenario::new);
        assertThrows(IllegalArgumentException.class, () -> registry.sameSizeBaseline(FAKE, SAME_SIZE));
    }

    @Test
    @Timeout(30)
    void interleavedRoundsSetEachScenarioUpOnceAndCloseItAtTheEnd()
    {
        CountingScenario.reset();
        final ScenarioRegistry registry = new ScenarioRegistry()
            .register(ScenarioRegistry.RATIO_BASELINE, CountingScenario::new)
            .register(FAKE, CountingScenario::new);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        final int exitCode = LatencyTool.run(registry, new String[]{ "--interleave", "--rounds", String.valueOf(ROUNDS),
            "--samples", "100", "--warmup", "10", "--results", results.toString() }, print(out), print(err));

        assertEquals(0, exitCode, err.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("idle spin-park, interleaved"), err.toString());
        assertEquals(2, CountingScenario.setUps.get(), "set-ups");
        assertEquals(2, CountingScenario.closes.get(), "closes");
        assertEquals(0, CountingScenario.closedTwice.get(), "a scenario was closed twice");
        // Each: its warm-up and every round's samples, and a block's warm-up before each later round.
        assertEquals(2 * (10 + ROUNDS * 100 + (ROUNDS - 1) * LatencyTool.BLOCK_WARMUP), CountingScenario.roundTrips.get());

        assertRoundsOfTheBaselineAndFake(out, 100);
    }

    @Test
    @Timeout(30)
    void aScenarioFailingInALaterBlockIsClosedOnceAndLeftOutOfTheAddedLines()
    {
        CountingScenario.reset();
        final String failing = ScenarioRegistry.FABRIC_PREFIX + "failing";
        final ScenarioRegistry registry = new ScenarioRegistry()
            .register(ScenarioRegistry.RATIO_BASELINE, CountingScenario::new)
            .register(failing, () -> new CountingScenario(150))
            .register(FAKE, CountingScenario::new);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        final int exitCode = LatencyTool.run(registry, new String[]{ "--interleave", "--rounds", String.valueOf(ROUNDS),
            "--samples", "100", "--warmup", "0", "--results", results.toString() }, print(out), print(err));

        assertEquals(1, exitCode);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("scenario " + failing + " FAILED"), err.toString());
        assertEquals(3, CountingScenario.setUps.get(), "set-ups");
        assertEquals(3, CountingScenario.closes.get(), "closes");
        assertEquals(0, CountingScenario.closedTwice.get(), "a scenario was closed twice");
        final List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        // Round 1 has all three and two ratios; then two and one ratio per round; then the added lines.
        assertEquals(5 + (ROUNDS - 1) * 3 + 2 + 1 + 1, lines.size(), String.join("\n", lines));
        assertScenarioLine("round=1 ", failing, 100, lines.get(1));
        assertTrue(lines.subList(5, lines.size()).stream().noneMatch((line) -> line.contains(failing)),
            String.join("\n", lines));
    }

    @Test
    void interleavingWithBusySpinningSidesIsAUsageError()
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exitCode = LatencyTool.run(ScenarioRegistry.standard(), new String[]{ "--interleave", "--idle", "busy",
            "--results", results.toString() }, print(new ByteArrayOutputStream()), print(err));

        assertEquals(2, exitCode);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--interleave needs"), err.toString());
        assertEquals(IdleMode.SPIN_PARK, IdleMode.parse("spin-park"));
        assertEquals("spin-park", IdleMode.SPIN_PARK.label());
    }

    @Test
    @Timeout(REAL_SCENARIOS_TIMEOUT_S)
    void interleavedRealScenariosReportAndLeaveNothingBehind() throws IOException
    {
        final Set<String> before = leftovers();
        final Set<Long> childrenBefore = children();
        final List<String> names = List.of("shm-spin-raw", ScenarioRegistry.RATIO_BASELINE, "ffa-direct-xproc");
        final List<String> args = new ArrayList<>(List.of("--interleave", "--rounds", "2",
            "--samples", String.valueOf(SAMPLES), "--warmup", String.valueOf(WARMUP), "--results", results.toString()));
        names.forEach((name) -> args.addAll(List.of("--scenario", name)));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        final int exitCode = LatencyTool.run(ScenarioRegistry.standard(), args.toArray(new String[0]), print(out), print(err));

        assertEquals(0, exitCode, err.toString(StandardCharsets.UTF_8));
        // Runs this short may well see a round in a slow phase (or just cold): its line is checked, then set aside.
        final List<String> all = out.toString(StandardCharsets.UTF_8).lines().toList();
        all.stream().filter((line) -> line.startsWith("slow-rounds"))
            .forEach((line) -> assertTrue(line.matches("slow-rounds( ffa-direct-xproc/aeron-ipc-raw)?: \\[([12]|1, 2)] \\(.*"), line));
        final List<String> lines = all.stream().filter((line) -> !line.startsWith("slow-rounds")).toList();
        assertEquals(2 * 4 + 3 + 1 + 1, lines.size(), String.join("\n", all));
        for (int i = 0; i < names.size(); i++)
        {
            assertScenarioLine("round=2 ", names.get(i), SAMPLES, lines.get(4 + i));
            assertScenarioLine("", names.get(i), 2 * SAMPLES, lines.get(8 + i));
        }
        assertRatioLine("", "ffa-direct-xproc", lines.get(11));
        final Set<String> left = leftovers();
        left.removeAll(before);
        assertEquals(Set.of(), left, "files left in /dev/shm or the temp directory");
        final Set<Long> children = children();
        children.removeAll(childrenBefore);
        assertEquals(Set.of(), children, "echo processes left running");
    }

    private static Set<Long> children()
    {
        final Set<Long> pids = new TreeSet<>();
        ProcessHandle.current().children().filter(ProcessHandle::isAlive).forEach((child) -> pids.add(child.pid()));
        return pids;
    }

    @Test
    void zeroRoundsIsAUsageError()
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exitCode = LatencyTool.run(ScenarioRegistry.standard(),
            new String[]{ "--rounds", "0", "--results", results.toString() }, print(new ByteArrayOutputStream()),
            print(err));

        assertEquals(2, exitCode);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--rounds must be at least 1"), err.toString());
    }

    @Test
    void medianIsTheMiddleValueOrTheMeanOfTheMiddleTwo()
    {
        final List<double[]> ratios = List.of(new double[]{ 4, 1 }, new double[]{ 1, 9 }, new double[]{ 2, 5 });
        assertEquals(2.0, LatencyTool.median(ratios, 0));
        assertEquals(5.0, LatencyTool.median(ratios, 1));
        assertEquals(2.5, LatencyTool.median(ratios.subList(0, 2), 0));
        assertEquals(5.0, LatencyTool.median(ratios.subList(0, 2), 1));
    }

    @Test
    void roundsWhoseFloorIsWellAboveItsLowestAreLeftOutOfTheMedians()
    {
        // Round 2 ran in a slow phase: every hop five times as dear, the ratio flattened.
        final Map<Integer, Long> floor = Map.of(1, 100L, 2, 500L, 3, 110L, 4, 149L);
        assertEquals(Set.of(2), LatencyTool.slowRounds(floor, 4));
        assertEquals(Set.of(), LatencyTool.slowRounds(Map.of(1, 100L, 2, 500L), 3), "the floor missed a round");
        assertEquals(Set.of(), LatencyTool.slowRounds(Map.of(1, 100L), 1), "one round has nothing to compare");

        final LatencyTool.RatioPair pair = new LatencyTool.RatioPair(FAKE, ScenarioRegistry.RATIO_BASELINE);
        final Map<Integer, double[]> byRound = Map.of(
            1, new double[]{ 1.4, 1.3 }, 2, new double[]{ 1.05, 1.0 }, 3, new double[]{ 1.5, 1.2 }, 4, new double[]{ 1.45, 1.4 });
        final Set<String> ran = Set.of(FAKE, ScenarioRegistry.RATIO_BASELINE);
        assertArrayEquals(new double[]{ 1.45, 1.3 },
            LatencyTool.medianRatios(ran, Map.of(pair, byRound), Set.of(2)).get(pair), 1e-9);
        assertArrayEquals(new double[]{ 1.425, 1.25 },
            LatencyTool.medianRatios(ran, Map.of(pair, byRound), Set.of()).get(pair), 1e-9);
        assertEquals(Map.of(), LatencyTool.medianRatios(Set.of(FAKE), Map.of(pair, byRound), Set.of()),
            "a pair whose baseline failed has no median");
    }

    @Test
    void roundsWhereOneSideOfARatioRanWellAboveItsLowestAreLeftOutOfThatRatio()
    {
        // The floor was fast in every round, but a slow phase began during round 2's FAKE block
        // and ran on into round 3's baseline block.
        final LatencyTool.RatioPair pair = new LatencyTool.RatioPair(FAKE, ScenarioRegistry.RATIO_BASELINE);
        final Map<String, Map<Integer, Long>> p50s = Map.of(
            FAKE, Map.of(1, 240L, 2, 611L, 3, 230L),
            ScenarioRegistry.RATIO_BASELINE, Map.of(1, 161L, 2, 161L, 3, 561L));
        assertEquals(Set.of(2, 3), LatencyTool.pairSlowRounds(pair, p50s, 3));
        assertEquals(Set.of(), LatencyTool.pairSlowRounds(pair, Map.of(FAKE, Map.of(1, 240L, 2, 300L, 3, 230L),
            ScenarioRegistry.RATIO_BASELINE, Map.of(1, 161L, 2, 170L, 3, 160L)), 3), "within 1.5x: kept");

        final Map<Integer, double[]> byRound = Map.of(
            1, new double[]{ 1.49, 1.28 }, 2, new double[]{ 3.80, 1.38 }, 3, new double[]{ 0.41, 0.39 });
        final Set<String> ran = Set.of(FAKE, ScenarioRegistry.RATIO_BASELINE);
        assertArrayEquals(new double[]{ 1.49, 1.28 },
            LatencyTool.medianRatios(ran, Map.of(pair, byRound), Map.of(pair, Set.of(2, 3))).get(pair), 1e-9);
        assertArrayEquals(new double[]{ 1.49, 1.28 },
            LatencyTool.medianRatios(ran, Map.of(pair, byRound), Map.of(pair, Set.of(1, 2, 3))).get(pair), 1e-9,
            "every round left out: all of them count");
    }

    @Test
    @Timeout(30)
    void aSlowRoundIsNamedOnItsOwnLine()
    {
        // A stand-in floor whose round trip is a 1 us spin, and a 5 us one in the second round.
        SpinningFloor.setUps.set(0);
        final ScenarioRegistry registry = new ScenarioRegistry()
            .register(ScenarioRegistry.FLOOR, SpinningFloor::new)
            .register(ScenarioRegistry.RATIO_BASELINE, ConstantScenario::new)
            .register(FAKE, ConstantScenario::new);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        assertEquals(0, LatencyTool.run(registry, new String[]{ "--rounds", "3", "--samples", "200", "--warmup", "50",
            "--results", results.toString() }, print(out), print(err)), err.toString(StandardCharsets.UTF_8));

        // A stand-in's own p50 may differ from round to round (a cold first round): its pair's line is set aside.
        final List<String> lines = out.toString(StandardCharsets.UTF_8).lines()
            .filter((line) -> !line.startsWith("slow-rounds " + FAKE + "/")).toList();
        final List<String> slow = lines.stream().filter((line) -> line.startsWith("slow-rounds: ")).toList();
        assertEquals(1, slow.size(), String.join("\n", lines));
        assertTrue(slow.get(0).startsWith("slow-rounds: [2] (" + ScenarioRegistry.FLOOR + " p50_ns "), slow.get(0));
        assertEquals(lines.size() - 3, lines.indexOf(slow.get(0)), "before the median ratio and the settings");
    }

    /** Spins for a set time per round trip: 1 us, or 5 us in the second instance (round). */
    static final class SpinningFloor implements LatencyScenario
    {
        static final AtomicInteger setUps = new AtomicInteger();
        private long spinNs;

        @Override
        public void setUp(final ScenarioContext ctx)
        {
            spinNs = setUps.incrementAndGet() == 2 ? 5_000 : 1_000;
        }

        @Override
        public long roundTrip()
        {
            final long end = System.nanoTime() + spinNs;
            long spins = 0;
            while (System.nanoTime() < end)
            {
                spins++;
            }
            return spins;
        }

        @Override
        public void close()
        {
        }
    }

    @Test
    void bodyMeanLeavesOutWhatLiesAboveP99()
    {
        final Histogram histogram = new Histogram(LatencyTool.HIGHEST_TRACKABLE_NS, LatencyTool.SIGNIFICANT_DIGITS);
        histogram.recordValueWithCount(100, 98);
        histogram.recordValue(200);
        histogram.recordValue(20_000);
        assertEquals(200, histogram.getValueAtPercentile(99.0));
        assertEquals((98 * 100 + 200) / 99.0, LatencyTool.bodyMean(histogram), 1e-9);
        assertTrue(LatencyTool.summaryLine("x", histogram).endsWith(" body_mean_ns=101.0"));
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

    /** ROUNDS rounds of the baseline, FAKE and their ratio, then the added lines and the settings. */
    private static void assertRoundsOfTheBaselineAndFake(final ByteArrayOutputStream out, final int samples)
    {
        final List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(ROUNDS * 3 + 2 + 1 + 1, lines.size(), String.join("\n", lines));
        for (int round = 1; round <= ROUNDS; round++)
        {
            final String prefix = "round=" + round + " ";
            final int first = (round - 1) * 3;
            assertScenarioLine(prefix, ScenarioRegistry.RATIO_BASELINE, samples, lines.get(first));
            assertScenarioLine(prefix, FAKE, samples, lines.get(first + 1));
            assertRatioLine(prefix, FAKE, lines.get(first + 2));
        }
        assertScenarioLine("", ScenarioRegistry.RATIO_BASELINE, ROUNDS * samples, lines.get(ROUNDS * 3));
        assertScenarioLine("", FAKE, ROUNDS * samples, lines.get(ROUNDS * 3 + 1));
        assertRatioLine("", FAKE, lines.get(ROUNDS * 3 + 2));
        assertEquals("aeron-settings: " + AeronTuning.describe(), lines.get(lines.size() - 1));
    }

    private static void assertScenarioLine(final String prefix, final String name, final int samples, final String line)
    {
        assertTrue(line.startsWith(prefix), line);
        final Matcher matcher = SCENARIO_LINE.matcher(line.substring(prefix.length()));
        assertTrue(matcher.matches(), line);
        assertEquals(name, matcher.group(1), line);
        assertEquals(samples, Long.parseLong(matcher.group(7)), line);
    }

    private static void assertRatioLine(final String prefix, final String name, final String line)
    {
        assertTrue(line.startsWith(prefix), line);
        final Matcher matcher = RATIO_LINE.matcher(line.substring(prefix.length()));
        assertTrue(matcher.matches(), line);
        assertEquals(name, matcher.group(1), line);
    }

    private static void assertRatioLine(final String prefix, final String name, final String baseline, final String line)
    {
        assertTrue(line.startsWith(prefix), line);
        final Matcher matcher = ANY_RATIO_LINE.matcher(line.substring(prefix.length()));
        assertTrue(matcher.matches(), line);
        assertEquals(name, matcher.group(1), line);
        assertEquals(baseline, matcher.group(2), line);
    }

    private static PrintStream print(final ByteArrayOutputStream bytes)
    {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    /**
     * Names with the bench's prefix and this JVM's pid, the tool's, in /dev/shm and the temp directory:
     * another process's bench (another build's tests, say) makes and removes its own meanwhile.
     */
    private static Set<String> leftovers() throws IOException
    {
        final long pid = ProcessHandle.current().pid();
        final Set<String> names = new TreeSet<>();
        for (final Path directory : List.of(ScenarioContext.shmDirectory(), Path.of(System.getProperty("java.io.tmpdir"))))
        {
            try (Stream<Path> entries = Files.list(directory))
            {
                entries.map((path) -> path.getFileName().toString())
                    .filter((name) -> ScenarioContext.ownerPid(name) == pid)
                    .forEach((name) -> names.add(directory + "/" + name));
            }
        }
        return names;
    }

    static final class BrokenScenario implements LatencyScenario
    {
        static volatile boolean closed;
        static final AtomicInteger setUps = new AtomicInteger();

        @Override
        public void setUp(final ScenarioContext ctx)
        {
            setUps.incrementAndGet();
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

    /** Counts its set-ups, round trips and closes, over all instances. */
    static final class CountingScenario implements LatencyScenario
    {
        static final AtomicInteger setUps = new AtomicInteger();
        static final AtomicInteger closes = new AtomicInteger();
        static final AtomicInteger roundTrips = new AtomicInteger();
        static final AtomicInteger closedTwice = new AtomicInteger();
        private final int failAfter;
        private int done;
        private boolean open;

        CountingScenario()
        {
            this(Integer.MAX_VALUE);
        }

        /** A scenario whose round trip fails once it has made {@code failAfter}. */
        CountingScenario(final int failAfter)
        {
            this.failAfter = failAfter;
        }

        static void reset()
        {
            setUps.set(0);
            closes.set(0);
            roundTrips.set(0);
            closedTwice.set(0);
        }

        @Override
        public void setUp(final ScenarioContext ctx)
        {
            assertEquals(IdleMode.SPIN_PARK, ctx.idleMode());
            setUps.incrementAndGet();
            open = true;
        }

        @Override
        public long roundTrip()
        {
            // Fails the scenario, and so the run, if a block came after its close.
            assertTrue(open, "a round trip on a closed scenario");
            if (++done > failAfter)
            {
                throw new IllegalStateException("peer gone");
            }
            return roundTrips.incrementAndGet();
        }

        @Override
        public void close()
        {
            closedTwice.addAndGet(open ? 0 : 1);
            open = false;
            closes.incrementAndGet();
        }
    }

    /** Answers at once with a constant: the report's form without a peer. */
    static final class ConstantScenario implements LatencyScenario
    {
        @Override
        public void setUp(final ScenarioContext ctx)
        {
        }

        @Override
        public long roundTrip()
        {
            return 7;
        }

        @Override
        public void close()
        {
        }
    }
}
