package org.ffafabric.bench.latency;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoundTripLoopTest
{
    /** Answers 1, 2, 3, ...; the first {@code slow} round trips take a millisecond. */
    private static final class Counting implements LatencyScenario
    {
        private final int slow;
        private long answers;

        Counting(final int slow)
        {
            this.slow = slow;
        }

        public void setUp(final ScenarioContext ctx)
        {
        }

        public long roundTrip()
        {
            if (answers < slow)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            return ++answers;
        }

        public void close()
        {
        }
    }

    @Test
    void eachScenarioGetsACopyOfTheLoopWithAClassOfItsOwn()
    {
        final RoundTripLoop one = RoundTripLoop.forOneScenario();
        final RoundTripLoop other = RoundTripLoop.forOneScenario();
        assertNotSame(one.getClass(), other.getClass());
        assertNotSame(IsolatedRoundTripLoop.class, one.getClass());
        assertEquals(IsolatedRoundTripLoop.class.getName(), one.getClass().getName());
        assertNotSame(IsolatedRoundTripLoop.class.getClassLoader(), one.getClass().getClassLoader());
    }

    @Test
    void aWarmUpRecordsNothingAndARunRecordsEachRoundTrip()
    {
        final RoundTripLoop loop = RoundTripLoop.forOneScenario();
        final Counting scenario = new Counting(0);
        final Histogram histogram = new Histogram(LatencyTool.HIGHEST_TRACKABLE_NS, 3);
        assertEquals(1 + 2 + 3, loop.run(scenario, 3, null));
        assertEquals(0, histogram.getTotalCount());
        assertEquals(4 + 5 + 6 + 7, loop.run(scenario, 4, histogram));
        assertEquals(4, histogram.getTotalCount());
    }

    @Test
    void aRoundTripLongerThanTheHistogramTracksIsRecordedAtItsHighestValue()
    {
        final Histogram histogram = new Histogram(1, 1_000, 1);
        RoundTripLoop.forOneScenario().run(new Counting(2), 5, histogram);
        assertEquals(5, histogram.getTotalCount());
        assertTrue(histogram.getCountAtValue(1_000) >= 2, "the two 1 ms round trips, capped");
    }
}
