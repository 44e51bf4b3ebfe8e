package org.ffafabric.demo;

import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.launch.PartitionHostMain;
import org.ffafabric.launch.PartitionManagerMain;
import org.ffafabric.tools.FabricDump;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.Callable;

/** The {@code ffa} tool: the product's one entry point. */
@Command(name = "ffa", mixinStandardHelpOptions = true, version = "ffa-fabric 0.1.0",
    description = "FF-A Fabric: Arm FF-A partitions between processes, over shared memory and Aeron IPC.",
    // The benchmarks live in their own jar, which the ./ffa script runs directly.
    footer = {
        "",
        "The ./ffa script also runs the benchmarks:",
        "  bench       Round-trip latency of the fabric and its same-run baselines",
        "                (./ffa bench --help).",
        "  jmh         The JMH suite, e.g. ./ffa jmh -prof gc LoopbackBenchmark.",
    },
    subcommands = {
        FfaCommand.DemoCommand.class,
        FfaCommand.PmCommand.class,
        FfaCommand.HostCommand.class,
        FfaCommand.PartitionsCommand.class,
        FfaCommand.DumpCommand.class,
        FfaCommand.SendCommand.class,
    })
public final class FfaCommand implements Callable<Integer>
{
    public Integer call()
    {
        CommandLine.usage(this, System.out);
        return 0;
    }

    /** The fabric a live tool looks at: --dir, else the configured or default fabric name's directory. */
    static Path fabricDirectory(final String dir)
    {
        return FabricDirectory.resolve(dir != null ? Paths.get(dir) : null, FabricDirectory.configuredName());
    }

    public static void main(final String[] args)
    {
        System.setProperty("chronicle.analytics.disable", "true");
        System.exit(new CommandLine(new FfaCommand()).execute(args));
    }

    @Command(name = "demo", description = "Start a partition manager and two partition processes; time direct requests.")
    static final class DemoCommand implements Callable<Integer>
    {
        @Option(names = "--rounds", description = "Measured round trips per message kind (default ${DEFAULT-VALUE}).")
        int rounds = 100_000;

        public Integer call() throws Exception
        {
            return Demo.run(rounds);
        }
    }

    @Command(name = "pm", description = "Run a partition manager for a manifest until interrupted.")
    static final class PmCommand implements Callable<Integer>
    {
        @Option(names = "--manifest", required = true, description = "The manifest (YAML).")
        String manifest;

        @Option(names = "--dir", description = "Fabric directory (default /dev/shm/ffa-default).")
        String dir;

        public Integer call() throws Exception
        {
            PartitionManagerMain.main(dir == null ?
                new String[]{"--manifest", manifest} : new String[]{"--manifest", manifest, "--dir", dir});
            return 0;
        }
    }

    @Command(name = "host", description = "Host partitions serving direct requests with an echo handler.")
    static final class HostCommand implements Callable<Integer>
    {
        @Option(names = "--dir", required = true, description = "Fabric directory.")
        String dir;

        @Parameters(description = "Partition IDs, e.g. 0x8001.")
        String[] partitions;

        public Integer call()
        {
            final java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--dir", dir));
            for (final String p : partitions)
            {
                args.add("--partition");
                args.add(p);
            }
            PartitionHostMain.main(args.toArray(new String[0]));
            return 0;
        }
    }

    @Command(name = "partitions", description = "Show a running fabric: partitions, claims, versions, RX/TX and context states.")
    static final class PartitionsCommand implements Callable<Integer>
    {
        @Option(names = "--dir", description = "Fabric directory (default /dev/shm/ffa-default).")
        String dir;

        public Integer call()
        {
            final Path path = fabricDirectory(dir);
            try (ControlFile controlFile = ControlFile.open(FabricDirectory.controlFile(path)))
            {
                System.out.print(FabricDump.describe(controlFile));
            }
            return 0;
        }
    }

    @Command(name = "dump", description = "Annotated hex dump of a partition's RX (or TX) buffer in a running fabric.")
    static final class DumpCommand implements Callable<Integer>
    {
        @Option(names = "--dir", description = "Fabric directory (default /dev/shm/ffa-default).")
        String dir;

        @Option(names = "--partition", required = true, description = "Partition ID, e.g. 0x0001.")
        String partition;

        @Option(names = "--tx", description = "Dump TX instead of RX.")
        boolean tx;

        @Option(names = "--bytes", description = "Bytes to show (default ${DEFAULT-VALUE}).")
        int bytes = 256;

        @Option(names = "--partition-info", description = "Annotate the first N entries as partition information descriptors.")
        int partitionInfo;

        public Integer call()
        {
            final Path path = fabricDirectory(dir);
            try (ControlFile controlFile = ControlFile.open(FabricDirectory.controlFile(path)))
            {
                System.out.print(FabricDump.dumpBuffer(path, controlFile, Integer.decode(partition), !tx, bytes, partitionInfo));
            }
            return 0;
        }
    }

    @Command(name = "send", description = "Claim a partition of a running fabric and send one direct request from it.")
    static final class SendCommand implements Callable<Integer>
    {
        @Option(names = "--dir", description = "Fabric directory (default /dev/shm/ffa-default).")
        String dir;

        @Option(names = "--from", required = true, description = "Sending partition ID (must be unclaimed), e.g. 0x0001.")
        String from;

        @Option(names = "--to", required = true, description = "Receiving partition ID, e.g. 0x8001.")
        String to;

        @Option(names = "--req2", description = "Send FFA_MSG_SEND_DIRECT_REQ2 (payload x4..x17) instead of DIRECT_REQ_64 (x3..x7).")
        boolean req2;

        @Option(names = "--uuid", description = "Service UUID for REQ2 (default: the receiver's default service).")
        String uuid;

        @Option(names = "--timeout-ms", description = "Give up waiting after this long (default ${DEFAULT-VALUE}).")
        long timeoutMs = 5_000;

        @Parameters(description = "Payload words (decimal or 0x hex).")
        String[] payload = new String[0];

        public Integer call()
        {
            final Path path = fabricDirectory(dir);
            try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(path));
                Endpoint endpoint = client.claim(Integer.decode(from)))
            {
                final RegisterFile regs = new RegisterFile();
                final int first = req2 ? 4 : 3;
                final int last = req2 ? 17 : 7;
                if (payload.length > last - first + 1)
                {
                    System.err.println("at most " + (last - first + 1) + " payload words");
                    return 2;
                }
                regs.w(0, req2 ? FunctionId.FFA_MSG_SEND_DIRECT_REQ2 : FunctionId.FFA_MSG_SEND_DIRECT_REQ_64)
                    .w(1, RegisterFile.packIds(endpoint.partitionId(), Integer.decode(to)));
                if (req2 && uuid != null)
                {
                    regs.uuidPair(2, java.util.UUID.fromString(uuid));
                }
                for (int i = 0; i < payload.length; i++)
                {
                    regs.x(first + i, Long.decode(payload[i]));
                }
                System.out.println("-> " + regs);
                endpoint.executionContext(0).invoke(regs, java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMs));
                System.out.println("<- " + regs);
                return regs.isError() || regs.functionId() == FunctionId.FFA_INTERRUPT ? 1 : 0;
            }
        }
    }
}
