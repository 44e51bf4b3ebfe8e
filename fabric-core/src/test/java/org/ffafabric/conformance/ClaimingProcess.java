package org.ffafabric.conformance;

import org.ffafabric.endpoint.FabricClient;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;

/**
 * A child JVM of {@link PartitionManagerDeathTest}, there to claim when told: connects to the fabric, prints
 * {@code READY}, and at a line on its standard input claims the partition; then prints {@code CLAIMED}, or
 * {@code REFUSED} with the failure's class and message, and exits. Its Aeron settings are its own command line's.
 * <pre>
 *   ClaimingProcess --dir D --partition ID
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
}
