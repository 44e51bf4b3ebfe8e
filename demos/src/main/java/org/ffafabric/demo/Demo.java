package org.ffafabric.demo;

import org.ffafabric.control.FabricDirectory;
import org.ffafabric.launch.ChildJvm;
import org.ffafabric.launch.ConsoleErrorHandler;
import org.ffafabric.launch.PartitionHostMain;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.ManifestParser;
import org.ffafabric.pm.PartitionManager;
import org.ffafabric.tools.FabricDump;
import org.ffafabric.transport.AeronTuning;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The main demo: a partition manager (this process, embedded media driver) and two partition
 * processes, an echo secure partition and a requesting VM, exchanging direct requests.
 */
public final class Demo
{
    private Demo()
    {
    }

    public static int run(final int rounds) throws IOException, InterruptedException
    {
        final Manifest manifest;
        try (InputStream in = Demo.class.getResourceAsStream("/demo-manifest.yaml"))
        {
            manifest = ManifestParser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        final String name = "demo-" + ProcessHandle.current().pid();
        final PartitionManager.Context ctx = new PartitionManager.Context().fabricName(name).manifest(manifest)
            .errorHandler(new ConsoleErrorHandler("partition manager"));
        // A signal (Ctrl-C, SIGTERM) ends the demo without closing the partition manager: its directory goes
        // with this process all the same, once a launch under way has made it. The partition processes end on
        // their own.
        final AtomicReference<PartitionManager> launched = new AtomicReference<>();
        final Thread cleanup = new Thread(() ->
        {
            synchronized (launched)
            {
                final PartitionManager pm = launched.get();
                if (pm != null)
                {
                    FabricDirectory.delete(pm.directory());
                }
            }
        }, "demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try
        {
            final PartitionManager launchedPm;
            synchronized (launched)
            {
                launchedPm = PartitionManager.launch(ctx);
                launched.set(launchedPm);
            }
            try (PartitionManager pm = launchedPm)
            {
                requireRoomForLogs(pm.directory(), manifest);
                System.out.println("partition manager: fabric " + pm.directory() + ", " +
                    manifest.partitions().size() + " partitions: " + manifest.partitions());
                return runPartitions(pm, rounds);
            }
        }
        finally
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
            catch (final IllegalStateException shuttingDown)
            {
                // The hook is running or has run.
            }
        }
    }

    /**
     * Refuses a demo whose Aeron logs will not fit beside its fabric, before any partition runs: without the
     * room a claim or a first request fails midway, in the media driver's stack traces. Every context has two
     * logs to and from the partition manager, and one to each context of the other partitions.
     */
    private static void requireRoomForLogs(final Path dir, final Manifest manifest)
    {
        final long logs = 2L * manifest.executionContextCount() + PartitionManager.allPeerLogs(manifest);
        final long needed = logs * AeronTuning.logLength(AeronTuning.ipcTermLength());
        final Path aeron = FabricDirectory.aeronDirectory(dir);
        final long usable = FabricDirectory.usableSpace(FabricDirectory.fileStore(aeron), aeron);
        if (needed > usable)
        {
            // A container's /dev/shm is 64 MiB unless it is given more.
            throw new IllegalStateException("no room for the demo's " + logs + " Aeron logs in " + dir.getParent() +
                ": they take " + needed + " bytes and " + usable + " are usable " +
                "(in a container, give it a larger /dev/shm, e.g. docker run --shm-size=256m)");
        }
    }

    private static int runPartitions(final PartitionManager pm, final int rounds) throws IOException, InterruptedException
    {
        final String dir = pm.directory().toString();
        final Process server = start(PartitionHostMain.class, List.of("--dir", dir, "--partition", "0x8001", "--busy-spin", "--exit-on-stdin-eof"));
        try
        {
            awaitReady(server, "echo-sp");
            final Process client = start(DemoClientMain.class, List.of("--dir", dir, "--rounds", Integer.toString(rounds)));
            client.getOutputStream().close();
            pipe(client.getInputStream(), "");
            final int exit = client.waitFor();
            if (exit == 0)
            {
                // Numbers alone say little on a shared machine: the baselines run beside them there.
                System.out.println("demo: against raw Aeron IPC, shared-memory spin and Unix-socket baselines " +
                    "measured in the same run: ./ffa bench");
                // What each side counted, warm-up included: ./ffa counters shows the same of any running fabric.
                System.out.print(FabricDump.counters(pm.controlFile(), false, false).replaceAll("(?m)^", "demo: counters: "));
            }
            System.out.println(exit == 0 ? "demo: done" : "demo: client exited with " + exit);
            return exit;
        }
        finally
        {
            server.getOutputStream().close();
            if (!server.waitFor(10, TimeUnit.SECONDS))
            {
                server.destroyForcibly().waitFor();
            }
            else if (server.exitValue() != 0)
            {
                // It ends with 0 when told to: otherwise it was killed or failed, the likely cause of the client's failure.
                System.out.println("demo: echo-sp exited with " + server.exitValue());
            }
        }
    }

    private static Process start(final Class<?> main, final List<String> args) throws IOException
    {
        return ChildJvm.processBuilder(ChildJvm.command(main, new ArrayList<>(args)))
            .redirectErrorStream(true)
            .start();
    }

    private static void awaitReady(final Process process, final String label) throws IOException
    {
        final BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null)
        {
            if (line.equals("READY"))
            {
                System.out.println(label + ": claimed, serving direct requests (echo: payload + 1)");
                final Thread drain = new Thread(() -> reader.lines().forEach(l -> System.out.println(label + ": " + l)));
                drain.setDaemon(true);
                drain.start();
                return;
            }
            System.out.println(label + ": " + line);
        }
        throw new IllegalStateException(label + " exited before it was ready");
    }

    private static void pipe(final InputStream in, final String prefix) throws IOException
    {
        final BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null)
        {
            System.out.println(prefix + line);
        }
    }
}
