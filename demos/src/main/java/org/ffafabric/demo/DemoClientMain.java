package org.ffafabric.demo;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.endpoint.FfaOps;
import org.ffafabric.endpoint.PartitionInfo;

import java.nio.file.Paths;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The demo's requester, a partition process of its own: discovers the fabric like Linux's
 * driver does at init, then times DIRECT_REQ and DIRECT_REQ2 round trips through the raw
 * {@code invoke}, checking every response.
 */
public final class DemoClientMain
{
    private static final long WARMUP_NS = TimeUnit.MILLISECONDS.toNanos(500);

    private DemoClientMain()
    {
    }

    public static void main(final String[] args)
    {
        System.setProperty("chronicle.analytics.disable", "true");
        String dir = null;
        int rounds = 100_000;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--dir": dir = args[++i]; break;
                case "--rounds": rounds = Integer.parseInt(args[++i]); break;
                default: throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }
        final FabricClient.Context ctx = new FabricClient.Context()
            .directory(Paths.get(dir)).idleStrategySupplier(BusySpinIdleStrategy::new);
        try
        {
            run(ctx, rounds);
        }
        catch (final RuntimeException ex)
        {
            // An answer gone wrong, a partition or partition manager gone: the message says it, a trace would bury it.
            System.err.println("client-vm: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            System.exit(1);
        }
    }

    private static void run(final FabricClient.Context ctx, final int rounds)
    {
        try (FabricClient client = FabricClient.connect(ctx); Endpoint vm = client.claim("client-vm"))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final FfaOps ops = ec.ops();
            final int version = ops.version(FfaVersion.V1_2);
            System.out.printf("client-vm: FFA_VERSION -> %s, FFA_ID_GET -> %s%n",
                FfaVersion.toString(version), EndpointId.toString(ops.id()));
            final long base = vm.memory().base();
            ops.rxtxMap(base, base + 4096, 1);
            final List<PartitionInfo> partitions = ops.partitionInfo(null);
            for (final PartitionInfo p : partitions)
            {
                System.out.println("client-vm: FFA_PARTITION_INFO_GET -> " + p);
            }
            final PartitionInfo sp = partitions.stream()
                .filter(p -> EndpointId.isSecure(p.id()) && p.supportsDirectRequestReceive())
                .findFirst().orElseThrow(() -> new IllegalStateException("no secure partition takes direct requests"));
            final UUID service = sp.uuid();
            final Histogram req = roundTrips(ec, sp.id(), null, rounds);
            final Histogram req2 = roundTrips(ec, sp.id(), service, rounds);
            print("FFA_MSG_SEND_DIRECT_REQ_64 ", req);
            print("FFA_MSG_SEND_DIRECT_REQ2   ", req2);
        }
    }

    private static Histogram roundTrips(final ExecutionContext ec, final int target, final UUID service, final int rounds)
    {
        final RegisterFile regs = new RegisterFile();
        final Histogram histogram = new Histogram(10_000_000_000L, 3);
        // Warm up by time as well as by count: on two cores the JIT's compiler threads take a core
        // from a spinning side while they work, for longer than a count of such fast calls lasts.
        final long warmupEndNs = System.nanoTime() + WARMUP_NS;
        long sequence = 0;
        for (int i = Math.max(10_000, rounds / 5); i > 0 || System.nanoTime() < warmupEndNs; i--)
        {
            roundTrip(ec, regs, target, service, ++sequence);
        }
        for (int i = 0; i < rounds; i++)
        {
            histogram.recordValue(roundTrip(ec, regs, target, service, ++sequence));
        }
        return histogram;
    }

    /** One DIRECT_REQ_64 (or REQ2 when {@code service} is set), its answer checked; returns its duration in ns. */
    private static long roundTrip(
        final ExecutionContext ec, final RegisterFile regs, final int target, final UUID service, final long sequence)
    {
        final boolean req2 = service != null;
        final int firstPayload = req2 ? 4 : 3;
        final int lastPayload = req2 ? 17 : 7;
        regs.clear().w(0, req2 ? FunctionId.FFA_MSG_SEND_DIRECT_REQ2 : FunctionId.FFA_MSG_SEND_DIRECT_REQ_64)
            .w(1, RegisterFile.packIds(ec.partitionId(), target));
        if (req2)
        {
            regs.uuidPair(2, service);
        }
        for (int r = firstPayload; r <= lastPayload; r++)
        {
            regs.x(r, sequence + r);
        }
        final long start = System.nanoTime();
        ec.invoke(regs);
        final long elapsed = System.nanoTime() - start;
        final int expected = req2 ? FunctionId.FFA_MSG_SEND_DIRECT_RESP2 : FunctionId.FFA_MSG_SEND_DIRECT_RESP_64;
        if (regs.functionId() != expected || regs.x(firstPayload) != sequence + firstPayload + 1 ||
            regs.x(lastPayload) != sequence + lastPayload + 1)
        {
            throw new IllegalStateException("unexpected response: " + regs);
        }
        return elapsed;
    }

    private static void print(final String label, final Histogram h)
    {
        System.out.printf("%s round trip: p50=%.2fus p99=%.2fus p99.9=%.2fus max=%.2fus (%d samples, cross-process)%n",
            label, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
            h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0, h.getTotalCount());
    }
}
