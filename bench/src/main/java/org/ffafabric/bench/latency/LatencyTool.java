package org.ffafabric.bench.latency;

import org.ffafabric.launch.ChildJvm;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.ffafabric.launch.JvmFlags;
import org.ffafabric.tools.UsageErrorHandler;
import org.ffafabric.transport.AeronTuning;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Measures round-trip latency of each scenario in turn and reports percentiles.
 * <p>
 * Stdout carries only the report: one {@code scenario=...} line per scenario that ran, then one
 * {@code ratio ...} line per {@code ffa-*} scenario against {@value ScenarioRegistry#RATIO_BASELINE},
 * then one per scenario against its same-size baseline where the registry names one and both ran,
 * then the {@code aeron-settings:} line. Progress and failures go to stderr. Each histogram is
 * written as {@code <scenario>.hgrm} and all of them as one percentile chart in the results
 * directory. Exit code 0 when every scenario ran, 1 when one failed, 2 on a bad command line, told in
 * one line ({@code --help} has the usage).
 * <p>
 * With {@code --rounds=N} above 1 the scenario list runs N times round-robin, each scenario set up
 * afresh each round, so a slow phase of a shared machine hits a scenario and its baseline alike.
 * Each round's lines are printed with a {@code round=<k> } prefix, then the unprefixed lines of
 * the rounds added together. The unprefixed ratio is the median of the per-round ratios, not the
 * ratio of the added histograms: a slow phase then spoils one round, not the result. The files are
 * written from the added histograms. A scenario that fails is not run again in later rounds and is
 * left out of the added lines. When {@value ScenarioRegistry#FLOOR} runs in every round, a round
 * whose p50 of it is above {@value #SLOW_PHASE_FACTOR} times its lowest ran in one of a shared
 * host's slow phases, where every cross-core hop costs several times as much and ratios flatten
 * towards 1: such rounds are named on a {@code slow-rounds:} line and left out of the medians
 * (unless every round was slow). A phase can also begin or end mid-round, after the floor's
 * block: then a round in which a ratio's scenario or baseline ran at over that factor times its
 * own lowest p50 is named on a {@code slow-rounds <scenario>/<baseline>:} line and left out of
 * that ratio's medians.
 * <p>
 * With {@code --interleave} each scenario is set up once and stays up: a round is then a block of
 * each scenario in turn, after {@value #BLOCK_WARMUP} discarded round trips, so a scenario and its
 * baseline are measured seconds apart rather than minutes, and a slow phase of a shared machine
 * falls on both. The answering sides then idle {@code spin-park}: they spin while round trips flow
 * and sleep through the other scenarios' blocks, which busy-spinning ones would steal cores from.
 */
@Command(
    name = "ffa bench",
    mixinStandardHelpOptions = true,
    versionProvider = LatencyTool.Version.class,
    description = "Round-trip latency of the fabric and its baselines, one scenario after another.")
public final class LatencyTool implements Callable<Integer>
{
    /** Measured round trips by default. */
    public static final int DEFAULT_SAMPLES = 1_000_000;

    /** Discarded round trips by default, enough for C2 to compile the loops. */
    public static final int DEFAULT_WARMUP = 200_000;

    /** Measured round trips with {@code --quick}. */
    public static final int QUICK_SAMPLES = 50_000;

    /** Discarded round trips with {@code --quick}. */
    public static final int QUICK_WARMUP = 20_000;

    /** How far above its lowest p50 the floor's p50 puts a round in a slow phase of the host. */
    public static final double SLOW_PHASE_FACTOR = 1.5;

    /** Discarded round trips before each block of an interleaved run: wakes the parked answering side. */
    public static final int BLOCK_WARMUP = 10_000;

    /** Longest round trip the histograms track; longer ones are recorded as this. */
    public static final long HIGHEST_TRACKABLE_NS = TimeUnit.SECONDS.toNanos(10);

    /** Significant digits of the histograms. */
    public static final int SIGNIFICANT_DIGITS = 3;

    private static final String RELAUNCHED_PROP_NAME = "ffa.bench.relaunched";

    @Option(names = "--quick", description = "Short run: " + QUICK_WARMUP + " warm-up and " + QUICK_SAMPLES +
        " measured round trips per scenario, unless --warmup or --samples say otherwise.")
    boolean quick;

    @Option(names = "--samples", paramLabel = "N", description = "Measured round trips per scenario " +
        "(default " + DEFAULT_SAMPLES + ").")
    Integer samples;

    @Option(names = "--warmup", paramLabel = "N", description = "Discarded round trips per scenario " +
        "(default " + DEFAULT_WARMUP + ").")
    Integer warmup;

    @Option(names = "--rounds", paramLabel = "N", description = "Runs of the whole scenario list, round-robin " +
        "(default 1). Above 1, each round's lines are prefixed round=<k>, then come the rounds added together, " +
        "whose ratio is the median of the per-round ratios: a slow phase of a shared VM then spoils one round, " +
        "not the result.")
    int rounds = 1;

    @Option(names = "--scenario", paramLabel = "NAME", description = "Scenario to run, repeatable " +
        "(default: all registered, in order). Known: ${COMPLETION-CANDIDATES}", completionCandidates = KnownScenarios.class)
    List<String> scenarios = new ArrayList<>();

    @Option(names = "--interleave", description = "Set each scenario up once and run the rounds as blocks of " +
        "each scenario in turn (each after " + BLOCK_WARMUP + " discarded round trips), so a scenario and its " +
        "baseline are measured seconds apart. Idles spin-park unless --idle says backoff.")
    boolean interleave;

    @Option(names = "--idle", paramLabel = "busy|backoff|spin-park", description = "Idle strategy of the spinning " +
        "sides (default busy; spin-park with --interleave).", converter = IdleModeConverter.class)
    IdleMode idleMode;

    @Option(names = "--sweep-stale", description = "Delete ffa-bench-<pid>-* entries in /dev/shm and the temp " +
        "directory whose process no longer exists (left by a killed run); by default they are only listed.")
    boolean sweepStale;

    @Option(names = "--results", paramLabel = "DIR", description = "Where to write .hgrm files and the chart " +
        "(default results/<timestamp>).")
    Path resultsDirectory;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final ScenarioRegistry registry;
    private final PrintStream out;
    private final PrintStream err;
    // An interleaved run's timed loop of each scenario it keeps up, one copy each (RoundTripLoop).
    private final Map<String, RoundTripLoop> liveLoops = new HashMap<>();

    /** The tool over the standard scenarios, reporting on System.out and System.err. */
    public LatencyTool()
    {
        this(ScenarioRegistry.standard(), System.out, System.err);
    }

    public LatencyTool(final ScenarioRegistry registry, final PrintStream out, final PrintStream err)
    {
        this.registry = registry;
        this.out = out;
        this.err = err;
    }

    public static void main(final String[] args) throws Exception
    {
        if (!JvmFlags.inForce() && !Boolean.getBoolean(RELAUNCHED_PROP_NAME))
        {
            System.exit(relaunchWithFlags(args));
        }

        // A signal ends the run without closing its scenarios: their files in /dev/shm (a media driver's
        // directory is tens of MB) go with this process all the same. The echo processes end on their own.
        Runtime.getRuntime().addShutdownHook(new Thread(ScenarioContext::deleteOwnEntries, "latency-tool-cleanup"));
        System.exit(run(ScenarioRegistry.standard(), args, System.out, System.err));
    }

    /**
     * Runs the tool as from the command line, without exiting: for tests and embedding.
     *
     * @return the exit code.
     */
    public static int run(
        final ScenarioRegistry registry, final String[] args, final PrintStream out, final PrintStream err)
    {
        final CommandLine commandLine = new CommandLine(new LatencyTool(registry, out, err))
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setParameterExceptionHandler(new UsageErrorHandler())
            .setOut(new PrintWriter(out, true, StandardCharsets.UTF_8))
            .setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        return commandLine.execute(args);
    }

    @Override
    public Integer call() throws Exception
    {
        final int sampleCount = null != samples ? samples : quick ? QUICK_SAMPLES : DEFAULT_SAMPLES;
        final int warmupCount = null != warmup ? warmup : quick ? QUICK_WARMUP : DEFAULT_WARMUP;
        if (sampleCount < 1 || warmupCount < 0 || rounds < 1)
        {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "--samples and --rounds must be at least 1 and --warmup at least 0");
        }

        final List<String> names = scenarios.isEmpty() ? registry.names() : scenarios;
        for (final String name : names)
        {
            if (!registry.contains(name))
            {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "unknown scenario " + name + ", known: " + String.join(", ", registry.names()));
            }
        }

        final IdleMode idle = null != idleMode ? idleMode : interleave ? IdleMode.SPIN_PARK : IdleMode.BUSY;
        if (interleave && IdleMode.BUSY == idle)
        {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "--interleave needs answering sides that sleep between blocks: --idle spin-park or backoff");
        }

        final Path results = null != resultsDirectory ? resultsDirectory : Path.of("results",
            LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        Files.createDirectories(results);
        err.println("latency-tool: " + names.size() + " scenario(s), rounds " + rounds + ", warm-up " + warmupCount +
            ", samples " + sampleCount + ", idle " + idle.label() + (interleave ? ", interleaved" : "") +
            ", results " + results.toAbsolutePath());

        for (final Path stale : ScenarioContext.staleEntries(sweepStale))
        {
            err.println("latency-tool: " + (sweepStale ? "deleted " : "found (delete with --sweep-stale) ") +
                stale + ", left by a process that no longer exists");
        }

        final ScenarioContext ctx = new ScenarioContext(idle);
        final Map<String, Histogram> combined = new LinkedHashMap<>();
        final Map<RatioPair, Map<Integer, double[]>> roundRatios = new LinkedHashMap<>();
        final Map<String, Map<Integer, Long>> roundP50s = new LinkedHashMap<>();
        final List<String> failed = new ArrayList<>();
        // With --interleave: the scenarios set up so far, kept up until every round has run.
        final Map<String, LatencyScenario> live = new LinkedHashMap<>();
        try
        {
            measureRounds(names, ctx, warmupCount, sampleCount, live, combined, roundRatios, roundP50s, failed);
        }
        finally
        {
            for (final Map.Entry<String, LatencyScenario> entry : live.entrySet())
            {
                closeInterleaved(entry.getKey(), entry.getValue(), failed, combined);
            }
        }

        if (rounds > 1)
        {
            for (final Map.Entry<String, Histogram> entry : combined.entrySet())
            {
                out.println(summaryLine(entry.getKey(), entry.getValue()));
            }
            final Map<Integer, Long> floorP50s = roundP50s.getOrDefault(ScenarioRegistry.FLOOR, Map.of());
            final Set<Integer> slow = slowRounds(floorP50s, rounds);
            if (!slow.isEmpty())
            {
                out.println("slow-rounds: " + slow + " (" + ScenarioRegistry.FLOOR + " p50_ns " + floorP50s.values() +
                    " by round, above " + SLOW_PHASE_FACTOR + "x its lowest: left out of the ratio medians)");
            }
            final Map<RatioPair, Set<Integer>> leftOut = new LinkedHashMap<>();
            // As for the floor's own rule, only when the floor ran in every round to vouch for the host.
            final boolean floorEveryRound = floorP50s.size() == rounds;
            for (final RatioPair pair : roundRatios.keySet())
            {
                if (!combined.containsKey(pair.scenario()) || !combined.containsKey(pair.baseline()))
                {
                    // A side failed: the pair has no median ratio, so no rounds to leave out of it.
                    continue;
                }
                final Set<Integer> pairSlow = floorEveryRound ? pairSlowRounds(pair, roundP50s, rounds) : new TreeSet<>();
                pairSlow.removeAll(slow);
                if (!pairSlow.isEmpty())
                {
                    out.println("slow-rounds " + pair.scenario() + "/" + pair.baseline() + ": " + pairSlow +
                        " (one side's p50 above " + SLOW_PHASE_FACTOR + "x its lowest: left out of this ratio's medians)");
                }
                pairSlow.addAll(slow);
                leftOut.put(pair, pairSlow);
            }
            printRatios("", medianRatios(combined.keySet(), roundRatios, leftOut));
        }

        out.println("aeron-settings: " + AeronTuning.describe());
        out.flush();

        for (final Map.Entry<String, Histogram> entry : combined.entrySet())
        {
            writeHgrm(results.resolve(entry.getKey() + ".hgrm"), entry.getKey(), entry.getValue());
        }

        if (!combined.isEmpty())
        {
            PercentilePlot.write(results.resolve(PercentilePlot.FILE_NAME), combined);
        }

        if (!failed.isEmpty())
        {
            err.println("latency-tool: failed scenarios: " + failed);
            return 1;
        }

        return CommandLine.ExitCode.OK;
    }

    /** Runs every round, printing each scenario's line and the round's ratios as they come. */
    private void measureRounds(
        final List<String> names,
        final ScenarioContext ctx,
        final int warmupCount,
        final int sampleCount,
        final Map<String, LatencyScenario> live,
        final Map<String, Histogram> combined,
        final Map<RatioPair, Map<Integer, double[]>> roundRatios,
        final Map<String, Map<Integer, Long>> roundP50s,
        final List<String> failed)
    {
        for (int round = 1; round <= rounds; round++)
        {
            // One round alone is reported as it always was, without prefix or added lines.
            final String prefix = rounds > 1 ? "round=" + round + " " : "";
            final Map<String, Histogram> histograms = new LinkedHashMap<>();
            for (final String name : names)
            {
                if (failed.contains(name))
                {
                    continue;
                }

                final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
                try
                {
                    if (interleave)
                    {
                        measureBlock(name, live, ctx, warmupCount, sampleCount, histogram);
                    }
                    else
                    {
                        measure(registry.newScenario(name), ctx, warmupCount, sampleCount, histogram);
                    }
                }
                catch (final Throwable ex)
                {
                    failed.add(name);
                    combined.remove(name);
                    err.println("scenario " + name + " FAILED: " + ex);
                    ex.printStackTrace(err);
                    liveLoops.remove(name);
                    final LatencyScenario broken = live.remove(name);
                    if (null != broken)
                    {
                        closeInterleaved(name, broken, failed, combined);
                    }
                    continue;
                }

                histograms.put(name, histogram);
                combined.computeIfAbsent(name, (k) -> new Histogram(HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS))
                    .add(histogram);
                out.println(prefix + summaryLine(name, histogram));
                out.flush();
            }

            final Map<RatioPair, double[]> ratios = ratios(histograms);
            printRatios(prefix, ratios);
            final int thisRound = round;
            ratios.forEach((pair, ratio) -> roundRatios.computeIfAbsent(pair, (k) -> new LinkedHashMap<>())
                .put(thisRound, ratio));
            histograms.forEach((name, histogram) -> roundP50s.computeIfAbsent(name, (k) -> new LinkedHashMap<>())
                .put(thisRound, histogram.getValueAtPercentile(50.0)));
        }
    }

    /**
     * The rounds whose floor p50 is above {@link #SLOW_PHASE_FACTOR} times the lowest; none unless
     * the floor ran in every round, or when every round would be slow.
     */
    static Set<Integer> slowRounds(final Map<Integer, Long> floorP50s, final int rounds)
    {
        final Set<Integer> slow = new TreeSet<>();
        if (floorP50s.size() == rounds && rounds > 1)
        {
            final long lowest = floorP50s.values().stream().mapToLong(Long::longValue).min().orElse(0);
            floorP50s.forEach((round, p50) ->
            {
                if (p50 > SLOW_PHASE_FACTOR * lowest)
                {
                    slow.add(round);
                }
            });
        }
        return slow.size() == rounds ? Set.of() : slow;
    }

    /**
     * One interleaved block: the scenario is set up and warmed up the first time, kept in
     * {@code live}, and woken with {@value #BLOCK_WARMUP} discarded round trips every later time.
     */
    private void measureBlock(
        final String name,
        final Map<String, LatencyScenario> live,
        final ScenarioContext ctx,
        final int warmupCount,
        final int sampleCount,
        final Histogram histogram) throws Exception
    {
        LatencyScenario scenario = live.get(name);
        final RoundTripLoop loop = liveLoops.computeIfAbsent(name, (k) -> RoundTripLoop.forOneScenario());
        long sink;
        if (null == scenario)
        {
            scenario = registry.newScenario(name);
            live.put(name, scenario);
            scenario.setUp(ctx);
            sink = loop.run(scenario, warmupCount, null);
        }
        else
        {
            sink = loop.run(scenario, BLOCK_WARMUP, null);
        }
        sink += loop.run(scenario, sampleCount, histogram);
        observe(sink, histogram);
    }

    /**
     * Closes a scenario an interleaved run kept up; a failure to close fails the scenario, which
     * then leaves the added lines, as a failure to close does in a sequential round.
     */
    private void closeInterleaved(
        final String name, final LatencyScenario scenario, final List<String> failed, final Map<String, Histogram> combined)
    {
        try
        {
            scenario.close();
        }
        catch (final Throwable ex)
        {
            if (!failed.contains(name))
            {
                failed.add(name);
            }
            combined.remove(name);
            err.println("scenario " + name + " FAILED to close: " + ex);
            ex.printStackTrace(err);
        }
    }

    /**
     * Sets a new scenario up, runs the warm-up, records every measured round trip, and closes it.
     * The measured loop, a copy of its own ({@link RoundTripLoop}), the warm-up's too, reads the clock
     * twice and records into a pre-sized histogram: nothing allocates.
     */
    public static void measure(
        final LatencyScenario newScenario,
        final ScenarioContext ctx,
        final int warmupCount,
        final int sampleCount,
        final Histogram histogram) throws Exception
    {
        final RoundTripLoop loop = RoundTripLoop.forOneScenario();
        long sink;
        try (LatencyScenario scenario = newScenario)
        {
            scenario.setUp(ctx);
            sink = loop.run(scenario, warmupCount, null);
            sink += loop.run(scenario, sampleCount, histogram);
        }
        observe(sink, histogram);
    }

    private static void observe(final long sink, final Histogram histogram)
    {
        if (sink == 42)
        {
            // Never true in practice: makes the answers observable so no round trip is elided.
            histogram.reset();
        }
    }

    /**
     * {@code scenario=<name> p50_ns=... p90_ns=... p99_ns=... p999_ns=... max_ns=... samples=...
     * body_mean_ns=...}: the body mean is the mean of the round trips at or below p99. On a VM whose
     * clock moves in ~10 ns steps a p50 lands on a step, while the body mean resolves a change of a
     * few ns, and unlike the plain mean it leaves out the machine's stalls.
     */
    public static String summaryLine(final String name, final Histogram histogram)
    {
        return "scenario=" + name +
            " p50_ns=" + histogram.getValueAtPercentile(50.0) +
            " p90_ns=" + histogram.getValueAtPercentile(90.0) +
            " p99_ns=" + histogram.getValueAtPercentile(99.0) +
            " p999_ns=" + histogram.getValueAtPercentile(99.9) +
            " max_ns=" + histogram.getMaxValue() +
            " samples=" + histogram.getTotalCount() +
            String.format(Locale.ROOT, " body_mean_ns=%.1f", bodyMean(histogram));
    }

    /** The mean of the recorded values at or below the 99th percentile. */
    static double bodyMean(final Histogram histogram)
    {
        final long limit = histogram.getValueAtPercentile(99.0);
        double sum = 0;
        long count = 0;
        for (final HistogramIterationValue value : histogram.recordedValues())
        {
            if (value.getValueIteratedTo() > limit)
            {
                break;
            }
            sum += (double)value.getValueIteratedTo() * value.getCountAtValueIteratedTo();
            count += value.getCountAtValueIteratedTo();
        }
        return count == 0 ? 0 : sum / count;
    }

    /** A scenario and the baseline one of its ratios divides by. */
    record RatioPair(String scenario, String baseline)
    {
    }

    /**
     * The p50 and p99 ratios of each {@code ffa-*} scenario against the baseline, in the order of the
     * histograms (none, with a note on stderr, when the baseline is not among them), then those
     * against same-size baselines.
     */
    private Map<RatioPair, double[]> ratios(final Map<String, Histogram> histograms)
    {
        final Map<RatioPair, double[]> ratios = new LinkedHashMap<>();
        final Histogram baseline = histograms.get(ScenarioRegistry.RATIO_BASELINE);
        for (final String name : histograms.keySet())
        {
            if (!name.startsWith(ScenarioRegistry.FABRIC_PREFIX))
            {
                continue;
            }

            if (null == baseline)
            {
                err.println("no ratio for " + name + ": " + ScenarioRegistry.RATIO_BASELINE + " did not run");
                continue;
            }

            ratios.put(new RatioPair(name, ScenarioRegistry.RATIO_BASELINE), ratio(histograms.get(name), baseline));
        }

        registry.sameSizeBaselines().forEach((name, sameSize) ->
        {
            if (histograms.containsKey(name) && histograms.containsKey(sameSize))
            {
                ratios.put(new RatioPair(name, sameSize), ratio(histograms.get(name), histograms.get(sameSize)));
            }
        });

        return ratios;
    }

    private static double[] ratio(final Histogram scenario, final Histogram baseline)
    {
        return new double[]{
            ratio(scenario.getValueAtPercentile(50.0), baseline.getValueAtPercentile(50.0)),
            ratio(scenario.getValueAtPercentile(99.0), baseline.getValueAtPercentile(99.0)) };
    }

    /**
     * The median over the rounds, less the slow ones, of the p50 and of the p99 ratio, for each pair
     * whose scenario and baseline ran in every round: a slow phase of a shared machine then spoils
     * one round, not the result.
     */
    static Map<RatioPair, double[]> medianRatios(
        final Set<String> ran,
        final Map<RatioPair, Map<Integer, double[]>> roundRatios,
        final Set<Integer> slow)
    {
        final Map<RatioPair, Set<Integer>> leftOut = new LinkedHashMap<>();
        roundRatios.keySet().forEach((pair) -> leftOut.put(pair, slow));
        return medianRatios(ran, roundRatios, leftOut);
    }

    /**
     * The rounds in which the pair's scenario or its baseline ran at over {@link #SLOW_PHASE_FACTOR}
     * times its own lowest p50. The code is the same in every round, so such a round caught the
     * host in a slow phase that the floor's own block missed (a phase can begin mid-round).
     */
    static Set<Integer> pairSlowRounds(final RatioPair pair, final Map<String, Map<Integer, Long>> roundP50s, final int rounds)
    {
        final Set<Integer> slow = new TreeSet<>(slowRounds(roundP50s.getOrDefault(pair.scenario(), Map.of()), rounds));
        slow.addAll(slowRounds(roundP50s.getOrDefault(pair.baseline(), Map.of()), rounds));
        return slow;
    }

    /** As above, with the rounds left out chosen for each pair. */
    static Map<RatioPair, double[]> medianRatios(
        final Set<String> ran,
        final Map<RatioPair, Map<Integer, double[]>> roundRatios,
        final Map<RatioPair, Set<Integer>> leftOut)
    {
        final Map<RatioPair, double[]> medians = new LinkedHashMap<>();
        roundRatios.forEach((pair, byRound) ->
        {
            if (ran.contains(pair.scenario()) && ran.contains(pair.baseline()))
            {
                final Set<Integer> slow = leftOut.getOrDefault(pair, Set.of());
                final List<double[]> ratios = new ArrayList<>();
                byRound.forEach((round, ratio) ->
                {
                    if (!slow.contains(round))
                    {
                        ratios.add(ratio);
                    }
                });
                final List<double[]> used = ratios.isEmpty() ? new ArrayList<>(byRound.values()) : ratios;
                medians.put(pair, new double[]{ median(used, 0), median(used, 1) });
            }
        });

        return medians;
    }

    /** The median of element {@code index} of the ratios; for an even count, the mean of the middle two. */
    static double median(final List<double[]> ratios, final int index)
    {
        final double[] values = new double[ratios.size()];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = ratios.get(i)[index];
        }
        Arrays.sort(values);

        final int middle = values.length / 2;
        return 0 == (values.length & 1) ? (values[middle - 1] + values[middle]) / 2 : values[middle];
    }

    /** {@code <prefix>ratio <name>/<baseline> p50=... p99=...} per entry of p50 and p99 ratios. */
    private void printRatios(final String prefix, final Map<RatioPair, double[]> ratios)
    {
        for (final Map.Entry<RatioPair, double[]> entry : ratios.entrySet())
        {
            final double[] ratio = entry.getValue();
            out.println(String.format(Locale.ROOT, "%sratio %s/%s p50=%.2f p99=%.2f",
                prefix, entry.getKey().scenario(), entry.getKey().baseline(), ratio[0], ratio[1]));
        }
    }

    private static double ratio(final long value, final long baseline)
    {
        return (double)value / Math.max(baseline, 1);
    }

    private static void writeHgrm(final Path file, final String name, final Histogram histogram) throws IOException
    {
        try (PrintStream hgrm = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8))
        {
            // HdrHistogram's own format, values scaled from ns to µs.
            histogram.outputPercentileDistribution(hgrm, 1000.0);
            hgrm.println("#[Scenario = " + name + ", round-trip latency, Value in microseconds (recorded ns / 1000)]");
        }
    }

    private static int relaunchWithFlags(final String[] args) throws IOException, InterruptedException
    {
        // Agrona needs jdk.internal.misc opened; rather than fail, run again with the flags.
        final List<String> mainArgs = new ArrayList<>(List.of(args));
        final List<String> command = new ArrayList<>(ChildJvm.command(LatencyTool.class, mainArgs));
        command.add(1, "-D" + RELAUNCHED_PROP_NAME + "=true");
        System.err.println("latency-tool: JVM flags missing, running again with: " + JvmFlags.commandLine());
        final Process relaunched = ChildJvm.processBuilder(command).inheritIO().start();
        // A signal to this process is meant for the run: pass it on (the relaunched tool then cleans up
        // after itself and its echoes end), and wait for it so that its report is not cut off.
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            relaunched.destroy();
            try
            {
                relaunched.waitFor(30, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ignore)
            {
                Thread.currentThread().interrupt();
            }
        }, "latency-tool-relaunched-stop"));
        return relaunched.waitFor();
    }

    /** Parses {@code --idle} values with {@link IdleMode#parse}. */
    static final class IdleModeConverter implements CommandLine.ITypeConverter<IdleMode>
    {
        public IdleMode convert(final String value)
        {
            try
            {
                return IdleMode.parse(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not an idle mode: busy, backoff or spin-park");
            }
        }
    }

    /** The version the jar was built as, as {@code ./ffa --version} prints it. */
    static final class Version implements CommandLine.IVersionProvider
    {
        public String[] getVersion()
        {
            final String version = LatencyTool.class.getPackage().getImplementationVersion();
            return new String[]{ "ffa-fabric " + (null != version ? version : "(built from source, no jar)") };
        }
    }

    /** Names for the --scenario help. */
    static final class KnownScenarios extends ArrayList<String>
    {
        private static final long serialVersionUID = 1L;

        KnownScenarios()
        {
            super(ScenarioRegistry.standard().names());
        }
    }
}
