package org.ffafabric.transport;

import io.aeron.AeronCounters;
import io.aeron.ErrorCode;
import io.aeron.driver.Configuration;
import io.aeron.driver.status.StreamCounter;
import io.aeron.exceptions.RegistrationException;
import org.agrona.BitUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.status.CountersReader;

/**
 * The media driver's counters, which its {@code cnc.dat} holds a fixed number of, and what a fabric
 * takes of them. Every log takes {@link #PER_LOG}: an IPC publication's position and limit, and a
 * position for each subscription that reads it, which in the fabric is one (a context's inbox, or
 * the partition manager's). Subscriptions take none of their own; each Aeron client takes one, its
 * heartbeat. A driver out of counters refuses a log, or, when only its subscriber's position was
 * missing, makes it and never links it: its publisher waits for a subscriber that never comes.
 */
public final class DriverCounters
{
    /** Publisher position and limit, and the position of the one subscription that reads the log. */
    public static final int PER_LOG = 3;
    /** The logs a claimed context has whatever it does: its own to the partition manager, and the reply. */
    public static final int CLAIM_LOGS_PER_CONTEXT = 2;
    /** The driver's own (Aeron 1.51's has 46: bytes sent, errors, cycle times...), with room to grow. */
    public static final int DRIVER_OWN = 64;

    private static final String ALLOCATION_FAILURE = "unable to allocate counter";
    private static final String SESSION_CLASH = "clashing sessionId";
    // cnc.dat holds the values, four times as much metadata and a few MiB of other buffers, in under 2 GiB.
    private static final long MAX_VALUES_BUFFER_LENGTH = Math.min(Configuration.COUNTERS_VALUES_BUFFER_LENGTH_MAX,
        (Integer.MAX_VALUE - 64L * 1024 * 1024) / 5 & ~4095L);

    private DriverCounters()
    {
    }

    /**
     * The counters a fabric never needs more of than: the driver's own, a heartbeat for each client
     * (a process claims one partition at least, and the manager and a tool have one each), every
     * context's claim logs, those of its largest partition once more (a partition claimed again takes
     * new logs while its last claim's linger, some seconds), and {@code peerLogs} logs between contexts.
     */
    public static long forFabric(
        final int partitions, final int contexts, final int largestPartition, final long peerLogs)
    {
        return DRIVER_OWN + partitions + 2 + reservedForClaims(contexts, largestPartition) + PER_LOG * peerLogs;
    }

    /** The claims' part of {@link #forFabric}, which peer logs never take. */
    public static long reservedForClaims(final int contexts, final int largestPartition)
    {
        return (long)PER_LOG * CLAIM_LOGS_PER_CONTEXT * (contexts + largestPartition);
    }

    /**
     * The counter values buffer that holds {@code counters}: at least Aeron's minimum (1 MiB, 8,192
     * counters), in whole pages. Its metadata takes four times as much again in {@code cnc.dat}.
     */
    public static int valuesBufferLength(final long counters)
    {
        final long length = BitUtil.align(counters * CountersReader.COUNTER_LENGTH, 4096);
        if (length > MAX_VALUES_BUFFER_LENGTH)
        {
            throw new IllegalStateException(counters + " counters do not fit in a media driver (at most " +
                MAX_VALUES_BUFFER_LENGTH / CountersReader.COUNTER_LENGTH + ")");
        }
        return (int)Math.max(length, Configuration.COUNTERS_VALUES_BUFFER_LENGTH_MIN);
    }

    /** How many counters a driver's values buffer of {@code length} bytes holds. */
    public static int capacity(final int valuesBufferLength)
    {
        return valuesBufferLength / CountersReader.COUNTER_LENGTH;
    }

    /**
     * The counters the driver could allocate now: never used, or freed and past their reuse
     * deadline. It reads every counter's state: for a failure's diagnosis, never a hot path.
     */
    public static int free(final CountersReader counters)
    {
        final long nowMs = System.currentTimeMillis();
        int free = 0;
        for (int id = 0, max = counters.maxCounterId(); id <= max; id++)
        {
            final int state = counters.getCounterState(id);
            if (state == CountersReader.RECORD_UNUSED ||
                (state == CountersReader.RECORD_RECLAIMED && counters.getFreeForReuseDeadline(id) <= nowMs))
            {
                free++;
            }
        }
        return free;
    }

    /**
     * True when the driver has no counter to give: a log just made that is not linked to its
     * subscriber was then refused its subscriber's position. Cheap while the driver has never
     * filled up (its last counter is still unused); a scan of them all once it has.
     */
    public static boolean noneFree(final CountersReader counters)
    {
        return counters.getCounterState(counters.maxCounterId()) != CountersReader.RECORD_UNUSED && free(counters) == 0;
    }

    /**
     * True while the driver keeps the position of subscription {@code subscriptionRegistrationId} in
     * the log of session {@code sessionId}: it has linked the two, and not yet let go of the link. A
     * scan up to the highest counter ever allocated.
     */
    public static boolean hasSubscriberPosition(
        final CountersReader counters, final long subscriptionRegistrationId, final int sessionId)
    {
        final AtomicBuffer metaData = counters.metaDataBuffer();
        for (int id = 0, max = counters.maxCounterId(); id <= max; id++)
        {
            final int state = counters.getCounterState(id);
            if (state == CountersReader.RECORD_UNUSED)
            {
                return false;
            }
            final int keyOffset = CountersReader.metaDataOffset(id) + CountersReader.KEY_OFFSET;
            if (state == CountersReader.RECORD_ALLOCATED &&
                counters.getCounterTypeId(id) == AeronCounters.DRIVER_SUBSCRIBER_POSITION_TYPE_ID &&
                metaData.getLong(keyOffset + StreamCounter.REGISTRATION_ID_OFFSET) == subscriptionRegistrationId &&
                metaData.getInt(keyOffset + StreamCounter.SESSION_ID_OFFSET) == sessionId)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * True when the driver refused a log because another of the stream's logs holds its session ID (its
     * error code and message say so): a closed one does until the driver's next timer check.
     */
    public static boolean isSessionClash(final RegistrationException ex)
    {
        return ex.errorCode() == ErrorCode.INVALID_CHANNEL && ex.getMessage() != null &&
            ex.getMessage().contains(SESSION_CLASH);
    }

    /** True when the driver refused a log for want of a counter (its message says so). */
    public static boolean isShortage(final Throwable ex)
    {
        for (Throwable t = ex; t != null; t = t.getCause())
        {
            if (t.getMessage() != null && t.getMessage().contains(ALLOCATION_FAILURE))
            {
                return true;
            }
        }
        return false;
    }
}
