package org.ffafabric.conformance;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.driver.status.SystemCounterDescriptor;
import org.agrona.concurrent.status.AtomicCounter;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.transport.TrapProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A partition closed and claimed again more than 256 times: the claim generation that sessions and
 * message headers carry is eight bits, so it wraps, and every session ID comes round again (the
 * second test within the 5 s an Aeron publication lingers after its close). Each claim still
 * serves, and a peer sending all along gets only its own answers or errors.
 */
class ManyReclaimsTest
{
    static final int VM1 = 1;
    static final int SP1 = 0x8001;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("d0000000-0000-0000-0000-000000000001")
                .directMessaging())
            .partition(p -> p.name("sp1").id(SP1).world(World.SP_EL1).uuid("d0000000-0000-0000-0000-000000008001")
                .directMessaging())
            .build(), VM1);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    @Test
    @Timeout(300)
    void aPartitionClaimedMoreThan256TimesWhileAPeerSendsStaysUsable() throws Exception
    {
        final Queue<String> wrong = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong answered = new AtomicLong();
        final ExecutionContext vm = fx.ec(VM1);
        final Future<?> loop = fx.exec().submit(() ->
        {
            final RegisterFile r = new RegisterFile();
            for (long n = 0; !stop.get(); n++)
            {
                r.copyFrom(ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1).x(3, n));
                vm.invoke(r, 1_000_000_000L);
                // An answer later than that is collected by FFA_RUN, as often as it takes: a loaded machine can
                // keep SP1's handler off a core for seconds. Still outstanding past the cap is a hang.
                final long cap = System.nanoTime() + WAIT_NS;
                while (r.w(0) == FunctionId.FFA_INTERRUPT && System.nanoTime() < cap)
                {
                    r.copyFrom(regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SP1, 0)));
                    vm.invoke(r, 2_000_000_000L);
                }
                if (r.w(0) == FunctionId.FFA_MSG_SEND_DIRECT_RESP_64)
                {
                    answered.incrementAndGet();
                    if (r.x(3) != n + 1)
                    {
                        wrong.add("request " + n + " answered " + r);
                    }
                }
                else if (r.w(0) != FunctionId.FFA_ERROR)
                {
                    wrong.add("request " + n + " answered " + r);
                }
                else
                {
                    LockSupport.parkNanos(20_000);
                }
            }
            return null;
        });
        try
        {
            for (int cycle = 0; cycle < 300 && wrong.isEmpty(); cycle++)
            {
                try (Endpoint sp = fx.claim(SP1);
                     AutoCloseable serving = sp.serve((req, resp) -> resp.payload(0, req.payload(0) + 1)))
                {
                    final long before = answered.get();
                    final long deadline = System.nanoTime() + WAIT_NS;
                    while (answered.get() < before + 3 && System.nanoTime() < deadline && wrong.isEmpty())
                    {
                        LockSupport.parkNanos(100_000);
                    }
                    assertTrue(answered.get() >= before + 3, "claim " + cycle + " answers");
                }
            }
        }
        finally
        {
            stop.set(true);
            get(loop);
        }
        assertTrue(wrong.isEmpty(), () -> String.join("\n", wrong));
    }

    /**
     * A claim whose log to the manager would take a session ID another log of the driver still holds (as
     * claim g - 256's does, closed, until the driver's next timer check) asks for it again, and gets it once
     * that log has gone. Here the other log is a publication the test holds; NoRoomForALogTest has the claim
     * that waits out its connect timeout.
     */
    @Test
    @Timeout(120)
    void aClaimWaitsForItsSessionIdToBeLetGo() throws Exception
    {
        final ControlFile cf = fx.controlFile();
        final int slot = cf.slotOf(SP1);
        try (Aeron aeron = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(FabricDirectory.aeronDirectory(fx.fabric().directory()).toString())))
        {
            final int session = TrapProtocol.sessionId(SP1, 0, cf.claimGeneration(slot) + 1);
            final AtomicCounter errors = new AtomicCounter(aeron.countersReader().valuesBuffer(), SystemCounterDescriptor.ERRORS.id());
            final Future<Endpoint> claim;
            try (ExclusivePublication held = aeron.addExclusivePublication(
                TrapProtocol.publicationChannel(session), TrapProtocol.PM_STREAM_ID))
            {
                final long before = errors.get();
                claim = fx.exec().submit(() -> fx.claim(SP1));
                // Refused twice: the claim asked again rather than fail.
                awaitUntil(System.nanoTime() + WAIT_NS, () -> errors.get() > before + 1 || claim.isDone(),
                    "the driver refused the claim's log twice");
                assertFalse(claim.isDone(), "the claim waits for its session ID");
            }
            try (Endpoint sp = get(claim))
            {
                final RegisterFile r = call(sp.executionContext(0), FunctionId.FFA_ID_GET);
                assertEquals(SP1, r.w(2), r::toString);
            }
        }
    }

    @Test
    @Timeout(300)
    void aPartitionClaimedAndClosed300TimesInARowIsClaimedEachTime() throws Exception
    {
        // Past 256: the claim generation a session ID carries (eight bits) wraps.
        for (int cycle = 0; cycle < 300; cycle++)
        {
            try (Endpoint sp = fx.claim(SP1))
            {
                final RegisterFile r = call(sp.executionContext(0), FunctionId.FFA_ID_GET);
                assertEquals(SP1, r.w(2), "claim " + cycle + ": " + r);
            }
        }
    }
}
