package org.ffafabric.endpoint;

import org.junit.jupiter.api.Test;

import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** What a client's configuration takes: deadlines are System.nanoTime() plus the connect timeout. */
class FabricClientContextTest
{
    private static FabricClient.Context timeout(final long ns)
    {
        return new FabricClient.Context().directory(Paths.get("/dev/shm/ffa-not-made")).connectTimeoutNs(ns);
    }

    @Test
    void aConnectTimeoutThatIsNotPositiveOrWouldOverflowADeadlineIsRefused()
    {
        for (final long ns : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, TimeUnit.DAYS.toNanos(1) + 1})
        {
            final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> timeout(ns).conclude(),
                () -> ns + " ns");
            assertTrue(refused.getMessage().contains("connect timeout") && refused.getMessage().contains(ns + " ns"),
                refused.getMessage());
        }
    }

    @Test
    void aConnectTimeoutFromOneNanosecondToADayIsTaken()
    {
        for (final long ns : new long[] {1, TimeUnit.SECONDS.toNanos(10), FabricClient.Context.MAX_CONNECT_TIMEOUT_NS})
        {
            assertEquals(ns, timeout(ns).conclude().connectTimeoutNs());
        }
        assertEquals(TimeUnit.SECONDS.toNanos(10), new FabricClient.Context().connectTimeoutNs(), "the default");
    }
}
