package org.ffafabric.endpoint;

import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A waiting context's default idle: Agrona's back-off (spin, yield, then parks doubling up to a short
 * one) while messages come often, and long parks once none has come for a while. Each wakeup costs a
 * context several microseconds of a core, so a partition of many contexts idling at 100 us parks
 * took whole cores doing nothing; settled, an idle context wakes a thousand times a second instead
 * of ten thousand. The first message after a long silence waits up to one long park; any work, or
 * {@link #reset}, starts over from spinning.
 */
public final class SettlingIdleStrategy implements IdleStrategy
{
    public static final int DEFAULT_MAX_SPINS = 100;
    public static final int DEFAULT_MAX_YIELDS = 10;
    public static final long DEFAULT_MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(1);
    public static final long DEFAULT_SHORT_PARK_NS = TimeUnit.MICROSECONDS.toNanos(100);
    public static final long DEFAULT_SETTLE_NS = TimeUnit.MILLISECONDS.toNanos(10);
    public static final long DEFAULT_LONG_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final int maxSpins;
    private final int maxYields;
    private final long minParkNs;
    private final long shortParkNs;
    private final long settleNs;
    private final long longParkNs;
    private final NanoClock clock;
    private int spins;
    private int yields;
    private long parkNs;
    private boolean parking;
    private long parkingSinceNs;

    /** The defaults: parks up to 100 us, and 1 ms ones once idle for 10 ms. */
    public SettlingIdleStrategy()
    {
        this(DEFAULT_MAX_SPINS, DEFAULT_MAX_YIELDS, DEFAULT_MIN_PARK_NS, DEFAULT_SHORT_PARK_NS, DEFAULT_SETTLE_NS,
            DEFAULT_LONG_PARK_NS, SystemNanoClock.INSTANCE);
    }

    /**
     * @param maxSpins    empty polls spun through first.
     * @param maxYields   then yielded through.
     * @param minParkNs   the first park, doubled at each one after.
     * @param shortParkNs the longest park until settled.
     * @param settleNs    parking for this long settles the wait.
     * @param longParkNs  each park once settled.
     * @param clock       what the parking is timed by.
     */
    public SettlingIdleStrategy(
        final int maxSpins, final int maxYields, final long minParkNs, final long shortParkNs, final long settleNs,
        final long longParkNs, final NanoClock clock)
    {
        if (minParkNs <= 0 || shortParkNs < minParkNs || longParkNs < shortParkNs || settleNs < 0)
        {
            throw new IllegalArgumentException("parks must be 0 < min <= short <= long, settling time >= 0: " +
                minParkNs + ", " + shortParkNs + ", " + longParkNs + ", " + settleNs);
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNs = minParkNs;
        this.shortParkNs = shortParkNs;
        this.settleNs = settleNs;
        this.longParkNs = longParkNs;
        this.clock = clock;
        reset();
    }

    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    public void idle()
    {
        if (spins < maxSpins)
        {
            spins++;
            Thread.onSpinWait();
        }
        else if (yields < maxYields)
        {
            yields++;
            Thread.yield();
        }
        else
        {
            final long nowNs = clock.nanoTime();
            if (!parking)
            {
                parking = true;
                parkingSinceNs = nowNs;
            }
            LockSupport.parkNanos(parkNs);
            parkNs = nowNs - parkingSinceNs >= settleNs ? longParkNs : Math.min(parkNs << 1, shortParkNs);
        }
    }

    public void reset()
    {
        spins = 0;
        yields = 0;
        parkNs = minParkNs;
        parking = false;
    }

    /** The park the next empty idle takes; 0 while it would spin or yield. */
    public long nextParkNs()
    {
        return spins < maxSpins || yields < maxYields ? 0 : parkNs;
    }

    public String alias()
    {
        return "settling-backoff";
    }

    public String toString()
    {
        return "SettlingIdleStrategy{alias=" + alias() + ", maxSpins=" + maxSpins + ", maxYields=" + maxYields +
            ", minParkNs=" + minParkNs + ", shortParkNs=" + shortParkNs + ", settleNs=" + settleNs +
            ", longParkNs=" + longParkNs + "}";
    }
}
