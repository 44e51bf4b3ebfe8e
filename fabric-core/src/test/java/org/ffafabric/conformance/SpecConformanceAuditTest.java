package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Register-level findings of a conformance audit against ffa-reference.md, each pinned where the
 * code answered differently: the digest section, or where it is silent Hafnium's code, is named
 * on every test.
 */
class SpecConformanceAuditTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;
    static final int SP_V11 = 0x8003;
    static final String SP_V11_UUID = "cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee";

    /** Bound for calls that must answer at once: a call that blocks instead returns FFA_INTERRUPT. */
    private static final long PROMPT_NS = TimeUnit.MILLISECONDS.toNanos(500);

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0"))
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .partition(p -> p.name("sp-v11").id(SP_V11).world(World.SP_EL1).uuid(SP_V11_UUID)
                .directMessaging().ffaVersion(FfaVersion.V1_1))
            .build(), HYP, VM1, SPA, SPB, SP_V11);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    /**
     * The scheduler (hypervisor, ID 0) is never sent a request nor run, so it has nothing to wait
     * for. Digest §6.2 (last row): FFA_MSG_WAIT from the normal world's physical instance is
     * NOT_SUPPORTED (TF-A), and TF-A's FFA_FEATURES reports MSG_WAIT only to SPs (§4.1); Hafnium as
     * hypervisor answers the primary's FFA_MSG_WAIT with NOT_SUPPORTED too (plat_ffa_msg_recv:
     * "the primary VM ... must not call this function"). §4.1: FFA_FEATURES answers NOT_SUPPORTED
     * for a call this instance does not offer. Before: the call blocked until its bound.
     */
    @Test
    void msgWaitIsNotSupportedForTheHypervisorAndFeaturesSaysSo()
    {
        final ExecutionContext hyp = fx.ec(HYP);
        final RegisterFile wait = regs(FunctionId.FFA_MSG_WAIT);
        hyp.invoke(wait, PROMPT_NS);
        assertError(ErrorCode.NOT_SUPPORTED, wait, "the hypervisor's FFA_MSG_WAIT");
        assertEquals(ExecutionContextState.RUNNING, fx.state(HYP, 0), "the scheduler keeps its CPU");
        assertError(ErrorCode.NOT_SUPPORTED, call(hyp, FunctionId.FFA_FEATURES, FunctionId.FFA_MSG_WAIT),
            "FFA_FEATURES(FFA_MSG_WAIT) for the hypervisor");

        // Partitions that are sent requests and run still wait.
        for (final int id : new int[] { VM1, SPA })
        {
            assertSuccess32(call(fx.ec(id), FunctionId.FFA_FEATURES, FunctionId.FFA_MSG_WAIT));
        }
    }

    /**
     * A function not supported at this instance is NOT_SUPPORTED whatever its registers, as the
     * hypervisor's FFA_YIELD already is: a malformed FFA_MSG_WAIT from the scheduler must not pass
     * for a supported call with bad arguments (INVALID_PARAMETERS) while FFA_FEATURES says it is not.
     */
    @Test
    void msgWaitIsNotSupportedForTheHypervisorWhateverItsRegisters()
    {
        final ExecutionContext hyp = fx.ec(HYP);
        assertError(ErrorCode.NOT_SUPPORTED, call(hyp, regs(FunctionId.FFA_MSG_WAIT, 0, 0, 0, 1)),
            "the hypervisor's FFA_MSG_WAIT with w4 != 0");
        assertError(ErrorCode.NOT_SUPPORTED, call(hyp, regs(FunctionId.FFA_MSG_WAIT, 0, 2)),
            "the hypervisor's FFA_MSG_WAIT with an undefined flag");
        assertError(ErrorCode.NOT_SUPPORTED, call(hyp, regs(FunctionId.FFA_YIELD, 0, 0, 0, 1)),
            "the hypervisor's FFA_YIELD with w4 != 0");
    }

    /**
     * Nor is the scheduler ever the target of a request (a request to ID 0 is INVALID_PARAMETERS), so it has none to
     * answer: FFA_FEATURES does not offer it the response forms, as it does not offer FFA_MSG_WAIT, and its responses
     * are NOT_SUPPORTED whatever their registers, as FFA_FEATURES says (TF-A refuses a normal world's response with
     * INVALID_PARAMETERS, digest §6.2). Before:
     * FFA_FEATURES offered them, and the calls answered DENIED, or INVALID_PARAMETERS for bad arguments.
     */
    @Test
    void directResponsesAreNotSupportedForTheHypervisorAndFeaturesSaysSo()
    {
        final ExecutionContext hyp = fx.ec(HYP);
        for (final int response : new int[] { FunctionId.FFA_MSG_SEND_DIRECT_RESP_32,
            FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, FunctionId.FFA_MSG_SEND_DIRECT_RESP2 })
        {
            final String name = FunctionId.name(response);
            assertError(ErrorCode.NOT_SUPPORTED, call(hyp, FunctionId.FFA_FEATURES, response), "FFA_FEATURES(" + name + ")");
            assertError(ErrorCode.NOT_SUPPORTED, call(hyp, regs(response, RegisterFile.packIds(HYP, VM1))), name);
            // Malformed: a destination of its own ID, and w2 flags no response has.
            assertError(ErrorCode.NOT_SUPPORTED, call(hyp, regs(response, RegisterFile.packIds(HYP, HYP), 0xFFFF)),
                name + " with bad arguments");
            assertEquals(ExecutionContextState.RUNNING, fx.state(HYP, 0), "the scheduler keeps its CPU");
            // Partitions that are sent requests still answer them.
            assertSuccess32(call(fx.ec(SPA), FunctionId.FFA_FEATURES, response));
        }
    }

    /**
     * Hafnium's api_yield checks x4..x7 (MBZ, digest §4.2: "w4–w7 MBZ (HF: INVALID_PARAMETERS
     * otherwise)") before the run-time state transition that answers DENIED: a malformed
     * FFA_YIELD is INVALID_PARAMETERS whatever the caller's state. Before: DENIED.
     */
    @Test
    void yieldChecksItsMbzRegistersBeforeItsState()
    {
        final ExecutionContext sp = fx.ec(SPA);
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, regs(FunctionId.FFA_YIELD, 0, 0, 0, 1)),
            "FFA_YIELD with w4 != 0, not serving");
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, regs(FunctionId.FFA_YIELD, 0, 0, 0, 0, 0, 0, 1)),
            "FFA_YIELD with w7 != 0, not serving");
        // Well formed, it is still refused for the state.
        assertError(ErrorCode.DENIED, call(sp, regs(FunctionId.FFA_YIELD, 0, 7, 9)), "FFA_YIELD, not serving");
    }

    /**
     * Hafnium's api_ffa_msg_send_direct_resp validates the arguments first (w2 MBZ for partition
     * messages, x8..x17 MBZ from v1.2 callers, sender = caller and sender != receiver:
     * INVALID_PARAMETERS) and only then the state (not serving, wrong destination, RESP vs RESP2:
     * DENIED). Digest §6.2 lists these errors; §2.2 the x8..x17 rule. Before: DENIED for all.
     */
    @Test
    void directResponseChecksItsArgumentsBeforeItsState()
    {
        final ExecutionContext sp = fx.ec(SPA);
        final RegisterFile flags = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        flags.w(2, 4);
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, flags), "w2 != 0 on a partition message, not serving");
        final RegisterFile x8 = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        x8.x(8, 1);
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, x8), "v1.2 RESP_64 with x8 != 0, not serving");
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPB, VM1)),
            "responder field names another partition, not serving");
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, SPA)),
            "response to itself, not serving");
        // Well formed, a response from a context that serves nothing is still DENIED.
        assertError(ErrorCode.DENIED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1)));
        assertError(ErrorCode.DENIED, call(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, SPA, VM1)));
    }

    /**
     * REQ2's UUID names a service of the receiver: a non-Nil UUID the receiver does not declare is
     * INVALID_PARAMETERS (digest §6.2), checked in Hafnium's api_ffa_msg_send_direct_req before
     * ffa_direct_msg_is_direct_request_supported, whose version and property checks answer
     * DENIED (§6.2, §8 row 10). Before: DENIED when the receiver was below v1.2.
     */
    @Test
    void req2UnknownUuidIsInvalidBeforeTheReceiversVersionIsDenied()
    {
        final RegisterFile req = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, VM1, SP_V11);
        req.x(2, 0x1111_2222_3333_4444L).x(3, 0x5555_6666_7777_8888L);
        assertError(ErrorCode.INVALID_PARAMETERS, call(fx.ec(VM1), req), "REQ2, unknown UUID, v1.1 receiver");
        // The receiver's own UUID (or Nil) still meets the version rule.
        final RegisterFile nil = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, VM1, SP_V11);
        assertError(ErrorCode.DENIED, call(fx.ec(VM1), nil), "REQ2 to a v1.1 receiver");
    }

    /**
     * Memory sharing, indirect messaging and notifications are not built: FFA_FEATURES must not
     * claim any of their IDs, at any world or version (digest §4.1: NOT_SUPPORTED when not
     * implemented at this instance), and the calls themselves answer NOT_SUPPORTED.
     */
    @Test
    void featuresClaimsNoUnbuiltFunction()
    {
        final int[] unbuilt = {
            FunctionId.FFA_MSG_POLL, FunctionId.FFA_MSG_SEND, FunctionId.FFA_MSG_SEND2,
            FunctionId.FFA_MEM_DONATE_32, FunctionId.FFA_MEM_DONATE_64, FunctionId.FFA_MEM_LEND_32,
            FunctionId.FFA_MEM_LEND_64, FunctionId.FFA_MEM_SHARE_32, FunctionId.FFA_MEM_SHARE_64,
            FunctionId.FFA_MEM_RETRIEVE_REQ_32, FunctionId.FFA_MEM_RETRIEVE_REQ_64, FunctionId.FFA_MEM_RETRIEVE_RESP,
            FunctionId.FFA_MEM_RELINQUISH, FunctionId.FFA_MEM_RECLAIM, FunctionId.FFA_MEM_OP_PAUSE,
            FunctionId.FFA_MEM_OP_RESUME, FunctionId.FFA_MEM_FRAG_RX, FunctionId.FFA_MEM_FRAG_TX,
            FunctionId.FFA_MEM_PERM_GET_32, FunctionId.FFA_MEM_PERM_GET_64, FunctionId.FFA_MEM_PERM_SET_32,
            FunctionId.FFA_MEM_PERM_SET_64, FunctionId.FFA_NOTIFICATION_BITMAP_CREATE,
            FunctionId.FFA_NOTIFICATION_BITMAP_DESTROY, FunctionId.FFA_NOTIFICATION_BIND,
            FunctionId.FFA_NOTIFICATION_UNBIND, FunctionId.FFA_NOTIFICATION_SET, FunctionId.FFA_NOTIFICATION_GET,
            FunctionId.FFA_NOTIFICATION_INFO_GET_32, FunctionId.FFA_NOTIFICATION_INFO_GET_64 };
        for (final int id : new int[] { HYP, VM1, SPA })
        {
            final ExecutionContext ec = fx.ec(id);
            for (final int function : unbuilt)
            {
                final String what = FunctionId.name(function) + " for 0x" + Integer.toHexString(id);
                assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_FEATURES, function), "FFA_FEATURES " + what);
                assertError(ErrorCode.NOT_SUPPORTED, call(ec, regs(function)), what);
            }
            // Nor the notification feature IDs (NPI, SRI, MEI, v1.3 notification features).
            for (int feature = 1; feature <= 4; feature++)
            {
                assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_FEATURES, feature), "feature " + feature);
            }
        }
    }
}
