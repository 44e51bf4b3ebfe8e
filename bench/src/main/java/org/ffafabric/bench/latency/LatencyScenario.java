package org.ffafabric.bench.latency;

/**
 * One way of doing a request/response round trip, measured by {@link LatencyTool}.
 * <p>
 * Life cycle: created by its {@link ScenarioRegistry} factory, {@link #setUp(ScenarioContext)}
 * once (map files, start the echo process, connect), {@link #roundTrip()} many times on one
 * thread, then {@link #close()}, which is called even when set-up or a round trip failed and
 * must leave nothing behind: no process, no file, no thread.
 */
public interface LatencyScenario extends AutoCloseable
{
    /**
     * Maps, connects and launches whatever the scenario needs, and returns only when a round
     * trip can start.
     *
     * @param ctx the tool's settings and helpers: idle strategy, unique file names, echo processes.
     * @throws Exception when the scenario can not be set up; the tool reports it and calls close.
     */
    void setUp(ScenarioContext ctx) throws Exception;

    /**
     * One request and its response, the scenario's message each way (64 bytes, or 144 for the
     * DIRECT_REQ2 size), the answer checked against the request. Must not allocate in steady
     * state. Fails with an unchecked exception when the peer is gone or stuck or the answer is wrong.
     *
     * @return a value from the response (e.g. the echoed sequence) so the work can not be elided.
     */
    long roundTrip();

    /**
     * Stops the peer and releases everything; idempotent, and safe after a failed set-up.
     */
    @Override
    void close() throws Exception;
}
