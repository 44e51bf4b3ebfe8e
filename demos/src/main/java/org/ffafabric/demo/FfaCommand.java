package org.ffafabric.demo;

import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaUuid;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.endpoint.FfaOps;
import org.ffafabric.launch.PartitionHostMain;
import org.ffafabric.launch.PartitionManagerMain;
import org.ffafabric.manifest.PartitionManifest;
import org.ffafabric.tools.FabricDump;
import org.ffafabric.tools.UsageErrorHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.Callable;

/** The {@code ffa} tool: the product's one entry point. */
@Command(name = "ffa", mixinStandardHelpOptions = true, versionProvider = FfaCommand.Version.class,
    description = "FF-A Fabric: Arm FF-A partitions between processes, over shared memory and Aeron IPC.",
    subcommands = {
        FfaCommand.DemoCommand.class,
        FfaCommand.BenchCommand.class,
        FfaCommand.JmhCommand.class,
        FfaCommand.PmCommand.class,
        FfaCommand.HostCommand.class,
        FfaCommand.PartitionsCommand.class,
        FfaCommand.CountersCommand.class,
        FfaCommand.DumpCommand.class,
        FfaCommand.SendCommand.class,
        FfaCommand.StopCommand.class,
    })
public final class FfaCommand implements Callable<Integer>
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public Integer call()
    {
        // Nothing asked: the commands there are, and where the rest is. A usage error, so that a script with an
        // empty command fails; the options and the description are --help's.
        final CommandLine commandLine = spec.commandLine();
        final CommandLine.Help help = commandLine.getHelp();
        commandLine.getErr().print(help.synopsisHeading() + help.synopsis(help.synopsisHeadingLength()) +
            help.commandListHeading() + help.commandList());
        commandLine.getErr().println(spec.qualifiedName() + " --help has the options; " + spec.qualifiedName() +
            " COMMAND --help a command's.");
        return CommandLine.ExitCode.USAGE;
    }

    /**
     * A user's mistake in one line ({@link UsageErrorHandler}), and a command the tool has not so: with the
     * commands it has, which picocli's "Unmatched argument at index 0" does not name.
     */
    static int usageError(final CommandLine.ParameterException ex, final String[] args) throws Exception
    {
        final CommandLine commandLine = ex.getCommandLine();
        final java.util.List<String> unmatched = ex instanceof CommandLine.UnmatchedArgumentException ?
            ((CommandLine.UnmatchedArgumentException)ex).getUnmatched() : java.util.List.of();
        if (!commandLine.getSubcommands().isEmpty() && !unmatched.isEmpty() && !unmatched.get(0).startsWith("-"))
        {
            final String name = commandLine.getCommandSpec().qualifiedName();
            // The manifest's measure of a near miss: picocli's offered counters for frobnicate.
            final java.util.List<String> meant = org.ffafabric.manifest.Spelling.closest(
                unmatched.get(0), new java.util.ArrayList<>(commandLine.getSubcommands().keySet()));
            commandLine.getErr().println(name + ": no command '" + unmatched.get(0) + "'" +
                (meant.isEmpty() ? "" : "; did you mean " + String.join(" or ", meant) + "?") +
                " (commands: " + String.join(", ", commandLine.getSubcommands().keySet()) + "); " +
                name + " --help has the usage");
            return commandLine.getCommandSpec().exitCodeOnInvalidInput();
        }
        return new UsageErrorHandler().handleParseException(ex, args);
    }

    /** The fabric a live tool looks at: --dir, else ffa.fabric.dir, else the configured or default fabric name's directory. */
    static Path fabricDirectory(final String dir)
    {
        return FabricDirectory.resolve(dir != null ? Paths.get(dir) : null, null);
    }

    /**
     * The fabric directory once it has a control file: waited for while a partition manager is launching
     * it (./ffa pm & ./ffa host echo-sp), up to a client's connect timeout; else refused at once when it
     * has none, where a client would wait out its connect timeout for a manager that is not coming.
     */
    static Path runningFabric(final String dir)
    {
        return runningFabric(dir, new FabricClient.Context().connectTimeoutNs());
    }

    static Path runningFabric(final String dir, final long launchTimeoutNs)
    {
        final Path path = fabricDirectory(dir);
        ControlFile.awaitLaunch(path, launchTimeoutNs);
        return path;
    }

    /** The IDs of partitions of the running fabric at {@code path}, each given by ID or name, and each one it has. */
    static int[] idsIn(final Path path, final PartitionArg... partitions)
    {
        try (ControlFile controlFile = ControlFile.open(FabricDirectory.controlFile(path)))
        {
            final int[] ids = new int[partitions.length];
            for (int i = 0; i < partitions.length; i++)
            {
                ids[i] = partitions[i].of(controlFile);
            }
            return ids;
        }
    }

    public static void main(final String[] args)
    {
        System.setProperty("chronicle.analytics.disable", "true");
        final CommandLine commandLine = commandLine();
        final int exit = commandLine.execute(args);
        System.exit(exit == 0 && lostOutput(commandLine) ? 1 : exit);
    }

    /**
     * Whether standard output failed (PrintStream keeps it quiet): said in one line, unless it went to a pipe
     * or socket, whose reader chose to stop (./ffa demo | head -1), as a SIGPIPE ends other tools quietly.
     */
    static boolean lostOutput(final CommandLine commandLine)
    {
        if (!System.out.checkError())
        {
            return false;
        }
        final String target = standardOutputTarget();
        if (!target.startsWith("pipe:") && !target.startsWith("socket:"))
        {
            final CommandLine.ParseResult parsed = commandLine.getParseResult();
            final String name = parsed != null && parsed.subcommand() != null ?
                parsed.subcommand().commandSpec().qualifiedName() : "ffa";
            System.err.println(name + ": cannot write standard output" + (target.isEmpty() ? "" : " (" + target + ")") +
                ": what it printed is lost");
        }
        return true;
    }

    /** Where standard output goes, as /proc tells it: "" when it cannot, "closed" when it was closed at the start. */
    private static String standardOutputTarget()
    {
        try
        {
            // Started with it closed, the JVM's first file took its number: one read-only for itself (lib/modules).
            for (final String line : Files.readAllLines(Paths.get("/proc/self/fdinfo/1")))
            {
                if (line.startsWith("flags:") && (Integer.parseInt(line.substring(6).trim(), 8) & 3) == 0)
                {
                    return "closed";
                }
            }
            return Files.readSymbolicLink(Paths.get("/proc/self/fd/1")).toString();
        }
        catch (final IOException | RuntimeException ex)
        {
            return "";
        }
    }

    /** The tool, with partitions parsed as IDs or names and a user's mistake told in one line. */
    static CommandLine commandLine()
    {
        return new CommandLine(new FfaCommand())
            .registerConverter(PartitionArg.class, PartitionArg::parse)
            .registerConverter(java.util.UUID.class, FfaCommand::uuid)
            .setParameterExceptionHandler(FfaCommand::usageError)
            .setExecutionExceptionHandler((ex, commandLine, parseResult) ->
            {
                // A missing fabric, a claimed partition, a bad manifest: the message says it; a trace would bury it.
                commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " +
                    (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
                return 1;
            });
    }

    /** A 64-bit register value as users write it: 41, -1, 0x2a, 0xFFFFFFFFFFFFFFFF. */
    static long registerWord(final String text)
    {
        try
        {
            if (text.startsWith("0x") || text.startsWith("0X"))
            {
                return Long.parseUnsignedLong(text.substring(2), 16);
            }
            return text.startsWith("-") ? Long.parseLong(text) : Long.parseUnsignedLong(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("'" + text + "' is not a 64-bit register value (e.g. 41 or 0x2a)");
        }
    }

    /** A UUID as a manifest writes it: 8-4-4-4-12 hex digits. */
    static java.util.UUID uuid(final String text)
    {
        final java.util.UUID uuid = org.ffafabric.manifest.PartitionManifest.parseUuid(text);
        if (uuid == null)
        {
            throw new CommandLine.TypeConversionException("'" + text + "' is not a UUID (8-4-4-4-12 hex digits)");
        }
        return uuid;
    }

    /**
     * A partition as users give it: its 16-bit ID, decimal or 0x hex as a payload word (0x8001, 32769;
     * never octal), or its manifest name (echo-sp), which only the running fabric can turn into an ID.
     * Text that reads as a number is an ID, so a partition named "10" is named by its ID.
     */
    record PartitionArg(String text, int id)
    {
        /** {@link #id} of a name, until {@link #in} looks it up. */
        static final int BY_NAME = -1;

        static PartitionArg parse(final String text)
        {
            final long id;
            try
            {
                id = registerWord(text);
            }
            catch (final IllegalArgumentException ex)
            {
                // As a manifest's names are: printable ASCII without spaces, at most 31 characters.
                if (text.isEmpty() || text.length() > PartitionManifest.MAX_NAME_LENGTH ||
                    !text.chars().allMatch(c -> c > 0x20 && c < 0x7F))
                {
                    throw new CommandLine.TypeConversionException(
                        "'" + text + "' is not a partition ID (e.g. 0x8001) or name (e.g. echo-sp)");
                }
                return new PartitionArg(text, BY_NAME);
            }
            if (id < 0 || id > 0xFFFF)
            {
                throw new CommandLine.TypeConversionException("'" + text + "' is not a 16-bit partition ID");
            }
            return new PartitionArg(text, (int)id);
        }

        /**
         * The ID in {@code controlFile}'s fabric: a name must be one of its partitions' names, exactly; an ID
         * is taken as given, for a request to a partition the fabric lacks, which FF-A answers.
         */
        int in(final ControlFile controlFile)
        {
            if (id != BY_NAME)
            {
                return id;
            }
            String nearest = null;
            for (int slot = 0; slot < controlFile.partitionCount(); slot++)
            {
                final String name = controlFile.name(slot);
                if (name.equals(text))
                {
                    return controlFile.partitionId(slot);
                }
                // Names may differ only in case (a manifest allows it), so case alone never picks one.
                nearest = nearest == null && name.equalsIgnoreCase(text) ? name : nearest;
            }
            throw new IllegalArgumentException("'" + text + "' is neither a partition ID nor a partition's name in the fabric" +
                (nearest != null ? " (names are exact: did you mean " + nearest + "?)" :
                "; its partitions: " + FabricDump.partitionList(controlFile)));
        }

        /** As {@link #in}, and one of the fabric's partitions: one it lacks is refused, the ones it has listed. */
        int of(final ControlFile controlFile)
        {
            final int partitionId = in(controlFile);
            if (controlFile.slotOf(partitionId) < 0)
            {
                throw new IllegalArgumentException(FabricDump.noPartition(controlFile, partitionId));
            }
            return partitionId;
        }

        /** The partition as the user gave it, for a message: an ID as an ID, a name with its ID ("echo-sp (0x8001)"). */
        String label(final int partitionId)
        {
            return id == BY_NAME ? text + " (" + EndpointId.toString(partitionId) + ")" : EndpointId.toString(partitionId);
        }

        @Override
        public String toString()
        {
            return text;
        }
    }

    /** The version the jar was built as. */
    static final class Version implements CommandLine.IVersionProvider
    {
        public String[] getVersion()
        {
            final String version = FfaCommand.class.getPackage().getImplementationVersion();
            return new String[]{"ffa-fabric " + (version != null ? version : "(built from source, no jar)")};
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = FfaCommand.Version.class,
        description = "Start a partition manager and two partition processes; time direct requests.")
    static final class DemoCommand implements Callable<Integer>
    {
        @Option(names = "--rounds", paramLabel = "N", description = "Measured round trips per message kind (default ${DEFAULT-VALUE}).")
        int rounds = 100_000;

        public Integer call() throws Exception
        {
            if (rounds < 1)
            {
                // Percentiles of no round trips would print as 0.00us, as if measured.
                System.err.println("ffa demo: --rounds must be at least 1");
                return CommandLine.ExitCode.USAGE;
            }
            return Demo.run(rounds);
        }
    }

    /**
     * A command the ./ffa script runs from the benchmark jar, which this one does not hold: named here so that
     * the tool's lists of its commands (the usage, a command it has not, picocli's near misses) have it.
     */
    abstract static class ScriptCommand implements Callable<Integer>
    {
        // Whatever was given: the benchmark jar's to read.
        @CommandLine.Unmatched
        java.util.List<String> args;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        public Integer call()
        {
            System.err.println(spec.qualifiedName() + ": runs from the benchmark jar, through the ./ffa script: ./ffa " +
                spec.name());
            return CommandLine.ExitCode.USAGE;
        }
    }

    @Command(name = "bench", description = "Round-trip latency of the fabric and its same-run baselines.")
    static final class BenchCommand extends ScriptCommand
    {
    }

    @Command(name = "jmh", description = "The JMH suite, e.g. ./ffa jmh -prof gc LoopbackBenchmark.")
    static final class JmhCommand extends ScriptCommand
    {
    }

    @Command(name = "pm", mixinStandardHelpOptions = true, versionProvider = FfaCommand.Version.class,
        description = "Run a partition manager for a manifest until interrupted.")
    static final class PmCommand implements Callable<Integer>
    {
        @Option(names = "--manifest", required = true, paramLabel = "FILE", description = "The manifest (YAML).")
        String manifest;

        @Option(names = "--dir", paramLabel = "DIR", description = "Fabric directory (default /dev/shm/ffa-default).")
        String dir;

        @CommandLine.Mixin
        DetachOptions detach;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        public Integer call() throws Exception
        {
            final String[] args = dir == null ?
                new String[]{"--manifest", manifest} : new String[]{"--manifest", manifest, "--dir", dir};
            if (detach.detaching(spec))
            {
                final java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("pm"));
                command.addAll(java.util.List.of(args));
                return Detached.start("ffa pm", command, detach.log);
            }
            return PartitionManagerMain.run("ffa pm", true, args);
        }
    }

    /** --detach and --log, of the commands that run until stopped. */
    static final class DetachOptions
    {
        @Option(names = "--detach", description = "Run in the background: return once started (READY), its output " +
            "going on to a log file. Stop it with kill PID (the PID it prints), or a whole fabric with ./ffa stop, which " +
            "its hosts leave with.")
        boolean detach;

        @Option(names = "--log", paramLabel = "FILE", description = "With --detach: the file its output goes to, " +
            "appended (default a new ffa-*.log in the temporary directory).")
        Path log;

        boolean detaching(final CommandLine.Model.CommandSpec spec)
        {
            if (log != null && !detach)
            {
                throw new CommandLine.ParameterException(spec.commandLine(), "--log goes with --detach");
            }
            if (log != null)
            {
                // Said now, of the option: the child's start would fail on it, naming setsid or java.
                final Path parent = log.toAbsolutePath().getParent();
                final String wrong = Files.isDirectory(log) ? "is a directory" :
                    parent == null || !Files.isDirectory(parent) ? "has no directory " + parent :
                    Files.exists(log) ? (Files.isWritable(log) ? null : "is not writable") :
                    Files.isWritable(parent) ? null : "cannot be made in " + parent;
                if (wrong != null)
                {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--log " + log + " " + wrong);
                }
            }
            return detach;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, versionProvider = FfaCommand.Version.class,
        description = "Stop a running fabric's partition manager, as kill would (SIGTERM), and wait for it to " +
            "close; the hosts on the fabric leave with it, exiting 0.")
    static final class StopCommand implements Callable<Integer>
    {
        private static final long STOP_TIMEOUT_S = 30;

        @Option(names = "--dir", paramLabel = "DIR", description = "Fabric directory (default /dev/shm/ffa-default).")
        String dir;

        public Integer call() throws Exception
        {
            final Path path = runningFabric(dir);
            final long pid;
            final java.util.Optional<ProcessHandle> process;
            try (ControlFile controlFile = ControlFile.open(FabricDirectory.controlFile(path)))
            {
                pid = controlFile.pmPid();
                // Taken before the checks: the handle keeps the start of the process it names, and its destroy()
                // signals nothing when a later process has the PID, so what the checks vouch for is what is signalled.
                process = pid > 0 ? ProcessHandle.of(pid) : java.util.Optional.empty();
                if (pid == 0 || !controlFile.isPartitionManagerRunning())
                {
                    // Its files stay until a manager takes them over, which ffa pm does.
                    throw new IllegalStateException("no partition manager runs the fabric " + path +
                        (pid != 0 ? " (pid " + pid + ", its last, has died)" : "") + ": its files stay until " +
                        "ffa pm --dir " + path + " takes them over, or they are removed (rm -r " + path + ")");
                }
                if (process.isEmpty() || !controlFile.isPartitionManagerProcessAlive())
                {
                    // A PID of another PID namespace (a container) is not one we may signal: it names another process here.
                    throw new IllegalStateException("the partition manager of " + path + " (pid " + pid + ") runs where " +
                        "this process cannot see it (another PID namespace): stop it there");
                }
            }
            if (!process.get().destroy())
            {
                throw new IllegalStateException("could not signal the partition manager of " + path + " (pid " + pid + ")");
            }
            try
            {
                process.get().onExit().get(STOP_TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS);
            }
            catch (final java.util.concurrent.TimeoutException ex)
            {
                throw new IllegalStateException("the partition manager of " + path + " (pid " + pid + ") was told to " +
                    "stop and has not ended within " + STOP_TIMEOUT_S + " s");
            }
            System.out.println("stopped the partition manager of " + path + " (pid " + pid + ")");
            return 0;
        }
    }

    @Command(name = "host", mixinStandardHelpOptions = true, versionProvider = FfaCommand.Version.class,
        description = "Host partitions serving direct requests with an echo handler (payload + 1); one that receives none is claimed and held, serving nothing.")
    static final class HostCommand implements Callable<Integer>
    {
        @Option(names = "--dir", paramLabel = "DIR", description = "Fabric directory (default /dev/shm/ffa-default).")
        String dir;

        @Parameters(arity = "1..*", paramLabel = "PARTITION", description = "Partition IDs or names, e.g. 0x8001 or echo-sp.")
        PartitionArg[] partitions;

        @Option(names = "--busy-spin", description = "Spin while waiting for requests (lowest latency; needs a core per context).")
        boolean busySpin;

        @CommandLine.Mixin
        DetachOptions detach;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        public Integer call() throws Exception
        {
            if (detach.detaching(spec))
            {
                final java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("host"));
                if (dir != null)
                {
                    command.addAll(java.util.List.of("--dir", dir));
                }
                for (final PartitionArg partition : partitions)
                {
                    command.add(partition.text());
                }
                if (busySpin)
                {
                    command.add("--busy-spin");
                }
                return Detached.start("ffa host", command, detach.log);
            }
            final Path path = runningFabric(dir);
            final java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--dir", path.toString()));
            final int[] ids = idsIn(path, partitions);
            for (int i = 0; i < ids.length; i++)
            {
                for (int j = 0; j < i; j++)
                {
                    if (ids[j] == ids[i])
                    {
                        // Said as given: of "0x8001 echo-sp", the name says why the two are one.
                        final PartitionArg twice = partitions[i].id() == PartitionArg.BY_NAME ? partitions[i] : partitions[j];
                        throw new IllegalArgumentException(twice.label(ids[i]) + " is given twice");
                    }
                }
                args.add("--partition");
                args.add(Integer.toString(ids[i]));
            }
            if (busySpin)
            {
                args.add("--busy-spin");
            }
            return PartitionHostMain.run("ffa host", true, args.toArray(new String[0]));
        }
    }

    @Command(name = "partitions", mixinStandardHelpOptions = true, versionProvider = FfaCommand.Version.class,
        description = "Show a running fabric: partitions, claims, versions, RX/TX and context states.")
    static final class PartitionsCommand implements Callable<Integer>
    {
        @Option(names = "--dir", paramLabel = "DIR", description = "Fabric directory (default /dev/shm/ffa-default).")
        String dir;

        public Integer call()
        {
            final Path path = runningFabric(dir);
            try (ControlFile controlFile = ControlFile.open(FabricDirectory.controlFile(path)))
            {
                System.out.print(FabricDump.describe(controlFile));
            }
            return 0;
        }
    }

    @Command(name = "counters", mixinStandardHelpOptions = true, versionProvider = FfaCommand.Version.class,
        description = "Show a running fabric's counters: direct requests sent and received, calls trapped, " +
            "FFA_ERROR returns by code, claims of dead claimants ended; counted since its partition manager started.")
    static final class CountersCommand implements Callable<Integer>
    {
        @Option(names = "--dir", paramLabel = "DIR", description = "Fabric directory (default /dev/shm/ffa-default).")
        String dir;

        @Option(names = "--contexts", description = "A line per execution context too.")
        boolean contexts;

        @Option(names = "--all", description = "Every counter, one per line: ID, value and label.")
        boolean all;

        public Integer call()
        {
            final Path path = runningFabric(dir);
            try (ControlFile controlFile = ControlFile.open(FabricDirectory.controlFile(path)))
            {
                System.out.print(FabricDump.counters(controlFile, contexts, all));
            }
            return 0;
        }
    }

    @Command(name = "dump", mixinStandardHelpOptions = true, versionProvider = FfaCommand.Version.class,
        description = "Annotated hex dump of a partition's RX (or TX) buffer in a running fabric.")
    static final class DumpCommand implements Callable<Integer>
    {
        @Option(names = "--dir", paramLabel = "DIR", description = "Fabric directory (default /dev/shm/ffa-default).")
        String dir;

        // Any number taken, so that a second is told as one (not "Unmatched argument"); shown as the one it is.
        @Parameters(arity = "0..*", paramLabel = "PARTITION", hideParamSyntax = true,
            description = "Partition ID or name, e.g. 0x0001 or client-vm.")
        PartitionArg[] partitions = new PartitionArg[0];

        // As a parameter or, for the scripts that give it so, as an option; one of the two.
        @Option(names = "--partition", paramLabel = "PARTITION", description = "The same as PARTITION, given as an option.")
        PartitionArg partitionOption;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--tx", description = "Dump TX instead of RX.")
        boolean tx;

        @Option(names = "--bytes", paramLabel = "N", description = "Bytes to show (default ${DEFAULT-VALUE}).")
        int bytes = 256;

        @Option(names = "--partition-info", paramLabel = "N", description = "Annotate the first N entries as partition " +
            "information descriptors (default: RX as many as the partition manager last wrote there, TX none).")
        Integer partitionInfo;

        public Integer call()
        {
            final PartitionArg partition = partition();
            if (bytes < 0 || (partitionInfo != null && partitionInfo < 0))
            {
                System.err.println("ffa dump: " + (bytes < 0 ? "--bytes" : "--partition-info") + " must be at least 0");
                return CommandLine.ExitCode.USAGE;
            }
            final Path path = runningFabric(dir);
            try (ControlFile controlFile = ControlFile.open(FabricDirectory.controlFile(path)))
            {
                System.out.print(FabricDump.dumpBuffer(path, controlFile, partition.of(controlFile), !tx, bytes,
                    partitionInfo != null ? partitionInfo : -1));
            }
            return 0;
        }

        /** The one partition given, as a parameter or as --partition: none, or two, is a usage error. */
        private PartitionArg partition()
        {
            final java.util.List<PartitionArg> given = new java.util.ArrayList<>(java.util.List.of(partitions));
            if (partitionOption != null)
            {
                given.add(partitionOption);
            }
            if (given.isEmpty())
            {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "Missing required parameter: 'PARTITION' (or --partition=PARTITION)");
            }
            if (given.size() > 1)
            {
                throw new CommandLine.ParameterException(spec.commandLine(), "one partition, not " +
                    (given.size() == 2 ? "two: " + given.get(0) + " and " + given.get(1) : given.size() + ": " +
                    String.join(", ", given.stream().map(PartitionArg::text).toArray(String[]::new))));
            }
            return given.get(0);
        }
    }

    @Command(name = "send", mixinStandardHelpOptions = true, versionProvider = FfaCommand.Version.class,
        description = "Claim a partition of a running fabric and send one direct request from it; a target that yields is resumed with FFA_RUN until it answers.")
    static final class SendCommand implements Callable<Integer>
    {
        @Option(names = "--dir", paramLabel = "DIR", description = "Fabric directory (default /dev/shm/ffa-default).")
        String dir;

        @Option(names = "--from", required = true, paramLabel = "PARTITION", description = "Sending partition, by ID or name (must be unclaimed), e.g. 0x0001 or client-vm.")
        PartitionArg from;

        @Option(names = "--to", required = true, paramLabel = "PARTITION", description = "Receiving partition, by ID or name, e.g. 0x8001 or echo-sp.")
        PartitionArg to;

        @Option(names = "--req2", description = "Send FFA_MSG_SEND_DIRECT_REQ2 (payload x4..x17) instead of DIRECT_REQ_64 (x3..x7), " +
            "or DIRECT_REQ_32 (w3..w7) when either partition runs in AArch32 state, as Linux's driver sends.")
        boolean req2;

        @Option(names = "--uuid", paramLabel = "UUID", description = "Service UUID for REQ2 (default: the receiver's default service).")
        java.util.UUID uuid;

        @Option(names = "--timeout-ms", paramLabel = "MS", description = "Give up waiting after this long (default ${DEFAULT-VALUE}; 0 waits forever).")
        long timeoutMs = 5_000;

        @Parameters(paramLabel = "WORD", description = "Payload words (decimal or 0x hex).")
        String[] payload = new String[0];

        public Integer call()
        {
            final int first = req2 ? 4 : 3;
            final int last = req2 ? 17 : 7;
            // Before claiming: a request that cannot be made is told without touching the fabric.
            String refusal = payload.length > last - first + 1 ? "at most " + (last - first + 1) + " payload words" +
                (req2 ? "" : " (" + (17 - 4 + 1) + " with --req2)") :
                uuid != null && !req2 ? "--uuid needs --req2: only DIRECT_REQ2 names a service" :
                timeoutMs < 0 ? "--timeout-ms must be at least 0 (0 waits forever)" : null;
            final long[] words = new long[payload.length];
            for (int i = 0; i < payload.length && refusal == null; i++)
            {
                try
                {
                    words[i] = registerWord(payload[i]);
                }
                catch (final IllegalArgumentException ex)
                {
                    refusal = ex.getMessage();
                }
            }
            if (refusal != null)
            {
                System.err.println("ffa send: " + refusal);
                return CommandLine.ExitCode.USAGE;
            }
            final Path path = runningFabric(dir);
            final int sender;
            final int target;
            final String aarch32;
            try (ControlFile controlFile = ControlFile.open(FabricDirectory.controlFile(path)))
            {
                sender = from.of(controlFile);
                // An ID the fabric lacks is sent to all the same: FF-A's answer to it is worth seeing.
                target = to.in(controlFile);
                final int targetSlot = controlFile.slotOf(target);
                aarch32 = !controlFile.isAarch64(controlFile.slotOf(sender)) ? from.label(sender) :
                    targetSlot >= 0 && !controlFile.isAarch64(targetSlot) ? to.label(target) : null;
            }
            final boolean smc32 = !req2 && aarch32 != null;
            for (int i = 0; smc32 && i < words.length; i++)
            {
                if (words[i] < Integer.MIN_VALUE || words[i] > 0xFFFF_FFFFL)
                {
                    System.err.println("ffa send: '" + payload[i] + "' does not fit the 32-bit word of DIRECT_REQ_32, " +
                        "which is sent as " + aarch32 + " runs in AArch32 state");
                    return CommandLine.ExitCode.USAGE;
                }
            }
            try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(path));
                Endpoint endpoint = client.claim(sender))
            {
                final RegisterFile regs = new RegisterFile();
                regs.w(0, req2 ? FunctionId.FFA_MSG_SEND_DIRECT_REQ2 :
                    smc32 ? FunctionId.FFA_MSG_SEND_DIRECT_REQ_32 : FunctionId.FFA_MSG_SEND_DIRECT_REQ_64)
                    .w(1, RegisterFile.packIds(endpoint.partitionId(), target));
                if (req2 && uuid != null)
                {
                    regs.uuidPair(2, uuid);
                }
                for (int i = 0; i < payload.length; i++)
                {
                    regs.x(first + i, words[i]);
                }
                final long timeoutNs = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMs);
                final long startNs = System.nanoTime();
                long remainingNs = timeoutNs;
                while (true)
                {
                    System.out.println("-> " + regs);
                    endpoint.executionContext(0).invoke(regs, remainingNs);
                    System.out.println("<- " + regs);
                    final boolean givenBack =
                        regs.functionId() == FunctionId.FFA_YIELD || regs.functionId() == FunctionId.FFA_INTERRUPT;
                    remainingNs = timeoutNs == 0 ? 0 : timeoutNs - (System.nanoTime() - startNs);
                    if (!givenBack || (timeoutNs > 0 && remainingNs <= 0))
                    {
                        break;
                    }
                    // The target gave the CPU back with the request pending: resumed, as Linux's ffa_run does.
                    final int targetInfo = regs.w(1);
                    regs.clear().w(0, FunctionId.FFA_RUN).w(1, targetInfo);
                }
                final String cause = !regs.isError() ? null : client.controlFile().slotOf(target) < 0 ?
                    FabricDump.noPartition(client.controlFile(), target) :
                    rulesCause(regs.w(2), client.controlFile(), sender, target);
                if (cause != null)
                {
                    // The spec's code alone (INVALID_PARAMETERS, BUSY, ABORTED) leaves out the likely cause: worth saying.
                    System.err.println("ffa send: " + cause);
                }
                final boolean unanswered =
                    regs.functionId() == FunctionId.FFA_INTERRUPT || regs.functionId() == FunctionId.FFA_YIELD;
                if (unanswered)
                {
                    // FFA_INTERRUPT is what invoke answers when its bound runs out, not an interrupt of the receiver's.
                    System.err.println("ffa send: no response within " + timeoutMs + " ms (--timeout-ms)");
                }
                return regs.isError() || unanswered ? 1 : 0;
            }
        }

        /**
         * The likely cause of an FFA_ERROR that the fabric can read in its manifests and claims: the spec's code
         * names none. Null when it has nothing to add.
         */
        private String rulesCause(final int errorCode, final ControlFile controlFile, final int sender, final int target)
        {
            final int senderSlot = controlFile.slotOf(sender);
            final int targetSlot = controlFile.slotOf(target);
            final String call = req2 ? "DIRECT_REQ2" : "DIRECT_REQ";
            final String kind = req2 ? "direct-req2" : "direct-req";
            if (errorCode == ErrorCode.DENIED)
            {
                if ((controlFile.properties(senderSlot) &
                    (req2 ? PartitionProperties.DIRECT_REQ2_SEND : PartitionProperties.DIRECT_REQ_SEND)) == 0)
                {
                    return from.label(sender) + " sends no " + call + ": its manifest's messaging has no " + kind + "-send";
                }
                if ((controlFile.properties(targetSlot) &
                    (req2 ? PartitionProperties.DIRECT_REQ2_RECV : PartitionProperties.DIRECT_REQ_RECV)) == 0)
                {
                    return to.label(target) + " receives no " + call + ": its manifest's messaging has no " + kind + "-recv";
                }
            }
            if (errorCode == ErrorCode.INVALID_PARAMETERS)
            {
                if (sender == target)
                {
                    return "a partition sends no direct request to itself";
                }
                if (EndpointId.isSecure(sender) && !EndpointId.isSecure(target))
                {
                    return "a secure partition sends no direct requests to the normal world";
                }
                if (req2 && uuid != null && !controlFile.hasUuid(
                    targetSlot, FfaUuid.lo(uuid.getMostSignificantBits()), FfaUuid.hi(uuid.getLeastSignificantBits())))
                {
                    return to.label(target) + " declares no UUID " + uuid;
                }
            }
            return FfaOps.unclaimedCause(errorCode, controlFile, target, to.label(target));
        }
    }
}
