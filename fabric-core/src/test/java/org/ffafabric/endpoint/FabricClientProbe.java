package org.ffafabric.endpoint;

import java.util.concurrent.locks.Lock;

/** What tests outside this package may ask of a client's internals. */
public final class FabricClientProbe
{
    private FabricClientProbe()
    {
    }

    /** True once the client has closed the Aeron client its endpoints shared (it does with the control file). */
    public static boolean hasClosedWhatItsEndpointsShared(final FabricClient client)
    {
        return client.aeron().isClosed();
    }

    /** The lock the client's Aeron conductor takes for each turn: held, no new image reaches the client. */
    public static Lock conductorLock(final FabricClient client)
    {
        return client.aeron().context().clientLock();
    }
}
