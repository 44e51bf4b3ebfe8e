package org.ffafabric.endpoint;

import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The client's default wait: Agrona's back-off to short parks while messages come often, long parks
 * once none has come for a while, and short ones again from the next message on. The clock is the
 * test's, so nothing here depends on how long a park really takes.
 */
class SettlingIdleStrategyTest
{
    private static final long SHORT_NS = TimeUnit.MICROSECONDS.toNanos(100);
    private static final long LONG_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SETTLE_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final CachedNanoClock clock = new CachedNanoClock();
    private final SettlingIdleStrategy idle = new SettlingIdleStrategy(2, 2, 1_000, SHORT_NS, SETTLE_NS, LONG_NS, clock);

    @Test
    void spinsYieldsThenParksDoublingUpToTheShortPark()
    {
        assertEquals(0, idle.nextParkNs(), "spinning");
        idleTimes(2);
        assertEquals(0, idle.nextParkNs(), "yielding");
        idleTimes(2);
        long expected = 1_000;
        while (expected < SHORT_NS)
        {
            assertEquals(expected, idle.nextParkNs());
            idleTimes(1);
            expected *= 2;
        }
        assertEquals(SHORT_NS, idle.nextParkNs());
        idleTimes(100);
        assertEquals(SHORT_NS, idle.nextParkNs(), "short parks while idle for less than the settling time");
    }

    @Test
    void idleForTheSettlingTimeParksLongUntilReset()
    {
        parkShort();
        clock.advance(SETTLE_NS - 1);
        idleTimes(1);
        assertEquals(SHORT_NS, idle.nextParkNs(), "not settled yet");
        clock.advance(1);
        idleTimes(1);
        assertEquals(LONG_NS, idle.nextParkNs(), "settled");
        idleTimes(10);
        assertEquals(LONG_NS, idle.nextParkNs());

        idle.reset();
        assertEquals(0, idle.nextParkNs(), "a message came: back to spinning");
        parkShort();
        assertEquals(SHORT_NS, idle.nextParkNs(), "the settling time starts again");
    }

    @Test
    void workDoneIsAReset()
    {
        parkShort();
        clock.advance(SETTLE_NS);
        idleTimes(1);
        assertEquals(LONG_NS, idle.nextParkNs());
        idle.idle(1);
        assertEquals(0, idle.nextParkNs());
    }

    /** From reset to parking at the short park's length. */
    private void parkShort()
    {
        while (idle.nextParkNs() != SHORT_NS)
        {
            idle.idle(0);
        }
    }

    private void idleTimes(final int times)
    {
        for (int i = 0; i < times; i++)
        {
            idle.idle(0);
        }
    }
}
