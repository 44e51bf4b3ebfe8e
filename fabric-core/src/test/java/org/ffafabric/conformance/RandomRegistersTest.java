package org.ffafabric.conformance;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Arbitrary registers at the trap: whatever a partition puts in x0..x17, the answer is an FF-A
 * return (never a Java exception), errors carry a defined code with x3..x17 zero, and the fabric
 * still answers well-formed calls afterwards. The seed is in every failure message.
 */
class RandomRegistersTest
{
    private static final int CALLS = 3_000;
    private static final long BOUND_NS = TimeUnit.MILLISECONDS.toNanos(2);

    @Test
    void arbitraryRegistersGetFfaAnswersAndChangeNothingThatMatters()
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("hyp").id(0).world(World.HYPERVISOR).uuid("00000000-0000-4000-8000-0000000000a0"))
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("00000000-0000-4000-8000-0000000000a1")
                .directMessaging())
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("00000000-0000-4000-8000-0000000000a2")
                .directMessaging().ffaVersion(FfaVersion.V1_1))
            .build();
        final int[] known = FunctionId.all();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest);
            Endpoint hyp = fabric.claim(0);
            Endpoint vm = fabric.claim(1);
            Endpoint sp = fabric.claim(0x8001))
        {
            final ExecutionContext[] callers = {hyp.executionContext(0), vm.executionContext(0), sp.executionContext(0)};
            final long base = vm.memory().base();
            final RegisterFile regs = new RegisterFile();
            for (int i = 0; i < CALLS; i++)
            {
                final int functionId = pickFunctionId(random, known);
                regs.clear().w(0, functionId);
                for (int n = 1; n < RegisterFile.REGISTER_COUNT; n++)
                {
                    regs.x(n, pickValue(random, base));
                }
                final String call = "seed=" + seed + " call#" + i + " " + regs;
                try
                {
                    callers[random.nextInt(callers.length)].invoke(regs, BOUND_NS);
                }
                catch (final RuntimeException ex)
                {
                    fail("exception across the trap for " + call, ex);
                }
                assertFfaReturn(functionId, regs, call);
            }

            // Still a working fabric: identity, discovery and the version answer as before.
            final RegisterFile id = Fx.call(vm.executionContext(0), FunctionId.FFA_ID_GET);
            assertTrue(id.isSuccess(), "seed=" + seed + " " + id);
            assertEquals(1, id.w(2));
            final RegisterFile count = Fx.call(hyp.executionContext(0), FunctionId.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 1);
            assertTrue(count.isSuccess(), "seed=" + seed + " " + count);
            assertEquals(2, count.w(2), "the hypervisor sees the VM and the SP");
            final RegisterFile spm = Fx.call(sp.executionContext(0), FunctionId.FFA_SPM_ID_GET);
            assertTrue(spm.isSuccess(), "seed=" + seed + " " + spm);
        }
    }

    /** Mostly FF-A IDs (each width), sometimes fabric-internal or arbitrary words. */
    private static int pickFunctionId(final Random random, final int[] known)
    {
        final int roll = random.nextInt(10);
        if (roll < 7)
        {
            return known[random.nextInt(known.length)];
        }
        if (roll == 7)
        {
            return 0x8600_FF00 | (1 + random.nextInt(3));
        }
        return random.nextInt();
    }

    /** Zero, small numbers, partition IDs, addresses near the memory base, or anything. */
    private static long pickValue(final Random random, final long base)
    {
        switch (random.nextInt(6))
        {
            case 0: return 0;
            case 1: return random.nextInt(64);
            case 2: return RegisterFile.packIds(pickId(random), pickId(random));
            case 3: return base + (long)random.nextInt(64) * 4096 + (random.nextBoolean() ? 0 : random.nextInt(4096));
            case 4: return random.nextInt() & 0xFFFF_FFFFL;
            default: return random.nextLong();
        }
    }

    private static int pickId(final Random random)
    {
        final int[] ids = {0, 1, 0x8001, 0x8000, 0x7FFF, 0xFFFF, 2};
        return ids[random.nextInt(ids.length)];
    }

    private static void assertFfaReturn(final int functionId, final RegisterFile regs, final String call)
    {
        final int w0 = regs.w(0);
        if (functionId == FunctionId.FFA_VERSION)
        {
            assertTrue(w0 == FfaVersion.NOT_SUPPORTED || w0 == FfaVersion.LATEST, call + " -> " + regs);
            return;
        }
        switch (w0)
        {
            case FunctionId.FFA_ERROR:
                assertTrue(ErrorCode.isKnown(regs.w(2)), call + " -> " + regs);
                assertTrue(regs.isZero(3, 17), call + " -> " + regs);
                break;
            case FunctionId.FFA_SUCCESS_32:
            case FunctionId.FFA_SUCCESS_64:
            case FunctionId.FFA_INTERRUPT:
            case FunctionId.FFA_YIELD:
            case FunctionId.FFA_RUN:
            case FunctionId.FFA_MSG_WAIT:
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_32:
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_64:
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ2:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP_32:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP_64:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP2:
                break;
            default:
                fail(call + " returned a word that is no FF-A return: " + regs);
        }
    }
}
