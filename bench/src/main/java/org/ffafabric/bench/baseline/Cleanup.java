package org.ffafabric.bench.baseline;

import org.agrona.CloseHelper;
import org.ffafabric.bench.latency.ScenarioContext;

import java.nio.file.Path;

/** The tear-down the baselines share: close their resources in order, then delete their file or directory. */
public final class Cleanup
{
    private Cleanup()
    {
    }

    /**
     * Closes {@code closeables} in the given order (nulls skipped; every one is closed even when
     * one fails, and the first failure is rethrown), then deletes {@code path} quietly, also when
     * a close failed.
     *
     * @param path       the file or directory to delete, or null.
     * @param closeables what to close first, in order.
     */
    public static void closeAllThenDelete(final Path path, final AutoCloseable... closeables)
    {
        try
        {
            CloseHelper.closeAll(closeables);
        }
        finally
        {
            ScenarioContext.deleteQuietly(path);
        }
    }
}
