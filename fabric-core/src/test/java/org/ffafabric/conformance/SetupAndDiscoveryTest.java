package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/** FFA_VERSION, FFA_FEATURES, FFA_ID_GET, FFA_SPM_ID_GET and unknown IDs, through invoke. */
class SetupAndDiscoveryTest
{
    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(0).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0"))
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555").directMessaging())
            .partition(p -> p.name("vm2").id(2).world(World.VM).uuid("22222222-2222-3333-4444-555555555555").ffaVersion(V1_0))
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee").directMessaging())
            .partition(p -> p.name("sp2").id(0x8002).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .executionContexts(2).directMessaging())
            .build());
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    private int negotiated(final int id)
    {
        return fx.controlFile().negotiatedVersion(fx.controlFile().slotOf(id));
    }

    private static void assertVersionReturn(final int expected, final RegisterFile r)
    {
        assertEquals(expected, r.w(0), () -> "FFA_VERSION returns the raw version in w0: " + r);
        assertEquals(expected & 0xFFFF_FFFFL, r.x(0));
        assertTrue(r.isZero(1, 17), () -> "nothing but w0: " + r);
    }

    @Test
    void versionSameMajorLowerOrEqualMinorReturnsOursAndRecordsTheCallers() throws Exception
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, V1_1));
            assertEquals(V1_1, negotiated(1));
            // Before any other ABI the caller may negotiate again.
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, V1_0));
            assertEquals(V1_0, negotiated(1));
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, V1_2));
            assertEquals(V1_2, negotiated(1));
        }
    }

    @Test
    void versionHigherMinorReturnsOursAndNegotiatesOurs()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            call(ec, FunctionId.FFA_VERSION, V1_0);
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, 0x10007));
            assertEquals(V1_2, negotiated(1));
        }
    }

    @Test
    void versionBit31OrOtherMajorIsNotSupportedInW0()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final int before = negotiated(1);
            assertVersionReturn(0xFFFF_FFFF, call(ec, FunctionId.FFA_VERSION, 0x8001_0002));
            assertVersionReturn(0xFFFF_FFFF, call(ec, FunctionId.FFA_VERSION, 0x0002_0000));
            assertVersionReturn(0xFFFF_FFFF, call(ec, FunctionId.FFA_VERSION, 0x0000_0001));
            assertEquals(before, negotiated(1), "a refused version records nothing");
        }
    }

    @Test
    void versionAfterAnotherCallSameOkDifferentNotSupported()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, V1_1));
            assertSuccess32(call(ec, FunctionId.FFA_ID_GET));
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, V1_1));
            assertVersionReturn(0xFFFF_FFFF, call(ec, FunctionId.FFA_VERSION, V1_2));
            assertVersionReturn(0xFFFF_FFFF, call(ec, FunctionId.FFA_VERSION, V1_0));
            assertEquals(V1_1, negotiated(1));
        }
        // A new claim starts a new negotiation.
        try (Endpoint vm = fx.claim(1))
        {
            assertVersionReturn(V1_2, call(vm.executionContext(0), FunctionId.FFA_VERSION, V1_0));
            assertEquals(V1_0, negotiated(1));
        }
    }

    /**
     * ffa-reference.md section 3.3 (Hafnium column): negotiation is locked once any non-VERSION ABI
     * "(other than FFA_INTERRUPT)" is handled. A partition's FFA_INTERRUPT is refused (DENIED) and
     * must leave the negotiation open.
     */
    @Test
    void ffaInterruptDoesNotLockTheVersion()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertError(ErrorCode.DENIED, call(ec, FunctionId.FFA_INTERRUPT));
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, V1_1));
            assertEquals(V1_1, negotiated(1));
            assertSuccess32(call(ec, FunctionId.FFA_ID_GET));
            assertVersionReturn(0xFFFF_FFFF, call(ec, FunctionId.FFA_VERSION, V1_0));
        }
    }

    /**
     * The lock is the endpoint's, whoever answers the call that sets it: FFA_RX_RELEASE, answered by the
     * runtime with no trap (and refused here, DENIED), is an FF-A ABI handled as much as one the
     * partition manager answers, as Hafnium locks for every call its FF-A handler takes, whatever it
     * returns. A second context then finds the version locked too.
     */
    @Test
    void aCallTheRuntimeAnswersLocksTheVersionForEveryContext()
    {
        try (Endpoint sp = fx.claim(0x8002))
        {
            assertVersionReturn(V1_2, call(sp.executionContext(1), FunctionId.FFA_VERSION, V1_1));
            assertError(ErrorCode.DENIED, call(sp.executionContext(0), FunctionId.FFA_RX_RELEASE));
            assertVersionReturn(0xFFFF_FFFF, call(sp.executionContext(1), FunctionId.FFA_VERSION, V1_2));
            assertVersionReturn(V1_2, call(sp.executionContext(1), FunctionId.FFA_VERSION, V1_1));
            assertEquals(V1_1, negotiated(0x8002));
        }
    }

    /**
     * A function ID that is no FF-A call (an SMCCC query, a stray word) is answered NOT_SUPPORTED
     * and is not an FF-A ABI handled, so it leaves the negotiation open: Hafnium marks the version
     * negotiated only for calls its FF-A handler takes.
     */
    @Test
    void aCallThatIsNoFfaFunctionDoesNotLockTheVersion()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, 0x8000_0000));
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, 0x1234_5678));
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, V1_1));
            assertEquals(V1_1, negotiated(1));
            assertSuccess32(call(ec, FunctionId.FFA_ID_GET));
            assertVersionReturn(0xFFFF_FFFF, call(ec, FunctionId.FFA_VERSION, V1_0));
        }
    }

    /**
     * Once locked, FFA_VERSION is judged by the version it would negotiate (digest 8, rows 1 and 2): a
     * higher minor would negotiate ours, so at ours it is the same version, answered with ours. w2 is
     * no argument before v1.3 (digest 3.3: v1.3's query flags), so it changes nothing.
     */
    @Test
    void versionAfterTheLockIsJudgedByTheVersionItWouldNegotiate()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, V1_2));
            assertSuccess32(call(ec, FunctionId.FFA_ID_GET));
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, 0x10007));
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, V1_2, 0b10));
            assertVersionReturn(0xFFFF_FFFF, call(ec, FunctionId.FFA_VERSION, V1_1, 0b10));
            assertEquals(V1_2, negotiated(1));
        }
    }

    /**
     * Digest 8, row 3: calls before FFA_VERSION are answered at the manifest's ffa-version, and the
     * first of them fixes it (row 2). A v1.0 partition is shown no v1.1 call and no maximum RX/TX size,
     * and may then only ask for v1.0 again.
     */
    @Test
    void anEndpointThatNeverNegotiatesHasItsManifestsVersion()
    {
        try (Endpoint vm = fx.claim(2))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertEquals(V1_0, negotiated(2));
            final RegisterFile map = call(ec, FunctionId.FFA_FEATURES, FunctionId.FFA_RXTX_MAP_64);
            assertSuccess32(map);
            assertTrue(map.isZero(1, 17), () -> "v1.0: 4K minimum, no maximum-size field: " + map);
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_FEATURES, FunctionId.FFA_SPM_ID_GET));
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_SPM_ID_GET));
            assertVersionReturn(0xFFFF_FFFF, call(ec, FunctionId.FFA_VERSION, V1_1));
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, V1_0));
            assertEquals(V1_0, negotiated(2));
        }
    }

    /**
     * Digest 4: unlisted registers are 0 on output. An SMC32 call carries w0..w7 only: whatever the
     * caller left in the upper halves of x1..x7 and in x8..x17 is neither read nor answered back.
     */
    @Test
    void discoveryAnswersCarryNothingButTheirResults()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final RegisterFile version = call(ec, dirtyBeyondSmc32(regs(FunctionId.FFA_VERSION, V1_1)));
            assertVersionReturn(V1_2, version);
            assertEquals(V1_1, negotiated(1));
            for (final int[] call : new int[][] { { FunctionId.FFA_ID_GET, 0, 1 }, { FunctionId.FFA_SPM_ID_GET, 0, 0x8000 },
                { FunctionId.FFA_FEATURES, FunctionId.FFA_RXTX_MAP_32, 0 } })
            {
                final RegisterFile r = call(ec, dirtyBeyondSmc32(regs(call[0], call[1])));
                assertSuccess32(r);
                assertEquals(call[2] & 0xFFFF_FFFFL, r.x(2), () -> FunctionId.name(call[0]) + ": " + r);
                assertTrue(r.isZero(1, 1) && r.isZero(3, 17), () -> FunctionId.name(call[0]) + ": " + r);
            }
            for (final int[] call : new int[][] { { FunctionId.FFA_FEATURES, FunctionId.FFA_MEM_SHARE_32 },
                { FunctionId.FFA_FEATURES, FunctionId.FFA_ID_GET | (1 << 30) }, { 0x8400_00FF, 0 } })
            {
                final RegisterFile r = call(ec, dirtyBeyondSmc32(regs(call[0], call[1])));
                assertError(ErrorCode.NOT_SUPPORTED, r);
                assertTrue(r.isZero(1, 1), () -> "w1 of FFA_ERROR: " + r);
            }
        }
    }

    @Test
    void idGetReturnsOwnId()
    {
        try (Endpoint vm = fx.claim(1); Endpoint sp = fx.claim(0x8001); Endpoint hyp = fx.claim(0))
        {
            RegisterFile r = call(vm.executionContext(0), FunctionId.FFA_ID_GET);
            assertSuccess32(r);
            assertEquals(1L, r.x(2));
            assertEquals(0, r.w(1));
            assertTrue(r.isZero(3, 17));
            r = call(sp.executionContext(0), FunctionId.FFA_ID_GET);
            assertSuccess32(r);
            assertEquals(0x8001L, r.x(2));
            r = call(hyp.executionContext(0), FunctionId.FFA_ID_GET);
            assertSuccess32(r);
            assertEquals(0L, r.x(2));
        }
    }

    @Test
    void spmIdGet()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final RegisterFile r = call(vm.executionContext(0), FunctionId.FFA_SPM_ID_GET);
            assertSuccess32(r);
            assertEquals(0x8000L, r.x(2));
            assertTrue(r.isZero(3, 17));
        }
        try (Endpoint vm = fx.claim(1))
        {
            call(vm.executionContext(0), FunctionId.FFA_VERSION, V1_0);
            assertError(ErrorCode.NOT_SUPPORTED, call(vm.executionContext(0), FunctionId.FFA_SPM_ID_GET));
        }
        // The secure world asks the same partition manager: the SPMC's ID there too (Hafnium, TF-A).
        try (Endpoint sp = fx.claim(0x8001))
        {
            final RegisterFile r = call(sp.executionContext(0), FunctionId.FFA_SPM_ID_GET);
            assertSuccess32(r);
            assertEquals(0x8000L, r.x(2));
            assertTrue(r.isZero(3, 17));
        }
    }

    /**
     * The calls this instance offers a caller (digest 4.1 and the fabric's decisions): every version's
     * base set; the direct responses, FFA_MSG_WAIT and FFA_YIELD for partitions, not the scheduler; from v1.1 FFA_SPM_ID_GET,
     * FFA_RX_ACQUIRE for the hypervisor and FFA_SECONDARY_EP_REGISTER_64 for secure partitions of more
     * than one context; from v1.2 FFA_PARTITION_INFO_GET_REGS, REQ2, and RESP2 for partitions.
     */
    private static Set<Integer> offered(final int id, final int version, final int contexts)
    {
        final Set<Integer> ids = new HashSet<>(List.of(FunctionId.FFA_ERROR, FunctionId.FFA_SUCCESS_32,
            FunctionId.FFA_SUCCESS_64, FunctionId.FFA_INTERRUPT, FunctionId.FFA_VERSION, FunctionId.FFA_FEATURES,
            FunctionId.FFA_RX_RELEASE, FunctionId.FFA_RXTX_MAP_32, FunctionId.FFA_RXTX_MAP_64, FunctionId.FFA_RXTX_UNMAP,
            FunctionId.FFA_PARTITION_INFO_GET, FunctionId.FFA_ID_GET, FunctionId.FFA_RUN,
            FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64));
        if (id != 0)
        {
            ids.add(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32);
            ids.add(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64);
            ids.add(FunctionId.FFA_MSG_WAIT);
            ids.add(FunctionId.FFA_YIELD);
        }
        if (version >= V1_1)
        {
            ids.add(FunctionId.FFA_SPM_ID_GET);
            if (id == 0)
            {
                ids.add(FunctionId.FFA_RX_ACQUIRE);
            }
            if (id >= 0x8000 && contexts > 1)
            {
                ids.add(FunctionId.FFA_SECONDARY_EP_REGISTER_64);
            }
        }
        if (version >= V1_2)
        {
            ids.addAll(List.of(FunctionId.FFA_PARTITION_INFO_GET_REGS, FunctionId.FFA_MSG_SEND_DIRECT_REQ2));
            if (id != 0)
            {
                ids.add(FunctionId.FFA_MSG_SEND_DIRECT_RESP2);
            }
        }
        return ids;
    }

    /**
     * FFA_FEATURES for every function number of the FF-A range, both widths, from each kind of caller at
     * each version it may negotiate (digest 4.1): exactly the offered calls succeed, w2 = w3 = 0 but for
     * RXTX_MAP's buffer sizes; every other ID is NOT_SUPPORTED, an ID of a later version than the
     * caller's, an SMC64 form that no version defines and an SMC32 form of an SMC64-only call alike. A
     * call FFA_FEATURES refuses is NOT_SUPPORTED itself, whatever the caller's state.
     */
    @Test
    void featuresAnswersEveryFunctionIdByCallerAndVersion()
    {
        final int[][] callers = { { 0, 1 }, { 1, 1 }, { 0x8001, 1 }, { 0x8002, 2 } };
        for (final int[] caller : callers)
        {
            for (final int version : new int[] { V1_0, V1_1, V1_2 })
            {
                try (Endpoint ep = fx.claim(caller[0]))
                {
                    final ExecutionContext ec = ep.executionContext(0);
                    assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION, version));
                    final Set<Integer> offered = offered(caller[0], version, caller[1]);
                    for (int number = FunctionId.FIRST_NUMBER; number <= FunctionId.LAST_NUMBER; number++)
                    {
                        for (final int id : new int[] { FunctionId.smc32(number), FunctionId.smc64(number) })
                        {
                            final String what = FunctionId.describe(id) + " for 0x" + Integer.toHexString(caller[0]) +
                                " at 0x" + Integer.toHexString(version);
                            final RegisterFile r = call(ec, FunctionId.FFA_FEATURES, id);
                            if (!offered.contains(id))
                            {
                                assertError(ErrorCode.NOT_SUPPORTED, r, "FFA_FEATURES " + what);
                                assertError(ErrorCode.NOT_SUPPORTED, call(ec, id), what);
                                continue;
                            }
                            assertSuccess32(r);
                            final boolean map = id == FunctionId.FFA_RXTX_MAP_32 || id == FunctionId.FFA_RXTX_MAP_64;
                            assertEquals(map && version == V1_2 ? 63L << 16 : 0L, r.x(2), what);
                            assertTrue(r.isZero(3, 17) && r.w(1) == 0, () -> what + ": " + r);
                        }
                    }
                }
            }
        }
    }

    @Test
    void featuresOfImplementedFunctions()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            final int[] implemented = {
                FunctionId.FFA_ERROR, FunctionId.FFA_SUCCESS_32, FunctionId.FFA_VERSION, FunctionId.FFA_FEATURES,
                FunctionId.FFA_RX_RELEASE, FunctionId.FFA_RXTX_UNMAP, FunctionId.FFA_PARTITION_INFO_GET,
                FunctionId.FFA_ID_GET, FunctionId.FFA_RUN, FunctionId.FFA_MSG_SEND_DIRECT_REQ_32,
                FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, FunctionId.FFA_MSG_SEND_DIRECT_RESP_32,
                FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, FunctionId.FFA_SPM_ID_GET,
                FunctionId.FFA_PARTITION_INFO_GET_REGS, FunctionId.FFA_MSG_SEND_DIRECT_REQ2,
                FunctionId.FFA_MSG_SEND_DIRECT_RESP2 };
            for (final int id : implemented)
            {
                final RegisterFile r = call(ec, FunctionId.FFA_FEATURES, id);
                assertSuccess32(r);
                assertTrue(r.isZero(1, 17), () -> FunctionId.name(id) + ": w2 = w3 = 0: " + r);
            }
            for (final int map : new int[] { FunctionId.FFA_RXTX_MAP_32, FunctionId.FFA_RXTX_MAP_64 })
            {
                final RegisterFile r = call(ec, FunctionId.FFA_FEATURES, map);
                assertSuccess32(r);
                assertEquals(63L << 16, r.x(2), "v1.2: 4K minimum, 63 pages maximum in [31:16]");
                assertEquals(0L, r.x(3));
            }
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_FEATURES, FunctionId.FFA_RX_ACQUIRE));
        }
    }

    @Test
    void featuresRefusals()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_FEATURES, 0x8400_00FF));
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_FEATURES, FunctionId.FFA_MEM_SHARE_32));
            for (int feature = 0; feature <= 4; feature++)
            {
                assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_FEATURES, feature));
            }
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_FEATURES, FunctionId.FFA_ID_GET, 1));
            // The input-properties check must not be satisfied by the upper half alone (SMC32: w2 only).
            final RegisterFile r = regs(FunctionId.FFA_FEATURES, FunctionId.FFA_ID_GET);
            r.x(2, 0xFFFF_FFFF_0000_0000L);
            assertSuccess32(call(ec, r));
        }
    }

    @Test
    void featuresForAV11CallerHideV12Functions()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            call(ec, FunctionId.FFA_VERSION, V1_1);
            for (final int id : new int[] { FunctionId.FFA_PARTITION_INFO_GET_REGS, FunctionId.FFA_MSG_SEND_DIRECT_REQ2,
                FunctionId.FFA_MSG_SEND_DIRECT_RESP2, FunctionId.FFA_CONSOLE_LOG_32 })
            {
                assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_FEATURES, id));
            }
            final RegisterFile r = call(ec, FunctionId.FFA_FEATURES, FunctionId.FFA_RXTX_MAP_64);
            assertSuccess32(r);
            assertEquals(0L, r.x(2), "before v1.2 the maximum-size field is 0");
            assertSuccess32(call(ec, FunctionId.FFA_FEATURES, FunctionId.FFA_SPM_ID_GET));
        }
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            call(ec, FunctionId.FFA_VERSION, V1_0);
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_FEATURES, FunctionId.FFA_SPM_ID_GET));
            assertEquals(0L, call(ec, FunctionId.FFA_FEATURES, FunctionId.FFA_RXTX_MAP_32).x(2));
        }
    }

    @Test
    void featuresRxAcquireOnlyForTheHypervisor()
    {
        try (Endpoint hyp = fx.claim(0))
        {
            assertSuccess32(call(hyp.executionContext(0), FunctionId.FFA_FEATURES, FunctionId.FFA_RX_ACQUIRE));
        }
    }

    @Test
    void yieldIsForPartitionsThatServeOrAreRunNotForTheScheduler()
    {
        // VMs and SPs serve requests and are run by the scheduler, so they may yield (Hafnium reports
        // FFA_YIELD to its own world's partitions, VMs when it is the hypervisor). The scheduler is
        // never lent cycles: NOT_SUPPORTED, as Hafnium's SPMC and TF-A's SPMD answer the normal world.
        for (final int id : new int[] { 1, 0x8001 })
        {
            try (Endpoint ep = fx.claim(id))
            {
                assertSuccess32(call(ep.executionContext(0), FunctionId.FFA_FEATURES, FunctionId.FFA_YIELD));
                assertError(ErrorCode.DENIED, call(ep.executionContext(0), FunctionId.FFA_YIELD), "not serving");
            }
        }
        try (Endpoint hyp = fx.claim(0))
        {
            assertError(ErrorCode.NOT_SUPPORTED, call(hyp.executionContext(0), FunctionId.FFA_FEATURES, FunctionId.FFA_YIELD));
            assertError(ErrorCode.NOT_SUPPORTED, call(hyp.executionContext(0), FunctionId.FFA_YIELD));
        }
    }

    @Test
    void theSveHintIsNoPartOfTheFunctionId()
    {
        // SMCCC v1.3: bit 16 hints that the caller has no live SVE state; the callee clears it before
        // decoding (TF-A's sync_handler, Hafnium's smc_handler), so a hinted call is the plain call.
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertVersionReturn(V1_2, call(ec, FunctionId.FFA_VERSION | FunctionId.SVE_HINT, V1_1));
            assertEquals(V1_1, negotiated(1), "a hinted FFA_VERSION negotiates");
            final RegisterFile id = call(ec, FunctionId.FFA_ID_GET | FunctionId.SVE_HINT);
            assertSuccess32(id);
            assertEquals(1, id.w(2));
            assertSuccess32(call(ec, FunctionId.FFA_FEATURES | FunctionId.SVE_HINT, FunctionId.FFA_ID_GET));
            // Only bit 16 is a hint: bits [23:17] of a fast call must be zero (TF-A: SMC_UNKNOWN).
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_ID_GET | (1 << 17)));
        }
    }

    @Test
    void unknownFunctionIdsAreNotSupported()
    {
        try (Endpoint vm = fx.claim(1))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, 0x8400_00FF));
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, FunctionId.FFA_MEM_SHARE_32));
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, 0xC400_00FF));
            assertError(ErrorCode.NOT_SUPPORTED, call(ec, 0x8400_0063 | 0x0100_0000));
            // The endpoint still works afterwards.
            assertSuccess32(call(ec, FunctionId.FFA_ID_GET));
        }
    }
}
