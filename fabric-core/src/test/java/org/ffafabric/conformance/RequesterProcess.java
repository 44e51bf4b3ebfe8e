package org.ffafabric.conformance;

import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A child JVM of {@link ConcurrencyStressTest}: claims one VM and, on a {@code GO} line, runs one
 * {@link ConcurrencyStressTest.Requester} on each of its contexts against one target. Prints
 * {@code READY}, {@code GOING} once every context has had its first answer, then one {@code OUTCOME}
 * line per context (or one {@code FAILED} line), then keeps the VM claimed until its standard input
 * closes, so the parent can read the contexts' words first.
 * <pre>
 *   RequesterProcess --dir D --partition VM --target SP --count N --first-index I
 * </pre>
 */
final class RequesterProcess
{
    private RequesterProcess()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        ChildProcess.haltWithParent();
        String dir = null;
        int partition = 0;
        int target = 0;
        int count = 0;
        int firstIndex = 0;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--dir": dir = args[++i]; break;
                case "--partition": partition = Integer.decode(args[++i]); break;
                case "--target": target = Integer.decode(args[++i]); break;
                case "--count": count = Integer.parseInt(args[++i]); break;
                case "--first-index": firstIndex = Integer.parseInt(args[++i]); break;
                default: throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(Paths.get(dir)));
            Endpoint vm = client.claim(partition))
        {
            System.out.println("READY");
            System.out.flush();
            if (!"GO".equals(in.readLine()))
            {
                return;
            }
            final int targetEcs = client.controlFile().executionContextCount(client.controlFile().slotOf(target));
            final ExecutorService exec = Executors.newCachedThreadPool();
            final List<Future<ConcurrencyStressTest.Outcome>> sending = new ArrayList<>();
            final CountDownLatch firstAnswers = new CountDownLatch(vm.executionContextCount());
            for (int ec = 0; ec < vm.executionContextCount(); ec++)
            {
                final ConcurrencyStressTest.Requester requester = new ConcurrencyStressTest.Requester(
                    vm.executionContext(ec), firstIndex + ec, target, targetEcs == 1 ? 0 : ec,
                    new ConcurrencyStressTest.Load(count), client.controlFile(), () -> false);
                requester.firstAnswer = firstAnswers;
                sending.add(exec.submit(requester::run));
            }
            try
            {
                // A requester that failed first is reported below, in place of GOING.
                while (!firstAnswers.await(10, TimeUnit.MILLISECONDS) && sending.stream().noneMatch(Future::isDone))
                {
                    Thread.onSpinWait();
                }
                if (firstAnswers.getCount() == 0)
                {
                    System.out.println("GOING");
                    System.out.flush();
                }
                for (int ec = 0; ec < sending.size(); ec++)
                {
                    final ConcurrencyStressTest.Outcome o = sending.get(ec).get();
                    System.out.println("OUTCOME " + ec + " " + o.ok + " " + o.busy + " " +
                        o.slots.stream().map(String::valueOf).collect(Collectors.joining(",")));
                }
            }
            catch (final Exception ex)
            {
                final StringWriter trace = new StringWriter();
                ex.printStackTrace(new PrintWriter(trace));
                System.out.println("FAILED " + trace.toString().replace('\n', ' '));
            }
            finally
            {
                exec.shutdownNow();
            }
            System.out.flush();
            while (in.read() >= 0)
            {
                // Keep the claim until the parent is done with it.
            }
        }
    }
}
