package org.ffafabric.launch;

import org.agrona.CloseHelper;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.control.ControlFile;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.endpoint.FfaOps;
import org.ffafabric.memory.EndpointMemory;
import org.ffafabric.tools.FabricDump;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A partition process hosting one or more endpoints that serve direct requests with an echo
 * handler (each payload word + 1), one thread per execution context; one whose manifest lets it
 * receive none is claimed and held. Each is first set up as Linux's FF-A driver sets itself up at
 * probe ({@link #setUp}), so its RX/TX buffers are mapped and hold the partition info it may see.
 * <pre>
 *   PartitionHostMain --dir /dev/shm/ffa-name --partition 0x8001 [--partition 0x8002] [--busy-spin]
 *                     [--exit-on-stdin-eof]
 * </pre>
 * Prints {@code READY} once every endpoint is claimed and waiting; runs until SIGINT/SIGTERM, or
 * until its standard input closes with {@code --exit-on-stdin-eof} (so a parent's death ends it).
 * Without that flag it also ends when the partition manager has gone, since its media driver went
 * with it and nothing could reach these partitions any more: with status 0 when the manager was
 * stopped, 1 when it died (or lost its Aeron client, or this process stalled).
 */
public final class PartitionHostMain
{
    private PartitionHostMain()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final int status = run("partition host", false, args);
        if (status != 0)
        {
            System.exit(status);
        }
    }

    /**
     * Runs the host; returns its exit status: 0 when stopped, or its partition manager was; 1 when the manager
     * died or was cut off from Aeron, or this process stalled. Told by SIGINT or SIGTERM, it ends the JVM itself, with status 0, once its partitions are let go
     * ({@link ProcessStop}).
     *
     * @param name     what its lines on standard error start with: the command that runs it, e.g. "ffa host".
     * @param describe whether to say, before {@code READY}, which partitions it holds: for a user, where a
     *                 parent process waits for READY alone.
     * @param args     as {@link #main}'s.
     * @return the exit status.
     */
    public static int run(final String name, final boolean describe, final String[] args) throws InterruptedException
    {
        System.setProperty("chronicle.analytics.disable", "true");
        String dir = null;
        boolean busySpin = false;
        boolean exitOnStdinEof = false;
        final List<Integer> partitions = new ArrayList<>();
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--dir": dir = args[++i]; break;
                case "--partition": partitions.add(Integer.decode(args[++i])); break;
                case "--busy-spin": busySpin = true; break;
                case "--exit-on-stdin-eof": exitOnStdinEof = true; break;
                default: throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }
        final FabricClient.Context ctx = new FabricClient.Context().directory(Paths.get(dir));
        if (busySpin)
        {
            ctx.idleStrategySupplier(BusySpinIdleStrategy::new);
        }
        final List<AutoCloseable> closeables = new ArrayList<>();
        // Its shutdown hook holds the JVM until close(): close it after the endpoints are released.
        final ProcessStop stop = new ProcessStop(exitOnStdinEof, "ffa-host-stdin");
        final AtomicBoolean pmGone = new AtomicBoolean();
        // The client closes itself when the partition manager goes, or Aeron closed it: nothing is left to serve.
        ctx.partitionManagerGoneHandler(() ->
        {
            pmGone.set(true);
            stop.stop();
        });
        try (stop)
        {
            final int status;
            try (FabricClient client = FabricClient.connect(ctx))
            {
                requireEachOnceInTheFabric(partitions, client.controlFile());
                final List<Endpoint> endpoints = new ArrayList<>();
                final List<Setup> setups = new ArrayList<>();
                for (final int id : partitions)
                {
                    final Endpoint endpoint = client.claim(id);
                    // Before it serves, as a driver's probe comes before its first message.
                    final Setup setup = setUp(client.controlFile(), endpoint);
                    setups.add(setup);
                    if (!describe && setup.skipped() != null)
                    {
                        // With no line before READY to say it in, a step skipped is told on standard error.
                        System.err.println(name + ": " + setup.describe());
                    }
                    if (endpoint.receivesDirectRequests())
                    {
                        closeables.add(endpoint.serve(PartitionHostMain::echo));
                    }
                    closeables.add(endpoint);
                    endpoints.add(endpoint);
                }
                stop.ready(describe ? List.of(description(dir, endpoints, setups), "READY") : List.of("READY"));
                stop.await();
                // Why it stops, read once: a manager found gone during the closes below (one that does not
                // answer, or stops as well) is not why, and a status of 1 would go unexplained.
                final boolean managerGone = pmGone.get();
                final boolean managerStopped = managerGone && client.hasPartitionManagerStopped();
                if (managerGone)
                {
                    System.err.println(name + ": " + (client.hasStalled() ? FabricClient.STALLED :
                        "the partition manager of " + dir + (managerStopped ? " stopped" : " is gone")) + "; exiting");
                }
                CloseHelper.quietCloseAll(closeables);
                // A stopped manager is an orderly end of the fabric, and so of its hosts.
                status = managerGone && !managerStopped ? 1 : 0;
            }
            return stop.exit(status);
        }
    }

    /**
     * What it holds, a line for the host and one per partition, in the order given:
     * <pre>
     * partition host: pid 4343, fabric DIR, 2 partitions, set up as Linux's FF-A driver does at probe (...):
     *   echo-sp (0x8001): serving direct requests (echo: payload + 1); at FF-A 1.2, 1 partition info descriptor in RX
     *   client-vm (0x0001): held, serving nothing (it receives no direct requests); at FF-A 1.2, 2 partition info ...
     * </pre>
     * TX and RX are mapped in the first two pages of each partition's memory ({@link #setUp}).
     */
    static String description(final String dir, final List<Endpoint> endpoints, final List<Setup> setups)
    {
        final StringBuilder text = new StringBuilder("partition host: pid ").append(ProcessHandle.current().pid())
            .append(", fabric ").append(dir).append(", ").append(endpoints.size())
            .append(endpoints.size() == 1 ? " partition" : " partitions")
            .append(", set up as Linux's FF-A driver does at probe (FFA_VERSION, FFA_RXTX_MAP, FFA_PARTITION_INFO_GET):");
        for (int i = 0; i < endpoints.size(); i++)
        {
            final Endpoint endpoint = endpoints.get(i);
            text.append(System.lineSeparator()).append("  ").append(endpoint.name())
                .append(" (").append(EndpointId.toString(endpoint.partitionId())).append("): ")
                .append(endpoint.receivesDirectRequests() ? "serving direct requests (echo: payload + 1)" :
                    "held, serving nothing (it receives no direct requests)")
                .append("; ").append(setups.get(i).outcome());
        }
        return text.toString();
    }

    /**
     * Sets a claimed partition up as Linux's FF-A driver sets itself up at probe, on its first execution context:
     * FFA_VERSION of its manifest's version, FFA_RXTX_MAP of a one-page TX and RX in the first two pages of its
     * memory (their lowest addresses, which an AArch32 partition's SMC32 form can name whenever any can), then
     * FFA_PARTITION_INFO_GET of every partition it may see. The descriptors stay in RX after the release, which
     * only hands RX back to the partition manager, for ffa dump to show. A partition of one page has no room for
     * both buffers: it is not mapped. A step refused ends the setup there, and what went before stands: a version
     * negotiated, or buffers mapped with RX given back, each of which serving does without. Never throws: the
     * result says what was skipped and why.
     */
    static Setup setUp(final ControlFile controlFile, final Endpoint endpoint)
    {
        final FfaOps ops = endpoint.executionContext(0).ops();
        final int slot = controlFile.slotOf(endpoint.partitionId());
        final EndpointMemory memory = endpoint.memory();
        int version = 0;
        boolean mapped = false;
        try
        {
            ops.version(controlFile.manifestVersion(slot));
            // The version the partition manager recorded: ours, or its own where ours were newer.
            version = controlFile.negotiatedVersion(slot);
            if (memory.size() < 2L * EndpointMemory.PAGE_SIZE)
            {
                return new Setup(endpoint.name(), version, false, -1, "its memory is one page, and TX and RX take two");
            }
            ops.rxtxMap(memory.base(), memory.base() + EndpointMemory.PAGE_SIZE, 1);
            mapped = true;
            return new Setup(endpoint.name(), version, true, ops.partitionInfo(null).size(), null);
        }
        catch (final RuntimeException ex)
        {
            // FfaException for a refusal (ABORTED when the manager goes meanwhile), IllegalArgumentException for
            // addresses an AArch32 partition cannot name: the message names the call and why.
            return new Setup(endpoint.name(), version, mapped, -1, ex.getMessage() != null ? ex.getMessage() : ex.toString());
        }
    }

    /**
     * What {@link #setUp} did for a partition: the version it negotiated (0 when FFA_VERSION failed), whether its
     * RX/TX buffers are mapped, how many partition info descriptors RX holds (-1 when none were read), and why
     * the first step it skipped was skipped (null when none was).
     */
    record Setup(String name, int version, boolean mapped, int descriptors, String skipped)
    {
        /** "echo-sp at FF-A 1.2, 1 partition info descriptor in RX", or what was skipped and why. */
        String describe()
        {
            return name + " " + outcome();
        }

        /** {@link #describe} without the name: "at FF-A 1.2, 1 partition info descriptor in RX", "not set up (...)". */
        String outcome()
        {
            if (version == 0)
            {
                return "not set up (" + skipped + ")";
            }
            final String at = "at FF-A " + FfaVersion.toString(version) + ", ";
            if (!mapped)
            {
                return at + "RX/TX not mapped (" + skipped + "), so no partition info";
            }
            if (descriptors < 0)
            {
                return at + "partition info not read (" + skipped + ")";
            }
            return at + descriptors + " partition info descriptor" + (descriptors == 1 ? "" : "s") + " in RX";
        }
    }


    /** Before any claim: a mistake in the list is told plainly, and nothing is held meanwhile. */
    private static void requireEachOnceInTheFabric(final List<Integer> partitions, final ControlFile controlFile)
    {
        final Set<Integer> seen = new HashSet<>();
        for (final int id : partitions)
        {
            if (controlFile.slotOf(id) < 0)
            {
                throw new IllegalArgumentException(FabricDump.noPartition(controlFile, id));
            }
            if (!seen.add(id & 0xFFFF))
            {
                throw new IllegalArgumentException(EndpointId.toString(id) + " is given twice");
            }
        }
    }

    /** The echo service: every payload word plus one, so a test can tell a response from its request. */
    public static void echo(final DirectMessage request, final DirectMessage response)
    {
        for (int i = 0; i < request.payloadWords(); i++)
        {
            response.payload(i, request.payload(i) + 1);
        }
    }
}
