package org.ffafabric.control;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;

/**
 * Whether a process holding a claim, or running a partition manager, is alive, and whether it is
 * the process that left a mark or a later one given the same PID. {@link ProcessHandle#isAlive()}
 * says yes of a zombie too: a process that has exited but that its parent has not yet waited for,
 * which under a parent (or a container's init) that never waits stays so for ever. Where
 * {@code /proc} can be read (Linux) one read of {@code /proc/<pid>/stat} tells all: its state
 * ({@code Z} zombie and {@code X} dead have exited) and its start, in clock ticks after boot.
 * Elsewhere ProcessHandle's answers stand.
 * <p>
 * A mark is best the process's own start ({@link #startMark}, {@link #isAliveSinceStart}): every
 * reader reads the same ticks, and no step of the wall clock moves them. A time of the wall clock (a
 * file's, {@link #isAliveSince}) is compared with a start reckoned from the boot time this JVM read as
 * it loaded this class, on a wall clock that may have been stepped since.
 * <p>
 * Not for a hot path: one small read of /proc per call (the partition manager makes one per
 * claimed partition every 100 ms).
 */
public final class ProcessLiveness
{
    // A process's stat line is one line of ~52 fields: its comm (at most 64 bytes, a kernel thread's)
    // and 50 numbers of at most 20 digits fit, and the fields wanted come early.
    private static final int STAT_LENGTH = 1_536;
    // The start field (starttime) is the 22nd; the state the 3rd. Fields after the comm count from the state.
    private static final int START_FIELD_AFTER_STATE = 22 - 3;
    // Clock ticks in /proc are USER_HZ, which is 100 on every Linux architecture's user ABI.
    private static final long MS_PER_TICK = 10;
    // A process start time is known to a clock tick, and boot time to a second; a clock stepped back a little must not matter.
    private static final long START_SLACK_MS = 1_000;
    // Boot time in epoch ms from /proc/stat's btime, as ProcessHandle computes start instants; -1 without /proc.
    private static final long BOOT_EPOCH_MS = bootEpochMs();

    private static final long GONE = -1;
    private static final long UNKNOWN = -2;

    private ProcessLiveness()
    {
    }

