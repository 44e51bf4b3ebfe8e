package org.ffafabric.launch;

import org.agrona.concurrent.ShutdownSignalBarrier;
import org.ffafabric.manifest.ManifestParser;
import org.ffafabric.pm.PartitionManager;

import java.nio.file.Path;
import java.nio.file.Paths;

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
        run("partition manager", args);
    }

    /**
     * Runs the partition manager until it is told to stop.
     *
     * @param name what its lines on standard error start with: the command that runs it, e.g. "ffa pm".
     * @param args as {@link #main}'s.
     * @throws Exception when it cannot launch.
     */
    public static void run(final String name, final String[] args) throws Exception
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
        final PartitionManager.Context ctx = new PartitionManager.Context().manifest(ManifestParser.parse(manifest))
            .errorHandler(new ConsoleErrorHandler(name));
        if (dir != null)
        {
            ctx.directory(dir);
        }
        // The barrier's shutdown hook holds the JVM until close(): close it after the fabric is gone.
        final ShutdownSignalBarrier barrier = exitOnStdinEof ? null : new ShutdownSignalBarrier();
        try (PartitionManager pm = PartitionManager.launch(ctx))
        {
            System.out.println("READY " + pm.directory());
            System.out.flush();
            if (barrier == null)
            {
                ProcessLinks.awaitStdinEof();
            }
            else
            {
                barrier.await();
            }
        }
        finally
        {
            if (barrier != null)
            {
                barrier.close();
            }
        }
    }
}
