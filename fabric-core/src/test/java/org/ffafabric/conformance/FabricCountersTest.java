package org.ffafabric.conformance;

import org.agrona.concurrent.status.CountersReader;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricCounters;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.tools.FabricDump;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The fabric's counters in the control file: each where its formula says, with its type, key and
 * label; and each counting what it says, exactly, on the side that did it.
 */
class FabricCountersTest
{
    static final int VM1 = 1;
    static final int SP1 = 0x8001;
    static final int SP2 = 0x8002;

    private FabricFixture fx;
    private ControlFile controlFile;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-0000-4000-8000-000000000001")
                .directMessaging())
            .partition(p -> p.name("sp1").id(SP1).world(World.SP_EL1).uuid("11111111-0000-4000-8000-000000000002")
                .directMessaging().executionContexts(2))
            .partition(p -> p.name("sp2").id(SP2).world(World.SP_EL1).uuid("11111111-0000-4000-8000-000000000003")
                .directMessaging().executionContexts(3))
            .build(), VM1, SP1);
        controlFile = fx.controlFile();
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    @Test
    void everyCounterIsWhereItsFormulaSaysWithItsTypeKeyAndLabel()
    {
        final CountersReader reader = controlFile.countersReader();
        final List<int[]> found = new ArrayList<>();
        reader.forEach((counterId, typeId, key, label) -> found.add(new int[] {
            counterId, typeId, FabricCounters.partitionIdOf(key, 0), FabricCounters.indexOf(key, 0) }));
        assertEquals(FabricCounters.count(3, 6), found.size());
        assertEquals(3 + 3 * 13 + 6 * 2, found.size(), "3 fabric counters, 13 a partition, 2 a context");

        assertCounter(reader, FabricCounters.trapsDroppedId(), FabricCounters.TRAPS_DROPPED_TYPE_ID,
            FabricCounters.NO_PARTITION, 0, "partition manager: traps dropped");
        assertCounter(reader, FabricCounters.repliesNotDeliveredId(), FabricCounters.REPLIES_NOT_DELIVERED_TYPE_ID,
            FabricCounters.NO_PARTITION, 0, "partition manager: replies not delivered");
        assertCounter(reader, FabricCounters.repliesWaitingId(), FabricCounters.REPLIES_WAITING_TYPE_ID,
            FabricCounters.NO_PARTITION, 0, "partition manager: replies waiting for room in their caller's inbox");
        final String[] names = { "vm1 0x0001", "sp1 0x8001", "sp2 0x8002" };
        final int[] ids = { VM1, SP1, SP2 };
        for (int slot = 0; slot < 3; slot++)
        {
            assertEquals(ids[slot], controlFile.partitionId(slot));
            assertCounter(reader, FabricCounters.trapsId(slot), FabricCounters.TRAPS_TYPE_ID, ids[slot], 0,
                names[slot] + ": calls trapped to the partition manager");
            assertCounter(reader, FabricCounters.claimsReapedId(slot), FabricCounters.CLAIMS_REAPED_TYPE_ID, ids[slot], 0,
                names[slot] + ": claims of dead claimants ended");
            assertCounter(reader, FabricCounters.errorsId(slot, ErrorCode.NOT_SUPPORTED), FabricCounters.ERRORS_TYPE_ID,
                ids[slot], ErrorCode.NOT_SUPPORTED, names[slot] + ": FFA_ERROR NOT_SUPPORTED returned");
            assertCounter(reader, FabricCounters.errorsId(slot, ErrorCode.NOT_READY), FabricCounters.ERRORS_TYPE_ID,
                ids[slot], ErrorCode.NOT_READY, names[slot] + ": FFA_ERROR NOT_READY returned");
            for (final int other : new int[] { 0, 1, -11, Integer.MIN_VALUE })
            {
                assertCounter(reader, FabricCounters.errorsId(slot, other), FabricCounters.ERRORS_TYPE_ID,
                    ids[slot], FabricCounters.OTHER_ERROR_CODES, names[slot] + ": FFA_ERROR of another code returned");
            }
            for (int ec = 0; ec < controlFile.executionContextCount(slot); ec++)
            {
                final int first = controlFile.firstEc(slot);
                assertCounter(reader, FabricCounters.directRequestsSentId(3, first, ec),
                    FabricCounters.DIRECT_REQUESTS_SENT_TYPE_ID, ids[slot], ec, names[slot] + " ec " + ec + ": direct requests sent");
                assertCounter(reader, FabricCounters.directRequestsReceivedId(3, first, ec),
                    FabricCounters.DIRECT_REQUESTS_RECEIVED_TYPE_ID, ids[slot], ec,
                    names[slot] + " ec " + ec + ": direct requests received");
            }
        }
        // AeronStat's form: one line per counter, ID, value and label.
        final String[] all = FabricDump.counters(controlFile, false, true).split("\n");
        assertEquals(found.size(), all.length);
        assertEquals(String.format("%4d: %20d - sp2 0x8002 ec 2: direct requests received",
            FabricCounters.directRequestsReceivedId(3, 3, 2), 0), all[all.length - 1]);
        assertEquals(0, controlFile.firstEc(0));
        assertEquals(1, controlFile.firstEc(1));
        assertEquals(3, controlFile.firstEc(2));
    }

    private static void assertCounter(
        final CountersReader reader, final int id, final int typeId, final int partitionId, final int index, final String label)
    {
        assertEquals(CountersReader.RECORD_ALLOCATED, reader.getCounterState(id), label);
        assertEquals(typeId, reader.getCounterTypeId(id), label);
        assertEquals(label, reader.getCounterLabel(id));
        final int[] key = new int[2];
        reader.forEach((counterId, type, keyBuffer, l) ->
        {
            if (counterId == id)
            {
                key[0] = FabricCounters.partitionIdOf(keyBuffer, 0);
                key[1] = FabricCounters.indexOf(keyBuffer, 0);
            }
        });
        assertEquals(partitionId, key[0], label);
        assertEquals(index, key[1], label);
    }

    /**
     * A request counts once as sent on its requester's context and once as received on its target's,
     * whether the target takes it by FFA_MSG_WAIT (and answers with DIRECT_RESP) or serves it in place.
     */
    @Test
    void aDirectRequestCountsOnceSentAndOnceReceivedOnTheContextsThatExchangedIt() throws Exception
    {
        final ExecutionContext vm = fx.ec(VM1);
        final ExecutionContext sp = fx.ec(SP1, 0);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final Future<RegisterFile> sent = fx.async(vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(waiting).w(0));
        final Future<RegisterFile> responded = fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP1, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
        // The response's own wait for the next message ends before the context is served below.
        assertEquals(FunctionId.FFA_INTERRUPT, get(responded).w(0));
        assertEquals(1, sentBy(VM1, 0));
        assertEquals(1, receivedBy(SP1, 0));

        final int served = 25;
        try (AutoCloseable serving = fx.endpoint(SP1).serve((request, response) -> response.payload(0, request.payload(0) + 1)))
        {
            for (int i = 0; i < served; i++)
            {
                final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1);
                r.x(3, i);
                call(vm, r);
                assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r::toString);
                assertEquals(i + 1, r.x(3));
            }
        }
        assertEquals(1 + served, sentBy(VM1, 0));
        assertEquals(1 + served, receivedBy(SP1, 0));
        assertEquals(0, receivedBy(VM1, 0));
        assertEquals(0, sentBy(SP1, 0));
        assertEquals(0, sentBy(SP1, 1) + receivedBy(SP1, 1), "sp1's other context took no part");
        assertEquals(0, errorsOf(VM1) + errorsOf(SP1), "no call returned FFA_ERROR");

        final String report = FabricDump.counters(controlFile, true, false);
        assertTrue(report.contains("vm1 id=0x0001 direct-requests-sent=26 direct-requests-received=0 "), report);
        assertTrue(report.contains("sp1 id=0x8001 direct-requests-sent=0 direct-requests-received=26 "), report);
        assertTrue(report.contains("sp1 id=0x8001 ") && report.contains("  ec0 direct-requests-sent=0 direct-requests-received=26\n" +
            "  ec1 direct-requests-sent=0 direct-requests-received=0\n"), report);
    }

    /**
     * Every FFA_ERROR a call returns counts once under its code for the partition that made the call,
     * whoever decided it: the caller's runtime (a request to itself), the partition manager (an unknown
     * function), the target's state (no process serves it), or the target's handler (any code it chose).
     */
    @Test
    void anFfaErrorCountsOnceUnderItsCodeForThePartitionWhoseCallReturnedIt() throws Exception
    {
        final ExecutionContext vm = fx.ec(VM1);
        assertError(ErrorCode.INVALID_PARAMETERS, call(vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, VM1)));
        final long trapsBefore = controlFile.counter(FabricCounters.trapsId(0));
        assertError(ErrorCode.NOT_SUPPORTED, call(vm, new RegisterFile().w(0, 0x8400_00FE)));
        assertEquals(trapsBefore + 1, controlFile.counter(FabricCounters.trapsId(0)), "the unknown function was trapped");
        assertError(ErrorCode.BUSY, call(vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP2)));
        assertError(ErrorCode.BUSY, call(vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP2)));
        try (AutoCloseable serving = fx.endpoint(SP1).serve((request, response) ->
            response.registers().w(0, FunctionId.FFA_ERROR).w(2, request.payload(0) == 0 ? ErrorCode.DENIED : -77)))
        {
            assertError(ErrorCode.DENIED, call(vm, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1)));
            final RegisterFile odd = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP1);
            odd.x(3, 1);
            assertError(-77, call(vm, odd));
        }
        assertEquals(1, controlFile.counter(FabricCounters.errorsId(0, ErrorCode.INVALID_PARAMETERS)));
        assertEquals(1, controlFile.counter(FabricCounters.errorsId(0, ErrorCode.NOT_SUPPORTED)));
        assertEquals(2, controlFile.counter(FabricCounters.errorsId(0, ErrorCode.BUSY)));
        assertEquals(1, controlFile.counter(FabricCounters.errorsId(0, ErrorCode.DENIED)));
        assertEquals(1, controlFile.counter(FabricCounters.errorsId(0, FabricCounters.OTHER_ERROR_CODES)));
        assertEquals(6, errorsOf(VM1), "nothing else counted");
        assertEquals(0, errorsOf(SP1), "the target's handler chose the errors; its own calls returned none");
        assertEquals(2, sentBy(VM1, 0), "only the requests that reached a target count as sent");

        final String report = FabricDump.counters(controlFile, false, false);
        assertTrue(report.contains("vm1 id=0x0001 direct-requests-sent=2 direct-requests-received=0 traps="), report);
        assertTrue(report.contains(" errors: NOT_SUPPORTED=1 INVALID_PARAMETERS=1 BUSY=2 DENIED=1 other=1\n"), report);
        assertTrue(report.contains("sp1 id=0x8001 direct-requests-sent=0 direct-requests-received=2 traps="), report);
        assertTrue(report.contains(" errors: none\n"), report);
    }

    /** Each trapped call counts once for its partition, on the partition manager's side; a local one not at all. */
    @Test
    void aTrappedCallCountsOnceForItsPartition() throws Exception
    {
        final ExecutionContext vm = fx.ec(VM1);
        final long vmBefore = controlFile.counter(FabricCounters.trapsId(0));
        final long spBefore = controlFile.counter(FabricCounters.trapsId(1));
        for (int i = 0; i < 3; i++)
        {
            assertSuccess32(call(vm, FunctionId.FFA_ID_GET));
        }
        assertSuccess32(call(vm, FunctionId.FFA_SPM_ID_GET));
        // RX_RELEASE with no RX mapped is answered by the runtime itself: no trap.
        call(vm, FunctionId.FFA_RX_RELEASE);
        assertEquals(vmBefore + 4, controlFile.counter(FabricCounters.trapsId(0)));
        assertEquals(spBefore, controlFile.counter(FabricCounters.trapsId(1)));
    }

    /**
     * A claim whose claimant died counts once as it ends, whoever ends it: the partition manager's
     * liveness check, or the next claimer taking it over.
     */
    @Test
    void aClaimWhoseClaimantDiedCountsOnceAsItEnds() throws Exception
    {
        final Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        final int slot = controlFile.slotOf(SP2);
        assertTrue(controlFile.claim(slot, gone.pid()));
        fx.claim(SP2);
        final int reaped = FabricCounters.claimsReapedId(slot);
        awaitUntil(System.nanoTime() + WAIT_NS, () -> controlFile.counter(reaped) == 1, "the dead claim counted");
        // Past the manager's next liveness check (it writes its heartbeat, then checks the claims): the
        // take-over it may have raced is not counted again.
        final long deadline = System.nanoTime() + WAIT_NS;
        for (int beat = 0; beat < 2; beat++)
        {
            final long heartbeat = controlFile.pmHeartbeat();
            awaitUntil(deadline, () -> controlFile.pmHeartbeat() != heartbeat, "the manager's next heartbeat");
        }
        assertEquals(1, controlFile.counter(reaped));
        assertEquals(0, controlFile.counter(FabricCounters.claimsReapedId(controlFile.slotOf(SP1))));
    }

    private long sentBy(final int partitionId, final int ec)
    {
        final int slot = controlFile.slotOf(partitionId);
        return controlFile.counter(FabricCounters.directRequestsSentId(controlFile.partitionCount(), controlFile.firstEc(slot), ec));
    }

    private long receivedBy(final int partitionId, final int ec)
    {
        final int slot = controlFile.slotOf(partitionId);
        return controlFile.counter(
            FabricCounters.directRequestsReceivedId(controlFile.partitionCount(), controlFile.firstEc(slot), ec));
    }

    private long errorsOf(final int partitionId)
    {
        final int slot = controlFile.slotOf(partitionId);
        long total = 0;
        for (int code = -1; code >= -FabricCounters.COUNTED_ERROR_CODES; code--)
        {
            total += controlFile.counter(FabricCounters.errorsId(slot, code));
        }
        return total + controlFile.counter(FabricCounters.errorsId(slot, FabricCounters.OTHER_ERROR_CODES));
    }
}
