package org.ffafabric.conformance;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.transport.TrapProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A partition aborted by a failed SP init, against a direct request no requester took the context for: one
 * written onto the wire by hand, from a session no claim holds, with no compare-and-set of the target's word
 * (as a request a requester left behind when its claim ended arrives). The context answers it ABORTED, its
 * handler not run, and its word stays the very ABORTED word the abort left: the context's release on a
 * requester's behalf ({@code releaseOnBehalf}) moves only a RUNNING word. Before it did, the state mirror, two
 * steps past the table after such a request, matched the ABORTED word's WAITING successor, and the release
 * turned the ABORTED word back into WAITING, where a requester could take it (and the context itself send).
 */
@Timeout(60)
class PartitionAbortWireTest
{
    static final int SP = 0x8001;
    static final int SP2 = 0x8002;
    /** No partition of the fabric: its session is no claim's, and no compare-and-set came with its request. */
    static final int FORGER = 0x7777;
    private static final int FORGER_SESSION = TrapProtocol.sessionId(FORGER, 0, 1);

    private FabricFixture fx;
    private Aeron raw;
    private ExclusivePublication toSp0;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[TrapProtocol.LONG_MESSAGE_LENGTH]);
    private final AtomicInteger handled = new AtomicInteger();
    private final DirectRequestHandler handler = (request, response) -> handled.incrementAndGet();

    /** An SP of two contexts, one to wait and one whose init fails, and an SP of one for the first to ask. */
    static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("sp").id(SP).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .executionContexts(2).directMessaging())
            .partition(p -> p.name("sp2").id(SP2).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeef")
                .directMessaging())
            .build();
    }

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(manifest(), SP, SP2);
        raw = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(FabricDirectory.aeronDirectory(fx.fabric().directory()).toString()).errorHandler(ex -> { }));
        toSp0 = raw.addExclusivePublication(
            TrapProtocol.publicationChannel(FORGER_SESSION), TrapProtocol.inboxStreamId(SP, 0));
    }

    @AfterEach
    void close() throws Exception
    {
        CloseHelper.quietClose(raw);
        fx.close();
    }

    /** Served in place: answered ABORTED, and neither that serve nor the next moves the ABORTED word. */
    @Test
    void aRequestNobodyTookAnAbortedContextForLeavesItsWordAborted() throws Exception
    {
        final ExecutionContext sp0 = fx.ec(SP, 0);
        final long aborted = abortWithSp0Waiting();
        final int peerLogs = controlFile().peerLogs(controlFile().slotOf(SP));

        sendForgedRequest();
        final RegisterFile regs = new RegisterFile();
        assertTrue(sp0.serveDirectRequestWithin(handler, regs, WAIT_NS), "the forged request is answered");
        assertEquals(0, handled.get(), "ABORTED, its handler not run");
        assertEquals(describe(aborted), describe(word(SP)), "answering it leaves the word");
        assertFalse(sp0.serveDirectRequestWithin(handler, regs, WAIT_NS));
        assertError(ErrorCode.ABORTED, regs, "the next wait");
        assertEquals(describe(aborted), describe(word(SP)), "the very ABORTED word, never released to WAITING on the " +
            "forger's behalf and aborted again (every transition moves the sequence)");
        assertEquals(peerLogs, controlFile().peerLogs(controlFile().slotOf(SP)),
            "the answer went nowhere: no claim holds the forger's session, so no log was made for it");
    }

    /** As above, received by FFA_MSG_WAIT, which answers it ABORTED and returns ABORTED. */
    @Test
    void aRequestNobodyTookAnAbortedContextForEndsItsFfaMsgWaitAborted()
    {
        final long aborted = abortWithSp0Waiting();

        sendForgedRequest();
        assertError(ErrorCode.ABORTED, call(fx.ec(SP, 0), regs(FunctionId.FFA_MSG_WAIT)));
        assertEquals(1, fx.ec(SP, 0).droppedMessages(), "the forged request was taken, not dropped");
        assertEquals(describe(aborted), describe(word(SP)), "the very ABORTED word");
        assertError(ErrorCode.ABORTED, call(fx.ec(SP, 0), regs(FunctionId.FFA_MSG_WAIT)), "it never waits again");
        assertEquals(describe(aborted), describe(word(SP)));
    }

    /**
     * After answering such a request the context's own request is ABORTED, as any call of a context of an aborted
     * partition that would run: its word is not its own to move to BLOCKED, and sp2's handler never sees it.
     */
    @Test
    void anAbortedContextsOwnRequestAfterAnsweringOneNobodyTookItForIsAborted() throws Exception
    {
        final ExecutionContext sp0 = fx.ec(SP, 0);
        final long aborted = abortWithSp0Waiting();
        sendForgedRequest();
        assertTrue(sp0.serveDirectRequestWithin(handler, new RegisterFile(), WAIT_NS), "the forged request is answered");

        final AtomicInteger sp2Handled = new AtomicInteger();
        try (AutoCloseable serving = fx.endpoint(SP2).serve((request, response) -> sp2Handled.incrementAndGet()))
        {
            assertError(ErrorCode.ABORTED, call(sp0, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, SP, SP2)),
                "a request of a context of an aborted partition");
            assertEquals(0, sp2Handled.get(), "sp2 never served it");
            assertEquals(describe(aborted), describe(word(SP)), "the very ABORTED word");
            fx.awaitState(SP2, 0, ExecutionContextState.WAITING);
        }
        assertEquals(0, handled.get());
    }

    /**
     * Context 0 ends its init and waits with no thread in it, its inbox already holding our publication's image
     * (a first fragment of no message's length, which it drops), so that the forged request is there at its
     * next poll; then context 1's init fails, and context 0 is ABORTED at once. Returns its ABORTED word.
     */
    private long abortWithSp0Waiting()
    {
        final ExecutionContext sp0 = fx.ec(SP, 0);
        offer(1, 0);
        awaitUntil(System.nanoTime() + WAIT_NS, () ->
        {
            assertFalse(sp0.serveDirectRequestWithin(handler, new RegisterFile(), TimeUnit.MILLISECONDS.toNanos(1)));
            return sp0.droppedMessages() == 1;
        }, "context 0 read our first fragment");
        assertEquals(ExecutionContextState.WAITING, ExecutionContextState.state(word(SP)));

        assertError(ErrorCode.ABORTED, call(fx.ec(SP, 1), regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));
        final long aborted = word(SP);
        assertEquals(ExecutionContextState.ABORTED, ExecutionContextState.state(aborted), describe(aborted));
        return aborted;
    }

    /** A DIRECT_REQ_64 from the forger to sp's context 0, addressed to its claim; no word moved. */
    private void sendForgedRequest()
    {
        final RegisterFile request = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, FORGER, SP);
        request.x(3, 41);
        scratch.putBytes(0, request.buffer(), 0, TrapProtocol.SHORT_MESSAGE_LENGTH);
        offer(TrapProtocol.SHORT_MESSAGE_LENGTH,
            TrapProtocol.addressedTo(controlFile().claimGeneration(controlFile().slotOf(SP))));
    }

    private void offer(final int length, final long reservedValue)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        long result;
        while ((result = toSp0.offer(scratch, 0, length, (buffer, offset, frameLength) -> reservedValue)) < 0)
        {
            assertTrue(result == Publication.NOT_CONNECTED || result == Publication.BACK_PRESSURED ||
                result == Publication.ADMIN_ACTION, "offer: " + result);
            assertTrue(System.nanoTime() < deadline, "sp's inbox never took our message");
            Thread.yield();
        }
    }

    private ControlFile controlFile()
    {
        return fx.controlFile();
    }

    /** The state word of the partition's context 0, as the table holds it. */
    private long word(final int partitionId)
    {
        return controlFile().ecState(controlFile().ecStateOffset(controlFile().slotOf(partitionId), 0));
    }

    /** The word whole, its sequence first to read: equal strings, equal words. */
    private static String describe(final long word)
    {
        return String.format("%s #%d (0x%016x)", ExecutionContextState.describe(word), ExecutionContextState.sequence(word), word);
    }
}
