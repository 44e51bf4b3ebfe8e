package org.ffafabric.conformance;

import org.ffafabric.FfaException;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FrameworkMessage;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FfaOps;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.ManifestException;
import org.ffafabric.manifest.ManifestParser;
import org.ffafabric.manifest.PartitionManifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A partition in AArch32 state (manifest {@code aarch64: false}, properties bit 8 clear) has no SMC64
 * calls: SMCCC answers an SMC64 function ID from AArch32 as an unknown function (NOT_SUPPORTED), and
 * a response has its request's width, so an SMC64 request to such a partition is DENIED. The typed API
 * takes the SMC32 forms for it, as Linux's driver does.
 */
class Aarch32PartitionTest
{
    static final int HYP = 0;
    static final int VM64 = 1;
    static final int VM32 = 2;
    static final int SP64 = 0x8001;
    static final int SP32 = 0x8002;

    private FabricFixture fx;
    private Path directory;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0")
                .directMessaging())
            .partition(p -> p.name("vm64").id(VM64).world(World.VM).uuid("3e2d0000-0000-4000-8000-000000000001")
                .directMessaging())
            .partition(p -> p.name("vm32").id(VM32).world(World.VM).uuid("3e2d0000-0000-4000-8000-000000000002")
                .directMessaging().property(PartitionProperties.AARCH64, false))
            .partition(p -> p.name("sp64").id(SP64).world(World.SP_EL1).uuid("3e2d0000-0000-4000-8000-000000008001")
                .directMessaging())
            .partition(p -> p.name("sp32").id(SP32).world(World.SP_EL1).uuid("3e2d0000-0000-4000-8000-000000008002")
                .directMessaging().property(PartitionProperties.AARCH64, false)
                .property(PartitionProperties.VM_CREATED_MSG, true))
            .build(), HYP, VM64, VM32, SP64, SP32);
        directory = fx.fabric().directory();
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
        assertFalse(Files.exists(directory), "fabric directory left behind: " + directory);
    }

    private int slot(final int id)
    {
        return fx.controlFile().slotOf(id);
    }

    private long stateWord(final int id)
    {
        return fx.controlFile().ecState(fx.controlFile().ecStateOffset(slot(id), 0));
    }

    @Test
    void everySmc64CallFromAarch32IsNotSupportedAndChangesNothing() throws Exception
    {
        final ExecutionContext vm32 = fx.ec(VM32);
        final long base = fx.endpoint(VM32).memory().base();
        final long sp64Before = stateWord(SP64);
        final int[] smc64 = {FunctionId.FFA_RXTX_MAP_64, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64,
            FunctionId.FFA_PARTITION_INFO_GET_REGS, FunctionId.FFA_MSG_SEND_DIRECT_REQ2,
            FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, FunctionId.FFA_SUCCESS_64, FunctionId.FFA_SECONDARY_EP_REGISTER_64,
            FunctionId.FFA_RXTX_MAP_64 | FunctionId.SVE_HINT};
        for (final int id : smc64)
        {
            final RegisterFile r = ids(id, VM32, SP64);
            if (FunctionId.withoutSveHint(id) == FunctionId.FFA_RXTX_MAP_64)
            {
                r.x(1, base).x(2, base + 4096).w(3, 1);
            }
            assertError(ErrorCode.NOT_SUPPORTED, call(vm32, r), FunctionId.describe(FunctionId.withoutSveHint(id)));
        }
        // An unknown function leaves the version open: nothing was called.
        assertFalse(fx.controlFile().versionLocked(slot(VM32)), "an SMC64 ID from AArch32 locked the version");
        assertFalse(fx.controlFile().rxtxMapped(slot(VM32)));
        assertEquals(sp64Before, stateWord(SP64), "a refused request moved sp64's state");

        // The same calls in their SMC32 forms work, and an ABI call does lock the version.
        final RegisterFile map = regs(FunctionId.FFA_RXTX_MAP_32);
        map.x(1, base).x(2, base + 4096).w(3, 1);
        assertSuccess32(call(vm32, map));
        assertTrue(fx.controlFile().rxtxMapped(slot(VM32)));
        assertTrue(fx.controlFile().versionLocked(slot(VM32)));
    }

    @Test
    void featuresTellAnAarch32CallerItHasNoSmc64Forms()
    {
        final int[] smc64 = {FunctionId.FFA_RXTX_MAP_64, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64,
            FunctionId.FFA_PARTITION_INFO_GET_REGS, FunctionId.FFA_MSG_SEND_DIRECT_REQ2, FunctionId.FFA_SUCCESS_64};
        for (final int id : smc64)
        {
            assertError(ErrorCode.NOT_SUPPORTED, call(fx.ec(VM32), FunctionId.FFA_FEATURES, id), FunctionId.describe(id));
            assertEquals(FunctionId.FFA_SUCCESS_32, call(fx.ec(VM64), FunctionId.FFA_FEATURES, id).w(0),
                "an AArch64 caller has " + FunctionId.describe(id));
        }
        for (final int id : new int[] {FunctionId.FFA_RXTX_MAP_32, FunctionId.FFA_MSG_SEND_DIRECT_REQ_32,
            FunctionId.FFA_PARTITION_INFO_GET})
        {
            assertEquals(FunctionId.FFA_SUCCESS_32, call(fx.ec(VM32), FunctionId.FFA_FEATURES, id).w(0),
                FunctionId.describe(id));
        }
    }

    @Test
    void theManagerRefusesAnSmc64TrapFromAarch32ThatSkipsTheRuntime() throws Exception
    {
        // A partition process that writes its own traps is not stopped by the runtime's check: the
        // partition manager applies the rule itself.
        final Method trap = ExecutionContext.class.getDeclaredMethod("trap", RegisterFile.class);
        trap.setAccessible(true);
        final long base = fx.endpoint(VM32).memory().base();
        final RegisterFile map = regs(FunctionId.FFA_RXTX_MAP_64);
        map.x(1, base).x(2, base + 4096).w(3, 1);
        trap.invoke(fx.ec(VM32), map);
        assertError(ErrorCode.NOT_SUPPORTED, map);
        assertFalse(fx.controlFile().rxtxMapped(slot(VM32)));
        final RegisterFile id = regs(FunctionId.FFA_ID_GET);
        trap.invoke(fx.ec(VM32), id);
        assertEquals(VM32, id.w(2), "the same path answers an SMC32 call: " + id);
    }

    @Test
    void anSmc64RequestToAnAarch32PartitionIsDeniedAndAnSmc32OneIsServed() throws Exception
    {
        final ExecutionContext sp32 = fx.ec(SP32);
        final var waiting = fx.msgWait(sp32);
        assertError(ErrorCode.DENIED, call(fx.ec(VM64), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM64, SP32)));
        assertFalse(waiting.isDone(), "sp32 was sent the refused request");
        final RegisterFile hello = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM64, SP32);
        hello.w(3, 41);
        final var sent = fx.async(fx.ec(VM64), hello);
        final RegisterFile in = get(waiting);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, in.w(0), in.toString());
        assertEquals(41, in.w(3));
        final RegisterFile answer = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SP32, VM64);
        answer.w(3, 42);
        fx.respond(sp32, answer);
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, back.w(0), back.toString());
        assertEquals(42, back.w(3));
    }

    @Test
    void anSmc64FrameworkRequestToAnAarch32PartitionIsDenied() throws Exception
    {
        final RegisterFile created = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, HYP, SP32);
        created.w(2, RegisterFile.frameworkMessageFlags(FrameworkMessage.VM_CREATED_REQ));
        assertError(ErrorCode.DENIED, call(fx.ec(HYP), created));
        // Its SMC32 form is served.
        try (AutoCloseable serving = fx.endpoint(SP32).serve((req, resp) -> { }))
        {
            final RegisterFile created32 = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, HYP, SP32);
            created32.w(2, RegisterFile.frameworkMessageFlags(FrameworkMessage.VM_CREATED_REQ));
            final RegisterFile back = call(fx.ec(HYP), created32);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, back.w(0), back.toString());
            assertEquals(RegisterFile.frameworkMessageFlags(FrameworkMessage.VM_CREATED_RESP), back.w(2));
        }
    }

    @Test
    void theTypedApiUsesSmc32WhereEitherEndIsAarch32() throws Exception
    {
        final AtomicInteger seen32 = new AtomicInteger();
        final AtomicInteger seen64 = new AtomicInteger();
        try (AutoCloseable serving32 = fx.endpoint(SP32).serve((req, resp) ->
            {
                seen32.set(req.functionId());
                resp.payload(0, req.payload(0) + 1);
            });
            AutoCloseable serving64 = fx.endpoint(SP64).serve((req, resp) ->
            {
                seen64.set(req.functionId());
                resp.payload(0, req.payload(0) + 1);
            }))
        {
            final FfaOps vm64 = fx.ec(VM64).ops();
            final FfaOps vm32 = fx.ec(VM32).ops();

            DirectMessage m = vm64.sendDirect(SP32, new DirectMessage().payload(0, 1));
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, seen32.get());
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, m.functionId());
            assertEquals(2, m.payload(0));

            m = vm32.sendDirect(SP64, new DirectMessage().payload(0, 10));
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, seen64.get());
            assertEquals(11, m.payload(0));

            m = vm64.sendDirect(SP64, new DirectMessage().payload(0, 1L << 40));
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, seen64.get(), "both ends AArch64: SMC64");
            assertEquals((1L << 40) + 1, m.payload(0));

            // Asked for in so many words, an SMC64 request is made as asked, and refused.
            final FfaException denied = assertThrows(FfaException.class, () -> vm64.sendDirect(SP32,
                new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 1)));
            assertEquals(ErrorCode.DENIED, denied.errorCode());
            final FfaException unknown = assertThrows(FfaException.class, () -> vm32.sendDirect(SP64,
                new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 1)));
            assertEquals(ErrorCode.NOT_SUPPORTED, unknown.errorCode());
        }

        // RXTX_MAP in the partition's width, then the partition info it makes readable.
        final Endpoint vm32 = fx.endpoint(VM32);
        final long base = vm32.memory().base();
        vm32.executionContext(0).ops().rxtxMap(base, base + 4096, 1);
        assertTrue(fx.controlFile().rxtxMapped(slot(VM32)));
        final FfaOps ops = vm32.executionContext(0).ops();
        assertEquals(ops.partitionCount(null), ops.partitionInfo(null).size());
        assertTrue(ops.partitionInfo(null).stream().anyMatch(info -> info.id() == SP32));
        final IllegalArgumentException high = assertThrows(IllegalArgumentException.class,
            () -> fx.endpoint(SP32).executionContext(0).ops().rxtxMap(1L << 32, (1L << 32) + 4096, 1));
        assertTrue(high.getMessage().contains("AArch32"), high.getMessage());
        assertFalse(fx.controlFile().rxtxMapped(slot(SP32)));
    }

    @Test
    void aManifestGivesAnAarch32PartitionNoDirectReq2()
    {
        // directMessaging() sets what the partition can have: REQ and not REQ2.
        final PartitionManifest implied = PartitionManifest.builder().name("s").id(0x8001).world(World.SP_EL1)
            .uuid("3e2d0000-0000-4000-8000-000000008001").directMessaging()
            .property(PartitionProperties.AARCH64, false).build();
        assertEquals(PartitionProperties.DIRECT_REQ_RECV | PartitionProperties.DIRECT_REQ_SEND, implied.properties());

        // Asked for in so many words, it is refused, by the builder and from a file alike.
        final ManifestException built = assertThrows(ManifestException.class, () -> PartitionManifest.builder()
            .name("s").id(0x8001).world(World.SP_EL1).uuid("3e2d0000-0000-4000-8000-000000008001")
            .property(PartitionProperties.DIRECT_REQ2_RECV, true).property(PartitionProperties.AARCH64, false).build());
        assertEquals("messaging", built.field());
        assertTrue(built.getMessage().contains("AArch32"), built.getMessage());
        final ManifestException parsed = assertThrows(ManifestException.class, () -> ManifestParser.parse(
            "partitions:\n" +
            "  - name: s\n" +
            "    id: 0x8001\n" +
            "    world: sp-el1\n" +
            "    uuid: 3e2d0000-0000-4000-8000-000000008001\n" +
            "    messaging: [direct-req-recv, direct-req2-send]\n" +
            "    aarch64: false\n"));
        assertEquals("messaging", parsed.field());
        assertTrue(parsed.getMessage().startsWith("partition 's': field 'messaging': direct-req2"), parsed.getMessage());
    }
}
