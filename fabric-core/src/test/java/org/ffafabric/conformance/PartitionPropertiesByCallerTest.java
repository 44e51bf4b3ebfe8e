package org.ffafabric.conformance;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionInfoRegs;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.concurrent.Future;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The partition properties word as each caller is shown it: what depends on who asks (the
 * hypervisor, a VM or an SP) rather than on the caller's version alone.
 */
class PartitionPropertiesByCallerTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int SPA = 0x8001;
    static final int SPB = 0x8002;
    static final int SP_V11 = 0x8003;
    static final int REQ2_BITS = PartitionProperties.DIRECT_REQ2_RECV | PartitionProperties.DIRECT_REQ2_SEND;
    static final int VM_MSGS = PartitionProperties.VM_CREATED_MSG | PartitionProperties.VM_DESTROYED_MSG;

    private FabricFixture fx;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0")
                .directMessaging())
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging())
            // Subscribes to VM created/destroyed messages and receives direct requests.
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().property(VM_MSGS, true))
            // Subscribes too, but cannot receive direct requests, so nobody is told it subscribes.
            .partition(p -> p.name("spb").id(SPB).world(World.SP_EL1).uuid("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
                .property(PartitionProperties.DIRECT_REQ_SEND | VM_MSGS, true))
            // Implements v1.1, where REQ2 does not exist (directMessaging() gives it DIRECT_REQ only).
            .partition(p -> p.name("sp-v11").id(SP_V11).world(World.SP_EL1).uuid("cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().ffaVersion(V1_1))
            .build());
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
    }

    /** The properties FFA_PARTITION_INFO_GET_REGS shows {@code caller} for partition {@code id}. */
    private static int propertiesSeen(final ExecutionContext caller, final int id)
    {
        final RegisterFile r = regs(FunctionId.FFA_PARTITION_INFO_GET_REGS);
        caller.invoke(r);
        assertEquals(FunctionId.FFA_SUCCESS_64, r.w(0), r::toString);
        final int count = PartitionInfoRegs.lastIndex(r.x(2)) + 1;
        for (int slot = 0; slot < count; slot++)
        {
            if (PartitionInfoRegs.partitionId(r, slot) == id)
            {
                return PartitionInfoRegs.properties(r, slot);
            }
        }
        return fail("partition 0x" + Integer.toHexString(id) + " not listed: " + r);
    }

    @Test
    void vmCreatedAndDestroyedBitsOnlyForTheHypervisorAndOnlyWithDirectReceive()
    {
        try (Endpoint hyp = fx.claim(HYP); Endpoint vm = fx.claim(VM1); Endpoint sp = fx.claim(SPB))
        {
            // Reference §5.1: bits 6/7 are reported only at the NS physical instance, and only if bit 0 is set.
            assertEquals(VM_MSGS, propertiesSeen(hyp.executionContext(0), SPA) & VM_MSGS, "hypervisor sees SPA's");
            assertEquals(0, propertiesSeen(hyp.executionContext(0), SPB) & VM_MSGS, "SPB cannot receive requests");
            assertEquals(0, propertiesSeen(vm.executionContext(0), SPA) & VM_MSGS, "a VM is a virtual instance");
            assertEquals(0, propertiesSeen(sp.executionContext(0), SPA) & VM_MSGS, "an SP is a virtual instance");

            // The RX buffer form agrees with the register form.
            final long base = vm.memory().base();
            final RegisterFile map = regs(FunctionId.FFA_RXTX_MAP_64);
            map.x(1, base).x(2, base + 4096).w(3, 1);
            assertSuccess32(call(vm.executionContext(0), map));
            final RegisterFile r = call(vm.executionContext(0), FunctionId.FFA_PARTITION_INFO_GET);
            assertSuccess32(r);
            final UnsafeBuffer rx = new UnsafeBuffer(new byte[r.w(2) * r.w(3)]);
            vm.memory().buffer().getBytes(vm.memory().offsetOf(base + 4096), rx, 0, rx.capacity());
            boolean found = false;
            for (int at = 0; at < rx.capacity(); at += r.w(3))
            {
                if ((rx.getShort(at, ByteOrder.LITTLE_ENDIAN) & 0xFFFF) == SPA)
                {
                    assertEquals(0, rx.getInt(at + 4, ByteOrder.LITTLE_ENDIAN) & VM_MSGS);
                    found = true;
                }
            }
            assertTrue(found, "SPA listed in RX");
        }
    }

    @Test
    void req2BitsFollowThePartitionsOwnVersion() throws Exception
    {
        try (Endpoint vm = fx.claim(VM1); Endpoint old = fx.claim(SP_V11))
        {
            final ExecutionContext ec = vm.executionContext(0);
            assertEquals(PartitionProperties.DIRECT_REQ2_RECV, propertiesSeen(ec, SPA) & REQ2_BITS);
            // A partition below v1.2 cannot take part in REQ2 (a REQ2 to it is DENIED): nobody is told it can.
            assertEquals(0, propertiesSeen(ec, SP_V11) & REQ2_BITS, "sp-v11 is a v1.1 partition");
            final Future<RegisterFile> waiting = fx.msgWait(old.executionContext(0), 300_000_000L);
            assertError(ErrorCode.DENIED, call(ec, ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, VM1, SP_V11)));
            assertEquals(FunctionId.FFA_INTERRUPT, get(waiting).w(0), "nothing reached sp-v11");
            // The v1.0 bits are untouched.
            assertEquals(PartitionProperties.DIRECT_REQ_RECV,
                propertiesSeen(ec, SP_V11) & PartitionProperties.DIRECT_REQ_RECV);
        }
    }

    @Test
    void normalWorldIsNotToldThatSecurePartitionsSendDirectRequests()
    {
        // SPs may not send direct requests to the normal world (INVALID_PARAMETERS), so a normal-world
        // caller is shown an SP's send bits clear, as Hafnium's SPMC does; SPs see them, and VMs' own stay.
        final int send = PartitionProperties.DIRECT_REQ_SEND | PartitionProperties.DIRECT_REQ2_SEND;
        final int receive = PartitionProperties.DIRECT_REQ_RECV | PartitionProperties.DIRECT_REQ2_RECV;
        try (Endpoint hyp = fx.claim(HYP); Endpoint vm = fx.claim(VM1); Endpoint sp = fx.claim(SPB))
        {
            for (final Endpoint normal : new Endpoint[] { hyp, vm })
            {
                final int seen = propertiesSeen(normal.executionContext(0), SPA);
                assertEquals(0, seen & send, "SPA as the normal world sees it");
                assertEquals(receive, seen & receive, "SPA still receives");
            }
            assertEquals(send, propertiesSeen(sp.executionContext(0), SPA) & send, "SPA as an SP sees it");
            assertEquals(send, propertiesSeen(hyp.executionContext(0), VM1) & send, "a VM's send bits stay");
        }
    }
}
