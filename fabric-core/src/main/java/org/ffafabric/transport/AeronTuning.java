package org.ffafabric.transport;

import io.aeron.Aeron;
import io.aeron.CncFileDescriptor;
import io.aeron.driver.Configuration;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.LogBufferDescriptor;
import org.agrona.BitUtil;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

import java.util.concurrent.TimeUnit;

/**
 * The Aeron settings the fabric ships, tuned for a fabric on few cores rather than for a
 * many-core messaging server. Benchmarks apply exactly these to their raw Aeron baseline so
 * that a ratio measures the fabric, not a tuning difference.
 * <ul>
 *   <li>IPC terms are pre-touched and not sparse: a sparse term faults a fresh page every
 *   few dozen messages, which is most of stock Aeron's p99 on small machines.</li>
 *   <li>Terms are large enough (4 MiB by default) that a publication rarely waits for the
 *   driver's conductor to move its limit. The partition manager's driver moves it about once a
 *   millisecond while only messages flow, so a publication carries at most half a term a
 *   millisecond: with 64 KiB terms (the tests'), some 340 short messages, and a faster
 *   ping-pong stalls for up to a millisecond once every window.</li>
 *   <li>The driver runs one shared thread that backs off to 1 ms sleeps, with no async executor
 *   thread: it is off the hot path, and a third thread waking often on two cores destroys tail
 *   latency. The partition manager runs its embedded driver in its own duty cycle instead.</li>
 *   <li>Client conductors sleep 10 ms when idle.</li>
 *   <li>The driver's timer checks its logs every 10 ms, not every second: a closed log's session ID is
 *   free again from its next check, and a partition claimed 256 times in a second reuses one.</li>
 *   <li>The driver checks for room before it makes a log, and refuses one that does not fit: its
 *   pages are touched as it is made, and on a full file system that touch would fault.</li>
 * </ul>
 * The term length, sparse files, pre-touch and timer interval yield to Aeron's own system properties; the
 * threading mode, term window and idle strategies are set here.
 */
public final class AeronTuning
{
    /** IPC term length when {@code aeron.ipc.term.buffer.length} is not set. */
    public static final int IPC_TERM_LENGTH_DEFAULT = 4 * 1024 * 1024;
    /**
     * A client conductor's sleep when idle. Its work is keepalives (every 500 ms) and noticing new
     * images, which only delays a first contact; each wake-up can take a core from a partition.
     */
    public static final long CLIENT_CONDUCTOR_SLEEP_MS = 10;
    private static final int CONDUCTOR_CYCLES_PER_TURN = 64;
    private static final long TIMER_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(10);
    // A client waiting for the driver's answer reads every client's notices on its way to its own, one
    // a look: with Aeron's 1 ms between looks, a claim's logs took ~7 ms a context to add.
    private static final long CLIENT_AWAITING_SLEEP_NS = TimeUnit.MICROSECONDS.toNanos(100);

    // The page size the driver aligns a log's metadata to (Aeron's default file page size).
    private static final int LOG_PAGE_SIZE = 4096;

    private AeronTuning()
    {
    }

    /** The IPC term length in force: Aeron's property when set, else the fabric's default. */
    public static int ipcTermLength()
    {
        return Integer.getInteger("aeron.ipc.term.buffer.length", IPC_TERM_LENGTH_DEFAULT);
    }

    /** Applies the fabric's driver settings; the directory is the caller's choice. */
    public static MediaDriver.Context driver(final MediaDriver.Context ctx)
    {
        return ctx
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy(
                1, 1, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1)))
            .ipcTermBufferLength(ipcTermLength())
            .ipcPublicationTermWindowLength(ipcTermLength())
            // A log is pre-touched through its mapping: where it does not fit, the touch faults (SIGBUS) in
            // the driver's duty cycle, the partition manager's. Checked, it is refused to its client instead.
            .performStorageChecks(true)
            .termBufferSparseFile(Boolean.parseBoolean(System.getProperty("aeron.term.buffer.sparse.file", "false")))
            .spiesSimulateConnection(true)
            // Its thread woke every millisecond for tasks an IPC-only driver never has.
            .asyncExecutorEnabled(false)
            // A closed log keeps its session ID until the timer's next check (Aeron's default: every second),
            // and a claim 256 generations on asks for the same one (Endpoint.addManagerPublication).
            .timerIntervalNs(System.getProperty(Configuration.TIMER_INTERVAL_PROP_NAME) != null ? ctx.timerIntervalNs() : TIMER_INTERVAL_NS)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true);
    }

    /**
     * The length of the control-and-command file ({@code cnc.dat}) a driver with these settings
     * makes, every byte of it written as it is made: 46 MiB with Aeron's defaults, most of it the
     * counters' values (8 MiB) and their metadata (32 MiB). Aeron makes it without a storage check.
     */
    public static long cncFileLength(final MediaDriver.Context ctx)
    {
        return BitUtil.align(CncFileDescriptor.META_DATA_LENGTH + (long)ctx.conductorBufferLength() +
            ctx.toClientsBufferLength() + Configuration.countersMetadataBufferLength(ctx.counterValuesBufferLength()) +
            ctx.counterValuesBufferLength() + ctx.errorBufferLength(), ctx.filePageSize());
    }

    /** The length of a log with IPC terms of {@code termLength}, as the driver makes it: three terms and a metadata page. */
    public static long logLength(final int termLength)
    {
        return LogBufferDescriptor.computeLogLength(termLength, LOG_PAGE_SIZE);
    }

    /**
     * Applies the fabric's client settings: pre-touched logs, a conductor that sleeps when idle, and a
     * look every 100 us, not every millisecond, for the driver's answer to a log asked for.
     */
    public static Aeron.Context client(final Aeron.Context ctx)
    {
        return ctx
            .idleStrategy(new SleepingMillisIdleStrategy(CLIENT_CONDUCTOR_SLEEP_MS))
            .awaitingIdleStrategy(new SleepingIdleStrategy(CLIENT_AWAITING_SLEEP_NS))
            .preTouchMappedMemory(Boolean.parseBoolean(System.getProperty("aeron.pre.touch.mapped.memory", "true")));
    }

    /**
     * Runs a conductor run by invoker until the driver has nothing more to tell it, up to 64 cycles: each
     * cycle takes one of the driver's notices, and a claim's logs come many at once.
     */
    public static void serviceConductor(final AgentInvoker conductor)
    {
        for (int i = 0; i < CONDUCTOR_CYCLES_PER_TURN && conductor.invoke() > 0; i++)
        {
            // Until the driver has nothing more to tell it.
        }
    }

    /** A one-line summary of the settings in force, for benchmark reports. */
    public static String describe()
    {
        return "ipcTermLength=" + ipcTermLength() +
            " preTouch=" + System.getProperty("aeron.pre.touch.mapped.memory", "true") +
            " sparse=" + System.getProperty("aeron.term.buffer.sparse.file", "false") +
            " driver=SHARED/backoff-to-1ms (the partition manager's: in its own duty cycle)" +
            " clientConductor=sleeping-" + CLIENT_CONDUCTOR_SLEEP_MS + "ms" +
            " clientAwaiting=sleeping-" + TimeUnit.NANOSECONDS.toMicros(CLIENT_AWAITING_SLEEP_NS) + "us";
    }
}
