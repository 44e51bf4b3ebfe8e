package org.ffafabric.bench.latency;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The latency tool's command line and statistics at their edges: one round, every round slow,
 * a scenario that missed rounds, an empty histogram. Never checks a timing value.
 */
class LatencyToolEdgeCasesTest
{
    private static final String FAKE = ScenarioRegistry.FABRIC_PREFIX + "fake";
    private static final LatencyTool.RatioPair PAIR = new LatencyTool.RatioPair(FAKE, ScenarioRegistry.RATIO_BASELINE);

    @TempDir
    Path results;

    @Test
    void oneRoundHasNoSlowRounds()
    {
        assertEquals(Set.of(), LatencyTool.slowRounds(Map.of(1, 1_000L), 1));
        assertEquals(Set.of(), LatencyTool.pairSlowRounds(PAIR,
            Map.of(FAKE, Map.of(1, 1_000L), ScenarioRegistry.RATIO_BASELINE, Map.of(1, 10L)), 1));
    }

    @Test
    void theLowestRoundIsNeverSlowEvenAtZero()
    {
        assertEquals(Set.of(2), LatencyTool.slowRounds(Map.of(1, 0L, 2, 1L), 2));
        assertEquals(Set.of(), LatencyTool.slowRounds(Map.of(1, 0L, 2, 0L), 2));
        assertEquals(Set.of(), LatencyTool.slowRounds(Map.of(1, 100L, 2, 150L), 2), "1.5x exactly is not above it");
    }

    @Test
    void aSideThatMissedARoundVouchesForNoRound()
    {
        // The scenario ran in rounds 1 and 2 only (it failed in round 3): only its baseline's p50s count.
        final Map<String, Map<Integer, Long>> p50s = Map.of(
            FAKE, Map.of(1, 200L, 2, 900L),
            ScenarioRegistry.RATIO_BASELINE, Map.of(1, 160L, 2, 160L, 3, 500L));
        assertEquals(Set.of(3), LatencyTool.pairSlowRounds(PAIR, p50s, 3));
    }

    @Test
    void whenEveryRoundIsLeftOutOfAPairEveryRoundCounts()
    {
        // The scenario was slow in round 1, the baseline in round 2: nothing would be left.
        final Map<String, Map<Integer, Long>> p50s = Map.of(
            FAKE, Map.of(1, 900L, 2, 200L), ScenarioRegistry.RATIO_BASELINE, Map.of(1, 160L, 2, 600L));
        final Set<Integer> slow = LatencyTool.pairSlowRounds(PAIR, p50s, 2);
        assertEquals(Set.of(1, 2), slow);
        final Map<Integer, double[]> byRound = Map.of(1, new double[]{ 5.6, 5.0 }, 2, new double[]{ 0.3, 0.2 });
        assertArrayEquals(new double[]{ 2.95, 2.6 }, LatencyTool.medianRatios(Set.of(FAKE, ScenarioRegistry.RATIO_BASELINE),
            Map.of(PAIR, byRound), Map.of(PAIR, slow)).get(PAIR), 1e-9);
    }

    @Test
    void oneRatioIsItsOwnMedian()
    {
        assertEquals(1.25, LatencyTool.median(List.of(new double[]{ 1.25, 2.0 }), 0));
        assertEquals(2.0, LatencyTool.median(List.of(new double[]{ 1.25, 2.0 }), 1));
    }

    @Test
    void anEmptyHistogramIsAllZeros()
    {
        final Histogram empty = new Histogram(LatencyTool.HIGHEST_TRACKABLE_NS, LatencyTool.SIGNIFICANT_DIGITS);
        assertEquals(0.0, LatencyTool.bodyMean(empty));
        assertEquals("scenario=x p50_ns=0 p90_ns=0 p99_ns=0 p999_ns=0 max_ns=0 samples=0 body_mean_ns=0.0",
            LatencyTool.summaryLine("x", empty));
    }

    @Test
    void valuesUpToTheHighestTrackableAreKeptAndMerged()
    {
        final Histogram a = new Histogram(LatencyTool.HIGHEST_TRACKABLE_NS, LatencyTool.SIGNIFICANT_DIGITS);
        final Histogram b = new Histogram(LatencyTool.HIGHEST_TRACKABLE_NS, LatencyTool.SIGNIFICANT_DIGITS);
        a.recordValue(1);
        a.recordValue(2_047);
        b.recordValue(LatencyTool.HIGHEST_TRACKABLE_NS);
        a.add(b);
        assertEquals(3, a.getTotalCount());
        assertEquals(2_047, a.getValueAtPercentile(50.0), "values below 2048 ns are exact");
        assertTrue(a.getMaxValue() >= LatencyTool.HIGHEST_TRACKABLE_NS);
    }

