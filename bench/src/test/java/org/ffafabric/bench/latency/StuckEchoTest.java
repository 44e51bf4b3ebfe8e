package org.ffafabric.bench.latency;

import org.ffafabric.launch.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A scenario whose echo process is alive but stuck (stopped by SIGSTOP): its round trip fails in the
 * words of the spinning scenarios' {@link PeerWait}, rather than hang the run. Never checks a timing
 * value. The hang guard abandons a round trip that does not end (a spin does not heed an interrupt).
 */
class StuckEchoTest
{
    // Short of the client liveness after which a stopped Aeron client is closed (ffa-direct's echo; Aeron's 10 s,
    // the tests' 30 s), so the echo resumes well.
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(3);

    private LatencyScenario scenario;
    private ProcessHandle echo;

    @ParameterizedTest
    @ValueSource(strings = { "uds-raw", "ffa-direct-xproc" })
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aStuckEchoFailsTheRoundTripRatherThanHangingTheRun(final String name) throws Exception
    {
        // uds-raw's blocking read had no bound, nor had ffa-direct-xproc's call: a stopped echo hung the run for ever.
        final List<Long> before = echoes();
        scenario = ScenarioRegistry.standard().newScenario(name);
        scenario.setUp(new ScenarioContext(IdleMode.BUSY, ScenarioContext.DEFAULT_READY_TIMEOUT, ANSWER_TIMEOUT));
        scenario.roundTrip();
        echo = newEcho(before);
        signal("STOP", echo);
        awaitStopped(echo);

        final IllegalStateException ex = assertThrows(IllegalStateException.class, scenario::roundTrip);
        assertTrue(ex.getMessage().contains(" did not answer within "), ex.getMessage());
    }

    @AfterEach
    void resumeAndClose() throws Exception
    {
        if (null != echo)
        {
            signal("CONT", echo);
        }
        if (null != scenario)
        {
            scenario.close();
        }
    }

    /** The children of this JVM that run an echo. */
    private static List<Long> echoes()
    {
        return ProcessHandle.current().children()
            .filter((child) -> ChildJvm.runs(child, EchoMain.class))
            .map(ProcessHandle::pid)
            .toList();
    }

    /** The one echo started since {@code before}. */
    private static ProcessHandle newEcho(final List<Long> before)
    {
        final List<Long> echoes = new ArrayList<>(echoes());
        echoes.removeAll(before);
        assertEquals(1, echoes.size(), echoes.toString());
        return ProcessHandle.of(echoes.get(0)).orElseThrow();
    }

    /** Until every thread of the process has stopped: a signal takes effect on each thread a moment after kill returns. */
    private static void awaitStopped(final ProcessHandle process) throws Exception
    {
        final Path tasks = Path.of("/proc/" + process.pid() + "/task");
        while (true)
        {
            try (Stream<Path> threads = Files.list(tasks))
            {
                if (threads.allMatch(StuckEchoTest::stopped))
                {
                    return;
                }
            }
            Thread.sleep(1);
        }
    }

    /** Whether /proc's stat of the thread says T (stopped), or the thread has gone. */
    private static boolean stopped(final Path thread)
    {
        try
        {
            final String stat = Files.readString(thread.resolve("stat"));
            // "tid (comm) state ...": comm may hold spaces and parentheses, the state follows the last ')'.
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'T';
        }
        catch (final IOException ex)
        {
            return true;
        }
    }

    private static void signal(final String signal, final ProcessHandle process) throws Exception
    {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
            .inheritIO().start().waitFor(), "kill -" + signal);
    }
}
