package org.ffafabric.demo;

import org.ffafabric.launch.ChildJvm;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ffa pm --detach} and {@code ffa host --detach}: the command runs in a JVM of its own, its
 * output (standard output and error) going to a log file, and this returns once it has started,
 * having shown what it said up to its READY line. So a script, or a block of commands pasted at
 * once, goes on to the next command only when the fabric or the host is there for it. A command
 * that ends before READY (a bad manifest, a claimed partition) ends this too, with its status (1
 * for an end with 0), and what it said goes to standard error; one not ready within
 * {@link #READY_TIMEOUT_S} is stopped, with status 1. The JVM starts in a session of its own (through
 * {@code setsid}, where the host has it), so that once this has returned neither a Ctrl-C of the script
 * nor a hang-up of the terminal that ran this reaches it: it ends by {@code ffa stop} or {@code kill}. A
 * stop of this before READY (Ctrl-C, SIGTERM, a hang-up) stops the process too.
 */
final class Detached
{
    private static final long POLL_MS = 10;
    // Far more than a start takes (a second or two): past it, something is wrong, or READY was lost in a torn line.
    static final long READY_TIMEOUT_S = 120;
    private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));

    private Detached()
    {
    }

    /**
     * Starts {@code args} (a command of the tool, without --detach) in a JVM of its own.
     *
     * @param name the command's name in messages ("ffa pm").
     * @param args the command's arguments.
     * @param log  where its output goes, appended to; null for a new file in the temporary directory.
     * @return 0 once it has printed READY; else its exit status once it has ended (1 for 0), or 1 when it
     *         was not ready in time.
     */
    static int start(final String name, final List<String> args, final Path log) throws IOException, InterruptedException
    {
        final Path logFile = log != null ? log :
            Files.createTempFile("ffa-" + args.get(0) + "-", ".log");
        final long from = Files.exists(logFile) ? Files.size(logFile) : 0;
        final File file = logFile.toFile();
        final List<String> said = new ArrayList<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_S);
        final List<String> jvm = ChildJvm.command(FfaCommand.class, args);
        final List<String> command = inSessionOfItsOwn(jvm);
        if (command == jvm)
        {
            System.err.println(name + ": no setsid here, so the process shares this terminal's signals: a Ctrl-C or " +
                "hang-up that reaches this command's process group reaches it too");
        }
        // Before the process: a signal between the two would leave it running, unready, with nobody told.
        final StopUnready hook = new StopUnready(name, logFile);
        final Thread stopUnready = new Thread(hook, "ffa-detach-stop");
        Runtime.getRuntime().addShutdownHook(stopUnready);
        final Process process;
        try
        {
            process = ChildJvm.processBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(file))
                .redirectError(ProcessBuilder.Redirect.appendTo(file))
                .start();
        }
        catch (final Throwable ex)
        {
            hook.notStarted();
            removeHook(stopUnready);
            throw ex;
        }
        hook.started(process);
        boolean settled = false;
        try (FileChannel channel = FileChannel.open(logFile, StandardOpenOption.READ))
        {
            channel.position(from);
            final ByteBuffer bytes = ByteBuffer.allocate(8192);
            final ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true)
            {
                final boolean ended = !process.isAlive();
                // Read all there is: after its end, that is all it said.
                while (channel.read(bytes) > 0)
                {
                    bytes.flip();
                    while (bytes.hasRemaining())
                    {
                        final byte b = bytes.get();
                        if (b != '\n')
                        {
                            line.write(b);
                            continue;
                        }
                        final String text = line.toString(StandardCharsets.UTF_8);
                        line.reset();
                        if (text.startsWith("READY"))
                        {
                            settle(hook);
                            settled = true;
                            said.forEach(System.out::println);
                            System.out.println(text);
                            System.out.println(name + ": detached, pid " + process.pid() + "; its output goes on to " +
                                logFile.toAbsolutePath());
                            return 0;
                        }
                        said.add(text);
                    }
                    bytes.clear();
                }
                if (ended)
                {
                    settle(hook);
                    settled = true;
                    if (line.size() > 0)
                    {
                        said.add(line.toString(StandardCharsets.UTF_8));
                    }
                    final int exit = process.exitValue();
                    said.forEach(System.err::println);
                    if (log == null)
                    {
                        // All it said is above: a log of our own naming is not left behind for it.
                        Files.deleteIfExists(logFile);
                    }
                    System.err.println(endedBeforeReady(name, exit, log == null ? null : logFile));
                    return exit == 0 ? 1 : exit;
                }
                if (System.nanoTime() > deadline)
                {
                    settle(hook);
                    settled = true;
                    process.destroy();
                    said.forEach(System.err::println);
                    System.err.println(name + ": not ready within " + READY_TIMEOUT_S + " s, so stopped (pid " +
                        process.pid() + "); its output is in " + logFile.toAbsolutePath());
                    return 1;
                }
                process.waitFor(POLL_MS, TimeUnit.MILLISECONDS);
            }
        }
        finally
        {
            if (!settled && hook.settle())
            {
                // This failed (its log unreadable, say): the process is left neither ready nor watched.
                process.destroy();
            }
            removeHook(stopUnready);
        }
    }

    /**
     * Takes the outcome from the hook: this thread says how it went. If the hook has begun to stop the process
     * (a signal came first), that is its to say, and this thread waits here for the JVM's halt.
     */
    private static void settle(final StopUnready hook) throws InterruptedException
    {
        while (!hook.settle())
        {
            Thread.sleep(POLL_MS);
        }
    }

    /** A process's end before READY, naming the log it left ({@code logFile}, null for none). */
    private static String endedBeforeReady(final String name, final int exit, final Path logFile)
    {
        return name + ": ended with status " + exit + " before it was ready" +
            (logFile == null ? "" : "; its output is in " + logFile.toAbsolutePath());
    }

    private static void removeHook(final Thread hook)
    {
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ex)
        {
            // This JVM is shutting down: the hook runs.
        }
    }

    /**
     * Stops the process once this JVM is told to end before the outcome is settled (READY, an end, the time
     * up). A signal can come while the process is being started: the hook then waits for it, as the JVM halts
     * once its hooks have run. A second signal meanwhile does nothing: the JVM is already shutting down.
     */
    private static final class StopUnready implements Runnable
    {
        private static final long START_WAIT_NS = TimeUnit.SECONDS.toNanos(10);
        private static final long STOP_WAIT_S = 30;
        private final String name;
        private final Path logFile;
        private Process process;
        private boolean notStarted;
        private boolean settled;
        private boolean stopping;

        StopUnready(final String name, final Path logFile)
        {
            this.name = name;
            this.logFile = logFile;
        }

        synchronized void started(final Process process)
        {
            this.process = process;
            notifyAll();
        }

        synchronized void notStarted()
        {
            notStarted = true;
            notifyAll();
        }

        /** True when the outcome is the starting thread's to say; false once this hook has taken it. */
        synchronized boolean settle()
        {
            settled = !stopping;
            return settled;
        }

        public void run()
        {
            final Process toStop;
            try
            {
                synchronized (this)
                {
                    if (settled)
                    {
                        return;
                    }
                    stopping = true;
                    final long deadline = System.nanoTime() + START_WAIT_NS;
                    long leftNs = START_WAIT_NS;
                    while (process == null && !notStarted && leftNs > 0)
                    {
                        TimeUnit.NANOSECONDS.timedWait(this, leftNs);
                        leftNs = deadline - System.nanoTime();
                    }
                    toStop = process;
                }
                if (toStop == null)
                {
                    return;
                }
                if (!toStop.isAlive())
                {
                    System.err.println(endedBeforeReady(name, toStop.exitValue(), logFile));
                    return;
                }
                toStop.destroy();
                System.err.println(name + ": told to stop before it was ready, so " +
                    (toStop.waitFor(STOP_WAIT_S, TimeUnit.SECONDS) ? "stopped it too" :
                    "asked it to stop too; it has not ended within " + STOP_WAIT_S + " s") +
                    " (pid " + toStop.pid() + "); its output is in " + logFile.toAbsolutePath());
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * {@code command} run by {@code setsid}, where there is one. A child of a JVM is never its process
     * group's leader, so {@code setsid} makes the new session without a fork, and execs the command as the
     * very process started: the PID this prints stays the command's. The command itself where there is none.
     */
    private static List<String> inSessionOfItsOwn(final List<String> command)
    {
        for (final Path setsid : SETSID)
        {
            if (Files.isExecutable(setsid))
            {
                final List<String> inSession = new ArrayList<>(command.size() + 1);
                inSession.add(setsid.toString());
                inSession.addAll(command);
                return inSession;
            }
        }
        return command;
    }
}
