package org.ffafabric.launch;

import io.aeron.exceptions.AeronException;
import io.aeron.exceptions.StorageSpaceException;
import org.agrona.ErrorHandler;

/**
 * A partition manager's errors on standard error, for one run from the command line. The media driver's
 * word on its file store (space running low, a log refused for want of room) is a line: it says what
 * and where, and a stack trace for each log it makes would bury a demo's results. Anything else, a
 * fault to look into, keeps its stack trace.
 */
public final class ConsoleErrorHandler implements ErrorHandler
{
    private final String label;

    /**
     * @param label what the lines are from, e.g. "partition manager".
     */
    public ConsoleErrorHandler(final String label)
    {
        this.label = label;
    }

    public void onError(final Throwable ex)
    {
        if (isAboutStorage(ex))
        {
            System.err.println(label + ": " + ex.getMessage());
        }
        else if (ex.getCause() != null && isAboutStorage(ex.getCause()))
        {
            // The manager's own refusal of a claim, for the driver's reason.
            System.err.println(label + ": " + ex.getMessage() + " (" + ex.getCause().getMessage() + ")");
        }
        else
        {
            ex.printStackTrace();
        }
    }

    private static boolean isAboutStorage(final Throwable ex)
    {
        return ex instanceof StorageSpaceException ||
            ex instanceof AeronException && ((AeronException)ex).category() == AeronException.Category.WARN &&
            ex.getMessage() != null && ex.getMessage().contains("space is running low");
    }
}
