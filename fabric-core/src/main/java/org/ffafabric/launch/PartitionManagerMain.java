package org.ffafabric.launch;

import org.ffafabric.abi.EndpointId;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.ManifestParser;
import org.ffafabric.manifest.PartitionManifest;
import org.ffafabric.pm.FabricInUseException;
import org.ffafabric.pm.PartitionManager;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a partition manager as its own process until SIGINT/SIGTERM, or until its standard
 * input closes when started with {@code --exit-on-stdin-eof} (so a parent's death ends it).
 * <pre>
 *   PartitionManagerMain --manifest partitions.yaml [--dir /dev/shm/ffa-name] [--exit-on-stdin-eof]
 * </pre>
 * Prints {@code READY <fabric dir>} once partitions can claim their entries.
 */
public final class PartitionManagerMain
{
    private PartitionManagerMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int status = run("partition manager", false, args);
        if (status != 0)
        {
            System.exit(status);
        }
    }

    /**
     * Runs the partition manager until it is told to stop, or it ends by itself (its Aeron client closed
     * under it: a stall past the driver's client liveness timeout, say). Told by SIGINT or SIGTERM, it
     * ends the JVM itself, with status 0, once the fabric is closed ({@link ProcessStop}).
     *
     * @param name     what its lines on standard error start with: the command that runs it, e.g. "ffa pm".
     * @param describe whether to say, before {@code READY}, what runs: for a user, where a parent process
     *                 waits for READY alone.
     * @param args     as {@link #main}'s.
     * @return the exit status: 0 when told to stop, 1 when it ended by itself.
     * @throws Exception when it cannot launch.
     */
    public static int run(final String name, final boolean describe, final String[] args) throws Exception
    {
        System.setProperty("chronicle.analytics.disable", "true");
        Path manifest = null;
        Path dir = null;
        boolean exitOnStdinEof = false;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--manifest": manifest = Paths.get(args[++i]); break;
                case "--dir": dir = Paths.get(args[++i]); break;
                case "--exit-on-stdin-eof": exitOnStdinEof = true; break;
                default: throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }
        if (manifest == null)
        {
            throw new IllegalArgumentException("usage: PartitionManagerMain --manifest FILE [--dir DIR]");
        }
        final Manifest parsed = ManifestParser.parse(manifest);
        // Its shutdown hook holds the JVM until close(): made once nothing before the try can throw.
        final ProcessStop stop = new ProcessStop(exitOnStdinEof, "ffa-pm-stdin");
        final AtomicBoolean ended = new AtomicBoolean();
        final PartitionManager.Context ctx = new PartitionManager.Context().manifest(parsed)
            .errorHandler(new ConsoleErrorHandler(name))
            .terminationHook(() ->
            {
                ended.set(true);
                stop.stop();
            });
        if (dir != null)
        {
            ctx.directory(dir);
        }
        try (stop)
        {
            int status = 1;
            try (PartitionManager pm = launch(ctx))
            {
                final String ready = "READY " + pm.directory();
                stop.ready(describe ? List.of(description(pm, ctx.manifest()), ready) : List.of(ready));
                stop.await();
                if (ended.get())
                {
                    System.err.println(name + ": the partition manager of " + pm.directory() + " has ended; exiting");
                }
                else
                {
                    status = 0;
                }
            }
            return stop.exit(status);
        }
    }

    /** Launches, a refusal for a fabric another manager runs saying what to do in this command's words. */
    private static PartitionManager launch(final PartitionManager.Context ctx)
    {
        try
        {
            return PartitionManager.launch(ctx);
        }
        catch (final FabricInUseException ex)
        {
            throw new IllegalStateException(ex.refusal("give another --dir"), ex);
        }
    }

    /** What runs, in a line: "partition manager: pid 4242, fabric DIR, 2 partitions: client-vm (0x0001, vm), ...". */
    static String description(final PartitionManager pm, final Manifest manifest)
    {
        final StringBuilder line = new StringBuilder("partition manager: pid ").append(ProcessHandle.current().pid())
            .append(", fabric ").append(pm.directory())
            // Its files were a dead manager's: taken over, as a user who left them would want to know.
            .append(!pm.replacedDeadFabric() ? "" : " (in place of the fabric of a partition manager that died" +
                (pm.deadManagerPid() != 0 ? ", pid " + pm.deadManagerPid() : "") + ")")
            .append(", ").append(manifest.partitions().size())
            .append(manifest.partitions().size() == 1 ? " partition: " : " partitions: ");
        for (int i = 0; i < manifest.partitions().size(); i++)
        {
            final PartitionManifest p = manifest.partitions().get(i);
            line.append(i == 0 ? "" : ", ").append(p.name()).append(" (").append(EndpointId.toString(p.id()))
                .append(", ").append(p.world().manifestName()).append(')');
        }
        return line.toString();
    }
}
