package org.ffafabric.conformance;

import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A child JVM of {@link StuckHandlerServeCloseTest}: claims a partition and serves it with a handler
 * that prints {@code HANDLING} and then spins for ever, ignoring interrupts; prints {@code READY}. At a
 * line on its standard input it closes the serve, prints {@code CLOSED} or {@code CLOSE FAILED} and
 * the failure, and returns from main with its endpoint and client still open, the handler still
 * spinning: the JVM must exit all the same.
 * <pre>
 *   StuckHandlerProcess --dir D --partition ID
 * </pre>
 */
final class StuckHandlerProcess
{
    private StuckHandlerProcess()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        ChildProcess.haltWithParent();
        String dir = null;
        int partition = 0;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--dir": dir = args[++i]; break;
                case "--partition": partition = Integer.decode(args[++i]); break;
                default: throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }
        final FabricClient client = FabricClient.connect(new FabricClient.Context()
            .directory(Paths.get(dir)).connectTimeoutNs(TimeUnit.SECONDS.toNanos(1)));
        final Endpoint endpoint = client.claim(partition);
        final AutoCloseable serving = endpoint.serve((request, response) ->
        {
            System.out.println("HANDLING");
            System.out.flush();
            while (true)
            {
                Thread.interrupted();
                LockSupport.parkNanos(1_000_000);
            }
        });
        System.out.println("READY");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        try
        {
            serving.close();
            System.out.println("CLOSED");
        }
        catch (final IllegalStateException ex)
        {
            System.out.println("CLOSE FAILED " + ex.getMessage());
        }
        System.out.flush();
    }
}
