package org.ffafabric.bench.latency;

import org.ffafabric.launch.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The parent's handle on a child JVM running an {@link EchoSide} through {@link EchoMain}.
 * Launching returns once the child reports it is ready; closing asks it to stop, waits, and
 * destroys it if it does not. The child's stderr goes to this process's stderr, and anything
 * it prints on stdout after the ready line too, so the tool's stdout stays its report.
 */
public final class EchoProcess implements AutoCloseable
{
    /** How long a child may take to exit once asked to stop. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private final Process process;
    private final String description;
    private boolean closed;

    private EchoProcess(final Process process, final String description)
    {
        this.process = process;
        this.description = description;
    }

    /**
     * Starts a child JVM running the echo and waits for it to be ready.
     *
     * @param echoClass    the echo side, with a public no-argument constructor.
     * @param idleMode     the child's idle strategy.
     * @param echoArgs     arguments for the echo's {@link EchoContext}.
     * @param readyTimeout how long set-up in the child may take, JVM start included.
     * @return the running child.
     * @throws IOException          when the child can not be started, exits, or is not ready in time.
     * @throws InterruptedException when interrupted while waiting.
     */
    public static EchoProcess launch(
        final Class<? extends EchoSide> echoClass,
        final IdleMode idleMode,
        final List<String> echoArgs,
        final Duration readyTimeout) throws IOException, InterruptedException
    {
        final List<String> mainArgs = new ArrayList<>();
        mainArgs.add(echoClass.getName());
        mainArgs.add(idleMode.label());
        mainArgs.addAll(echoArgs);

        final Process process = ChildJvm.processBuilder(ChildJvm.command(EchoMain.class, mainArgs))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        final EchoProcess echo = new EchoProcess(process, echoClass.getSimpleName() + " pid " + process.pid());

        try
        {
            echo.awaitReady(readyTimeout);
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            try
            {
                echo.close();
            }
            catch (final InterruptedException | RuntimeException closeEx)
            {
                // The child exited non-zero or had to be destroyed: why it was not ready comes first.
                ex.addSuppressed(closeEx);
                if (closeEx instanceof InterruptedException)
                {
                    Thread.currentThread().interrupt();
                }
            }
            throw ex;
        }

        return echo;
    }

    private void awaitReady(final Duration timeout) throws IOException, InterruptedException
    {
        final CompletableFuture<Boolean> ready = new CompletableFuture<>();
        final Thread reader = new Thread(
            () ->
            {
                try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
                {
                    String line;
                    while ((line = out.readLine()) != null)
                    {
                        if (!ready.isDone() && EchoMain.READY.equals(line))
                        {
                            ready.complete(Boolean.TRUE);
                        }
                        else
                        {
                            System.err.println("[" + description + "] " + line);
                        }
                    }
                }
                catch (final IOException ignore)
                {
                    // The child has gone; the ready future or close reports it.
                }
                ready.complete(Boolean.FALSE);
            },
            "echo-stdout-" + process.pid());
        reader.setDaemon(true);
        reader.start();

        try
        {
            if (!ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                process.waitFor(1, TimeUnit.SECONDS);
                throw new IOException(description + " exited before it was ready" +
                    (process.isAlive() ? "" : ", exit code " + process.exitValue()));
            }
        }
        catch (final TimeoutException ex)
        {
            throw new IOException(description + " was not ready within " + timeout.toMillis() + " ms", ex);
        }
        catch (final ExecutionException ex)
        {
            throw new IOException(description + " failed", ex.getCause());
        }
    }

    /** Whether the child is running: cheap, the JDK's reaper thread tracks the exit. */
    public boolean isAlive()
    {
        return process.isAlive();
    }

    public long pid()
    {
        return process.pid();
    }

    @Override
    public String toString()
    {
        return description;
    }

    /**
     * Asks the child to stop, waits up to {@link #STOP_TIMEOUT}, then destroys it.
     *
     * @throws IllegalStateException when the child had to be destroyed or exited non-zero, after
     *                               it is gone.
     */
    @Override
    public void close() throws InterruptedException
    {
        if (closed)
        {
            return;
        }
        closed = true;

        try (OutputStream stdin = process.getOutputStream())
        {
            stdin.write((EchoMain.STOP + "\n").getBytes(StandardCharsets.US_ASCII));
            stdin.flush();
        }
        catch (final IOException ignore)
        {
            // Already exited: its stdin is closed.
        }

        if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
        {
            process.destroy();
            if (!process.waitFor(2, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
            }
            throw new IllegalStateException(description + " did not stop within " + STOP_TIMEOUT.toMillis() +
                " ms and was destroyed");
        }

        final int exitCode = process.exitValue();
        if (exitCode != 0)
        {
            throw new IllegalStateException(description + " exited with code " + exitCode);
        }
    }
}
