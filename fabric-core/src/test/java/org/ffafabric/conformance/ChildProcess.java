package org.ffafabric.conformance;

import org.ffafabric.control.NonReapingParent;
import org.ffafabric.launch.ChildJvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A child JVM run like this one ({@link ChildJvm}), spoken to in lines: its standard output is read
 * on a thread of its own, its standard error goes to ours. {@link #close()} kills it if it is still
 * running, so a failed test leaves no process behind.
 */
final class ChildProcess implements AutoCloseable
{
    /** A child JVM starts, maps the fabric and claims within this, however loaded the machine. */
    static final long START_NS = TimeUnit.SECONDS.toNanos(60);
    private static final String END = "\u0000end";

    private final String name;
    private final Process process;
    private final boolean unreaped;
    private final PrintStream in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private long pid;

    private ChildProcess(final String name, final Process process, final boolean unreaped)
    {
        this.name = name;
        this.process = process;
        this.unreaped = unreaped;
        this.pid = unreaped ? 0 : process.pid();
        this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        final Thread reader = new Thread(this::readLines, "child-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    static ChildProcess start(final Class<?> main, final String... args) throws IOException
    {
        return start(List.of(), main, args);
    }

    /** As {@link #start}, the JVM given {@code jvmOptions} too, which win over this JVM's passed on. */
    static ChildProcess start(final List<String> jvmOptions, final Class<?> main, final String... args) throws IOException
    {
        final Process process = ChildJvm.processBuilder(withOptions(ChildJvm.command(main, List.of(args)), jvmOptions))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        return new ChildProcess(main.getSimpleName(), process, false);
    }

    /**
     * {@code command}, a {@link ChildJvm#command}, with {@code jvmOptions} put after the options it passes on
     * from this JVM, such as the tests' Aeron timeouts, so that they win: of two settings of a property, a JVM
     * takes the last.
     */
    static List<String> withOptions(final List<String> command, final List<String> jvmOptions)
    {
        final List<String> withOptions = new ArrayList<>(command);
        withOptions.addAll(withOptions.indexOf("-cp"), jvmOptions);
        return withOptions;
    }

    /**
     * As {@link #start}, the JVM the child of a {@link NonReapingParent}: killed, it stays a zombie
     * until this closes. Its standard input is empty, so it cannot be told to exit; kill it.
     */
    static ChildProcess startUnreaped(final Class<?> main, final String... args) throws Exception
    {
        final Process process = ChildJvm.processBuilder(NonReapingParent.command(ChildJvm.command(main, List.of(args))))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        final ChildProcess child = new ChildProcess(main.getSimpleName(), process, true);
        try
        {
            child.pid = Long.parseLong(child.awaitLine("", START_NS));
            return child;
        }
        catch (final RuntimeException | Error ex)
        {
            child.close();
            throw ex;
        }
    }

    /**
     * Called first by a child's main: the child halts once the process that started it is gone, so that
     * a test JVM killed or crashed mid-test (its children's close never runs) leaves none running.
     */
    static void haltWithParent()
    {
        ProcessHandle.current().parent().ifPresent(parent ->
        {
            final Thread watch = new Thread(() ->
            {
                // isAlive compares the start time too: a later process given the PID is not the parent.
                while (parent.isAlive())
                {
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
                }
                Runtime.getRuntime().halt(3);
            }, "parent-watch");
            watch.setDaemon(true);
            watch.start();
        });
    }

    private void readLines()
    {
        try (BufferedReader out =
            new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = out.readLine()) != null)
            {
                lines.add(line);
            }
        }
        catch (final IOException ignore)
        {
            // The child is gone: same as the end of its output.
        }
        lines.add(END);
    }

    Process process()
    {
        return process;
    }

    /** The child JVM's PID: under a {@link NonReapingParent}, not the process's. */
    long pid()
    {
        return pid;
    }

    /** SIGKILL to the child JVM. */
    void kill()
    {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    /** The next line that starts with {@code prefix}, skipping others; fails when the child ends first. */
    String awaitLine(final String prefix, final long timeoutNs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while (true)
        {
            final String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertNotNull(line, () -> name + " printed no " + prefix + " line in time");
            if (END.equals(line))
            {
                lines.add(END);
                fail(name + " ended before printing " + prefix);
            }
            if (line.startsWith("FAILED"))
            {
                fail(name + ": " + line);
            }
            if (line.startsWith(prefix))
            {
                return line;
            }
        }
    }

    void send(final String line)
    {
        in.println(line);
    }

    /** Closes the child's standard input, which ends it, and returns its exit code. */
    int finish() throws InterruptedException
    {
        in.close();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " exits when its standard input closes");
        return process.exitValue();
    }

    public void close() throws InterruptedException
    {
        if (unreaped)
        {
            // The parent kills and reaps its child when its standard input closes.
            NonReapingParent.close(process, pid);
            return;
        }
        in.close();
        if (process.isAlive())
        {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
