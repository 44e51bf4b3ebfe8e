package org.ffafabric.bench.latency;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * How the spinning sides of a scenario wait: {@code busy} burns a core for the lowest latency,
 * {@code backoff} spins, yields, then parks, which is what a fabric sharing cores would ship, and
 * {@code spin-park} spins through ~100,000 empty polls (a millisecond or more) before it yields and
 * parks: as busy as {@code busy} while round trips flow, asleep while the latency tool's
 * {@code --interleave} measures another scenario.
 */
public enum IdleMode
{
    BUSY
    {
        public IdleStrategy newIdleStrategy()
        {
            return new BusySpinIdleStrategy();
        }
    },

    BACKOFF
    {
        public IdleStrategy newIdleStrategy()
        {
            return new BackoffIdleStrategy();
        }
    },

    SPIN_PARK
    {
        public IdleStrategy newIdleStrategy()
        {
            return new BackoffIdleStrategy(100_000, 100, 1_000, 10_000_000);
        }
    };

    /** A new strategy: idle strategies hold per-thread state, so each waiting loop gets its own. */
    public abstract IdleStrategy newIdleStrategy();

    /** The name used on command lines, e.g. {@code spin-park}. */
    public String label()
    {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** Parses {@code busy}, {@code backoff} or {@code spin-park}, in any case. */
    public static IdleMode parse(final String label)
    {
        return valueOf(label.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
}
