package org.ffafabric.control;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Whether a process holding a claim, or running a partition manager, is alive. {@link
 * ProcessHandle#isAlive()} says so of a zombie too: a process that has exited but that its parent
 * has not yet waited for, which under a parent (or a container's init) that never waits stays so
 * for ever. Where {@code /proc/<pid>/stat} can be read (Linux) its state tells: {@code Z} (zombie)
 * and {@code X} (dead) have exited. Elsewhere ProcessHandle's answer stands.
 * <p>
 * Not for a hot path: one small read of /proc per call, besides ProcessHandle's own.
 */
public final class ProcessLiveness
{
    // "pid (comm) state ...": a pid of at most 10 digits and a comm of at most 64 bytes (a kernel
    // thread's; a process's is 16) fit, so the state is always within these bytes.
    private static final int STAT_PREFIX_LENGTH = 128;
    // A process start time is known to a clock tick; a clock stepped back a little must not matter.
    private static final long START_SLACK_MS = 1_000;

    private ProcessLiveness()
    {
    }

    /** True when a process of that PID is alive: ProcessHandle sees it, and it is no zombie. */
    public static boolean isAlive(final long pid)
    {
        return ProcessHandle.of(pid).map(ProcessLiveness::isAlive).orElse(false);
    }

    /**
     * True when a process of that PID is alive and started no later than {@code epochMs}, when it
     * left a mark (a file it made): so not a later process given the same PID.
     */
    public static boolean isAliveSince(final long pid, final long epochMs)
    {
        return pid > 0 && ProcessHandle.of(pid)
            .filter(ProcessLiveness::isAlive)
            .map(p -> p.info().startInstant().map(start -> start.toEpochMilli() <= epochMs + START_SLACK_MS).orElse(true))
            .orElse(false);
    }

    /** True when the process is alive: ProcessHandle says so, and it is no zombie. */
    public static boolean isAlive(final ProcessHandle process)
    {
        return process.isAlive() && !hasExited(process.pid());
    }

    /**
     * True when /proc says the process has exited (Z or X); false when it says otherwise, or cannot
     * be read: no /proc, or reaped since ProcessHandle looked (the next check sees that).
     */
    static boolean hasExited(final long pid)
    {
        final byte[] stat = new byte[STAT_PREFIX_LENGTH];
        int length = 0;
        try (FileInputStream in = new FileInputStream("/proc/" + pid + "/stat"))
        {
            int read;
            while (length < stat.length && (read = in.read(stat, length, stat.length - length)) > 0)
            {
                length += read;
            }
        }
        catch (final IOException ex)
        {
            return false;
        }
        // The command name may hold spaces and parentheses; every field after it is a number.
        for (int i = length - 1; i >= 0; i--)
        {
            if (stat[i] == ')')
            {
                final int state = i + 2 < length ? stat[i + 2] : 0;
                // 'x' is dead too on kernels 2.6.33 to 3.13. A Z whose other threads run is no zombie: its
                // first thread ended (pthread_exit), as a native program embedding a JVM may end it.
                return state == 'X' || state == 'x' || state == 'Z' && !hasOtherThreads(pid);
            }
        }
        return false;
    }

    /** True when /proc lists a thread of the process besides its first; a zombie's list holds that one alone. */
    private static boolean hasOtherThreads(final long pid)
    {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Paths.get("/proc", Long.toString(pid), "task")))
        {
            int count = 0;
            for (final Path ignore : tasks)
            {
                if (++count > 1)
                {
                    return true;
                }
            }
            return false;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }
}
