package org.ffafabric.launch;

import org.agrona.CloseHelper;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.control.ControlFile;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.tools.FabricDump;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A partition process hosting one or more endpoints that serve direct requests with an echo
 * handler (each payload word + 1), one thread per execution context; one whose manifest lets it
 * receive none is claimed and held.
 * <pre>
 *   PartitionHostMain --dir /dev/shm/ffa-name --partition 0x8001 [--partition 0x8002] [--busy-spin]
 *                     [--exit-on-stdin-eof]
 * </pre>
 * Prints {@code READY} once every endpoint is claimed and waiting; runs until SIGINT/SIGTERM, or
 * until its standard input closes with {@code --exit-on-stdin-eof} (so a parent's death ends it).
 * Without that flag it also ends, with status 1, when the partition manager's process has gone:
 * its media driver went with it, so nothing could reach these partitions any more.
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
     * Runs the host; returns its exit status: 0 when stopped, 1 when the partition manager went away. Told
     * by SIGINT or SIGTERM, it ends the JVM itself, with status 0, once its partitions are let go
     * ({@link SignalStop}).
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
        // Counted down by a signal, the end of standard input, or the client closing itself.
        final CountDownLatch stop = new CountDownLatch(1);
        // Its shutdown hook holds the JVM until close(): close it after the endpoints are released.
        final SignalStop signals = exitOnStdinEof ? null : new SignalStop(stop);
        final AtomicBoolean pmGone = new AtomicBoolean();
        // The client closes itself when the partition manager goes, or Aeron closed it: nothing is left to serve.
        ctx.partitionManagerGoneHandler(() ->
        {
            pmGone.set(true);
            stop.countDown();
        });
        try
        {
            final int status;
            try (FabricClient client = FabricClient.connect(ctx))
            {
                requireEachOnceInTheFabric(partitions, client.controlFile());
                final List<Endpoint> served = new ArrayList<>();
                final List<Endpoint> held = new ArrayList<>();
                for (final int id : partitions)
                {
                    final Endpoint endpoint = client.claim(id);
                    if (endpoint.receivesDirectRequests())
                    {
                        closeables.add(endpoint.serve(PartitionHostMain::echo));
                    }
                    closeables.add(endpoint);
                    (endpoint.receivesDirectRequests() ? served : held).add(endpoint);
                }
                if (stop.getCount() > 0)
                {
                    // Not once told to stop while claiming: whoever waits for READY would find it gone.
                    if (describe)
                    {
                        System.out.println(description(dir, served, held));
                    }
                    System.out.println("READY");
                    System.out.flush();
                }
                if (signals == null)
                {
                    ProcessLinks.countDownAtStdinEof(stop, "ffa-host-stdin");
                }
                stop.await();
                if (pmGone.get())
                {
                    System.err.println(name + ": " + (client.hasStalled() ? FabricClient.STALLED :
                        "the partition manager of " + dir + " is gone") + "; exiting");
                }
                CloseHelper.quietCloseAll(closeables);
                status = pmGone.get() ? 1 : 0;
            }
            if (signals != null)
            {
                signals.endIfSignalled(status);
            }
            return status;
        }
        finally
        {
            if (signals != null)
            {
                signals.close();
            }
        }
    }

    /**
     * What it holds, in a line: "partition host: pid 4343, fabric DIR: echo-sp (0x8001) claimed, serving direct
     * requests (echo: payload + 1); client-vm (0x0001) claimed and held: it receives no direct requests".
     */
    static String description(final String dir, final List<Endpoint> served, final List<Endpoint> held)
    {
        final StringBuilder line = new StringBuilder("partition host: pid ").append(ProcessHandle.current().pid())
            .append(", fabric ").append(dir).append(": ");
        if (!served.isEmpty())
        {
            appendNamesAndIds(line, served).append(" claimed, serving direct requests (echo: payload + 1)");
        }
        if (!held.isEmpty())
        {
            appendNamesAndIds(line.append(served.isEmpty() ? "" : "; "), held)
                .append(" claimed and held: ").append(held.size() == 1 ? "it receives" : "they receive")
                .append(" no direct requests");
        }
        return line.toString();
    }

    private static StringBuilder appendNamesAndIds(final StringBuilder line, final List<Endpoint> endpoints)
    {
        for (int i = 0; i < endpoints.size(); i++)
        {
            line.append(i == 0 ? "" : ", ").append(endpoints.get(i).name())
                .append(" (").append(EndpointId.toString(endpoints.get(i).partitionId())).append(')');
        }
        return line;
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
