package org.ffafabric.bench.baseline;

import org.ffafabric.bench.latency.IdleMode;
import org.ffafabric.bench.latency.ScenarioContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code uds-raw} with an echo that is alive but stuck. Never checks a timing value. */
class UdsScenarioTest
{
    @Test
    @Timeout(90)
    void aStuckEchoFailsTheRoundTripRatherThanHangingTheRun() throws Exception
    {
        // The ping's blocking read had no bound: an echo stopped by SIGSTOP, alive but never answering,
        // hung the whole run for ever.
        final UdsScenario scenario = UdsScenario.blocking();
        ProcessHandle echo = null;
        try
        {
            scenario.setUp(new ScenarioContext(IdleMode.BUSY));
            scenario.roundTrip();
            echo = echoProcess();
            signal("STOP", echo);

            final IllegalStateException ex = assertThrows(IllegalStateException.class, scenario::roundTrip);
            assertTrue(ex.getMessage().contains(echo.pid() + " did not answer within"), ex.getMessage());
        }
        finally
        {
            if (null != echo)
            {
                signal("CONT", echo);
            }
            scenario.close();
        }
    }

    /** The one child of this JVM running a UdsEcho (by its command line: a long one has no arguments() on Linux). */
    private static ProcessHandle echoProcess()
    {
        final List<ProcessHandle> echoes = ProcessHandle.current().children()
            .filter((child) -> child.info().commandLine().map((line) -> line.contains(UdsEcho.class.getName())).orElse(false))
            .toList();
        assertEquals(1, echoes.size(), echoes.toString());
        return echoes.get(0);
    }

    private static void signal(final String signal, final ProcessHandle process) throws Exception
    {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
            .inheritIO().start().waitFor(), "kill -" + signal);
    }
}