    @Test
    void zeroSamplesIsAUsageError()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, LatencyTool.run(new ScenarioRegistry(), new String[]{ "--samples", "0", "--results",
            results.toString() }, print(out), print(err)));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        assertEquals(1, err.toString(StandardCharsets.UTF_8).lines().count(), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void versionPrintsTheVersion()
    {
        // --help lists -V, --version ("Print version information and exit"): it printed nothing.
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, LatencyTool.run(new ScenarioRegistry(), new String[]{ "--version" }, print(out),
            print(new ByteArrayOutputStream())));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("ffa-fabric "), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpNamesTheCommandAsTyped()
    {
        // ./ffa bench --help began "Usage: latency-tool [-hV] ...", a command there is not.
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, LatencyTool.run(new ScenarioRegistry(), new String[]{ "--help" }, print(out),
            print(new ByteArrayOutputStream())));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("Usage: ffa bench "), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anUnknownIdleModeNamesTheKnownOnes()
    {
        // It said "No enum constant org.ffafabric.bench.latency.IdleMode.FOO": a class name, not the choices.
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, LatencyTool.run(new ScenarioRegistry(), new String[]{ "--idle", "foo", "--results",
            results.toString() }, print(new ByteArrayOutputStream()), print(err)));
        final String first = err.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("");
        assertFalse(first.contains("No enum constant"), first);
        assertTrue(first.contains("'foo'") && first.contains("busy, backoff or spin-park"), first);
    }

    @Test
    void aMistakenOptionOrValueIsOneLineNamingTheCommand()
    {
        // A mistaken option said picocli's message, then the whole usage: some 40 lines, the mistake at the top.
        final String[][] mistakes = {
            { "--bogus" }, { "--scenrio", "uds-raw" }, { "--samples", "x" }, { "--samples" }, { "--idle", "foo" },
            { "extra" }, { "--rounds", "0" }, { "--scenario", "no-such" }, { "--interleave", "--idle", "busy" } };
        for (final String[] mistake : mistakes)
        {
            final String err = mistake(mistake);
            assertTrue(err.startsWith("ffa bench: "), err);
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.contains("ffa bench --help"), err);
        }
        assertTrue(mistake("--scenrio", "uds-raw").contains("--scenario"), "a near miss names the option meant");
        assertTrue(mistake("--scenario", "no-such").contains("uds-raw"), "an unknown scenario is told with the known ones");
    }

    /** What a run with a mistake in its arguments says on stderr; it exits 2 and prints nothing on stdout. */
    private String mistake(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final String[] withResults = java.util.stream.Stream.concat(
            java.util.stream.Stream.of(args), java.util.stream.Stream.of("--results", results.toString())).toArray(String[]::new);
        final int exitCode = LatencyTool.run(ScenarioRegistry.standard(), withResults, print(out), print(err));
        final String said = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, exitCode, said);
        assertEquals("", out.toString(StandardCharsets.UTF_8), String.join(" ", args));
        return said;
    }

    @Test
    @org.junit.jupiter.api.Timeout(30)
    void aScenarioThatFailedHasNoSlowRoundsLine()
    {
        // ffa-broken fails in round 3, so it has no ratio line; its baseline ran slow in round 2. The
        // report named "slow-rounds ffa-broken/aeron-ipc-raw: [2]" all the same, for a ratio it never gives.
        final String broken = ScenarioRegistry.FABRIC_PREFIX + "broken";
        final java.util.concurrent.atomic.AtomicInteger baselines = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger brokens = new java.util.concurrent.atomic.AtomicInteger();
        final ScenarioRegistry registry = new ScenarioRegistry()
            .register(ScenarioRegistry.FLOOR, () -> new Spin(2_000, false))
            .register(ScenarioRegistry.RATIO_BASELINE, () -> new Spin(baselines.incrementAndGet() == 2 ? 20_000 : 2_000, false))
            .register(broken, () -> new Spin(2_000, brokens.incrementAndGet() == 3));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        assertEquals(1, LatencyTool.run(registry, new String[]{ "--rounds", "3", "--samples", "200", "--warmup", "50",
            "--results", results.toString() }, print(out), print(err)), err.toString(StandardCharsets.UTF_8));

        final List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        final List<String> added = lines.stream().filter((line) -> !line.startsWith("round=")).toList();
        assertTrue(added.stream().noneMatch((line) -> line.contains(broken)), String.join("\n", lines));
    }

    /** Spins for a set time per round trip; fails its set-up when told to. */
    static final class Spin implements LatencyScenario
    {
        private final long spinNs;
        private final boolean failSetUp;

        Spin(final long spinNs, final boolean failSetUp)
        {
            this.spinNs = spinNs;
            this.failSetUp = failSetUp;
        }

        @Override
        public void setUp(final ScenarioContext ctx)
        {
            if (failSetUp)
            {
                throw new IllegalStateException("cannot set up");
            }
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

    private static PrintStream print(final ByteArrayOutputStream bytes)
    {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
