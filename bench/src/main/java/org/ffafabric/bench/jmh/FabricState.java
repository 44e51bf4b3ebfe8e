package org.ffafabric.bench.jmh;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Path;

/**
 * What the fabric benchmarks' states share: the {@link FabricBench} a subclass's set-up launches,
 * its directory (the test checks it is gone after tear-down) and the trial tear-down that closes it.
 * Public and abstract for JMH, which subclasses each {@code @State} class and calls the inherited
 * {@code @TearDown} method.
 */
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
