package org.ffafabric.bench.jmh;

import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.bench.fabric.FfaScenarios;
import org.ffafabric.bench.latency.ScenarioContext;
import org.ffafabric.control.FabricDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs each fabric benchmark's set-up, a few operations and its tear-down directly, without
 * JMH: the answers must be right (the echo adds one to every payload word) and nothing may be
 * left in the shared-memory directory. Never checks a timing.
 * <p>
 * Other processes on the host may create and remove their own {@code ffa-} fabrics meanwhile,
 * so the leftover check counts only new {@code ffa-} entries made by this JVM: named with its
 * pid (the benchmarks' {@code ffa-bench-<pid>-...}) or a directory a benchmark reported using.
 */
class FabricBenchmarksTest
{
    private static final int OPS = 5;

    @ParameterizedTest
    @CsvSource({"inproc,invoke", "inproc,typed", "xproc,invoke", "xproc,typed"})
    @Timeout(90)
    void directRequestEchoesThePayload(final String transport, final String api) throws Exception
    {
        final FfaDirectBenchmark bench = new FfaDirectBenchmark();
        bench.transport = transport;
        bench.api = api;
        runThenAssertNothingLeft(bench::setUp, bench::directory, bench::tearDown, () -> assertRoundTripsEcho(
            bench, bench::roundTrip, FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, 3, FfaDirectBenchmark.PAYLOAD_WORDS,
            (regs) -> assertEquals(
                RegisterFile.packIds(FfaScenarios.RESPONDER_ID, FfaScenarios.REQUESTER_ID), regs.w(1))));
    }

    @ParameterizedTest
    @CsvSource({"inproc,invoke", "inproc,typed", "xproc,invoke", "xproc,typed"})
    @Timeout(90)
    void directRequest2EchoesAllFourteenWords(final String transport, final String api) throws Exception
    {
        final FfaDirect2Benchmark bench = new FfaDirect2Benchmark();
        bench.transport = transport;
        bench.api = api;
        runThenAssertNothingLeft(bench::setUp, bench::directory, bench::tearDown, () -> assertRoundTripsEcho(
            bench, bench::roundTrip, FunctionId.FFA_MSG_SEND_DIRECT_RESP2, FfaDirect2Benchmark.FIRST,
            FfaDirect2Benchmark.PAYLOAD_WORDS, (regs) -> { }));
    }

    @ParameterizedTest
    @ValueSource(strings = {"aeron-raw", "ffa-invoke", "ffa-invoke-req2", "ffa-requester", "ffa-responder"})
    @Timeout(60)
    void loopbackAnswersEachRequestOnOneThread(final String path) throws Exception
    {
        final LoopbackBenchmark bench = new LoopbackBenchmark();
        bench.path = path;
        runThenAssertNothingLeft(bench::setUp, bench::directory, bench::tearDown, () ->
        {
            // Each side checks the answer against its request; the answers also follow each other.
            long last = bench.roundTrip();
            for (int i = 0; i < OPS * 20; i++)
            {
                final long answer = bench.roundTrip();
                assertEquals(last + 1, answer);
                last = answer;
            }
        });
    }

    @Test
    @Timeout(60)
    void aLoopbackWhoseSetUpStoppedBeforeItsPingIsTornDownWhole() throws Exception
    {
        // As set-up leaves it when the echo's set-up or the wait for it fails: the driver and echo up, no ping.
        final LoopbackBenchmark bench = new LoopbackBenchmark();
        bench.path = "aeron-raw";
        runThenAssertNothingLeft(bench::setUp, bench::directory, bench::tearDown, () ->
        {
            final Field ping = LoopbackBenchmark.class.getDeclaredField("ping");
            ping.setAccessible(true);
            ping.set(bench, null);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"busy", "backoff"})
    @Timeout(60)
    void partitionInfoListsBothPartitions(final String pmIdle) throws Exception
    {
        final PartitionInfoBenchmark bench = new PartitionInfoBenchmark();
        bench.pmIdle = pmIdle;
        runThenAssertNothingLeft(bench::setUp, bench::directory, bench::tearDown, () ->
        {
            for (int i = 0; i < OPS; i++)
            {
                // The VM sees both partitions; RX is released each time, or the next call answers BUSY.
                assertEquals(FfaScenarios.REQUESTER_ID + FfaScenarios.RESPONDER_ID, bench.infoGet());
                assertEquals(2, bench.countOnly());
            }
        });
    }

    @Test
    @Timeout(60)
    void rxHandoffDeliversEachDescriptorOnce() throws Exception
    {
        final RxOwnershipHandoffBenchmark bench = new RxOwnershipHandoffBenchmark();
        runThenAssertNothingLeft(bench::setUp, bench::directory, bench::tearDown, () ->
        {
            for (int i = 1; i <= OPS * 20; i++)
            {
                final long sum = bench.handoff();
                assertEquals(i, bench.sequence());
                // Words sequence + 0 .. sequence + 7.
                assertEquals(RxOwnershipHandoffBenchmark.DESCRIPTOR_WORDS * (long)i + 28, sum);
            }
        });
    }

    /**
     * Set-up, which must report a directory, then the operations, then the tear-down (also when
     * set-up or an operation failed); then nothing the benchmark made may be left.
     */
    private static void runThenAssertNothingLeft(
        final TrialSetUp.Step setUp, final Supplier<Path> directoryOf, final TrialSetUp.Step tearDown,
        final TrialSetUp.Step operations) throws Exception
    {
        final Set<String> before = shmEntries();
        Path directory = null;
        try
        {
            setUp.run();
            directory = directoryOf.get();
            assertNotNull(directory);
            operations.run();
        }
        finally
        {
            tearDown.run();
        }
        assertNothingLeft(before, directory);
    }

    /**
     * {@link #OPS} round trips: each answer must be {@code responseFid}, pass {@code alsoCheck},
     * return the first payload word, and carry every payload word, from register {@code first}
     * on, echoed + 1.
     */
    private static void assertRoundTripsEcho(
        final DirectEchoState bench,
        final LongSupplier roundTrip,
        final int responseFid,
        final int first,
        final int payloadWords,
        final Consumer<RegisterFile> alsoCheck)
    {
        for (int i = 0; i < OPS; i++)
        {
            final long echoed = roundTrip.getAsLong();
            final long sequence = bench.sequence();
            final RegisterFile regs = bench.registers();
            assertEquals(responseFid, regs.functionId());
            alsoCheck.accept(regs);
            assertEquals(sequence + 1, echoed);
            for (int w = 0; w < payloadWords; w++)
            {
                assertEquals(sequence + w + 1, regs.x(first + w), "x" + (first + w));
            }
        }
    }

    private static void assertNothingLeft(final Set<String> before, final Path directory) throws IOException
    {
        if (directory != null)
        {
            assertFalse(Files.exists(directory), directory + " left behind");
        }
        final String ownPid = "-" + ProcessHandle.current().pid() + "-";
        final String used = directory == null ? "" : directory.getFileName().toString();
        final Set<String> ours = shmEntries().stream()
            .filter((name) -> !before.contains(name))
            .filter((name) -> name.contains(ownPid) || name.equals(used))
            .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(ours.isEmpty(), "left in " + ScenarioContext.shmDirectory() + ": " + ours);
    }

    /** Names of the {@code ffa-} entries in the shared-memory directory. */
    private static Set<String> shmEntries() throws IOException
    {
        try (Stream<Path> entries = Files.list(ScenarioContext.shmDirectory()))
        {
            return entries.map((path) -> path.getFileName().toString())
                .filter((name) -> name.startsWith(FabricDirectory.PREFIX))
                .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
