package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.UUID;
import java.util.concurrent.Future;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/** Direct messaging driven by hand on both ends through invoke. */
class DirectMessagingInvokeTest
{
    static final UUID SP1 = UUID.fromString("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    static final UUID SP1B = UUID.fromString("aaaaaaaa-bbbb-cccc-dddd-000000000002");
    static final int VM1 = 1;
    static final int VM2 = 2;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;
    static final int SP_NORECV = 0x8003;
    static final int SP_V11 = 0x8004;
    static final int SP_NOSUB = 0x8005;
    static final int SP_SUB_NORECV = 0x8006;
    static final int SP_DESTROYED = 0x8007;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(0).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0")
                .directMessaging())
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("vm2").id(VM2).world(World.VM).uuid("11111111-2222-3333-4444-666666666666")
                .property(PartitionProperties.DIRECT_REQ_RECV, true))
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid(SP1).uuid(SP1B).directMessaging()
                .property(PartitionProperties.VM_CREATED_MSG, true))
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .partition(p -> p.name("sp-norecv").id(SP_NORECV).world(World.SP_EL1)
                .uuid("cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee")
                .property(PartitionProperties.DIRECT_REQ_SEND | PartitionProperties.DIRECT_REQ2_SEND, true))
            .partition(p -> p.name("sp-v11").id(SP_V11).world(World.SP_EL1).uuid("dddddddd-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().ffaVersion(V1_1))
            .partition(p -> p.name("sp-nosub").id(SP_NOSUB).world(World.SP_EL1).uuid("eeeeeeee-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            // Subscribes to VM created messages but receives no direct requests: nobody is told it subscribes.
            .partition(p -> p.name("sp-sub-norecv").id(SP_SUB_NORECV).world(World.SP_EL1)
                .uuid("ffffffff-bbbb-cccc-dddd-eeeeeeeeeeee")
                .property(PartitionProperties.DIRECT_REQ_SEND | PartitionProperties.VM_CREATED_MSG, true))
            .partition(p -> p.name("sp-destroyed").id(SP_DESTROYED).world(World.SP_EL1)
                .uuid("99999999-bbbb-cccc-dddd-eeeeeeeeeeee").directMessaging()
                .property(PartitionProperties.VM_DESTROYED_MSG, true))
            .build(), 0, VM1, VM2, SPA, SPB);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    @Test
    void req32PayloadIsW3ToW7AndUpperHalvesArriveZero() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA);
        for (int i = 3; i <= 7; i++)
        {
            r.x(i, 0xDEAD_BEEF_0000_0000L | (0x1000 + i));
        }
        r.x(1, r.x(1) | 0x7777_0000_0000_0000L);
        r.x(9, 0x99);
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), r);
        final RegisterFile in = get(waiting);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32 & 0xFFFF_FFFFL, in.x(0));
        assertEquals(RegisterFile.packIds(VM1, SPA) & 0xFFFF_FFFFL, in.x(1));
        assertEquals(0L, in.x(2));
        for (int i = 3; i <= 7; i++)
        {
            assertEquals(0x1000L + i, in.x(i), "x" + i);
        }
        assertTrue(in.isZero(8, 17), () -> "SMC32 carries nothing past w7: " + in);
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPA, 0));
        assertEquals(ExecutionContextState.BLOCKED, fx.state(VM1, 0));

        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, VM1);
        for (int i = 3; i <= 7; i++)
        {
            out.x(i, 0xFFFF_FFFF_0000_0000L | (0x2000 + i));
        }
        fx.respond(sp, out);
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32 & 0xFFFF_FFFFL, back.x(0));
        assertEquals(RegisterFile.packIds(SPA, VM1) & 0xFFFF_FFFFL, back.x(1));
        assertEquals(0L, back.x(2));
        for (int i = 3; i <= 7; i++)
        {
            assertEquals(0x2000L + i, back.x(i));
        }
        assertTrue(back.isZero(8, 17));
    }

    @Test
    void req64PayloadIsX3ToX7AndResponseReturnsTheNextRequest() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        for (int i = 3; i <= 7; i++)
        {
            r.x(i, 0xA5A5_0000_0000_0000L + i);
        }
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), r);
        final RegisterFile in = get(waiting);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, in.w(0));
        for (int i = 3; i <= 7; i++)
        {
            assertEquals(0xA5A5_0000_0000_0000L + i, in.x(i));
        }
        assertTrue(in.isZero(8, 17));

        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        out.x(7, -1L);
        final Future<RegisterFile> next = fx.async(sp, out);
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, back.w(0));
        assertEquals(-1L, back.x(7));
        assertTrue(back.isZero(2, 6));
        // The responder is WAITING again: a second request is what its DIRECT_RESP returns.
        fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
        final RegisterFile second = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, 0, SPA);
        second.x(3, 42);
        final Future<RegisterFile> sent2 = fx.async(fx.ec(0), second);
        final RegisterFile in2 = get(next);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, in2.w(0));
        assertEquals(RegisterFile.packIds(0, SPA), in2.w(1));
        assertEquals(42L, in2.x(3));
        fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, 0));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent2).w(0));
    }

    /** FF-A lets a VM ask another VM; Hafnium's hypervisor would let only its primary VM send (ARCHITECTURE.md). */
    @Test
    void aVmAsksAnotherVm() throws Exception
    {
        final ExecutionContext vm2 = fx.ec(VM2);
        // vm2 does not have the send property: it may not ask vm1.
        assertError(ErrorCode.DENIED, call(vm2, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM2, VM1)));
        final Future<RegisterFile> waiting = fx.msgWait(vm2);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, VM2);
        r.x(3, 7);
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), r);
        final RegisterFile in = get(waiting);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, in.w(0));
        assertEquals(RegisterFile.packIds(VM1, VM2), in.w(1));
        assertEquals(7L, in.x(3));
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, VM2, VM1);
        out.x(3, 8);
        fx.respond(vm2, out);
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, back.w(0), back::toString);
        assertEquals(8L, back.x(3));
    }

    @Test
    void req2CarriesUuidAndFourteenWordsAndResp2ZeroesX2X3() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, VM1, SPA);
        r.x(2, uuidLe(SP1B, 0)).x(3, uuidLe(SP1B, 1));
        for (int i = 4; i <= 17; i++)
        {
            r.x(i, 0x0102_0304_0506_0700L + i);
        }
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), r);
        final RegisterFile in = get(waiting);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, in.w(0));
        assertEquals(RegisterFile.packIds(VM1, SPA) & 0xFFFF_FFFFL, in.x(1));
        assertEquals(uuidLe(SP1B, 0), in.x(2));
        assertEquals(uuidLe(SP1B, 1), in.x(3));
        for (int i = 4; i <= 17; i++)
        {
            assertEquals(0x0102_0304_0506_0700L + i, in.x(i));
        }
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SPA, VM1);
        out.x(2, 0x1111).x(3, 0x2222);
        for (int i = 4; i <= 17; i++)
        {
            out.x(i, ~(long)i);
        }
        fx.respond(sp, out);
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, back.w(0));
        assertEquals(RegisterFile.packIds(SPA, VM1) & 0xFFFF_FFFFL, back.x(1));
        assertEquals(0L, back.x(2), "RESP2 x2/x3 are MBZ and zeroed");
        assertEquals(0L, back.x(3));
        for (int i = 4; i <= 17; i++)
        {
            assertEquals(~(long)i, back.x(i));
        }
    }

    @Test
    void requestRefusals() throws Exception
    {
        final Future<RegisterFile> waiting = fx.msgWait(fx.ec(SPA));
        final ExecutionContext v = fx.ec(VM1);
        final int req = FunctionId.FFA_MSG_SEND_DIRECT_REQ_64;
        assertError(ErrorCode.INVALID_PARAMETERS, call(v, ids(req, VM1, VM1)));
        assertError(ErrorCode.INVALID_PARAMETERS, call(v, ids(req, VM1, 0x1234)));
        assertError(ErrorCode.INVALID_PARAMETERS, call(v, ids(req, VM1, 0)));
        assertError(ErrorCode.INVALID_PARAMETERS, call(v, ids(req, VM2, SPA)));
        assertError(ErrorCode.INVALID_PARAMETERS, call(v, ids(req, SPB, SPA)));
        final RegisterFile flags = ids(req, VM1, SPA);
        flags.w(2, 1);
        assertError(ErrorCode.INVALID_PARAMETERS, call(v, flags));
        final RegisterFile fwkBits = ids(req, VM1, SPA);
        fwkBits.w(2, 0x8000_0104);
        assertError(ErrorCode.INVALID_PARAMETERS, call(v, fwkBits));
        try (Endpoint noRecv = fx.claim(SP_NORECV))
        {
            assertError(ErrorCode.DENIED, call(v, ids(req, VM1, SP_NORECV)));
            assertError(ErrorCode.DENIED, call(fx.ec(VM2), ids(req, VM2, SPA)), "vm2 cannot send");
            // SP -> VM.
            assertError(ErrorCode.INVALID_PARAMETERS, call(noRecv.executionContext(0), ids(req, SP_NORECV, VM2)));
        }
        // None of that touched the waiting receiver.
        assertEquals(ExecutionContextState.WAITING, fx.state(SPA, 0));
        assertFalse(waiting.isDone());
        // Receiver not waiting (just claimed, RUNNING): BUSY.
        assertError(ErrorCode.BUSY, call(v, ids(req, VM1, SPB)));
        // Serving someone else: BUSY.
        final Future<RegisterFile> sent = fx.async(v, ids(req, VM1, SPA));
        get(waiting);
        assertError(ErrorCode.BUSY, call(fx.ec(0), ids(req, 0, SPA)));
        fx.respond(fx.ec(SPA), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    @Test
    void req2Refusals() throws Exception
    {
        final Future<RegisterFile> waiting = fx.msgWait(fx.ec(SPA));
        final ExecutionContext v = fx.ec(VM1);
        final RegisterFile unknown = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, VM1, SPA);
        unknown.x(2, 0x1234).x(3, 0x5678);
        assertError(ErrorCode.INVALID_PARAMETERS, call(v, unknown));
        try (Endpoint ignored = fx.claim(SP_V11))
        {
            assertError(ErrorCode.DENIED, call(v, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, VM1, SP_V11)));
        }
        assertFalse(waiting.isDone());
        final ExecutionContext old = fx.reclaim(VM1).executionContext(0);
        assertEquals(V1_2, call(old, FunctionId.FFA_VERSION, V1_1).w(0));
        assertError(ErrorCode.NOT_SUPPORTED, call(old, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, VM1, SPA)));
        // Nil UUID = default service, from a v1.2 caller.
        final Future<RegisterFile> sent = fx.async(fx.ec(0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, 0, SPA));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, get(waiting).w(0));
        fx.respond(fx.ec(SPA), ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SPA, 0));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, get(sent).w(0));
    }

    /**
     * REQ2 has property bits of its own (ffa-reference.md 5.1: bit 9 receive, bit 10 send), which the REQ
     * bits do not stand in for: DENIED (Hafnium's ffa_direct_msg_is_direct_request_supported). A UUID names
     * a service only in the digest's order, bytes 0-7 in x2: its halves swapped name none.
     */
    @Test
    void req2NeedsItsOwnPropertyBitsAndItsUuidInOrder() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final int req2 = FunctionId.FFA_MSG_SEND_DIRECT_REQ2;
        assertError(ErrorCode.DENIED, call(fx.ec(VM1), ids(req2, VM1, VM2)), "vm2 receives REQ, not REQ2");
        try (Endpoint reqOnly = fx.claim(SP_SUB_NORECV))
        {
            assertError(ErrorCode.DENIED, call(reqOnly.executionContext(0), ids(req2, SP_SUB_NORECV, SPA)),
                "it sends REQ, not REQ2");
        }
        final RegisterFile swapped = ids(req2, VM1, SPA);
        swapped.x(2, uuidLe(SP1B, 1)).x(3, uuidLe(SP1B, 0));
        assertError(ErrorCode.INVALID_PARAMETERS, call(fx.ec(VM1), swapped), "the UUID's halves swapped");
        assertFalse(waiting.isDone(), "no refused request reached spa");

        // REQ2's send bit without REQ's receive bit still sends REQ2.
        try (Endpoint req2Sender = fx.claim(SP_NORECV))
        {
            final RegisterFile r = ids(req2, SP_NORECV, SPA);
            r.x(2, uuidLe(SP1, 0)).x(3, uuidLe(SP1, 1)).x(17, 0x17);
            final Future<RegisterFile> sent = fx.async(req2Sender.executionContext(0), r);
            final RegisterFile in = get(waiting);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, in.w(0), in.toString());
            assertEquals(uuidLe(SP1, 0), in.x(2));
            assertEquals(0x17L, in.x(17));
            fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SPA, SP_NORECV));
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, get(sent).w(0));
        }
    }

    @Test
    void responseRefusals() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        assertError(ErrorCode.DENIED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1)));
        assertError(ErrorCode.DENIED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SPA, VM1)));

        Future<RegisterFile> sent = fx.deliver(sp, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        assertError(ErrorCode.DENIED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM2)));
        assertError(ErrorCode.DENIED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SPA, VM1)));
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, VM1)));
        final RegisterFile flags = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        flags.w(2, 4);
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, flags));
        final RegisterFile x8 = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        x8.x(8, 1);
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, x8));
        final RegisterFile fwk = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        fwk.w(2, 0x8000_0005);
        assertError(ErrorCode.DENIED, call(sp, fwk), "framework response to a partition message");
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_MSG_WAIT)));
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, regs(FunctionId.FFA_MSG_WAIT, 1)));
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, regs(FunctionId.FFA_MSG_WAIT, 0, 2)));
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, regs(FunctionId.FFA_MSG_WAIT, 0, 0, 1)));
        final RegisterFile waitX8 = regs(FunctionId.FFA_MSG_WAIT);
        waitX8.x(8, 1);
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, waitX8));
        // Still serving after every refusal; the requester still waits.
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPA, 0));
        assertFalse(sent.isDone());
        final RegisterFile ok = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        ok.x(3, 7);
        final Future<RegisterFile> answered = fx.respond(sp, ok);
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, back.w(0));
        assertEquals(7L, back.x(3));

        // Outside a request FFA_ERROR is DENIED: here once the wait after the answer was interrupted, past
        // the init where it would report a failed init (SpInitialisationTest).
        assertEquals(FunctionId.FFA_INTERRUPT, get(answered).w(0));
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_ERROR, 0, ErrorCode.ABORTED)));

        // RESP to a REQ2.
        sent = fx.deliver(sp, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, VM1, SPA));
        assertError(ErrorCode.DENIED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1)));
        assertError(ErrorCode.DENIED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, VM1)));
        fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, get(sent).w(0));
    }

    @Test
    void aResponseMustHaveTheWidthOfItsRequest() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        // REQ_32 is answered by RESP_32 only (reference 4.3: the same width family as the request).
        Future<RegisterFile> sent = fx.deliver(sp, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA));
        assertError(ErrorCode.DENIED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1)));
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPA, 0));
        assertFalse(sent.isDone(), "a refused response leaves the requester waiting");
        final Future<RegisterFile> answered = fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, get(sent).w(0));
        // The response's own wait for the next message must be over before spa is used again: its state
        // word leaves WAITING before that call has returned.
        assertEquals(FunctionId.FFA_INTERRUPT, get(answered).w(0));

        // And REQ_64 by RESP_64 only.
        sent = fx.deliver(sp, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        assertError(ErrorCode.DENIED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, VM1)));
        assertFalse(sent.isDone());
        fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    @Test
    void resp2FromAV11EndpointIsNotSupported() throws Exception
    {
        // RESP2 exists from v1.2: a v1.1 endpoint gets NOT_SUPPORTED, as FFA_FEATURES tells it, serving or not.
        try (Endpoint v11 = fx.claim(SP_V11))
        {
            final ExecutionContext sp = v11.executionContext(0);
            assertError(ErrorCode.NOT_SUPPORTED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SP_V11, VM1)));
            assertError(ErrorCode.NOT_SUPPORTED, call(sp, regs(FunctionId.FFA_FEATURES, FunctionId.FFA_MSG_SEND_DIRECT_RESP2)));
            final Future<RegisterFile> sent = fx.deliver(sp, fx.ec(VM1),
                ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP_V11));
            assertError(ErrorCode.NOT_SUPPORTED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SP_V11, VM1)));
            assertEquals(ExecutionContextState.RUNNING, fx.state(SP_V11, 0));
            assertFalse(sent.isDone(), "a refused response must not reach the requester");
            final Future<RegisterFile> next = fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP_V11, VM1));
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
            assertEquals(FunctionId.FFA_INTERRUPT, get(next).w(0));
        }
    }

    @Test
    void msgWaitFromAV11CallerMustHaveW2Zero() throws Exception
    {
        try (Endpoint v11 = fx.claim(SP_V11))
        {
            assertError(ErrorCode.INVALID_PARAMETERS, call(v11.executionContext(0), regs(FunctionId.FFA_MSG_WAIT, 0, 1)));
        }
    }


    @Test
    void hintedCallsAreThePlainCallsAndTheReceiverSeesThePlainId() throws Exception
    {
        // The SMCCC v1.3 SVE hint (bit 16) tells the partition manager about the caller's own state:
        // it is cleared before the call is decoded, as Hafnium does before building the receiver's registers.
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.async(sp, regs(FunctionId.FFA_MSG_WAIT | FunctionId.SVE_HINT));
        fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64 | FunctionId.SVE_HINT, VM1, SPA);
        r.x(3, 5);
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), r);
        final RegisterFile in = get(waiting);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64 & 0xFFFF_FFFFL, in.x(0), in.toString());
        assertEquals(5L, in.x(3));
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64 | FunctionId.SVE_HINT, SPA, VM1);
        out.x(3, 6);
        fx.respond(sp, out);
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64 & 0xFFFF_FFFFL, back.x(0), back.toString());
        assertEquals(6L, back.x(3));
    }

    @Test
    void errorFromTheReceiverReachesTheRequester() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> sent = fx.deliver(sp, fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA));
        fx.respond(sp, regs(FunctionId.FFA_ERROR, 0, ErrorCode.NO_MEMORY));
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_ERROR, back.w(0));
        assertEquals(ErrorCode.NO_MEMORY, back.w(2));
        assertTrue(back.isZero(3, 17));
        fx.awaitState(VM1, 0, ExecutionContextState.RUNNING);
    }

    /**
     * The hypervisor sends only the VM created/destroyed framework messages (ffa-reference.md 4.3): PSCI
     * and warm-boot requests are the SPMD's, FFA_VERSION forwarding goes to the SPMC, an ack is no request,
     * and type 3 is undefined. Each is INVALID_PARAMETERS, to a subscribed SP too, and reaches nobody.
     */
    @Test
    void theHypervisorSendsNoOtherFrameworkRequest() throws Exception
    {
        final Future<RegisterFile> waiting = fx.msgWait(fx.ec(SPA), 500_000_000L);
        for (final int type : new int[] { 0, 1, 2, 3, 5, 8, 9 })
        {
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, 0, SPA);
            r.w(2, RegisterFile.frameworkMessageFlags(type));
            assertError(ErrorCode.INVALID_PARAMETERS, call(fx.ec(0), r), "framework message type " + type);
        }
        final RegisterFile timedOut = get(waiting);
        assertEquals(FunctionId.FFA_INTERRUPT, timedOut.w(0), () -> "nothing reached spa: " + timedOut);
    }

    /**
     * Framework messages (w2 bit 31) came with v1.1: in v1.0 the whole of w2 is MBZ (Hafnium's v1.0 code
     * refused any w2), so a hypervisor that negotiated v1.0 sends none, INVALID_PARAMETERS, while its
     * partition messages go through.
     */
    @Test
    void aV10HypervisorSendsNoFrameworkMessage() throws Exception
    {
        final ExecutionContext hyp = fx.reclaim(0).executionContext(0);
        assertEquals(V1_2, call(hyp, FunctionId.FFA_VERSION, V1_0).w(0));
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        for (final int type : new int[] { 4, 6 })
        {
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, 0, SPA);
            r.w(2, RegisterFile.frameworkMessageFlags(type));
            assertError(ErrorCode.INVALID_PARAMETERS, call(hyp, r), "framework message type " + type + " at v1.0");
        }
        assertFalse(waiting.isDone());
        final RegisterFile partitionMessage = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, 0, SPA);
        partitionMessage.w(3, 5);
        final Future<RegisterFile> sent = fx.async(hyp, partitionMessage);
        final RegisterFile in = get(waiting);
        assertEquals(0L, in.x(2), in.toString());
        assertEquals(5L, in.x(3));
        fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, 0));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, get(sent).w(0));
    }

    /**
     * VM destroyed (type 6) goes only to a partition subscribed to it, and VM destroyed ack (7) alone answers
     * it. A partition that did not subscribe to the message's type is INVALID_PARAMETERS (Hafnium's SPMC,
     * check_vm_availability_message), a subscription to the other type notwithstanding.
     */
    @Test
    void vmDestroyedFrameworkMessage() throws Exception
    {
        final Future<RegisterFile> spaWaits = fx.msgWait(fx.ec(SPA), 500_000_000L);
        final RegisterFile toCreatedOnly = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, 0, SPA);
        toCreatedOnly.w(2, 0x8000_0006);
        assertError(ErrorCode.INVALID_PARAMETERS, call(fx.ec(0), toCreatedOnly), "spa subscribes to VM created only");
        final RegisterFile timedOut = get(spaWaits);
        assertEquals(FunctionId.FFA_INTERRUPT, timedOut.w(0), () -> "nothing reached spa: " + timedOut);

        try (Endpoint destroyedOnly = fx.claim(SP_DESTROYED))
        {
            final ExecutionContext sp = destroyedOnly.executionContext(0);
            final Future<RegisterFile> waiting = fx.msgWait(sp);
            final RegisterFile created = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, 0, SP_DESTROYED);
            created.w(2, 0x8000_0004);
            assertError(ErrorCode.INVALID_PARAMETERS, call(fx.ec(0), created), "subscribed to VM destroyed only");
            assertFalse(waiting.isDone());

            final RegisterFile destroyed = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, 0, SP_DESTROYED);
            destroyed.w(2, 0x8000_0006).w(3, 0xFFFF_FFFF).w(4, 0xFFFF_FFFF).w(5, 9);
            final Future<RegisterFile> sent = fx.async(fx.ec(0), destroyed);
            final RegisterFile in = get(waiting);
            assertEquals(0x8000_0006L, in.x(2));
            assertEquals(9L, in.x(5));
            for (final int wrongType : new int[] { 0x8000_0005, 0x8000_0006, 0x8000_0002 })
            {
                final RegisterFile wrong = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SP_DESTROYED, 0);
                wrong.w(2, wrongType);
                assertError(ErrorCode.INVALID_PARAMETERS, call(sp, wrong),
                    "framework response type 0x" + Integer.toHexString(wrongType) + " to VM destroyed");
            }
            assertFalse(sent.isDone(), "a refused response must not reach the requester");
            final RegisterFile ack = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SP_DESTROYED, 0);
            ack.w(2, 0x8000_0007);
            final Future<RegisterFile> next = fx.respond(sp, ack);
            final RegisterFile back = get(sent);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, back.w(0), back.toString());
            assertEquals(RegisterFile.packIds(SP_DESTROYED, 0), back.w(1));
            assertEquals(0x8000_0007L, back.x(2));
            assertEquals(FunctionId.FFA_INTERRUPT, get(next).w(0));
        }
    }

    @Test
    void vmCreatedFrameworkMessage() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        // From a non-hypervisor: INVALID_PARAMETERS.
        final RegisterFile bad = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA);
        bad.w(2, 0x8000_0004);
        assertError(ErrorCode.INVALID_PARAMETERS, call(fx.ec(VM1), bad));
        try (Endpoint nosub = fx.claim(SP_NOSUB))
        {
            final Future<RegisterFile> w2 = fx.msgWait(nosub.executionContext(0), 500_000_000L);
            // Not subscribed: INVALID_PARAMETERS, as Hafnium's SPMC checks a VM availability message.
            final RegisterFile notSubscribed = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, 0, SP_NOSUB);
            notSubscribed.w(2, 0x8000_0004);
            assertError(ErrorCode.INVALID_PARAMETERS, call(fx.ec(0), notSubscribed));
            // Nothing reached it: its MSG_WAIT times out with FFA_INTERRUPT naming itself.
            final RegisterFile timedOut = get(w2);
            assertEquals(FunctionId.FFA_INTERRUPT, timedOut.w(0), timedOut.toString());
            assertEquals(RegisterFile.packTargetInfo(SP_NOSUB, 0), timedOut.w(1));
        }
        try (Endpoint noRecv = fx.claim(SP_SUB_NORECV))
        {
            // A framework message is a direct request: one that cannot receive them is not sent one,
            // subscribed or not (partition info reports the subscription only beside bit 0, reference 5.1).
            final Future<RegisterFile> w3 = fx.msgWait(noRecv.executionContext(0), 500_000_000L);
            final RegisterFile toNoRecv = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, 0, SP_SUB_NORECV);
            toNoRecv.w(2, 0x8000_0004);
            assertError(ErrorCode.DENIED, call(fx.ec(0), toNoRecv));
            final RegisterFile timedOut = get(w3);
            assertEquals(FunctionId.FFA_INTERRUPT, timedOut.w(0), timedOut.toString());
        }
        final RegisterFile created = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, 0, SPA);
        created.w(2, 0x8000_0004).w(3, 0xFFFF_FFFF).w(4, 0xFFFF_FFFF).w(5, 7);
        final Future<RegisterFile> sent = fx.async(fx.ec(0), created);
        final RegisterFile in = get(waiting);
        assertEquals(0x8000_0004L, in.x(2));
        assertEquals(7L, in.x(5));
        assertError(ErrorCode.DENIED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, 0)),
            "non-framework response to a framework request");
        // Only the request's own response type answers it: VM created takes VM created ack (5).
        for (final int wrongType : new int[] { 0x8000_0007, 0x8000_0004, 0x8000_0002, 0x8000_0009 })
        {
            final RegisterFile wrong = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, 0);
            wrong.w(2, wrongType);
            assertError(ErrorCode.INVALID_PARAMETERS, call(sp, wrong),
                "framework response type 0x" + Integer.toHexString(wrongType) + " to VM created");
        }
        assertEquals(ExecutionContextState.RUNNING, fx.state(SPA, 0));
        assertFalse(sent.isDone(), "a refused response must not reach the requester");
        final RegisterFile ack = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, 0);
        ack.w(2, 0x8000_0005);
        fx.respond(sp, ack);
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, back.w(0));
        assertEquals(0x8000_0005L, back.x(2));
        assertEquals(0L, back.x(3));
    }
}