    /** True when a process of that PID is alive: it exists, and it is no zombie. */
    public static boolean isAlive(final long pid)
    {
        if (BOOT_EPOCH_MS < 0)
        {
            return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
        return pid > 0 && startTicks(pid) != GONE;
    }

    /**
     * True when a process of that PID is alive and started no later than {@code epochMs}, a time of the
     * wall clock when it left a mark (a file it made): so not a later process given the same PID, within
     * a second's slack. A wall clock stepped back, between this class's loading and the mark, by more than
     * the slack and the process's age at its mark takes it for a later process: where the process can
     * give its own start, mark that ({@link #isAliveSinceStart}).
     */
    public static boolean isAliveSince(final long pid, final long epochMs)
    {
        if (pid <= 0)
        {
            return false;
        }
        if (BOOT_EPOCH_MS < 0)
        {
            return isAliveStartedBy(pid, epochMs + START_SLACK_MS);
        }
        final long ticks = startTicks(pid);
        return ticks != GONE && (ticks == UNKNOWN || BOOT_EPOCH_MS + ticks * MS_PER_TICK <= epochMs + START_SLACK_MS);
    }

    /**
     * The start of a running process, for {@link #isAliveSinceStart}: where /proc tells, its clock ticks
     * after boot from its stat, the same for every reader and moved by no step of the wall clock;
     * elsewhere ProcessHandle's start instant, in epoch ms. 0 when it cannot be told (no such process runs,
     * or its start is unknown), which marks nothing.
     */
    public static long startMark(final long pid)
    {
        if (pid <= 0)
        {
            return 0;
        }
        if (BOOT_EPOCH_MS < 0)
        {
            return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .flatMap(p -> p.info().startInstant())
                .map(Instant::toEpochMilli)
                .orElse(0L);
        }
        return Math.max(0, startTicks(pid));
    }

    /**
     * True when a process of that PID is alive and started no later than {@code startMark}, the {@link
     * #startMark} of the process that left it (or of one started later): so not a later process given the
     * same PID, unless given it within the clock tick (10 ms) its claimant started in.
     */
    public static boolean isAliveSinceStart(final long pid, final long startMark)
    {
        if (pid <= 0)
        {
            return false;
        }
        if (BOOT_EPOCH_MS < 0)
        {
            // Without /proc, startMark gave ProcessHandle's start in epoch ms.
            return isAliveStartedBy(pid, startMark);
        }
        final long ticks = startTicks(pid);
        return ticks != GONE && (ticks == UNKNOWN || ticks <= startMark);
    }

    /** Where there is no /proc: ProcessHandle sees the process alive, started by {@code epochMs} (or it cannot tell when). */
    private static boolean isAliveStartedBy(final long pid, final long epochMs)
    {
        return ProcessHandle.of(pid)
            .filter(ProcessHandle::isAlive)
            .map(p -> p.info().startInstant().map(s -> s.toEpochMilli() <= epochMs).orElse(true))
            .orElse(false);
    }

    /** True when the process is alive: ProcessHandle says so, and it is no zombie. */
    public static boolean isAlive(final ProcessHandle process)
    {
        return process.isAlive() && (BOOT_EPOCH_MS < 0 || startTicks(process.pid()) != GONE);
    }

    /**
     * The start of a live process in clock ticks after boot, from one read of its /proc stat; {@link
     * #GONE} when it has no stat (never was, or reaped) or has exited (Z or X); {@link #UNKNOWN} when
     * the stat cannot be made out.
     */
    private static long startTicks(final long pid)
    {
        final byte[] stat = new byte[STAT_LENGTH];
        final int length = read("/proc/" + pid + "/stat", stat);
        if (length < 0)
        {
            return GONE;
        }
        // The comm may hold spaces and parentheses; every field after its last ')' is a number.
        int i = length - 1;
        while (i >= 0 && stat[i] != ')')
        {
            i--;
        }
        final int stateAt = i + 2;
        if (i < 0 || stateAt >= length)
        {
            return UNKNOWN;
        }
        final int state = stat[stateAt];
        // 'x' is dead too on kernels 2.6.33 to 3.13. A Z whose other threads run is no zombie: its
        // first thread ended (pthread_exit), as a native program embedding a JVM may end it.
        if (state == 'X' || state == 'x' || state == 'Z' && !hasOtherThreads(pid))
        {
            return GONE;
        }
        int at = stateAt;
        for (int field = 0; field < START_FIELD_AFTER_STATE; field++)
        {
            while (at < length && stat[at] != ' ')
            {
                at++;
            }
            at++;
        }
        long ticks = 0;
        int digits = 0;
        for (; at < length && stat[at] >= '0' && stat[at] <= '9'; at++, digits++)
        {
            ticks = ticks * 10 + (stat[at] - '0');
        }
        return digits == 0 ? UNKNOWN : ticks;
    }

    /** Boot time from /proc/stat's {@code btime} line, in epoch ms; -1 where there is no /proc. */
    private static long bootEpochMs()
    {
        try
        {
            for (final String line : Files.readAllLines(Paths.get("/proc/stat"), StandardCharsets.US_ASCII))
            {
                if (line.startsWith("btime "))
                {
                    return Long.parseLong(line.substring("btime ".length()).trim()) * 1000;
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // No /proc, or not Linux's: ProcessHandle answers instead.
        }
        return -1;
    }

    /** Reads at most {@code into.length} bytes of a small file; -1 when it cannot be opened. */
    private static int read(final String file, final byte[] into)
    {
        int length = 0;
        try (FileInputStream in = new FileInputStream(file))
        {
            int read;
            while (length < into.length && (read = in.read(into, length, into.length - length)) > 0)
            {
                length += read;
            }
        }
        catch (final IOException ex)
        {
            return length == 0 ? -1 : length;
        }
        return length;
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
