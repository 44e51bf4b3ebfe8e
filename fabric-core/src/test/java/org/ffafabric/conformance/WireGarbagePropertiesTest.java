package org.ffafabric.conformance;

import io.aeron.Subscription;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.transport.TrapProtocol;

import java.util.List;
import java.util.Random;

import static org.ffafabric.conformance.Fx.*;
import static org.ffafabric.conformance.WireFixture.*;
import static org.ffafabric.transport.TrapProtocol.sessionId;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Whatever a raw Aeron client writes into the partition manager's trap stream and two contexts'
 * inboxes, with session IDs no claimed context has, a partition claimed by hand, and ones the driver
 * refuses (another publication has them there): nothing throws out of a receiver, a request served is
 * attributed to the partition its session names, traps dropped are told of a bounded number of times,
 * no claim moves, and a direct request round trip and discovery answer as before, after every try.
 * One fabric serves every try.
 * <p>
 * A request that names its ends in w1 and comes from a claimed context's session is believed at this
 * layer ({@link WireBoundaryTest#aProcessThatCanOpenTheAeronDirectoryCanActAsAnyPartition}); sent
 * without taking the receiver's state word first, as the requester's runtime does, it trips the state
 * mirror's assertion tests run with. So such requests, and FFA_RUN's message, are written here only
 * from sessions no claim holds; from a claimed one their w1 names another sender. Framework requests
 * are not written: the rules of who may send what are the requester's runtime's, which a raw client
 * does not run.
 */
class WireGarbagePropertiesTest
{
    private static final int[] STREAMS = {
        TrapProtocol.PM_STREAM_ID, TrapProtocol.inboxStreamId(SP, 0), TrapProtocol.inboxStreamId(VM, 0)};
    private static final int[] FUNCTION_IDS = {
        FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, FunctionId.FFA_MSG_SEND_DIRECT_REQ2,
        FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, FunctionId.FFA_MSG_SEND_DIRECT_RESP2, FunctionId.FFA_ERROR,
        FunctionId.FFA_SUCCESS_32, FunctionId.FFA_YIELD, FunctionId.FFA_RUN, FunctionId.FFA_MSG_WAIT, FunctionId.FFA_ID_GET,
        FunctionId.FFA_VERSION, TrapProtocol.FABRIC_RESUME, TrapProtocol.FABRIC_CLAIM, TrapProtocol.FABRIC_RELEASE, 0};

    private static final int SESSIONS = 10;

    private static WireFixture wire;
    // sp2's inbox, read as its claimant reads it: one that does not holds whoever answers it (ARCHITECTURE.md).
    private static Subscription sp2Inbox;
    private static int[] sessions;
    // Sessions of a claim that holds their context: sp2's, claimed by hand, and the runtime's own.
    private static int claimedSessions;
    private static long[] claims;

    /** One message of a try: indices into the streams, sessions and function IDs, and the rest. */
    record Fragment(int stream, int session, int reserved, int length, int functionId, boolean namesItsEnds, long noise)
    {
    }

    @BeforeContainer
    static void launch()
    {
        wire = new WireFixture();
        final int sp2Generation = wire.claimByHand(SP2);
        sp2Inbox = wire.raw.addSubscription(TrapProtocol.CHANNEL, TrapProtocol.inboxStreamId(SP2, 0));
        final int vmGeneration = wire.generation(VM);
        final int spGeneration = wire.generation(SP);
        sessions = new int[] {
            sessionId(SP2, 0, sp2Generation),
            sessionId(VM, 0, vmGeneration),
            sessionId(SP, 0, spGeneration),
            sessionId(SP2, 0, sp2Generation + 1),
            sessionId(NO_SUCH_PARTITION, 0, 1),
            sessionId(VM, 3, vmGeneration),
            sessionId(VM, 0, vmGeneration + 1),
            sessionId(SP, 0, spGeneration + 1),
            TrapProtocol.PM_SESSION_ID,
            TrapProtocol.replySessionId(vmGeneration + 1),
        };
        assertEquals(SESSIONS, sessions.length);
        claimedSessions = 3;
        claims = claimWords();
    }

    @AfterContainer
    static void close()
    {
        wire.close();
    }

    @Provide
    Arbitrary<List<Fragment>> fragments()
    {
        final Arbitrary<Integer> lengths = Arbitraries.oneOf(
            Arbitraries.of(TrapProtocol.SHORT_MESSAGE_LENGTH, TrapProtocol.LONG_MESSAGE_LENGTH),
            Arbitraries.integers().between(0, 3 * RegisterFile.LENGTH),
            Arbitraries.of(0, 1, 63, 65, 143, 145, 4096));
        return Combinators.combine(
            Arbitraries.integers().between(0, STREAMS.length - 1),
            Arbitraries.integers().between(0, SESSIONS - 1),
            Arbitraries.integers().between(0, 2),
            lengths,
            Arbitraries.integers().between(0, FUNCTION_IDS.length - 1),
            Arbitraries.of(true, false),
            Arbitraries.longs())
            .as(Fragment::new).list().ofMinSize(1).ofMaxSize(4);
    }

    @Property(tries = 300)
    void garbageOnTheWireChangesNothingThatMatters(@ForAll("fragments") final List<Fragment> fragments)
    {
        wire.serveErrors.clear();
        wire.served.clear();
        for (final Fragment fragment : fragments)
        {
            final int stream = STREAMS[fragment.stream()];
            final int session = sessions[fragment.session()];
            wire.send(stream, session, reservedValue(fragment, stream), bytes(fragment, stream, session), fragment.length());
        }
        wire.awaitRead(() ->
        {
            sp2Inbox.poll((buffer, offset, length, header) -> { }, Integer.MAX_VALUE);
            final RegisterFile id = call(wire.vm.executionContext(0), FunctionId.FFA_ID_GET);
            assertTrue(id.isSuccess(), id::toString);
            assertEquals(VM, id.w(2), "vm1's trap takes its partition manager's reply");
        });

        sp2Inbox.poll((buffer, offset, length, header) -> { }, Integer.MAX_VALUE);
        assertEquals(List.of(), wire.serveErrors, "sp1's serving threw nothing");
        for (final long[] served : wire.served)
        {
            assertEquals(TrapProtocol.partitionIdOf((int)served[1]), served[0],
                () -> String.format("a request from session 0x%08x served as 0x%04x's", (int)served[1], served[0]));
        }
        final long dropped = wire.pm.droppedTraps();
        final long told = wire.pmErrors.stream().filter(ex -> String.valueOf(ex.getMessage()).startsWith("dropped trap")).count();
        assertTrue(told <= 64 - Long.numberOfLeadingZeros(dropped), () -> told + " reports of " + dropped + " traps dropped");
        assertArrayEquals(claims, claimWords(), "no claim moved");
        wire.assertStillWorks();
    }

    private static long reservedValue(final Fragment fragment, final int stream)
    {
        switch (fragment.reserved())
        {
            case 0: return 0;
            case 1: return stream == TrapProtocol.PM_STREAM_ID ? 0 : wire.addressedTo(receiverOf(stream));
            default: return fragment.noise();
        }
    }

    /**
     * Noise, with the fragment's function ID first and, for a request, w1 naming (or not) its ends and x3, x4
     * the session, as far as the length goes. A claimed context's session never carries a believable request
     * or FFA_RUN's message (see the class comment); a forged claim never names this process.
     */
    private static byte[] bytes(final Fragment fragment, final int stream, final int session)
    {
        final byte[] bytes = new byte[fragment.length()];
        new Random(fragment.noise()).nextBytes(bytes);
        final RegisterFile regs = new RegisterFile();
        regs.buffer().putBytes(0, bytes, 0, Math.min(bytes.length, RegisterFile.LENGTH));
        final boolean claimed = fragment.session() < claimedSessions;
        int functionId = FUNCTION_IDS[fragment.functionId()];
        if (functionId == 0)
        {
            functionId = regs.w(0);
        }
        if (claimed && functionId == TrapProtocol.FABRIC_RESUME)
        {
            functionId = FunctionId.FFA_RUN;
        }
        regs.w(0, functionId);
        if (FunctionId.isDirectRequest(functionId))
        {
            final int ids = RegisterFile.packIds(TrapProtocol.partitionIdOf(session),
                stream == TrapProtocol.PM_STREAM_ID ? SP : receiverOf(stream));
            regs.w(1, fragment.namesItsEnds() && !claimed ? ids : ids ^ 0x0100_0000);
            regs.w(2, regs.w(2) & ~RegisterFile.DIRECT_MSG_FRAMEWORK_BIT);
            regs.x(3, session).x(4, session);
        }
        final long pid = ProcessHandle.current().pid();
        if (functionId == TrapProtocol.FABRIC_CLAIM && regs.w(1) == (int)pid && regs.w(2) == (int)(pid >>> 32))
        {
            regs.w(1, ~regs.w(1));
        }
        regs.buffer().getBytes(0, bytes, 0, Math.min(bytes.length, RegisterFile.LENGTH));
        return bytes;
    }

    private static int receiverOf(final int stream)
    {
        return stream == TrapProtocol.inboxStreamId(SP, 0) ? SP : VM;
    }

    private static long[] claimWords()
    {
        final ControlFile controlFile = wire.controlFile;
        return new long[] {
            controlFile.claimWord(controlFile.slotOf(VM)),
            controlFile.claimWord(controlFile.slotOf(SP)),
            controlFile.claimWord(controlFile.slotOf(SP2)),
        };
    }
}
