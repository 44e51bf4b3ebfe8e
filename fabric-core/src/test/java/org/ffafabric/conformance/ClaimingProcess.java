package org.ffafabric.conformance;

import org.ffafabric.endpoint.FabricClient;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;

/**
 * A child JVM of {@link PartitionManagerDeathTest}, there to claim when told: connects to the fabric, prints
 * {@code READY}, and at a line on its standard input claims the partition; then prints {@code CLAIMED}, or
 * {@code REFUSED} with the failure's class and message, and exits. With {@code --hold} it claims at once,
 * prints {@code CLAIMED}, and carries on as an application embedding a client may: once its client is
 * closing it prints {@code CLOSED stalled=<FabricClient#hasStalled>}, and exits at the end of its standard
 * input. Its Aeron settings are its own command line's.
 * <pre>
 *   ClaimingProcess --dir D --partition ID [--hold]
 * </pre>
 */
final class ClaimingProcess
{
    private ClaimingProcess()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        ChildProcess.haltWithParent();
        String dir = null;
        int id = -1;
        boolean hold = false;
        for (int i = 0; i < args.length; i++)
        {
            if ("--dir".equals(args[i]))
            {
                dir = args[++i];
            }
            else if ("--partition".equals(args[i]))
            {
                id = Integer.decode(args[++i]);
            }
            else if ("--hold".equals(args[i]))
            {
                hold = true;
            }
        }
        if (hold)
        {
            holdAndCarryOn(dir, id);
            return;
        }
        try (FabricClient client = FabricClient.connect(
            new FabricClient.Context().directory(Paths.get(dir)).partitionManagerGoneHandler(() -> { })))
        {
            System.out.println("READY");
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            try
            {
                client.claim(id);
                System.out.println("CLAIMED");
            }
            catch (final RuntimeException ex)
            {
                System.out.println("REFUSED " + ex.getClass().getName() + ": " + String.valueOf(ex.getMessage()).replace('\n', ' '));
            }
        }
    }

    private static void holdAndCarryOn(final String dir, final int id) throws Exception
    {
        // Run by the client's watch as it finds the manager gone, or this process stalled, just before it closes.
        final java.util.concurrent.CountDownLatch closing = new java.util.concurrent.CountDownLatch(1);
        final FabricClient client = FabricClient.connect(
            new FabricClient.Context().directory(Paths.get(dir)).partitionManagerGoneHandler(closing::countDown));
        client.claim(id);
        System.out.println("CLAIMED");
        closing.await();
        System.out.println("CLOSED stalled=" + client.hasStalled());
        while (System.in.read() >= 0)
        {
            // Carries on, its claim's endpoint closed with its client, until told to end.
        }
    }
}
