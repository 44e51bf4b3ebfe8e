package org.ffafabric.launch;

import java.io.IOException;
import java.io.InputStream;

/** Ties a child process's life to its parent's: the child ends when its standard input closes. */
final class ProcessLinks
{
    private ProcessLinks()
    {
    }

    static void awaitStdinEof()
    {
        final InputStream in = System.in;
        try
        {
            while (in.read() >= 0)
            {
                // Drain: only end-of-file matters.
            }
        }
        catch (final IOException ignore)
        {
            // A broken pipe means the parent is gone, same as end-of-file.
        }
    }
}
