package org.ffafabric.bench.latency;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The timed loop of round trips, one copy per scenario. Shared by every scenario, its call of
 * {@link LatencyScenario#roundTrip} would see them all: the JIT inlines the first two types it
 * meets there and calls the rest through the interface, so a scenario's numbers would depend on
 * which ran before it. Each copy is its class loaded anew, with a profile of its own, as a forked
 * JVM gives each of JMH's benchmarks.
 */
public interface RoundTripLoop
{
    /**
     * {@code count} round trips; each one's time, from a clock read before it to one after, goes into
     * {@code histogram} (capped at its highest trackable value), unless that is null (a warm-up, which
     * runs the same loop so that it is compiled before it is timed). Allocates nothing.
     *
     * @return the sum of the answers, so that no round trip can be elided.
     */
    long run(LatencyScenario scenario, int count, Histogram histogram);

    /** A copy of the loop whose profile no other scenario's round trips reach. */
    static RoundTripLoop forOneScenario()
    {
        final String name = "org.ffafabric.bench.latency.IsolatedRoundTripLoop";
        final byte[] bytes;
        try (InputStream in = RoundTripLoop.class.getResourceAsStream("IsolatedRoundTripLoop.class"))
        {
            if (null == in)
            {
                throw new IllegalStateException(name + " is not on the class path");
            }
            bytes = in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final ClassLoader loader = new ClassLoader(RoundTripLoop.class.getClassLoader())
        {
            protected Class<?> loadClass(final String className, final boolean resolve) throws ClassNotFoundException
            {
                if (!name.equals(className))
                {
                    return super.loadClass(className, resolve);
                }
                synchronized (getClassLoadingLock(className))
                {
                    final Class<?> loaded = findLoadedClass(className);
                    return null != loaded ? loaded : defineClass(className, bytes, 0, bytes.length);
                }
            }
        };
        try
        {
            return (RoundTripLoop)loader.loadClass(name).getConstructor().newInstance();
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException("cannot load a copy of " + name, ex);
        }
    }
}
