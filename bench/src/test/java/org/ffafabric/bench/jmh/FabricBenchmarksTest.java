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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
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
        final Set<String> before = shmEntries();
        final FfaDirectBenchmark bench = new FfaDirectBenchmark();
        bench.transport = transport;
        bench.api = api;
        Path directory = null;
        try
        {
            bench.setUp();
            directory = bench.directory();
            assertNotNull(directory);
            for (int i = 0; i < OPS; i++)
            {
                final long echoed = bench.roundTrip();
                final long sequence = bench.sequence();
                final RegisterFile regs = bench.registers();
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, regs.functionId());
                assertEquals(RegisterFile.packIds(FfaScenarios.RESPONDER_ID, FfaScenarios.REQUESTER_ID), regs.w(1));
                assertEquals(sequence + 1, echoed);
                for (int w = 0; w < FfaDirectBenchmark.PAYLOAD_WORDS; w++)
                {
                    assertEquals(sequence + w + 1, regs.x(3 + w), "x" + (3 + w));
                }
            }
        }
        finally
        {
            bench.tearDown();
        }
        assertNothingLeft(before, directory);
    }

    @ParameterizedTest
    @CsvSource({"inproc,invoke", "inproc,typed", "xproc,invoke", "xproc,typed"})
    @Timeout(90)
    void directRequest2EchoesAllFourteenWords(final String transport, final String api) throws Exception
    {
        final Set<String> before = shmEntries();
        final FfaDirect2Benchmark bench = new FfaDirect2Benchmark();
        bench.transport = transport;
        bench.api = api;
        Path directory = null;
        try
        {
            bench.setUp();
            directory = bench.directory();
            assertNotNull(directory);
            for (int i = 0; i < OPS; i++)
            {
                final long echoed = bench.roundTrip();
                final long sequence = bench.sequence();
                final RegisterFile regs = bench.registers();
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, regs.functionId());
                assertEquals(sequence + 1, echoed);
                for (int w = 0; w < FfaDirect2Benchmark.PAYLOAD_WORDS; w++)
                {
                    assertEquals(sequence + w + 1, regs.x(FfaDirect2Benchmark.FIRST + w), "x" + (FfaDirect2Benchmark.FIRST + w));
                }
            }
        }
        finally
        {
            bench.tearDown();
        }
        assertNothingLeft(before, directory);
    }

    @ParameterizedTest
    @ValueSource(strings = {"busy", "backoff"})
    @Timeout(60)
    void partitionInfoListsBothPartitions(final String pmIdle) throws Exception
    {
        final Set<String> before = shmEntries();
        final PartitionInfoBenchmark bench = new PartitionInfoBenchmark();
        bench.pmIdle = pmIdle;
        Path directory = null;
        try
        {
            bench.setUp();
            directory = bench.directory();
            assertNotNull(directory);
            for (int i = 0; i < OPS; i++)
            {
                // The VM sees both partitions; RX is released each time, or the next call answers BUSY.
                assertEquals(FfaScenarios.REQUESTER_ID + FfaScenarios.RESPONDER_ID, bench.infoGet());
                assertEquals(2, bench.countOnly());
            }
        }
        finally
        {
            bench.tearDown();
        }
        assertNothingLeft(before, directory);
    }

    @Test
    @Timeout(60)
    void rxHandoffDeliversEachDescriptorOnce() throws Exception
    {
        final Set<String> before = shmEntries();
        final RxOwnershipHandoffBenchmark bench = new RxOwnershipHandoffBenchmark();
        Path directory = null;
        try
        {
            bench.setUp();
            directory = bench.directory();
            assertNotNull(directory);
            for (int i = 1; i <= OPS * 20; i++)
            {
                final long sum = bench.handoff();
                assertEquals(i, bench.sequence());
                // Words sequence + 0 .. sequence + 7.
                assertEquals(RxOwnershipHandoffBenchmark.DESCRIPTOR_WORDS * (long)i + 28, sum);
            }
        }
        finally
        {
            bench.tearDown();
        }
        assertNothingLeft(before, directory);
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
