package org.ffafabric.bench.latency;

import org.agrona.IoUtil;
import org.agrona.concurrent.IdleStrategy;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the latency tool gives a scenario at set-up: its settings, names for the files it
 * creates, and child processes for its echo side.
 * <p>
 * Every file or directory a scenario creates is named {@value #NAME_PREFIX}{@code <pid>-...}, so
 * that a leftover is recognisable and tests can check that none is left.
 */
public final class ScenarioContext
{
    /** Prefix of every file, directory and shared-memory object the bench creates. */
    public static final String NAME_PREFIX = "ffa-bench-";

    /** How long a child JVM may take to start and set up its echo. */
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(30);

    /** How long a round trip may wait for its answer before the echo is taken for stuck. */
    public static final Duration DEFAULT_ANSWER_TIMEOUT = Duration.ofNanos(PeerWait.DEFAULT_TIMEOUT_NS);

    private static final AtomicInteger NAME_COUNTER = new AtomicInteger();
    private static final Path DEV_SHM = Path.of("/dev/shm");

    private final IdleMode idleMode;
    private final Duration readyTimeout;
    private final long answerTimeoutNs;

    public ScenarioContext(final IdleMode idleMode)
    {
        this(idleMode, DEFAULT_READY_TIMEOUT, DEFAULT_ANSWER_TIMEOUT);
    }

    public ScenarioContext(final IdleMode idleMode, final Duration readyTimeout, final Duration answerTimeout)
    {
        this.idleMode = idleMode;
        this.readyTimeout = readyTimeout;
        this.answerTimeoutNs = answerTimeout.toNanos();
    }

    public IdleMode idleMode()
    {
        return idleMode;
    }

    /** How long a round trip may wait for its answer: a dead echo fails it sooner, a stuck one then. */
    public long answerTimeoutNs()
    {
        return answerTimeoutNs;
    }

    /** A fresh idle strategy of the chosen mode for one spinning loop. */
    public IdleStrategy newIdleStrategy()
    {
        return idleMode.newIdleStrategy();
    }

    /** A name no other scenario of any process on this host uses: prefix, pid, what, counter. */
    public static String uniqueName(final String what)
    {
        return NAME_PREFIX + ProcessHandle.current().pid() + "-" + what + "-" + NAME_COUNTER.incrementAndGet();
    }

    /** Where shared memory lives: {@code /dev/shm} on Linux, else the temp directory. */
    public static Path shmDirectory()
    {
        return Files.isDirectory(DEV_SHM) && Files.isWritable(DEV_SHM) ?
            DEV_SHM : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** A unique path in {@link #shmDirectory()}; nothing is created. */
    public static Path newShmPath(final String what)
    {
        return shmDirectory().resolve(uniqueName(what));
    }

    /** Creates a new, empty directory in the temp directory; the caller deletes it. */
    public static Path newTempDirectory(final String what) throws IOException
    {
        return Files.createTempDirectory(uniqueName(what) + "-");
    }

    /** Deletes a file or directory tree if it exists, ignoring failures: for close paths. */
    public static void deleteQuietly(final Path path)
    {
        if (null != path)
        {
            IoUtil.delete(path.toFile(), true);
        }
    }

    /**
     * Finds, and optionally deletes, what killed runs left behind: entries in {@link #shmDirectory()}
     * and the temp directory named with {@link #NAME_PREFIX} and the pid of a process that no
     * longer exists (an Aeron directory survives a {@code kill -9} of the driver's process).
     * Deleting is opt-in: a process in another pid namespace sharing /dev/shm looks dead from here.
     *
     * @param delete whether to delete them or only list them.
     * @return the stale paths.
     */
    public static List<Path> staleEntries(final boolean delete) throws IOException
    {
        final List<Path> deleted = new java.util.ArrayList<>();
        for (final Path directory : List.of(shmDirectory(), Path.of(System.getProperty("java.io.tmpdir"))))
        {
            try (java.util.stream.Stream<Path> entries = Files.list(directory))
            {
                for (final Path entry : (Iterable<Path>)entries::iterator)
                {
                    final long pid = ownerPid(entry.getFileName().toString());
                    if (pid > 0 && ProcessHandle.of(pid).isEmpty())
                    {
                        if (delete)
                        {
                            deleteQuietly(entry);
                        }
                        deleted.add(entry);
                    }
                }
            }
        }
        return deleted;
    }

    /**
     * Deletes every entry of this process in {@link #shmDirectory()} and the temp directory, quietly:
     * for a shutdown hook, as a signal (SIGTERM, Ctrl-C) ends a run without closing its scenarios.
     * Unlinking a file its users still have mapped is safe: they keep the memory until they unmap it.
     */
    public static void deleteOwnEntries()
    {
        final long pid = ProcessHandle.current().pid();
        for (final Path directory : List.of(shmDirectory(), Path.of(System.getProperty("java.io.tmpdir"))))
        {
            try (java.util.stream.Stream<Path> entries = Files.list(directory))
            {
                entries.filter((entry) -> ownerPid(entry.getFileName().toString()) == pid)
                    .forEach(ScenarioContext::deleteQuietly);
            }
            catch (final IOException | RuntimeException ignore)
            {
                // Best effort: a later run lists what is left, and --sweep-stale deletes it.
            }
        }
    }

    /** The pid in a name made by {@link #uniqueName(String)}, or -1. */
    static long ownerPid(final String name)
    {
        if (!name.startsWith(NAME_PREFIX))
        {
            return -1;
        }

        final int end = name.indexOf('-', NAME_PREFIX.length());
        try
        {
            return end < 0 ? -1 : Long.parseLong(name.substring(NAME_PREFIX.length(), end));
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /**
     * Starts a child JVM running the echo side and returns when it is ready. The child gets
     * this JVM's java, class path and flags, and the tool's idle mode.
     *
     * @param echoClass the echo side, a public class with a public no-argument constructor.
     * @param args      arguments for its {@link EchoContext}, e.g. a file path.
     * @return the running child; the scenario closes it.
     * @throws Exception when the child fails to start or set up.
     */
    public EchoProcess launchEcho(final Class<? extends EchoSide> echoClass, final String... args) throws Exception
    {
        return EchoProcess.launch(echoClass, idleMode, List.of(args), readyTimeout);
    }

    /** A waiter for the answers of a child echo that fails fast when the child dies. */
    public PeerWait newPeerWait(final EchoProcess echo)
    {
        return new PeerWait(newIdleStrategy(), echo::isAlive, echo.toString(), answerTimeoutNs);
    }

    /** A bound on blocking reads of a child echo's answers on {@code channel}, which it closes to end one. */
    public BlockingPeerWait newBlockingPeerWait(final EchoProcess echo, final Closeable channel)
    {
        return new BlockingPeerWait(channel, echo::isAlive, echo.toString(), answerTimeoutNs);
    }
}
