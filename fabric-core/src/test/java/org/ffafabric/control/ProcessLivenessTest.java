package org.ffafabric.control;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A zombie is dead, where /proc tells: ProcessHandle takes it for alive. */
class ProcessLivenessTest
{
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);

    @Test
    @Timeout(60)
    void aKilledProcessThatItsParentHasNotWaitedForIsDead() throws Exception
    {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "zombies are told by /proc");
        final Process parent = new ProcessBuilder(NonReapingParent.command(List.of("sleep", "600")))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        long pid = 0;
        try
        {
            final String line = new BufferedReader(
                new InputStreamReader(parent.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertNotNull(line, "the parent printed its child's PID");
            pid = Long.parseLong(line);
            assertTrue(ProcessLiveness.isAlive(pid), "a sleeping process is alive");

            final ProcessHandle child = ProcessHandle.of(pid).orElseThrow();
            assertTrue(child.destroyForcibly());
            NonReapingParent.awaitZombie(pid);
            assertTrue(child.isAlive(), "ProcessHandle takes a zombie for alive");
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

            assertFalse(ProcessLiveness.isAlive(pid));
            assertFalse(ProcessLiveness.isAlive(child));
            assertFalse(ProcessLiveness.isAliveSinceStart(pid, Long.MAX_VALUE));
            assertEquals(0, ProcessLiveness.startMark(pid), "a zombie marks nothing");
            assertEquals('Z', NonReapingParent.state(pid), "still a zombie: not reaped by the look");
        }
        finally
        {
            NonReapingParent.close(parent, pid);
        }
    }

    @Test
    @Timeout(60)
    void aCommandNameWithSpacesAndParenthesesIsNotTakenForAState() throws Exception
    {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "the state is read from /proc");
        // Perl names its process after $0 (prctl on Linux): "pid (x) Z (y) S ...".
        final Process process = new ProcessBuilder("perl", "-e", "$0 = 'x) Z (y'; sleep 600")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        try
        {
            final long deadline = System.nanoTime() + WAIT_NS;
            while (!Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat")).contains("(x) Z (y)"))
            {
                assertTrue(process.isAlive(), "perl ended");
                assertTrue(System.nanoTime() < deadline, "perl never renamed itself");
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            assertTrue(ProcessLiveness.isAlive(process.pid()));
            // Its start, read past that name, is the one ProcessHandle gives.
            assertStartIsProcessHandles(process.toHandle());
        }
        finally
        {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        // Reaped: gone to ProcessHandle too (its handle knows its start, so not a later holder of the PID).
        assertFalse(ProcessLiveness.isAlive(process.toHandle()));
    }

    /**
     * A process whose first thread has ended (pthread_exit) while others run shows Z in its stat, as a
     * native program embedding a JVM may: it is alive, and must not be taken for a zombie.
     */
    @Test
    @Timeout(60)
    void aProcessWhoseFirstThreadEndedWhileOthersRunIsAlive() throws Exception
    {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "the state is read from /proc");
        final Process process;
        try
        {
            process = new ProcessBuilder("python3", "-c", String.join("\n",
                "import ctypes, threading, time",
                "threading.Thread(target=lambda: time.sleep(600)).start()",
                "ctypes.CDLL(None).pthread_exit(None)"))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        }
        catch (final java.io.IOException ex)
        {
            assumeTrue(false, "no python3 to end a first thread with");
            return;
        }
        try
        {
            final long deadline = System.nanoTime() + WAIT_NS;
            while (NonReapingParent.state(process.pid()) != 'Z')
            {
                assertTrue(process.isAlive(), "python3 ended");
                assertTrue(System.nanoTime() < deadline, "the first thread never ended");
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            assertTrue(process.isAlive(), "its other thread runs");
            assertTrue(ProcessLiveness.isAlive(process.pid()), "a Z with a thread still running is no zombie");
        }
        finally
        {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aMarkFromBeforeAProcessStartedIsALaterProcesssNotItsOwn()
    {
        assertStartIsProcessHandles(ProcessHandle.current());
        assertTrue(ProcessLiveness.isAliveSince(ProcessHandle.current().pid(), System.currentTimeMillis()));
        assertFalse(ProcessLiveness.isAliveSince(Integer.MAX_VALUE, System.currentTimeMillis()));
    }

    /**
     * A mark made as the process started is its own; one made more than the slack (1 s) before is a
     * mark of some earlier holder of the PID.
     */
    private static void assertStartIsProcessHandles(final ProcessHandle process)
    {
        final long start = process.info().startInstant().orElseThrow().toEpochMilli();
        assertTrue(ProcessLiveness.isAliveSince(process.pid(), start), "a mark made as it started");
        assertTrue(ProcessLiveness.isAliveSince(process.pid(), start - 900), "a mark within the slack");
        assertFalse(ProcessLiveness.isAliveSince(process.pid(), start - 1_100), "a mark from before it started");
    }

    /**
     * A start mark is the process's own start, the same at every look: a mark of one that started
     * before it (the earlier holder of its PID) is not its, a later claimer's is. A process started later
     * marks no earlier.
     */
    @Test
    @Timeout(60)
    void aStartMarkIsItsProcesssOwnAndAnEarlierOneIsNot() throws Exception
    {
        final long me = ProcessHandle.current().pid();
        final long mark = ProcessLiveness.startMark(me);
        assertTrue(mark > 0, "this process's start can be told");
        assertEquals(mark, ProcessLiveness.startMark(me));
        assertTrue(ProcessLiveness.isAliveSinceStart(me, mark), "its own start");
        assertTrue(ProcessLiveness.isAliveSinceStart(me, mark + 1), "a later claimer's");
        assertFalse(ProcessLiveness.isAliveSinceStart(me, mark - 1), "an earlier holder's of its PID");
        assertEquals(0, ProcessLiveness.startMark(Integer.MAX_VALUE), "no such process: nothing to mark");
        assertFalse(ProcessLiveness.isAliveSinceStart(Integer.MAX_VALUE, Long.MAX_VALUE));

        final Process later = new ProcessBuilder("sleep", "600").start();
        try
        {
            assertTrue(ProcessLiveness.startMark(later.pid()) >= mark, "started after this process");
        }
        finally
        {
            later.destroyForcibly();
            later.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void thisProcessIsAliveAndAnUnknownPidIsNot()
    {
        assertTrue(ProcessLiveness.isAlive(ProcessHandle.current().pid()));
        // Above any pid_max (2^22 on Linux).
        assertFalse(ProcessLiveness.isAlive(Integer.MAX_VALUE));
    }
}
