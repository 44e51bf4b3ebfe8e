package org.ffafabric.conformance;

import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.launch.PartitionHostMain;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.concurrent.locks.LockSupport;

/**
 * A child JVM of {@link PartitionProcessDeathTest}, there to be killed: claims single-context
 * partitions and serves each in its own way, then prints {@code READY} and runs until killed.
 * <pre>
 *   DoomedPartitionProcess --dir D --partition ID:hold|yield|echo[:setup] --partition ID:request:TARGET
 *                          --partition ID:rx --partition ID:trap --partition 0:acquire:VM ...
 * </pre>
 * {@code hold} keeps every request inside its handler (printing {@code HOLDING id}), {@code yield}
 * gives the CPU back with FFA_YIELD before it would answer, {@code echo} answers each payload word
 * plus one; {@code setup} first negotiates FF-A v1.1 and maps an RX/TX pair, state the partition
 * manager must reset when it reaps the claim. The rest serve nothing: {@code request} sends one
 * DIRECT_REQ_64 to TARGET, which the parent holds until the process is killed; {@code rx} maps an
 * RX/TX pair and keeps RX, filled by PARTITION_INFO_GET (a wait would release it); {@code acquire},
 * for the hypervisor endpoint, takes VM's RX with FFA_RX_ACQUIRE and keeps it; {@code trap} makes an
 * FFA_ID_GET once a line comes on its standard input, and waits for its answer (the parent holds the
 * partition manager, and kills the process first).
 */
final class DoomedPartitionProcess
{
    private DoomedPartitionProcess()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        ChildProcess.haltWithParent();
        String dir = null;
        for (int i = 0; i < args.length; i++)
        {
            if ("--dir".equals(args[i]))
            {
                dir = args[++i];
            }
        }
        final FabricClient client = FabricClient.connect(new FabricClient.Context().directory(Paths.get(dir)));
        for (int i = 0; i < args.length; i++)
        {
            if (!"--partition".equals(args[i]))
            {
                continue;
            }
            final String[] spec = args[++i].split(":");
            final Endpoint endpoint = client.claim(Integer.decode(spec[0]));
            final ExecutionContext ec = endpoint.executionContext(0);
            if ("acquire".equals(spec[1]))
            {
                invoke(ec, new RegisterFile().w(0, FunctionId.FFA_RX_ACQUIRE).w(1, Integer.decode(spec[2])));
                continue;
            }
            if ("rx".equals(spec[1]))
            {
                final long base = endpoint.memory().base();
                invoke(ec, new RegisterFile().w(0, FunctionId.FFA_RXTX_MAP_64).x(1, base).x(2, base + 4096).w(3, 1));
                invoke(ec, new RegisterFile().w(0, FunctionId.FFA_PARTITION_INFO_GET));
                continue;
            }
            if ("trap".equals(spec[1]))
            {
                final Thread trapper = new Thread(() ->
                {
                    try
                    {
                        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                    }
                    catch (final IOException ex)
                    {
                        return;
                    }
                    ec.invoke(new RegisterFile().w(0, FunctionId.FFA_ID_GET));
                }, "trap");
                trapper.setDaemon(true);
                trapper.start();
                continue;
            }
            if ("request".equals(spec[1]))
            {
                final RegisterFile request = new RegisterFile().w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64)
                    .w(1, RegisterFile.packIds(endpoint.partitionId(), Integer.decode(spec[2])));
                final Thread requester = new Thread(() -> ec.invoke(request), "request-" + spec[2]);
                requester.setDaemon(true);
                requester.start();
                continue;
            }
            if (spec.length > 2 && "setup".equals(spec[2]))
            {
                invoke(ec, new RegisterFile().w(0, FunctionId.FFA_VERSION).w(1, Fx.V1_1));
                final long base = endpoint.memory().base();
                invoke(ec, new RegisterFile().w(0, FunctionId.FFA_RXTX_MAP_64).x(1, base).x(2, base + 4096).w(3, 1));
            }
            endpoint.serve(handler(spec[1], endpoint.partitionId(), ec));
        }
        System.out.println("READY");
        System.out.flush();
        while (true)
        {
            LockSupport.park();
        }
    }

    private static void invoke(final ExecutionContext ec, final RegisterFile regs)
    {
        final int call = regs.functionId();
        ec.invoke(regs);
        if (call == FunctionId.FFA_VERSION ? regs.w(0) < 0 : !regs.isSuccess())
        {
            System.out.println("FAILED " + FunctionId.name(call) + ": " + regs);
            System.out.flush();
        }
    }

    private static DirectRequestHandler handler(final String mode, final int id, final ExecutionContext ec)
    {
        switch (mode)
        {
            case "hold":
                return (req, resp) ->
                {
                    System.out.println("HOLDING " + id);
                    System.out.flush();
                    while (true)
                    {
                        LockSupport.park();
                    }
                };
            case "yield":
                return (req, resp) ->
                {
                    ec.invoke(new RegisterFile().w(0, FunctionId.FFA_YIELD));
                    PartitionHostMain.echo(req, resp);
                };
            default:
                return PartitionHostMain::echo;
        }
    }
}
