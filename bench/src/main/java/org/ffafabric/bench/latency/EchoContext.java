package org.ffafabric.bench.latency;

import org.agrona.concurrent.IdleStrategy;

import java.util.List;

/**
 * What an {@link EchoSide} is given: the arguments its scenario passed and the idle strategy
 * of its spinning loop.
 */
public final class EchoContext
{
    private final List<String> args;
    private final IdleMode idleMode;
    private final IdleStrategy idleStrategy;

    public EchoContext(final List<String> args, final IdleMode idleMode)
    {
        this.args = List.copyOf(args);
        this.idleMode = idleMode;
        this.idleStrategy = idleMode.newIdleStrategy();
    }

    /** The arguments the scenario gave to {@code ScenarioContext.launchEcho}. */
    public List<String> args()
    {
        return args;
    }

    public int argCount()
    {
        return args.size();
    }

    /** The argument at the index, failing with a readable message when it is missing. */
    public String arg(final int index)
    {
        if (index >= args.size())
        {
            throw new IllegalArgumentException("echo needs argument " + index + ", got " + args);
        }

        return args.get(index);
    }

    public IdleMode idleMode()
    {
        return idleMode;
    }

    /** The idle strategy of this echo's loop; a fresh one, owned by the echo's thread. */
    public IdleStrategy idleStrategy()
    {
        return idleStrategy;
    }
}
