package org.ffafabric.bench.latency;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PercentilePlotTest
{
    @Test
    void labelsWholeNinesAndTheMedian()
    {
        assertEquals("0%", PercentilePlot.ninesLabel(0.0));
        assertEquals("50%", PercentilePlot.ninesLabel(PercentilePlot.nines(0.5)));
        assertEquals("90%", PercentilePlot.ninesLabel(1.0));
        assertEquals("99%", PercentilePlot.ninesLabel(2.0));
        assertEquals("99.9%", PercentilePlot.ninesLabel(3.0));
        assertEquals("99.99%", PercentilePlot.ninesLabel(4.0));
        assertEquals("", PercentilePlot.ninesLabel(2.5));
    }
}
