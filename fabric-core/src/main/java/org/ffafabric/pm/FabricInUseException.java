package org.ffafabric.pm;

import java.nio.file.Path;

/**
 * A launch refused because another partition manager runs the fabric in its directory, or is launching it:
 * the lock's maker lives. Says which process that is, when the lock names it, and what to do.
 */
public final class FabricInUseException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    private final transient Path directory;
    private final long pid;

    public FabricInUseException(final Path directory, final long pid)
    {
        super(refusal(directory, pid, "give another directory"));
        this.directory = directory;
        this.pid = pid;
    }

    /**
     * The refusal with its last advice, after stopping the other manager, in the words of whoever launched
     * this one: "give another --dir" for a command line.
     */
    public String refusal(final String elsewhere)
    {
        return refusal(directory, pid, elsewhere);
    }

    private static String refusal(final Path directory, final long pid, final String elsewhere)
    {
        return "a partition manager" + (pid != 0 ? " (pid " + pid + ")" : "") + " already runs the fabric in " +
            directory + " or is launching it: stop it (ffa stop" + (pid != 0 ? ", or kill " + pid : "") + "), or " + elsewhere;
    }

    /** The fabric directory the other manager runs. */
    public Path directory()
    {
        return directory;
    }

    /** The other manager's PID, as its lock names it; 0 when it names none. */
    public long pid()
    {
        return pid;
    }
}
