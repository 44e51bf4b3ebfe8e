package org.ffafabric.bench.jmh;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What the fabric benchmarks' states share: the {@link FabricBench} a subclass's set-up launches,
 * its directory (the test checks it is gone after tear-down) and the trial tear-down that closes it.
 * The run options here (modes, time unit, warm-up, measurement, one fork, one thread) are
 * inherited by every subclass. Public and abstract for JMH, which subclasses each {@code @State}
 * class and calls the inherited {@code @TearDown} method.
 */
@BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public abstract class FabricState
{
    FabricBench fabric;

    Path directory()
    {
        return fabric == null ? null : fabric.directory();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        if (fabric != null)
        {
            try
            {
                fabric.close();
            }
            finally
            {
                fabric = null;
            }
        }
    }
}
