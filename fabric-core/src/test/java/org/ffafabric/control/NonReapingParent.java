package org.ffafabric.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A parent that does not wait for its child, as a container's init or a careless parent may not: a
 * child killed under it stays a zombie. Unlike {@code bash -c 'child & exec sleep 600'}, whose
 * zombie only init could reap, it reaps when told: once its standard input closes (the test's
 * close, or the test's JVM gone) it kills its child and waits for it, so nothing outlives a test.
 * Its first line of output is the child's PID; the child's own output follows on the same stream.
 */
public final class NonReapingParent
{
    // Perl, as every Linux has it: bash reaps its background jobs by itself, and sleep cannot fork.
    private static final String SCRIPT =
        "$| = 1; my $pid = fork() // die \"fork: $!\";" +
        "if ($pid == 0) { open(STDIN, '<', '/dev/null'); exec { $ARGV[0] } @ARGV or die \"exec: $!\"; }" +
        "print \"$pid\\n\"; <STDIN>; kill 'KILL', $pid; waitpid($pid, 0);";
    private static final long ZOMBIE_NS = TimeUnit.SECONDS.toNanos(30);

    private NonReapingParent()
    {
    }

    /** The command that runs {@code child} under such a parent. */
    public static List<String> command(final List<String> child)
    {
        final List<String> command = new ArrayList<>(List.of("perl", "-e", SCRIPT, "--"));
        command.addAll(child);
        return command;
    }

    /**
     * Has the parent reap its child and waits for both: kills them by PID if the parent does not
     * end of itself (childPid 0 when the parent never said it).
     */
    public static void close(final Process parent, final long childPid) throws InterruptedException
    {
        closeQuietly(parent);
        if (!parent.waitFor(30, TimeUnit.SECONDS))
        {
            if (childPid != 0)
            {
                ProcessHandle.of(childPid).ifPresent(ProcessHandle::destroyForcibly);
            }
            parent.destroyForcibly();
            parent.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static void closeQuietly(final Process parent)
    {
        try
        {
            parent.getOutputStream().close();
        }
        catch (final IOException ignore)
        {
            // Gone already: its child went with it (killed and reaped) or is init's.
        }
    }

    /**
     * The state letter of a process in /proc/&lt;pid&gt;/stat (R, S, Z...), or 0 when it has none
     * (reaped, or no /proc): read here independently of the code under test.
     */
    public static char state(final long pid)
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2);
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }

    /**
     * Waits until a killed process is a zombie: exited, every thread of it (its first shows Z while the
     * others still end), and not waited for.
     */
    public static void awaitZombie(final long pid)
    {
        final long deadline = System.nanoTime() + ZOMBIE_NS;
        while (state(pid) != 'Z' || threads(pid) != 1)
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("pid " + pid + " never became a zombie: state " + state(pid) +
                    ", " + threads(pid) + " threads");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private static long threads(final long pid)
    {
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task")))
        {
            return tasks.count();
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }
}
