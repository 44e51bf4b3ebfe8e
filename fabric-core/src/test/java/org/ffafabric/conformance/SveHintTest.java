package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * SMCCC v1.3's SVE hint, bit 16 of the function ID: it tells the callee the caller holds no live
 * SVE state and names no function, so a call with it behaves as the call without it (Hafnium's
 * smc_handler and TF-A's sync_handler clear it before dispatch), and a receiver sees the plain ID.
 */
class SveHintTest
{
    static final int HINT = 1 << 16;
    static final int VM1 = 1;
    static final int SPA = 0x8001;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .build(), VM1, SPA);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    @Test
    void trappedCallsIgnoreTheHint()
    {
        final ExecutionContext vm = fx.ec(VM1);
        // FFA_VERSION with the hint is FFA_VERSION: it negotiates (v1.1 hides REQ2 from FEATURES).
        final RegisterFile version = call(vm, FunctionId.FFA_VERSION | HINT, V1_1);
        assertEquals(V1_2, version.w(0), version.toString());
        assertError(ErrorCode.NOT_SUPPORTED, call(vm, FunctionId.FFA_FEATURES | HINT, FunctionId.FFA_MSG_SEND_DIRECT_REQ2));
        final RegisterFile id = call(vm, FunctionId.FFA_ID_GET | HINT);
        assertSuccess32(id);
        assertEquals(VM1, id.w(2));
        assertSuccess32(call(vm, FunctionId.FFA_FEATURES | HINT, FunctionId.FFA_ID_GET));
    }

    @Test
    void localCallsIgnoreTheHintAndTheReceiverSeesThePlainId() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.async(sp, regs(FunctionId.FFA_MSG_WAIT | HINT));
        fx.awaitState(SPA, 0, org.ffafabric.control.ExecutionContextState.WAITING);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64 | HINT, VM1, SPA);
        r.x(3, 5);
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), r);
        final RegisterFile in = get(waiting);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64 & 0xFFFF_FFFFL, in.x(0), in.toString());
        assertEquals(5L, in.x(3));
        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64 | HINT, SPA, VM1);
        out.x(3, 6);
        fx.respond(sp, out);
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64 & 0xFFFF_FFFFL, back.x(0), back.toString());
        assertEquals(6L, back.x(3));
    }

    @Test
    void aHandlerServingInPlaceSeesThePlainId() throws Exception
    {
        final AtomicInteger seen = new AtomicInteger();
        final Future<Boolean> served = fx.exec().submit(() -> fx.ec(SPA).serveDirectRequest(
            (req, resp) -> seen.set(req.registers().functionId()), new RegisterFile(), WAIT_NS));
        fx.awaitState(SPA, 0, org.ffafabric.control.ExecutionContextState.WAITING);
        final RegisterFile back = call(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32 | HINT, VM1, SPA));
        assertTrue(get(served));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, seen.get());
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, back.w(0), back.toString());
    }

    @Test
    void otherReservedBitsStillNameNoFunction()
    {
        // Only bit 16 is a hint: bits [23:17] must be zero in a fast call (TF-A answers SMC_UNKNOWN).
        assertError(ErrorCode.NOT_SUPPORTED, call(fx.ec(VM1), FunctionId.FFA_ID_GET | (1 << 17)));
    }
}
