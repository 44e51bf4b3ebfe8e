package org.ffafabric.conformance;

import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The partition manager closes while a partition process's handler is still running (a handler that
 * waits on something else, say). The process's client closes itself, and the endpoint's close keeps
 * Aeron open until the handler returns; but the media driver went with the manager, and Aeron's
 * client, seeing it shut down (or, for a manager killed, its keepalive stop for 10 s), calls its
 * default error handler, which ends the whole JVM: exit code 255 and "Media Driver timeout - is it
 * running? exiting client...". A library must not end its host process: it should live on, its
 * handler running, its calls answering ABORTED.
 */
class PartitionManagerGoneDuringAHandlerTest
{
    static final int VM1 = 1;
    static final int SP1 = 0x8001;
    /**
     * The partition process's driver timeout: Aeron's default, not the tests' 30 s (the pom's ffa.test.flags), so that
     * the wait below outlives it and stays short.
     */
    static final String DRIVER_TIMEOUT = "-Daeron.driver.timeout=10000";
    /** Past that driver timeout, after which Aeron's default handler ended the process at the latest. */
    static final long OUTLIVES_S = 12;

    @Test
    @Timeout(120)
    void aPartitionProcessWhoseHandlerRunsWhenThePartitionManagerGoesIsNotEndedByAeron() throws Exception
    {
        final FabricFixture fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("d0000000-0000-0000-0000-000000000001")
                .directMessaging())
            .partition(p -> p.name("sp1").id(SP1).world(World.SP_EL1).uuid("d0000000-0000-0000-0000-000000008001")
                .directMessaging())
            .build(), VM1);
        try (ChildProcess host = ChildProcess.start(List.of(DRIVER_TIMEOUT), DoomedPartitionProcess.class,
            "--dir", fx.fabric().directory().toString(), "--partition", SP1 + ":hold"))
        {
            try
            {
                host.awaitLine("READY", ChildProcess.START_NS);
                final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1);
                fx.ec(VM1).invoke(r, TimeUnit.MILLISECONDS.toNanos(500));
                assertEquals(FunctionId.FFA_INTERRUPT, r.w(0), r::toString);
                host.awaitLine("HOLDING " + SP1, ChildProcess.START_NS);
            }
            finally
            {
                // The partition manager closes (and its media driver with it) under the held handler.
                fx.close();
            }
            assertFalse(host.process().waitFor(OUTLIVES_S, TimeUnit.SECONDS),
                () -> "the partition process was ended, exit code " + host.process().exitValue());
        }
    }
}
