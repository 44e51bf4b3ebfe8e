package org.ffafabric.bench.latency;

import org.HdrHistogram.Histogram;

/**
 * The loop {@link RoundTripLoop#forOneScenario} loads a copy of for each scenario. Public, as it is
 * made by reflection from a class loader of its own (which also keeps it from anything package-private).
 */
public final class IsolatedRoundTripLoop implements RoundTripLoop
{
    public IsolatedRoundTripLoop()
    {
    }

    public long run(final LatencyScenario scenario, final int count, final Histogram histogram)
    {
        final long highestNs = null != histogram ? histogram.getHighestTrackableValue() : 0;
        long sink = 0;
        for (int i = 0; i < count; i++)
        {
            final long startNs = System.nanoTime();
            sink += scenario.roundTrip();
            final long durationNs = System.nanoTime() - startNs;
            if (null != histogram)
            {
                histogram.recordValue(Math.min(durationNs, highestNs));
            }
        }
        return sink;
    }
}
