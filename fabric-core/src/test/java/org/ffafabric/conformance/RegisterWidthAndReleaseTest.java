package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Register widths (SMC32 arguments are w registers; DIRECT_REQ/RESP_64 carry x0..x7 only;
 * v1.2 FFA_RUN checks x8..x17), the requester releasing its receiver back to WAITING (also
 * after an interrupted request), and closing an endpoint under a blocked invoke.
 */
class RegisterWidthAndReleaseTest
{
    static final int HYP = 0;
    static final int VM1 = 1;
    static final int VM2 = 2;
    static final int SPA = 0x8001;
    static final int SP_V11 = 0x8002;
    static final long SHORT_NS = 300_000_000L;

    private FabricFixture fx;
    private Path directory;

    @BeforeEach
    void launch()
    {
        fx = FabricFixture.launch(Manifest.builder()
            .partition(p -> p.name("hyp").id(HYP).world(World.HYPERVISOR).uuid("00000000-0000-0000-0000-0000000000a0"))
            .partition(p -> p.name("vm1").id(VM1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555")
                .directMessaging())
            .partition(p -> p.name("vm2").id(VM2).world(World.VM).uuid("11111111-2222-3333-4444-666666666666")
                .directMessaging())
            .partition(p -> p.name("spa").id(SPA).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging())
            .partition(p -> p.name("sp-v11").id(SP_V11).world(World.SP_EL1).uuid("dddddddd-bbbb-cccc-dddd-eeeeeeeeeeee")
                .directMessaging().ffaVersion(V1_1))
            .build(), VM1, VM2, SPA);
        directory = fx.fabric().directory();
    }

    @AfterEach
    void close() throws Exception
    {
        fx.close();
        assertFalse(Files.exists(directory), "fabric directory left behind: " + directory);
    }

    /** The raw state word, read through the client's control file as a partition process would. */
    private long stateWord(final int id, final int ec)
    {
        final ControlFile controlFile = fx.fabric().client().controlFile();
        return controlFile.ecState(controlFile.ecStateOffset(controlFile.slotOf(id), ec));
    }

    private static int stateOf(final long word)
    {
        return ExecutionContextState.state(word);
    }

    // 1. SMC32 calls ignore the upper halves of x1..x7.

    @Test
    void smc32MsgWaitIgnoresUpperHalvesOfX1ToX7() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final RegisterFile wait = regs(FunctionId.FFA_MSG_WAIT);
        wait.x(1, 0xFFFF_FFFF_0000_0000L);
        for (int i = 2; i <= 7; i++)
        {
            wait.x(i, (0x100L + i) << 32);
        }
        assertEquals(0, wait.w(1));
        final Future<RegisterFile> waiting = fx.bounded(sp, wait, WAIT_NS);
        fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
        assertFalse(waiting.isDone(), "MSG_WAIT with w1..w7 = 0 must be accepted, not refused");

        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA);
        r.x(3, 0xDEAD_BEEF_0000_0001L);
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), r);
        final RegisterFile in = get(waiting);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32 & 0xFFFF_FFFFL, in.x(0), in.toString());
        assertEquals(RegisterFile.packIds(VM1, SPA) & 0xFFFF_FFFFL, in.x(1));
        assertEquals(1L, in.x(3));
        assertTrue(in.isZero(4, 17), in::toString);

        fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, VM1));
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, back.w(0), back.toString());
    }

    @Test
    void smc32DirectRequestAndResponseIgnoreUpperHalvesOfX1ToX7() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32, VM1, SPA);
        r.x(1, r.x(1) | 0xFFFF_FFFF_0000_0000L);
        // w2 = 0 (a partition message): the upper half of x2 is not part of the flags.
        r.x(2, 0x8000_0000_0000_0000L);
        r.x(3, 0xDEAD_BEEF_0000_0001L);
        for (int i = 4; i <= 7; i++)
        {
            r.x(i, 0xFFFF_0000_0000_0000L | (0x10L * i));
        }
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), r);
        final RegisterFile in = get(waiting);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_32 & 0xFFFF_FFFFL, in.x(0), in.toString());
        assertEquals(RegisterFile.packIds(VM1, SPA) & 0xFFFF_FFFFL, in.x(1));
        assertEquals(0L, in.x(2));
        assertEquals(1L, in.x(3));
        for (int i = 4; i <= 7; i++)
        {
            assertEquals(0x10L * i, in.x(i), "x" + i);
        }
        assertTrue(in.isZero(8, 17), in::toString);

        final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32, SPA, VM1);
        out.x(1, out.x(1) | 0x1234_5678_0000_0000L);
        out.x(2, 0x0000_0001_0000_0000L);
        out.x(3, 0xCAFE_0000_0000_0002L);
        fx.respond(sp, out);
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32 & 0xFFFF_FFFFL, back.x(0), back.toString());
        assertEquals(RegisterFile.packIds(SPA, VM1) & 0xFFFF_FFFFL, back.x(1));
        assertEquals(0L, back.x(2));
        assertEquals(2L, back.x(3));
        assertTrue(back.isZero(4, 17), back::toString);
    }

    // 2. DIRECT_REQ/RESP_64 carry x0..x7 only.

    @Test
    void req64DeliversX3ToX7ExactlyAndX8ToX17Zero() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        for (int i = 3; i <= 7; i++)
        {
            r.x(i, 0xF00D_0000_0000_0000L | ((long)i << 40) | i);
        }
        for (int i = 8; i <= 17; i++)
        {
            r.x(i, 0xBAD0_0000_0000_0000L | i);
        }
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), r);
        final RegisterFile in = get(waiting);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, in.w(0), in.toString());
        assertEquals(RegisterFile.packIds(VM1, SPA) & 0xFFFF_FFFFL, in.x(1));
        assertEquals(0L, in.x(2));
        for (int i = 3; i <= 7; i++)
        {
            assertEquals(0xF00D_0000_0000_0000L | ((long)i << 40) | i, in.x(i), "x" + i);
        }
        assertTrue(in.isZero(8, 17), () -> "DIRECT_REQ_64 carries nothing past x7: " + in);

        fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent).w(0));
    }

    @Test
    void resp64FromV11ResponderDropsX8ToX17AndV12ResponderIsRefused() throws Exception
    {
        // v1.1 responder: junk in x8..x17 is not checked and never reaches the requester.
        try (Endpoint v11 = fx.claim(SP_V11))
        {
            final ExecutionContext sp = v11.executionContext(0);
            final Future<RegisterFile> sent = fx.deliver(sp, fx.ec(VM1),
                ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SP_V11));
            final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SP_V11, VM1);
            for (int i = 3; i <= 7; i++)
            {
                out.x(i, -1L - i);
            }
            for (int i = 8; i <= 17; i++)
            {
                out.x(i, 0x5A5A_0000_0000_0000L | i);
            }
            final Future<RegisterFile> next = fx.respond(sp, out);
            final RegisterFile back = get(sent);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, back.w(0), back.toString());
            assertEquals(RegisterFile.packIds(SP_V11, VM1) & 0xFFFF_FFFFL, back.x(1));
            assertEquals(0L, back.x(2));
            for (int i = 3; i <= 7; i++)
            {
                assertEquals(-1L - i, back.x(i), "x" + i);
            }
            assertTrue(back.isZero(8, 17), () -> "DIRECT_RESP_64 carries nothing past x7: " + back);
            // Let its wait for the next message run out before the endpoint closes.
            assertEquals(FunctionId.FFA_INTERRUPT, get(next).w(0));
        }

        // v1.2 responder: non-zero x8..x17 on DIRECT_RESP_64 is INVALID_PARAMETERS; still serving.
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> sent = fx.deliver(sp, fx.ec(VM1),
            ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        for (int n = 8; n <= 17; n++)
        {
            final RegisterFile junk = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
            junk.x(n, 1L << n);
            assertError(ErrorCode.INVALID_PARAMETERS, call(sp, junk), "v1.2 DIRECT_RESP_64 with x" + n + " != 0");
        }
        assertFalse(sent.isDone(), "a refused response must not reach the requester");
        assertEquals(ExecutionContextState.RUNNING, stateOf(stateWord(SPA, 0)));
        assertEquals(ExecutionContextState.BLOCKED, stateOf(stateWord(VM1, 0)));
        final RegisterFile ok = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        ok.x(3, 0x1234);
        fx.respond(sp, ok);
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, back.w(0), back.toString());
        assertEquals(0x1234L, back.x(3));
        assertTrue(back.isZero(8, 17));
    }

    @Test
    void req64AndResp64WithUpperHalfOfX2SetAreInvalidParameters() throws Exception
    {
        // SMC64: the flags register is all of x2 (Hafnium checks x2 == 0 for a partition message),
        // so neither a request nor a response may carry bits above w2 to the other side.
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final long targetBefore = stateWord(SPA, 0);
        final long callerBefore = stateWord(VM1, 0);
        for (final long x2 : new long[] { 1L << 32, 0x8000_0000_0000_0000L, 0x0000_0001_8000_0004L })
        {
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
            r.x(2, x2);
            assertError(ErrorCode.INVALID_PARAMETERS, call(fx.ec(VM1), r),
                "DIRECT_REQ_64 with x2 = 0x" + Long.toHexString(x2));
            assertEquals(targetBefore, stateWord(SPA, 0), "the target's state word must not change");
            assertEquals(callerBefore, stateWord(VM1, 0), "the caller's state word must not change");
        }
        final Future<RegisterFile> sent = fx.async(fx.ec(VM1), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA));
        final RegisterFile in = get(waiting);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, in.w(0), "the first request to arrive is the valid one");
        assertEquals(0L, in.x(2));

        final RegisterFile junk = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        junk.x(2, 1L << 40);
        assertError(ErrorCode.INVALID_PARAMETERS, call(sp, junk), "DIRECT_RESP_64 with x2 upper half set");
        assertFalse(sent.isDone(), "a refused response must not reach the requester");
        assertEquals(ExecutionContextState.RUNNING, stateOf(stateWord(SPA, 0)));
        fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        final RegisterFile back = get(sent);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, back.w(0), back.toString());
        assertEquals(0L, back.x(2));
    }

    // 3. v1.2 FFA_RUN checks x8..x17.

    @Test
    void v12RunWithNonZeroX8IsRefusedAndChangesNothing() throws Exception
    {
        try (Endpoint hyp = fx.claim(HYP))
        {
            final ExecutionContext scheduler = hyp.executionContext(0);
            final ExecutionContext sp = fx.ec(SPA);
            final Future<RegisterFile> waiting = fx.msgWait(sp);
            final long targetBefore = stateWord(SPA, 0);
            final long callerBefore = stateWord(HYP, 0);
            assertEquals(ExecutionContextState.WAITING, stateOf(targetBefore));
            for (int n = 8; n <= 17; n++)
            {
                final RegisterFile run = regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0));
                run.x(n, 1);
                assertError(ErrorCode.INVALID_PARAMETERS, call(scheduler, run), "v1.2 FFA_RUN with x" + n + " != 0");
                assertEquals(targetBefore, stateWord(SPA, 0), "the target's state word must not change");
                assertEquals(callerBefore, stateWord(HYP, 0), "the caller's state word must not change");
            }
            // Nothing reached the target: the first thing its MSG_WAIT returns is a valid FFA_RUN.
            final Future<RegisterFile> running = fx.async(scheduler,
                regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0)));
            final RegisterFile woke = get(waiting);
            assertEquals(FunctionId.FFA_RUN, woke.w(0), woke.toString());
            assertEquals(RegisterFile.packTargetInfo(SPA, 0), woke.w(1));
            assertTrue(woke.isZero(2, 17), woke::toString);
            final Future<RegisterFile> next = fx.msgWait(sp, SHORT_NS);
            final RegisterFile back = get(running);
            assertEquals(FunctionId.FFA_MSG_WAIT, back.w(0), back.toString());
            assertEquals(FunctionId.FFA_INTERRUPT, get(next).w(0));
        }
    }

    @Test
    void v11RunIgnoresX8() throws Exception
    {
        try (Endpoint hyp = fx.claim(HYP))
        {
            final ExecutionContext scheduler = hyp.executionContext(0);
            assertEquals(V1_2, call(scheduler, FunctionId.FFA_VERSION, V1_1).w(0));
            final ExecutionContext sp = fx.ec(SPA);
            final Future<RegisterFile> waiting = fx.msgWait(sp);
            final RegisterFile run = regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0));
            run.x(8, 1);
            final Future<RegisterFile> running = fx.async(scheduler, run);
            final RegisterFile woke = get(waiting);
            assertEquals(FunctionId.FFA_RUN & 0xFFFF_FFFFL, woke.x(0), woke.toString());
            assertEquals(RegisterFile.packTargetInfo(SPA, 0) & 0xFFFF_FFFFL, woke.x(1));
            assertTrue(woke.isZero(2, 17), woke::toString);
            final Future<RegisterFile> next = fx.msgWait(sp, SHORT_NS);
            final RegisterFile back = get(running);
            assertEquals(FunctionId.FFA_MSG_WAIT, back.w(0), back.toString());
            assertEquals(RegisterFile.packTargetInfo(SPA, 0), back.w(1));
            assertEquals(FunctionId.FFA_INTERRUPT, get(next).w(0));
        }
    }

    // 4. The requester releases its receiver: two VMs alternate on one SP.

    @Test
    void receiverIsWaitingAfterEachExchangeAndTwoVmsAlternate() throws Exception
    {
        final int rounds = 20;
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> first = fx.msgWait(sp);
        // The SP echoes x3 + 1000 back; each response returns the next request.
        final Future<Integer> server = fx.exec().submit(() ->
        {
            RegisterFile in = get(first);
            for (int i = 0; i < rounds; i++)
            {
                if (in.w(0) != FunctionId.FFA_MSG_SEND_DIRECT_REQ_64)
                {
                    throw new AssertionError("round " + i + ": SP received " + in);
                }
                final int requester = RegisterFile.senderOf(in.w(1));
                final RegisterFile out = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, requester);
                out.x(3, in.x(3) + 1000);
                out.x(4, requester);
                sp.invoke(out, i == rounds - 1 ? SHORT_NS : WAIT_NS);
                in = out;
            }
            return in.w(0);
        });
        for (int i = 0; i < rounds; i++)
        {
            final int vm = i % 2 == 0 ? VM1 : VM2;
            final Endpoint requester = fx.endpoint(vm);
            final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, vm, SPA);
            r.x(3, i);
            call(requester.executionContext(0), r);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), "round " + i + " from VM" + vm + ": " + r);
            assertEquals(RegisterFile.packIds(SPA, vm), r.w(1));
            assertEquals(1000L + i, r.x(3));
            assertEquals(vm, r.x(4));
            final long word = stateWord(SPA, 0);
            assertEquals(ExecutionContextState.WAITING, stateOf(word),
                "round " + i + ": receiver not released: " + ExecutionContextState.describe(word));
            assertEquals(ExecutionContextState.RUNNING, stateOf(stateWord(vm, 0)));
        }
        // The last response's wait for another request runs out.
        assertEquals(FunctionId.FFA_INTERRUPT, (int)get(server));
    }

    // 5. An interrupted requester releases its receiver when it next polls.

    @Test
    void lateAnswerToAnInterruptedRequestIsStashedAndReleasesTheReceiver() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final ExecutionContext vm = fx.ec(VM1);
        final Future<RegisterFile> waiting = fx.msgWait(sp);
        final RegisterFile r = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        r.x(3, 0x33);
        vm.invoke(r, 50_000_000L);
        assertEquals(FunctionId.FFA_INTERRUPT & 0xFFFF_FFFFL, r.x(0), r.toString());
        assertEquals(RegisterFile.packTargetInfo(SPA, 0) & 0xFFFF_FFFFL, r.x(1));
        final RegisterFile in = get(waiting);
        assertEquals(0x33L, in.x(3));

        // Until VM1 takes the answer, the SP serves VM1's request: another VM finds it BUSY.
        assertEquals(ExecutionContextState.RUNNING, stateOf(stateWord(SPA, 0)));
        assertError(ErrorCode.BUSY, call(fx.ec(VM2), ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM2, SPA)));

        // The SP answers late; its response then waits for its next request.
        final RegisterFile answer = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1);
        for (int i = 3; i <= 7; i++)
        {
            answer.x(i, 0x7000_0000_0000_0000L + i);
        }
        final Future<RegisterFile> next = fx.bounded(sp, answer, WAIT_NS);

        // VM1 polls (FFA_ID_GET traps, at least one) until the late answer has been taken: the SP is WAITING.
        // Which store makes it WAITING is not fixed: VM1's poll takes the answer and releases the SP, and the
        // SP, its answer untaken a millisecond on, stores the very same word on VM1's behalf.
        final long deadline = System.nanoTime() + WAIT_NS;
        do
        {
            if (System.nanoTime() > deadline)
            {
                // A watchdog, as in Fx.awaitState: the condition never came, not a timing claim.
                fail("receiver never released: " + ExecutionContextState.describe(stateWord(SPA, 0)));
            }
            final RegisterFile id = call(vm, regs(FunctionId.FFA_ID_GET));
            assertSuccess32(id);
            assertEquals(VM1, id.w(2));
            LockSupport.parkNanos(100_000);
        }
        while (stateOf(stateWord(SPA, 0)) != ExecutionContextState.WAITING);

        // Another VM reaches the SP.
        final RegisterFile r2 = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM2, SPA);
        r2.x(3, 0x44);
        final Future<RegisterFile> sent2 = fx.async(fx.ec(VM2), r2);
        final RegisterFile in2 = get(next);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, in2.w(0), in2.toString());
        assertEquals(RegisterFile.packIds(VM2, SPA), in2.w(1));
        assertEquals(0x44L, in2.x(3));
        final RegisterFile out2 = ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM2);
        out2.x(3, 0x45);
        final Future<RegisterFile> last = fx.respond(sp, out2);
        final RegisterFile back2 = get(sent2);
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, back2.w(0), back2.toString());
        assertEquals(0x45L, back2.x(3));

        // VM1's FFA_RUN still collects the stashed answer to its own request.
        final RegisterFile done = call(vm, regs(FunctionId.FFA_RUN, RegisterFile.packTargetInfo(SPA, 0)));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, done.w(0), done.toString());
        assertEquals(RegisterFile.packIds(SPA, VM1), done.w(1));
        assertEquals(0L, done.x(2));
        for (int i = 3; i <= 7; i++)
        {
            assertEquals(0x7000_0000_0000_0000L + i, done.x(i), "x" + i);
        }
        assertTrue(done.isZero(8, 17));
        assertEquals(ExecutionContextState.RUNNING, stateOf(stateWord(VM1, 0)));

        // Nothing is outstanding any more: VM1 can start a new request.
        assertEquals(FunctionId.FFA_INTERRUPT, get(last).w(0));
        final Future<RegisterFile> again = fx.msgWait(sp);
        final RegisterFile r3 = ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM1, SPA);
        r3.x(3, 0x55);
        final Future<RegisterFile> sent3 = fx.async(vm, r3);
        assertEquals(0x55L, get(again).x(3));
        fx.respond(sp, ids(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, SPA, VM1));
        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, get(sent3).w(0));
    }

    // 6. Closing an endpoint under a blocked invoke.

    @Test
    void closingAnEndpointReturnsABlockedMsgWaitAndTheFabricLeavesNothing() throws Exception
    {
        final ExecutionContext sp = fx.ec(SPA);
        final Future<RegisterFile> blocked = fx.exec().submit(() ->
        {
            final RegisterFile r = regs(FunctionId.FFA_MSG_WAIT);
            sp.invoke(r); // no timeout
            return r;
        });
        fx.awaitState(SPA, 0, ExecutionContextState.WAITING);
        assertFalse(blocked.isDone());

        final Endpoint spa = fx.endpoint(SPA);
        spa.close();
        final RegisterFile r = get(blocked);
        final boolean aborted = r.w(0) == FunctionId.FFA_ERROR && r.w(2) == ErrorCode.ABORTED;
        final boolean interrupted = r.w(0) == FunctionId.FFA_INTERRUPT;
        assertTrue(aborted || interrupted, () -> "expected FFA_ERROR(ABORTED) or FFA_INTERRUPT, got " + r);
        assertTrue(spa.isClosed());

        // The rest of the fabric still works after the close.
        assertSuccess32(call(fx.ec(VM1), regs(FunctionId.FFA_ID_GET)));

        final String name = directory.getFileName().toString();
        final ExecutorService exec = fx.exec();
        exec.shutdown();
        assertTrue(exec.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS));
        fx.close();
        assertFalse(Files.exists(directory), "fabric directory left behind: " + directory);
        final Path shm = Paths.get("/dev/shm");
        if (Files.isDirectory(shm))
        {
            final List<String> left;
            try (Stream<Path> entries = Files.list(shm))
            {
                left = entries.map(p -> p.getFileName().toString()).filter(n -> n.contains(name))
                    .collect(Collectors.toList());
            }
            catch (final IOException ex)
            {
                throw new AssertionError(ex);
            }
            assertTrue(left.isEmpty(), () -> "left in /dev/shm: " + left);
        }
    }
}
