package org.ffafabric.bench.latency;

/**
 * The answering half of a scenario, run by {@link EchoMain} in a child process (or by
 * {@link EchoRunner} on a thread, for JMH). Implementations need a public no-argument
 * constructor: the child finds them by class name.
 * <p>
 * Like an Agrona {@code Agent}: {@link #doWork()} is called in a loop with the context's idle
 * strategy between calls that did nothing, until the parent says stop or goes away.
 */
public interface EchoSide extends AutoCloseable
{
    /**
     * Maps and connects; the parent is told the echo is ready only after this returns.
     *
     * @param ctx the arguments the parent passed and the idle strategy to use.
     * @throws Exception when the echo can not be set up; the child then exits non-zero.
     */
    void setUp(EchoContext ctx) throws Exception;

    /**
     * Answers what has arrived.
     *
     * @return the number of messages answered, 0 when there was nothing to do, or negative when
     * the peer has gone and the loop should end.
     * @throws Exception on a broken transport; the loop ends and the child exits non-zero.
     */
    int doWork() throws Exception;

    @Override
    void close() throws Exception;
}
