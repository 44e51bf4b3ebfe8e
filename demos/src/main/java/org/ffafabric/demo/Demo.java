package org.ffafabric.demo;

import org.ffafabric.control.FabricDirectory;
import org.ffafabric.launch.ChildJvm;
import org.ffafabric.launch.PartitionHostMain;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.ManifestParser;
import org.ffafabric.pm.PartitionManager;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
        try (PartitionManager pm = PartitionManager.launch(new PartitionManager.Context().fabricName(name).manifest(manifest)))
        {
            System.out.println("partition manager: fabric " + pm.directory() + ", " +
                manifest.partitions().size() + " partitions: " + manifest.partitions());
            final String dir = pm.directory().toString();
            // A signal (Ctrl-C, SIGTERM) ends the demo without closing the partition manager: its directory
            // goes with this process all the same. The partition processes end on their own.
            final Thread cleanup = new Thread(() -> FabricDirectory.delete(pm.directory()), "demo-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try
            {
                return runPartitions(dir, rounds);
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
    }

    private static int runPartitions(final String dir, final int rounds) throws IOException, InterruptedException
    {
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
        }
    }

    private static Process start(final Class<?> main, final List<String> args) throws IOException
    {
        return new ProcessBuilder(ChildJvm.command(main, new ArrayList<>(args)))
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
