package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.ffafabric.memory.EndpointMemory;
import org.ffafabric.tools.FabricDump;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.Future;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Digest 4.2, FFA_SECONDARY_EP_REGISTER: an MP secure partition names, during its initialisation,
 * where its other contexts cold-boot. Hafnium: DENIED outside SP init, NOT_SUPPORTED for UP SPs,
 * VMs and v1.0 callers; only the SMC64 form exists.
 */
class SecondaryEpRegisterTest
{
    static final int HYP = 0;
    static final int VM_MP = 1;
    static final int SP_MP = 0x8001;
    static final int SP_UP = 0x8002;
    static final int SP_V10 = 0x8003;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0"))
            .partition(p -> p.name("vm").id(VM_MP).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .executionContexts(2).directMessaging())
            .partition(p -> p.name("mp").id(SP_MP).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .executionContexts(2).directMessaging())
            .partition(p -> p.name("up").id(SP_UP).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .partition(p -> p.name("v10").id(SP_V10).world(World.SP_EL1).uuid("cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee")
                .executionContexts(2).ffaVersion(FfaVersion.V1_0).directMessaging())
            .build(), HYP, VM_MP, SP_MP, SP_UP, SP_V10);
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    private static RegisterFile register(final ExecutionContext ec, final long entryPoint)
    {
        final RegisterFile r = regs(FunctionId.FFA_SECONDARY_EP_REGISTER_64);
        r.x(1, entryPoint);
        return call(ec, r);
    }

    private static RegisterFile features(final ExecutionContext ec, final int functionId)
    {
        return call(ec, regs(FunctionId.FFA_FEATURES, functionId));
    }

    @Test
    void anMpSecurePartitionRegistersDuringItsInitialisation()
    {
        final Endpoint mp = fx.endpoint(SP_MP);
        final EndpointMemory memory = mp.memory();
        final long entry = memory.base() + 0x1000;
        assertEquals(0, mp.secondaryEntryPoint(), "nothing registered yet");

        final RegisterFile done = register(fx.ec(SP_MP, 0), entry);
        assertSuccess32(done);
        assertTrue(done.isZero(1, 17), done::toString);
        assertEquals(entry, mp.secondaryEntryPoint());
        assertTrue(FabricDump.describe(fx.controlFile()).contains("secondary-ep=0x" + Long.toHexString(entry)),
            () -> FabricDump.describe(fx.controlFile()));

        // Hafnium keeps the last address registered; context 1 is initialising too.
        assertSuccess32(register(fx.ec(SP_MP, 1), entry + 0x40));
        assertEquals(entry + 0x40, mp.secondaryEntryPoint());
    }

    @Test
    void anAddressOutsideThePartitionsMemoryIsRefused()
    {
        final Endpoint mp = fx.endpoint(SP_MP);
        final EndpointMemory memory = mp.memory();
        assertError(ErrorCode.INVALID_PARAMETERS, register(fx.ec(SP_MP), memory.base() - 4));
        assertError(ErrorCode.INVALID_PARAMETERS, register(fx.ec(SP_MP), memory.base() + memory.size()));
        assertError(ErrorCode.INVALID_PARAMETERS, register(fx.ec(SP_MP), 0));
        assertEquals(0, mp.secondaryEntryPoint(), "nothing recorded");
        assertSuccess32(register(fx.ec(SP_MP), memory.base() + memory.size() - 4));
    }

    /** Once a context has waited, it runs for others (here, serving a request): no longer its init. */
    @Test
    void afterInitialisationItIsDenied() throws Exception
    {
        final Endpoint mp = fx.endpoint(SP_MP);
        final long entry = mp.memory().base();
        final ExecutionContext ec0 = fx.ec(SP_MP, 0);
        assertSuccess32(register(ec0, entry));
        final Future<RegisterFile> waits = fx.msgWait(ec0);
        final Future<RegisterFile> sent = fx.async(fx.ec(VM_MP, 0), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM_MP, SP_MP));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, get(waits).w(0));
        assertError(ErrorCode.DENIED, register(ec0, entry + 8));
        fx.respond(ec0, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP_MP, VM_MP));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
        assertEquals(entry, mp.secondaryEntryPoint(), "unchanged");
        // Context 1 has not waited yet: still initialising.
        assertSuccess32(register(fx.ec(SP_MP, 1), entry + 16));
        assertEquals(entry + 16, mp.secondaryEntryPoint());
    }

    @Test
    void onlyMpSecurePartitionsAtV11OrLaterHaveIt()
    {
        final long vmEntry = fx.endpoint(VM_MP).memory().base();
        assertError(ErrorCode.NOT_SUPPORTED, register(fx.ec(VM_MP), vmEntry));
        assertError(ErrorCode.NOT_SUPPORTED, features(fx.ec(VM_MP), FunctionId.FFA_SECONDARY_EP_REGISTER_64));
        assertError(ErrorCode.NOT_SUPPORTED, register(fx.ec(SP_UP), fx.endpoint(SP_UP).memory().base()));
        assertError(ErrorCode.NOT_SUPPORTED, features(fx.ec(SP_UP), FunctionId.FFA_SECONDARY_EP_REGISTER_64));
        assertError(ErrorCode.NOT_SUPPORTED, register(fx.ec(SP_V10), fx.endpoint(SP_V10).memory().base()));
        assertError(ErrorCode.NOT_SUPPORTED, features(fx.ec(SP_V10), FunctionId.FFA_SECONDARY_EP_REGISTER_64));
        assertEquals(0, fx.endpoint(SP_UP).secondaryEntryPoint());
        assertEquals(0, fx.endpoint(SP_V10).secondaryEntryPoint());

        final RegisterFile supported = features(fx.ec(SP_MP), FunctionId.FFA_SECONDARY_EP_REGISTER_64);
        assertSuccess32(supported);
        assertTrue(supported.isZero(1, 17), supported::toString);
    }

    /** Neither Hafnium nor TF-A implements the SMC32 form. */
    @Test
    void theSmc32FormIsNotSupported()
    {
        final long entry = fx.endpoint(SP_MP).memory().base();
        assertError(ErrorCode.NOT_SUPPORTED, call(fx.ec(SP_MP), regs(FunctionId.FFA_SECONDARY_EP_REGISTER_32, (int)entry)));
        assertError(ErrorCode.NOT_SUPPORTED, features(fx.ec(SP_MP), FunctionId.FFA_SECONDARY_EP_REGISTER_32));
        assertEquals(0, fx.endpoint(SP_MP).secondaryEntryPoint());
    }

    @Test
    void aNewClaimStartsWithNone()
    {
        final long entry = fx.endpoint(SP_MP).memory().base() + 0x2000;
        assertSuccess32(register(fx.ec(SP_MP), entry));
        final Endpoint again = fx.reclaim(SP_MP);
        assertEquals(0, again.secondaryEntryPoint());
        assertSuccess32(register(again.executionContext(1), entry + 8));
        assertEquals(entry + 8, again.secondaryEntryPoint());
    }
}
