package org.ffafabric.bench.latency;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * How the spinning sides of a scenario wait: {@code busy} burns a core for the lowest latency,
 * {@code backoff} spins, yields, then parks, which is what a fabric sharing cores would ship.
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
    };

    /** A new strategy: idle strategies hold per-thread state, so each waiting loop gets its own. */
    public abstract IdleStrategy newIdleStrategy();

    /** The name used on command lines, e.g. {@code busy}. */
    public String label()
    {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses {@code busy} or {@code backoff}, in any case. */
    public static IdleMode parse(final String label)
    {
        return valueOf(label.toUpperCase(java.util.Locale.ROOT));
    }
}
