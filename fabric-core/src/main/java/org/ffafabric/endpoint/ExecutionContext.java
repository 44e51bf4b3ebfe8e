package org.ffafabric.endpoint;

import org.agrona.LangUtil;
import org.agrona.MutableDirectBuffer;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FrameworkMessage;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.BufferOwnership;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.FabricCounters;
import org.ffafabric.manifest.World;
import org.ffafabric.transport.TrapProtocol;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import static org.ffafabric.control.ExecutionContextState.*;

/**
 * One execution context of a claimed partition: the thing that makes FF-A calls.
 * <p>
 * {@link #invoke(RegisterFile)} is the SMC: registers in, registers out, for every function.
 * Direct messaging, CPU-cycle handoff and FFA_RX_RELEASE are answered here, peer to peer over
 * the shared state table and Aeron IPC ({@link ContextTransport}); every other call traps to
 * the partition manager. An execution context is used by one thread at a time, like a vCPU: a call
 * from another thread while one is inside a call on it is refused with FFA_ERROR(BUSY), as a vCPU
 * running elsewhere is, and moves nothing.
 */
public final class ExecutionContext
{
    // A wait reads its clock and checks its peer every 64 empty polls while polls are quick (a
    // busy spin: a clock read per poll would slow noticing a message), and every poll once they
    // take over 1 us each (an idle strategy that parks, up to 100 us at a time for the default
    // back-off: a stride of 64 would overrun a bound by up to 64 parks).
    private static final int QUICK_CHECK_STRIDE = 64;
    private static final long SLOW_POLL_NS = 1_000;
    private static final long PEER_CHECK_NS = 1_000_000;
    // How long the last look for a gone target's answer waits for the image of a log the driver links
    // to us: a safety bound only, as the link lasts until we have read what it holds.
    private static final long LINKED_IMAGE_TIMEOUT_NS = 10_000_000_000L;
    private static final long IMAGE_HURRY_INTERVAL_NS = 1_000_000L;
    private static final VarHandle CALLER;

    static
    {
        try
        {
            CALLER = MethodHandles.lookup().findVarHandle(ExecutionContext.class, "caller", Thread.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Endpoint endpoint;
    private final ControlFile controlFile;
    private final int partitionId;
    private final int slot;
    private final int index;
    private final int stateOffset;
    private final ContextTransport transport;
    private final DirectMessagingRules rules;
    private final int requestsSentCounter;
    private final int requestsReceivedCounter;
    // A request whose requester got the CPU back (FFA_INTERRUPT/FFA_YIELD) before its response.
    private int outstandingTarget = -1;
    private int outstandingTargetEc;
    // True when the outstanding request was interrupted by our own timeout (the target still
    // serves it); false when the target yielded (it waits for our FFA_RUN to resume).
    private boolean outstandingInterrupted;
    private boolean versionLocked;
    private FfaOps ops;
    // The thread inside a call on this context, null when none. Calls nest while a handler serves a
    // request: CALLER covers the outermost, and only that thread reads and writes invokeDepth.
    @SuppressWarnings("unused") // Accessed through CALLER.
    private Thread caller;
    private int invokeDepth;
    // Guarded by the endpoint: the partition manager has been sent this context's release.
    boolean releaseSent;
    // This context's state word as it is (or is about to be) in the table. Peers change it only
    // by compare-and-set, and the message that follows says exactly what they wrote, so the
    // word is never read back on the hot path.
    private long word;
    // The word our last request (or FFA_RUN) installed in its target. Completing the exchange,
    // we store its WAITING successor ourselves, so the next request predicts it exactly.
    private int lastTargetOffset = -1;
    private long lastTargetWord;
    // That target's claim generation, read off the hot path when the exchange was not predicted: a
    // predicted compare-and-set succeeding proves no transition, so no new claim, came between.
    private long lastTargetGeneration;
    // The word installed in an outstanding interrupted request's target, to release it on completion.
    private int outstandingTargetOffset;
    private long outstandingTargetWord;
    // The claim generation of the outstanding request's target: a new claim of it owes us nothing.
    private long outstandingTargetGeneration;
    // Serving in place (serveDirectRequest): the handler, the request view over our inbox's log
    // (or its heap copy after a detach), the response, and a failure to rethrow once the
    // requester is answered.
    private final ContextTransport.InPlaceReceiver servingReceiver = this::serveInPlace;
    private DirectRequestHandler servingHandler;
    // Written and compared only by the serving thread itself: a handler's own close must not wait for it.
    private Thread servingThread;
    private DirectMessage servedRequest;
    private DirectMessage servedResponse;
    private RegisterFile detachedRequest;
    private RegisterFile detachedResponse;
    private Throwable handlerFailure;
    private boolean requesterGone;
    // The framework response type that alone may answer the framework request being served.
    private int frameworkResponse;
    // The function ID of the request being served: its response must be of the same width.
    private int servedRequestId;
    // The partition and claim generation of the context whose cycles we run, or last ran (the
    // requester we serve, or the scheduler that ran us): what we send it is addressed to that
    // claim, and if the claim ends without releasing us, we release ourselves.
    private int lastPeerId = -1;
    private int peerGeneration;
    // The CPU we run on, which picks the context of an MP partition we send to: an MP partition's
    // context N is pinned to CPU N; a one-context partition runs on the CPU of whoever lent it its
    // cycles (Hafnium migrates a UP vCPU to the caller's CPU).
    private final boolean migrates;
    // An AArch32 partition has no SMC64: SMCCC answers such an ID as an unknown function.
    private final boolean aarch32;
    private int cpu;

    ExecutionContext(final Endpoint endpoint, final int index, final ContextTransport transport)
    {
        this.endpoint = endpoint;
        this.controlFile = endpoint.controlFile();
        this.partitionId = endpoint.partitionId();
        this.slot = endpoint.slot();
        this.index = index;
        this.stateOffset = controlFile.ecStateOffset(slot, index);
        this.transport = transport;
        this.rules = new DirectMessagingRules(controlFile, partitionId, slot, index);
        this.requestsSentCounter = FabricCounters.directRequestsSentId(controlFile.partitionCount(), controlFile.firstEc(slot), index);
        this.requestsReceivedCounter =
            FabricCounters.directRequestsReceivedId(controlFile.partitionCount(), controlFile.firstEc(slot), index);
        this.migrates = controlFile.executionContextCount(slot) == 1;
        this.aarch32 = !controlFile.isAarch64(slot);
        this.cpu = index;
        transport.cpu(index);
    }

    public int partitionId()
    {
        return partitionId;
    }

    /** This context's index (its vCPU ID). */
    public int index()
    {
        return index;
    }

    public Endpoint endpoint()
    {
        return endpoint;
    }

    /**
     * Messages this context's inbox has dropped: left unread by an earlier claim of its partition, or not
     * a register file of 64 or 144 bytes (anything that can open the fabric's Aeron directory can publish
     * into an inbox). Read from any thread.
     */
    public long droppedMessages()
    {
        return transport.dropped();
    }

    /** The typed, Linux ffa_ops-shaped calls over {@link #invoke}; one instance per context. */
    public FfaOps ops()
    {
        if (ops == null)
        {
            ops = new FfaOps(this);
        }
        return ops;
    }

    /**
     * The SMC: {@code regs} holds the call on entry and the return registers on exit. Once the
     * endpoint has closed, every call returns FFA_ERROR(ABORTED) and touches nothing shared.
     */
    public void invoke(final RegisterFile regs)
    {
        invoke(regs, 0);
    }

    /**
     * As {@link #invoke(RegisterFile)}, with a bound on how long a blocking call waits.
     * When it runs out, the call returns FFA_INTERRUPT as when an interrupt takes the CPU
     * back: a pending direct request is then resumed with FFA_RUN. Zero waits forever, and so do
     * a negative bound ({@link FfaOps} refuses one) and a bound past the clock's range, such as Long.MAX_VALUE.
     */
    public void invoke(final RegisterFile regs, final long timeoutNs)
    {
        if (!enter())
        {
            regs.error(refusal());
            return;
        }
        try
        {
            if (transport.isInPlace())
            {
                // A call from a handler serving a request in place: the request leaves the log first.
                detachServedRequest();
            }
            if (!endpoint.isClosed())
            {
                dispatch(regs, timeoutNs);
                countIfError(regs);
            }
            else
            {
                regs.error(ErrorCode.ABORTED);
            }
        }
        finally
        {
            exit();
        }
    }

    /**
     * Counts an FFA_ERROR a call returns, by code. Only inside a call that entered on an open endpoint:
     * the endpoint's close waits for such a call before the control file goes, and a refused call touches nothing.
     */
    private void countIfError(final RegisterFile regs)
    {
        if (regs.functionId() == FunctionId.FFA_ERROR)
        {
            controlFile.countAtomic(FabricCounters.errorsId(slot, regs.w(2)));
        }
    }

    /**
     * Enters a call for the calling thread; false when another thread is inside a call on this context,
     * and the call must touch nothing (a handler's own calls nest). The caller then reads the endpoint's
     * closed flag. The thread is recorded by compare-and-set: two threads calling at the same instant
     * (a serving thread retries while another thread's call runs) never both get in, and being a full
     * fence, with close's volatile store of its flag and its read of ours, either the close waits for
     * this call or this call sees the close.
     */
    private boolean enter()
    {
        final Thread current = Thread.currentThread();
        final Thread inside = (Thread)CALLER.getOpaque(this);
        if (inside == current)
        {
            invokeDepth++;
            return true;
        }
        if (inside != null || !CALLER.compareAndSet(this, null, current))
        {
            return false;
        }
        invokeDepth = 1;
        return true;
    }

    private void exit()
    {
        if (--invokeDepth == 0)
        {
            CALLER.setRelease(this, null);
        }
    }

    /**
     * Enters a typed call ({@link FfaOps}) for the calling thread, which holds the context from packing
     * its registers to reading the answer (and RX), not only inside invoke: false when another thread is
     * inside a call on it, and the typed call must touch nothing, as invoke would refuse it. Its own
     * invokes nest. As every entry, fenced, so that a close either waits for the whole call or the
     * call sees the close.
     */
    boolean enterTypedCall()
    {
        return enter();
    }

    /** Leaves a typed call {@link #enterTypedCall} let in. */
    void exitTypedCall()
    {
        exit();
    }

    /** What a call {@link #enter} refused answers: another thread is inside one, unless the endpoint has closed. */
    int refusal()
    {
        return endpoint.isClosed() ? ErrorCode.ABORTED : ErrorCode.BUSY;
    }

    /**
     * The request this context left pending when its call returned FFA_INTERRUPT or FFA_YIELD, as the
     * FFA_RUN that collects it names it in w1 (target ID, context), unsigned; -1 when none is.
     */
    long pendingRequestTargetInfo()
    {
        return outstandingTarget < 0 ? -1 : RegisterFile.packIds(outstandingTarget, outstandingTargetEc) & 0xFFFF_FFFFL;
    }

    /** True when the calling thread serves requests on this context: a handler runs on it. */
    boolean isServedByCurrentThread()
    {
        return servingThread == Thread.currentThread();
    }

    /** True while a thread is inside {@link #invoke}: the endpoint waits for it before unmapping. */
    boolean isInvoking()
    {
        return CALLER.getVolatile(this) != null;
    }

    private void dispatch(final RegisterFile regs, final long timeoutNs)
    {
        int functionId = regs.functionId();
        if ((functionId & FunctionId.SVE_HINT) != 0)
        {
            // The call is the call without the hint, for us, the partition manager and any receiver.
            functionId = FunctionId.withoutSveHint(functionId);
            regs.w(0, functionId);
        }
        final boolean smc64 = FunctionId.isSmc64(functionId);
        if (smc64 && aarch32)
        {
            // SMCCC: an SMC64 ID from AArch32 is an unknown function, so it leaves the version open too.
            regs.error(ErrorCode.NOT_SUPPORTED);
            return;
        }
        if (!versionLocked && functionId != FunctionId.FFA_VERSION && functionId != FunctionId.FFA_INTERRUPT &&
            FunctionId.introducedIn(functionId) != 0)
        {
            // FFA_INTERRUPT is no call a partition makes (it is DENIED), and an ID that is no FF-A
            // function is no FF-A ABI handled: both leave the negotiation open.
            lockVersion();
        }
        if (!smc64)
        {
            // An SMC32 call is w0..w7: every rule below, and the wire, see it zero-extended.
            regs.zeroExtendSmc32();
        }
        switch (functionId)
        {
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_32:
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_64:
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ2:
                directRequest(regs, timeoutNs);
                break;
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP_32:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP_64:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP2:
                directResponse(regs, timeoutNs);
                break;
            case FunctionId.FFA_MSG_WAIT:
                msgWait(regs, timeoutNs);
                break;
            case FunctionId.FFA_YIELD:
                yieldCycles(regs);
                break;
            case FunctionId.FFA_RUN:
                run(regs, timeoutNs);
                break;
            case FunctionId.FFA_ERROR:
                errorResponse(regs, timeoutNs);
                break;
            case FunctionId.FFA_RX_RELEASE:
                rxRelease(regs);
                break;
            case FunctionId.FFA_SECONDARY_EP_REGISTER_64:
                secondaryEpRegister(regs);
                break;
            case FunctionId.FFA_INTERRUPT:
            case FunctionId.FFA_SUCCESS_32:
            case FunctionId.FFA_SUCCESS_64:
                // Returns, not calls: a partition cannot raise them (Hafnium denies FFA_INTERRUPT).
                regs.error(ErrorCode.DENIED);
                break;
            case TrapProtocol.FABRIC_CLAIM:
            case TrapProtocol.FABRIC_RELEASE:
            case TrapProtocol.FABRIC_RESUME:
                regs.error(ErrorCode.NOT_SUPPORTED);
                break;
            default:
                trap(regs);
                break;
        }
    }

    /** The version is fixed once any other ABI but FFA_INTERRUPT has been used (Hafnium's rule, reference 3.3). */
    private void lockVersion()
    {
        versionLocked = true;
        controlFile.lockVersion(slot);
    }

    // Direct messaging: the hot path.

    private void directRequest(final RegisterFile regs, final long timeoutNs)
    {
        final int functionId = regs.functionId();
        final boolean req2 = functionId == FunctionId.FFA_MSG_SEND_DIRECT_REQ2;
        final int receiver = RegisterFile.receiverOf(regs.w(1));
        final long x2 = req2 ? 0 : regs.x(2);
        final int flags = (int)x2;
        final boolean framework = RegisterFile.isFrameworkMessage(flags);
        final int targetSlot = controlFile.slotOf(receiver);
        int check = rules.checkRequestArguments(regs, req2, receiver, targetSlot, x2);
        if (check == 0 && outstandingTarget >= 0)
        {
            // An interrupted request must be resumed with FFA_RUN before another starts.
            check = ErrorCode.BUSY;
        }
        if (check == 0)
        {
            check = framework ? rules.checkFrameworkRequest(functionId, flags, targetSlot) : rules.checkProperties(req2, targetSlot, regs);
        }
        if (check != 0)
        {
            regs.error(check);
            return;
        }
        final int targetEcCount = controlFile.executionContextCount(targetSlot);
        final int targetEc = targetEcCount == 1 ? 0 : cpu;
        if (targetEc >= targetEcCount)
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        final int targetOffset = controlFile.ecStateOffset(targetSlot, targetEc);
        final int model = DirectMessagingRules.requestModel(functionId, flags);
        long targetWord = targetOffset == lastTargetOffset ? waitingAfter(lastTargetWord) : 0;
        long update = pack(RUNNING, model, false, partitionId, index, targetWord);
        if (targetWord == 0 || !controlFile.ecStateCompareAndSet(targetOffset, targetWord, update))
        {
            // Not the peer we just talked to, or someone else got there: read, check, then CAS.
            if (state(word) == ABORTED || controlFile.isClaimAborted(targetSlot))
            {
                // Our partition's init failed (failInit, which dropped the prediction that would skip this), or
                // the target's: none of its contexts runs again, whatever its word says yet.
                regs.error(ErrorCode.ABORTED);
                return;
            }
            if (rules.isInCallChain(targetSlot, targetEc))
            {
                regs.error(ErrorCode.DENIED);
                return;
            }
            // A first request to this peer adds our log to its inbox, which the driver may refuse.
            final int refused = transport.open(receiver, targetEc);
            if (refused != 0)
            {
                regs.error(refused);
                return;
            }
            targetWord = controlFile.ecState(targetOffset);
            if (state(targetWord) != WAITING)
            {
                // Hafnium finds a running target BUSY before it checks the run-time model, so SP init finds
                // an SP that is itself initialising DENIED (digest 6.3) only while that one is BLOCKED.
                regs.error(state(targetWord) == ABORTED ? ErrorCode.ABORTED :
                    state(targetWord) == BLOCKED && model(targetWord) == MODEL_INIT && model(word) == MODEL_INIT ?
                    ErrorCode.DENIED : ErrorCode.BUSY);
                return;
            }
            // Read before the compare-and-set: a claim after this read moves the word, so the CAS fails.
            final long generation = generationOf(targetSlot);
            update = pack(RUNNING, model, false, partitionId, index, targetWord);
            if (!controlFile.ecStateCompareAndSet(targetOffset, targetWord, update))
            {
                regs.error(ErrorCode.BUSY);
                return;
            }
            lastTargetGeneration = generation;
        }
        lastTargetOffset = targetOffset;
        lastTargetWord = update;
        final long before = block(false, receiver, targetEc);
        if (before == GIVEN_BACK)
        {
            release(targetOffset, update);
            regs.error(ErrorCode.ABORTED);
            return;
        }
        final int unsent = transport.sendTo(receiver, targetEc, (int)lastTargetGeneration, regs);
        if (unsent != 0)
        {
            // The receiver never connected: give it back its WAITING state, report it gone.
            release(targetOffset, update);
            restoreRunning(before);
            regs.error(unsent);
            return;
        }
        controlFile.countOrdered(requestsSentCounter);
        awaitCompletion(regs, receiver, targetEc, targetOffset, update, before, lastTargetGeneration, timeoutNs);
    }

    /**
     * Completes an exchange on the target's behalf: its word goes from what we installed to
     * WAITING. The requester does this, not the target, so the line holding the target's word
     * stays in the requester's cache and no transfer of it sits on the round trip; as with a
     * partition manager that switches to the requester, the target is WAITING once its answer
     * has been taken.
     */
    private void release(final int targetOffset, final long installed)
    {
        controlFile.ecStateCompareAndSet(targetOffset, installed, waitingAfter(installed));
    }

    private void transition(final long update)
    {
        word = update;
        controlFile.ecStateOrdered(stateOffset, update);
    }

    /** {@link #block}: this context's word was given back for its dead peer. */
    private static final long GIVEN_BACK = 0;

    /**
     * Leaves RUNNING for BLOCKED, waiting on {@code peer} (or {@code yielded} to it), and returns
     * the word left, to restore later; {@link #GIVEN_BACK} when that word is no longer ours. A word
     * serving a requester, or running for the scheduler, is the partition manager's to give back
     * when that peer dies, while the handler still runs here, and another requester may take it at
     * once: such a word moves only by compare-and-set, and the call that lost it ends in ABORTED,
     * touching nothing. So does a WAITING word, which any requester may take (a serving period
     * ends WAITING, and its thread may call next). Any other RUNNING word is ours alone: a plain
     * ordered store.
     */
    private long block(final boolean yielded, final int peer, final int peerEc)
    {
        while (true)
        {
            final long ownWord = word;
            final long update = pack(BLOCKED, model(ownWord), yielded, peer, peerEc, ownWord);
            final boolean waiting = state(ownWord) == WAITING;
            if (!waiting && !isGivenBackOnPeerDeath(ownWord))
            {
                transition(update);
                return ownWord;
            }
            if (controlFile.ecStateCompareAndSet(stateOffset, ownWord, update))
            {
                word = update;
                return ownWord;
            }
            // A serving period that just answered is WAITING before its requester has taken the answer
            // and stored that word: we store it for the requester, whose own store then fails.
            final long current = waiting ? releaseOnBehalf() : controlFile.ecState(stateOffset);
            if (current == ownWord)
            {
                continue;
            }
            if ((int)current != (int)ownWord || (!waiting && !endpoint.isClaimed(peerId(ownWord), peerGeneration)))
            {
                return GIVEN_BACK;
            }
            // The same exchange under a sequence the mirror missed (the partition manager gave back
            // a word whose request never reached us, and the next requester counted from that).
            word = current;
        }
    }

    /**
     * DIRECT_RESP: sends the response and waits for the next message, which the call returns. A
     * response that gets no log to its requester (our first message there, and the peer log budget
     * spent or the driver refusing the log) is lost, and the call still waits for the next message:
     * the requester's call ends in ABORTED, and we are WAITING ({@link #loseAnswer}). FFA_ERROR and
     * FFA_MSG_WAIT give back the same way.
     */
    private void directResponse(final RegisterFile regs, final long timeoutNs)
    {
        if (regs.functionId() == FunctionId.FFA_MSG_SEND_DIRECT_RESP2 &&
            controlFile.negotiatedVersion(slot) < FfaVersion.V1_2)
        {
            // RESP2 does not exist before v1.2 (FFA_FEATURES says so too), as REQ2 in directRequest.
            regs.error(ErrorCode.NOT_SUPPORTED);
            return;
        }
        // Arguments before state, as Hafnium: a malformed response is INVALID_PARAMETERS, served or not.
        int check = rules.checkResponseArguments(regs);
        final long ownWord = word;
        if (check == 0)
        {
            check = mayAnswer(ownWord) ? rules.checkResponseState(regs, ownWord, servedRequestId, frameworkResponse) : ErrorCode.DENIED;
        }
        if (check != 0)
        {
            // The scheduler, never sent a request, has none to answer: NOT_SUPPORTED whatever the registers, as its
            // FFA_MSG_WAIT (FFA_FEATURES agrees). Told here, where its every response ends, off the answering path.
            regs.error(partitionId == EndpointId.HYPERVISOR ? ErrorCode.NOT_SUPPORTED : check);
            return;
        }
        giveBack(regs, ownWord);
        awaitMessage(regs, timeoutNs, false, true);
    }

    /**
     * DIRECT_RESP and FFA_ERROR answer a request this context serves, and only as calls of its
     * own: a handler run by serveDirectRequest answers by returning.
     */
    private boolean mayAnswer(final long ownWord)
    {
        return isServing(ownWord) && invokeDepth == 1;
    }

    /** FFA_ERROR while serving a request cancels it: the requester gets the error. From SP init, it reports failure. */
    private void errorResponse(final RegisterFile regs, final long timeoutNs)
    {
        final long ownWord = word;
        if (model(ownWord) == MODEL_INIT)
        {
            failInit(regs);
            return;
        }
        if (!mayAnswer(ownWord))
        {
            regs.error(ErrorCode.DENIED);
            return;
        }
        final int code = regs.w(2);
        regs.error(code);
        giveBack(regs, ownWord);
        awaitMessage(regs, timeoutNs, false, true);
    }

    /**
     * FFA_ERROR from SP init: a failed init (digest 6.3; a v1.3 SP would call FFA_ABORT, and the fabric
     * stops at v1.2). Hafnium takes ABORTED alone, NOT_SUPPORTED for any other code, and aborts the
     * partition: FFA_RUN of it and requests to it answer ABORTED, and it never runs again. Nobody lent
     * init its cycles, so nobody is told (a context that yielded to it sees the word at its next check and
     * resumes itself, FFA_YIELD returning ABORTED); the word goes to ABORTED, which requesters and FFA_RUN answer
     * so, and the call and the context's later calls that would run it (FFA_MSG_WAIT, FFA_RUN, requests)
     * return ABORTED until the claim ends. Predictions are dropped, so a request meets that check on the
     * path that reads its target's word, never on the hot path. So does the whole partition ({@link Endpoint#abort}).
     */
    private void failInit(final RegisterFile regs)
    {
        if (regs.w(2) != ErrorCode.ABORTED)
        {
            regs.error(ErrorCode.NOT_SUPPORTED);
            return;
        }
        transition(pack(ABORTED, MODEL_NONE, false, 0, 0, word));
        lastTargetOffset = -1;
        outstandingTarget = -1;
        endpoint.abort(index);
        regs.error(ErrorCode.ABORTED);
    }

    /**
     * From the thread of another context of this partition, whose init failed: a WAITING word goes ABORTED
     * by compare-and-set, as a requester's CAS would take it, so requests and FFA_RUN find it ABORTED. The
     * mirror is this context's thread's, which reads the table at its next wait check. Any other word is
     * left to that check.
     */
    void abortIfWaiting()
    {
        long current = controlFile.ecState(stateOffset);
        while (state(current) == WAITING &&
            !controlFile.ecStateCompareAndSet(stateOffset, current, pack(ABORTED, MODEL_NONE, false, 0, 0, current)))
        {
            current = controlFile.ecState(stateOffset);
        }
    }

    /**
     * At a wait's check, once the partition is aborted: the word goes ABORTED if it is not already, from
     * WAITING (after our release on a requester's behalf) or from BLOCKED having yielded, by compare-and-set
     * against a requester's or the FFA_RUN that would take it. True with FFA_ERROR(ABORTED) in {@code regs};
     * false when a requester (or FFA_RUN) took the word first: its message, on its way, is answered ABORTED
     * on arrival.
     */
    private boolean abortWithPartition(final RegisterFile regs)
    {
        if (!abortWord())
        {
            return false;
        }
        regs.error(ErrorCode.ABORTED);
        return true;
    }

    /** {@link #abortWithPartition}'s move of the word, with no call to end: false when a requester took it first. */
    private boolean abortWord()
    {
        final long current = state(word) == WAITING ? releaseOnBehalf() : controlFile.ecState(stateOffset);
        if (state(current) != ABORTED)
        {
            final boolean idle = state(current) == WAITING || (state(current) == BLOCKED && yielded(current));
            if (!idle || !controlFile.ecStateCompareAndSet(stateOffset, current, pack(ABORTED, MODEL_NONE, false, 0, 0, current)))
            {
                return false;
            }
        }
        word = state(current) == ABORTED ? current : pack(ABORTED, MODEL_NONE, false, 0, 0, current);
        lastTargetOffset = -1;
        outstandingTarget = -1;
        return true;
    }

    /**
     * Hands the cycles back to their owner. The owner stores our WAITING word when it takes the
     * message ({@link #release}), so we only note what it will be; unless the message cannot be
     * sent for want of a log to the owner ({@link #loseAnswer}).
     */
    private void giveBack(final RegisterFile regs, final long ownWord)
    {
        word = waitingAfter(ownWord);
        final int unsent = transport.sendTo(peerId(ownWord), peerEc(ownWord), peerGeneration, regs);
        if (unsent != 0)
        {
            if (unsent == ErrorCode.NO_MEMORY)
            {
                loseAnswer(ownWord, ownWord);
            }
            else
            {
                word = waitingAfterGone(ownWord);
            }
        }
    }

    /**
     * The mirror's WAITING word once the exchange {@code serving} has ended with its owner's claim over, or
     * never held: the word its release would store while the table still shows that exchange (the claim
     * closed, and we give ourselves back at a check); else the table's, or the WAITING word a later
     * requester's (or scheduler's) compare-and-set replaced. A request nobody took our word for, which
     * anything that can open the Aeron directory can send, never moved the table: a mirror two steps past
     * it took the next requester's word for the one we had answered ({@link #releaseOnBehalf}).
     */
    private long waitingAfterGone(final long serving)
    {
        final long table = controlFile.ecState(stateOffset);
        if ((int)table == (int)serving)
        {
            return waitingAfter(table);
        }
        if (state(table) == WAITING)
        {
            return table;
        }
        return state(table) == RUNNING ? waitingBefore(table) : waitingAfter(serving);
    }

    /**
     * The driver refused the log our answer (or FFA_YIELD, or the FFA_MSG_WAIT that gives a scheduler its
     * cycles back) needed: it was our first message to that context, and the fabric's peer log budget was
     * spent, or the driver had no room or counter for the log or its session ID was taken. The message is
     * lost, so the exchange ends here rather than leave its owner waiting for it: our word goes from
     * {@code current} (the word the owner installed, or our BLOCKED word after a yield) to its WAITING
     * successor by compare-and-set, the store the owner's release would have made, and then the owner's
     * lost-answer word names the exchange (our sequence in {@code installed}, the word the owner installed), which its wait
     * reads at its checks and ends in ABORTED. In that order, so an owner that reads it finds us WAITING. A
     * word the partition manager gives back when its owner dies is that exchange's only while the owner's
     * claim holds (as in {@link #block}): once it has ended nothing is stored, since the word may be a new
     * claim's by now, and a dead owner reads nothing.
     */
    private void loseAnswer(final long installed, final long current)
    {
        final int owner = peerId(current);
        final int ownerEc = peerEc(current);
        // The table's word, not the mirror: the mirror may have missed sequence steps (see isMirrored).
        final long table = controlFile.ecState(stateOffset);
        if ((int)table != (int)current ||
            (isGivenBackOnPeerDeath(current) && !endpoint.isClaimed(owner, peerGeneration)))
        {
            return;
        }
        final long waiting = waitingAfter(table);
        if (!controlFile.ecStateCompareAndSet(stateOffset, table, waiting))
        {
            return;
        }
        word = waiting;
        final int ownerSlot = controlFile.slotOf(owner);
        controlFile.lostAnswer(controlFile.ecStateOffset(ownerSlot, ownerEc),
            lostAnswer(partitionId, index, installed == current ? table : installed));
    }

    // Serving direct requests in place.

    /**
     * FFA_MSG_WAIT that answers direct requests itself, the serving side of the hot path. A
     * request is handed to {@code handler} where it lies in the transport's log (its registers
     * are not copied), and the handler writes its response into a slot claimed in the requester's
     * inbox, committed before the transport's poll has moved past the request. The response
     * arrives with its function ID and IDs set (RESP, RESP_32 or RESP2; responder and requester
     * swapped; the framework response type); the handler fills the payload, or sets FFA_ERROR
     * with a code to cancel the request with that error. A handler may make FF-A calls of its own
     * (a direct request down a call chain, FFA_YIELD, a trap to the partition manager): the
     * request is then copied out of the log first; it may not answer with DIRECT_RESP, FFA_ERROR
     * or FFA_MSG_WAIT itself (DENIED), since returning is its answer.
     * <p>
     * A handler that throws, or returns a response the spec's checks refuse, cancels the request
     * with FFA_ERROR(ABORTED), so the requester is never left blocked; the failure is then
     * rethrown here. The request and response views are valid only during the handler's call.
     * <p>
     * An answer that cannot be delivered, because a requester answered for the first time gets no log (the
     * fabric's peer log budget is spent, or the media driver refuses it), is lost: the handler still runs,
     * the requester's call ends in FFA_ERROR(ABORTED), the context is WAITING again, and this returns true
     * without throwing. Nothing here could make the log; the requester, told, may ask again.
     *
     * @return true when a request was served (or answered ABORTED, the handler not run, as its partition's init
     *         failed meanwhile); false when something else ended the wait, which is
     *         then in {@code regs} as FFA_MSG_WAIT returns it: FFA_RUN, FFA_INTERRUPT when
     *         {@code timeoutNs} ran out, or FFA_ERROR (ABORTED once the endpoint has closed; BUSY while
     *         another thread is inside a call on this context, which is then left alone).
     */
    public boolean serveDirectRequest(final DirectRequestHandler handler, final RegisterFile regs, final long timeoutNs)
    {
        return serve(handler, regs, timeoutNs, true);
    }

    /**
     * As {@link #serveDirectRequest}, except that when {@code periodNs} runs out with no request,
     * the context stays WAITING and false is returned with {@code regs} cleared: for a serving
     * loop that only needs to look up now and then (an agent's duty cycle, as
     * {@link DirectRequestServer} runs). Interrupting the wait instead, as the spec's FFA_INTERRUPT
     * does, would make the context RUNNING for a moment, and a request arriving then BUSY.
     */
    public boolean serveDirectRequestWithin(final DirectRequestHandler handler, final RegisterFile regs, final long periodNs)
    {
        return serve(handler, regs, periodNs, false);
    }

    private boolean serve(
        final DirectRequestHandler handler, final RegisterFile regs, final long timeoutNs, final boolean interruptOnTimeout)
    {
        if (CALLER.getOpaque(this) == Thread.currentThread())
        {
            throw new IllegalStateException("serveDirectRequest called from inside an FF-A call on context " + index);
        }
        if (!enter())
        {
            regs.error(refusal());
            return false;
        }
        try
        {
            if (endpoint.isClosed())
            {
                regs.error(ErrorCode.ABORTED);
                return false;
            }
            if (!versionLocked)
            {
                lockVersion();
            }
            if (state(word) != WAITING)
            {
                regs.clear().w(0, FunctionId.FFA_MSG_WAIT);
                if (!beginWait(regs))
                {
                    return false;
                }
            }
            if (servedRequest == null)
            {
                servedRequest = new DirectMessage(new RegisterFile());
                servedResponse = new DirectMessage(new RegisterFile());
                detachedRequest = new RegisterFile();
                detachedResponse = new RegisterFile();
            }
            servingHandler = handler;
            servingThread = Thread.currentThread();
            final boolean served = awaitMessage(regs, timeoutNs, true, interruptOnTimeout);
            countIfError(regs);
            final Throwable failure = handlerFailure;
            if (failure != null)
            {
                handlerFailure = null;
                LangUtil.rethrowUnchecked(failure);
            }
            return served;
        }
        finally
        {
            servingHandler = null;
            servingThread = null;
            exit();
        }
    }

    /** The in-place receiver: serves a direct request inside the transport's poll. */
    private boolean serveInPlace(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        final RegisterFile request = servedRequest.registers().wrap(buffer, offset, length);
        final int functionId = request.functionId();
        if (!FunctionId.isDirectRequest(functionId))
        {
            return false;
        }
        final int ids = request.w(1);
        if (!namesItsEnds(ids))
        {
            // Refused by the wait, off the log.
            return false;
        }
        // Mirror the requester's compare-and-set, as awaitMessage does.
        final int flags = functionId == FunctionId.FFA_MSG_SEND_DIRECT_REQ2 ? 0 : request.w(2);
        final int model = acceptRequest(functionId, flags);
        word = pack(RUNNING, model, false, transport.senderId(), transport.senderEc(), word);
        controlFile.countOrdered(requestsReceivedCounter);
        assert isMirrored() : "state mirror " + describe(word) + " != " + describe(controlFile.ecState(stateOffset));

        final int responseId = DirectMessagingRules.responseFor(functionId);
        servedRequest.fixLayout(functionId);
        servedResponse.fixLayout(responseId);
        final int responseLength = responseId == FunctionId.FFA_MSG_SEND_DIRECT_RESP2 ?
            TrapProtocol.LONG_MESSAGE_LENGTH : TrapProtocol.SHORT_MESSAGE_LENGTH;
        rememberSender();
        final RegisterFile response = servedResponse.registers();
        final int unclaimed = transport.claimTo(peerId(word), peerEc(word), peerGeneration, responseLength, response);
        requesterGone = unclaimed == ErrorCode.ABORTED;
        if (unclaimed != 0)
        {
            // The handler still runs, on a response of our own. Gone: its inbox stayed unreachable for
            // the connect timeout, the answer goes nowhere, and the context waits again. Or the driver
            // refused our first log to the requester: answer() asks for it again, and if it is refused
            // again the answer is lost and the requester's call ends in ABORTED (loseAnswer).
            response.wrap(detachedResponse.buffer(), 0);
        }
        response.clear()
            .w(0, responseId)
            .w(1, RegisterFile.packIds(RegisterFile.receiverOf(ids), RegisterFile.senderOf(ids)));
        if (model == MODEL_FRAMEWORK)
        {
            // Framework requests take the matching framework response type.
            response.w(2, RegisterFile.frameworkMessageFlags(frameworkResponse));
        }
        // Read once: an abort during the handler is the next wait's to see, as for any context serving at the abort.
        final boolean aborted = endpoint.isAborted();
        if (aborted)
        {
            // Taken before this context's word went ABORTED, it arrives after: answered as one would be now.
            response.error(ErrorCode.ABORTED);
        }
        else
        {
            try
            {
                servingHandler.onDirectRequest(servedRequest, servedResponse);
            }
            catch (final Throwable ex)
            {
                handlerFailure = ex;
            }
        }
        answer(servedResponse.registers());
        if (aborted)
        {
            // Aborted now, as FFA_MSG_WAIT's receive does, not at the thread's next wait: it may never come, and a
            // request taking the WAITING word meanwhile would wait for it. A loss to such a request is answered
            // ABORTED on arrival, as this one was.
            abortWord();
        }
        return true;
    }

    /** Sends the handler's response, or cancels the request with the error it chose or ABORTED. */
    private void answer(final RegisterFile response)
    {
        final long ownWord = word;
        if (!isServing(ownWord))
        {
            // The handler's own call ended the exchange (the endpoint closed while it had yielded).
            if (transport.hasPendingClaim())
            {
                transport.abortClaim();
            }
            return;
        }
        final int functionId = response.functionId();
        if (handlerFailure == null && functionId == FunctionId.FFA_ERROR)
        {
            response.error(response.w(2));
        }
        else if (handlerFailure == null)
        {
            if (!FunctionId.isSmc64(functionId))
            {
                response.zeroExtendSmc32();
            }
            final int check = FunctionId.isDirectResponse(functionId) ?
                rules.checkResponse(response, ownWord, servedRequestId, frameworkResponse) : ErrorCode.INVALID_PARAMETERS;
            if (check != 0)
            {
                handlerFailure = new IllegalStateException("direct request handler's response refused with " +
                    ErrorCode.name(check) + ": " + response);
            }
        }
        if (handlerFailure != null)
        {
            response.error(ErrorCode.ABORTED);
        }
        if (transport.hasPendingClaim())
        {
            word = waitingAfter(ownWord);
            transport.commitClaim();
        }
        else if (requesterGone)
        {
            word = waitingAfterGone(ownWord);
        }
        else
        {
            giveBack(response, ownWord);
        }
    }

    /**
     * The run-time model a request received puts this context in; a framework request also fixes
     * the one response type that may answer it (VM created takes VM created ack, as Hafnium's test
     * services and OP-TEE answer; stricter than Hafnium's SPMC, which takes either VM ack).
     */
    private int acceptRequest(final int functionId, final int flags)
    {
        final int model = DirectMessagingRules.requestModel(functionId, flags);
        servedRequestId = functionId;
        if (model == MODEL_FRAMEWORK)
        {
            frameworkResponse = FrameworkMessage.responseFor(RegisterFile.frameworkMessageType(flags));
        }
        return model;
    }

    /**
     * A handler serving in place makes a call: its request moves out of the log first, and its
     * response out of the claimed slot, which is given up (the call may itself send to the requester).
     */
    private void detachServedRequest()
    {
        // Off the log, the views' layout follows w0 again: the handler may pass them to calls of its own.
        servedRequest.unfixLayout();
        servedResponse.unfixLayout();
        final RegisterFile request = servedRequest.registers();
        detachedRequest.copyFrom(request);
        request.wrap(detachedRequest.buffer(), detachedRequest.offset());
        if (transport.hasPendingClaim())
        {
            final RegisterFile response = servedResponse.registers();
            detachedResponse.copyFrom(response);
            transport.abortClaim();
            response.wrap(detachedResponse.buffer(), detachedResponse.offset());
        }
        transport.detach();
    }

    // CPU cycles.

    private void msgWait(final RegisterFile regs, final long timeoutNs)
    {
        if (beginWait(regs))
        {
            awaitMessage(regs, timeoutNs, false, true);
        }
    }

    /** FFA_MSG_WAIT's w2 flag (v1.2): keep RX, which a wait otherwise gives back to the producer (v1.1 on). */
    private static final int MSG_WAIT_RETAIN_RX = 1;

    /** FFA_MSG_WAIT's checks and its way into WAITING; false with the error in {@code regs}. */
    private boolean beginWait(final RegisterFile regs)
    {
        if (partitionId == EndpointId.HYPERVISOR)
        {
            // The scheduler is never sent a request nor run, so nothing could end its wait: Hafnium's
            // primary and TF-A's normal world get NOT_SUPPORTED (FFA_FEATURES agrees), whatever the
            // registers, as its FFA_YIELD.
            regs.error(ErrorCode.NOT_SUPPORTED);
            return false;
        }
        final long ownWord = word;
        final int version = controlFile.negotiatedVersion(slot);
        final int flags = regs.w(2);
        final int validFlags = version >= FfaVersion.V1_2 ? MSG_WAIT_RETAIN_RX : 0;
        if (regs.w(1) != 0 || (flags & ~validFlags) != 0 || !regs.isZero(3, 7) ||
            (version >= FfaVersion.V1_2 && !regs.isZero(8, 17)))
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return false;
        }
        if (isServing(ownWord) || invokeDepth > 1)
        {
            // A request must be answered with DIRECT_RESP before waiting again.
            regs.error(ErrorCode.DENIED);
            return false;
        }
        if (state(ownWord) == ABORTED)
        {
            // Its partition's init failed (failInit, abortWithPartition): it never waits again.
            regs.error(ErrorCode.ABORTED);
            return false;
        }
        if (version >= FfaVersion.V1_1 && (flags & MSG_WAIT_RETAIN_RX) == 0 && controlFile.rxtxMapped(slot) &&
            controlFile.rxOwnership(slot) == BufferOwnership.CONSUMER)
        {
            // After a typed call of another context has read RX and released it, not in the middle.
            synchronized (endpoint.rxLock())
            {
                controlFile.rxOwnershipCompareAndSet(slot, BufferOwnership.CONSUMER, BufferOwnership.PRODUCER);
            }
        }
        if (state(ownWord) == RUNNING && model(ownWord) == MODEL_RUN)
        {
            regs.clear().w(0, FunctionId.FFA_MSG_WAIT).w(1, RegisterFile.packTargetInfo(partitionId, index));
            giveBack(regs, ownWord);
        }
        else if (state(ownWord) != WAITING)
        {
            if (endpoint.isAborted())
            {
                // A word of ours alone (init, or an interrupted wait): ABORTED without a moment's WAITING.
                transition(pack(ABORTED, MODEL_NONE, false, 0, 0, ownWord));
                lastTargetOffset = -1;
                outstandingTarget = -1;
                regs.error(ErrorCode.ABORTED);
                return false;
            }
            transition(waitingAfter(ownWord));
        }
        // Still WAITING (a serving period ended): a requester may have taken the word since, so it is not stored.
        return true;
    }

    /**
     * FFA_SECONDARY_EP_REGISTER_64: where the partition's other contexts cold-boot, x1. As Hafnium's
     * SPMC: for secure partitions of more than one context at v1.1 or later (NOT_SUPPORTED otherwise,
     * and for the SMC32 form, which neither Hafnium nor TF-A implements), during SP initialisation
     * (DENIED otherwise); a later call replaces the address. The address must lie in the partition's
     * memory, as TF-A's SPMD requires of its image (INVALID_PARAMETERS). The claim keeps it for its
     * hosts to read ({@link Endpoint#secondaryEntryPoint()}) until it ends.
     */
    private void secondaryEpRegister(final RegisterFile regs)
    {
        if (!EndpointId.isSecure(partitionId) || controlFile.executionContextCount(slot) == 1 ||
            controlFile.negotiatedVersion(slot) < FfaVersion.V1_1)
        {
            regs.error(ErrorCode.NOT_SUPPORTED);
            return;
        }
        if (model(word) != MODEL_INIT)
        {
            regs.error(ErrorCode.DENIED);
            return;
        }
        final long entryPoint = regs.x(1);
        if (!endpoint.memory().contains(entryPoint, 1))
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        controlFile.secondaryEntryPoint(slot, entryPoint);
        regs.success();
    }

    private void yieldCycles(final RegisterFile regs)
    {
        if (partitionId == EndpointId.HYPERVISOR)
        {
            // The scheduler is never lent cycles, so it has none to give back (FFA_FEATURES agrees).
            regs.error(ErrorCode.NOT_SUPPORTED);
            return;
        }
        // The timeout in w2/w3 came with v1.1: before, they are MBZ like the rest.
        final int version = controlFile.negotiatedVersion(slot);
        if (regs.w(1) != 0 || !regs.isZero(4, 7) || (version < FfaVersion.V1_1 && !regs.isZero(2, 3)))
        {
            // Malformed whatever the state: Hafnium's api_yield checks x4..x7 before the transition.
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        final long ownWord = word;
        final int model = model(ownWord);
        // Before v1.2 only the cycles FFA_RUN lent may be yielded: v1.2 added the direct request and
        // secure interrupt models (its 8.3 and 8.4; v1.1 EAC0 7.3 and 7.4 deny both).
        final boolean yieldsAnyLentCycles = version >= FfaVersion.V1_2;
        if (state(ownWord) == RUNNING && model == MODEL_INTERRUPT && yieldsAnyLentCycles)
        {
            // Nobody lent these cycles, so there is no one to give them to: the context runs on, as
            // Hafnium's SPMC does in the secure interrupt model (the timeout is only a hint).
            regs.success();
            return;
        }
        if (state(ownWord) != RUNNING || (model != MODEL_RUN && (!isServing(ownWord) || !yieldsAnyLentCycles)))
        {
            regs.error(ErrorCode.DENIED);
            return;
        }
        final int peer = peerId(ownWord);
        final int peerEc = peerEc(ownWord);
        final int timeoutLo = regs.w(2);
        final int timeoutHi = regs.w(3);
        final long before = block(true, peer, peerEc);
        if (before == GIVEN_BACK)
        {
            regs.error(ErrorCode.ABORTED);
            return;
        }
        regs.clear().w(0, FunctionId.FFA_YIELD).w(1, RegisterFile.packTargetInfo(partitionId, index))
            .w(2, timeoutLo).w(3, timeoutHi);
        if (transport.sendTo(peer, peerEc, peerGeneration, regs) == ErrorCode.NO_MEMORY)
        {
            // No log to the owner of our cycles: the yield cannot reach it, so the exchange ends, as for an
            // answer lost, and the yield returns ABORTED like one made after the word was given back.
            loseAnswer(before, word);
            regs.error(ErrorCode.ABORTED);
            return;
        }
        // Only the owner's FFA_RUN moves a yielded context, so the next message is that resume;
        // the wait can also end in ABORTED when the endpoint closes.
        awaitMessage(regs, 0, false, true);
        if (regs.functionId() == FunctionId.FFA_RUN)
        {
            regs.success();
        }
    }

    private void run(final RegisterFile regs, final long timeoutNs)
    {
        final int target = RegisterFile.senderOf(regs.w(1));
        final int targetEc = RegisterFile.receiverOf(regs.w(1));
        final int targetSlot = controlFile.slotOf(target);
        // The scheduler runs only others, as Hafnium's primary VM runs only other VMs' vCPUs. Anyone else's own
        // context is RUNNING, so its FFA_RUN of itself is refused below as that of any running context, DENIED:
        // Hafnium's SPMC lets an SP run only a PREEMPTED or BLOCKED SP, and its hypervisor lets no VM run at all.
        if (targetSlot < 0 || (target == partitionId && partitionId == EndpointId.HYPERVISOR) ||
            targetEc >= controlFile.executionContextCount(targetSlot))
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        if (!migrates && controlFile.executionContextCount(targetSlot) > 1 && targetEc != cpu)
        {
            // Context N of a multi-context partition runs on CPU N only, as its requests are served there.
            // As Hafnium, only a multi-context caller is held to it: a one-context one is on no fixed CPU.
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        final boolean ours = outstandingTarget == target && outstandingTargetEc == targetEc;
        if (controlFile.negotiatedVersion(slot) >= FfaVersion.V1_2 && !regs.isZero(8, 17))
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        if (state(word) == ABORTED)
        {
            // Its partition's init failed (failInit, abortWithPartition).
            regs.error(ErrorCode.ABORTED);
            return;
        }
        if (EndpointId.isSecure(partitionId) && !EndpointId.isSecure(target))
        {
            regs.error(ErrorCode.DENIED);
            return;
        }
        final int targetOffset = controlFile.ecStateOffset(targetSlot, targetEc);
        final long targetWord = controlFile.ecState(targetOffset);
        final long targetGeneration = generationOf(targetSlot);
        final boolean owner = peerId(targetWord) == partitionId && peerEc(targetWord) == index;
        if (ours && !outstandingInterrupted && (!(state(targetWord) == BLOCKED && yielded(targetWord) && owner) ||
            generationOf(targetSlot) != outstandingTargetGeneration))
        {
            // Only our FFA_RUN moves a context that yielded to us, so it is gone (its process died or
            // it closed) or was claimed again and owes us nothing: the request ends here, as a wait
            // for its answer would, and this context may send again.
            outstandingTarget = -1;
            regs.error(ErrorCode.ABORTED);
            return;
        }
        if (outstandingInterrupted && ours)
        {
            // Our interrupted request: its response is stashed, in flight or still to come.
            final long before = block(false, target, targetEc);
            if (before == GIVEN_BACK)
            {
                // The request stays outstanding: its late answer still releases the target.
                regs.error(ErrorCode.ABORTED);
                return;
            }
            outstandingTarget = -1;
            awaitCompletion(regs, target, targetEc, targetOffset, outstandingTargetWord, before,
                outstandingTargetGeneration, timeoutNs);
            return;
        }
        if (controlFile.isClaimAborted(targetSlot))
        {
            // Its partition's init failed: none of its contexts runs again, whatever its word says yet.
            if (ours)
            {
                outstandingTarget = -1;
            }
            regs.error(ErrorCode.ABORTED);
            return;
        }
        if (model(word) == MODEL_INIT)
        {
            // SP initialisation runs no one (Hafnium's SP-init rule 6), not even a context that yielded to
            // it. Collecting the answer its bound interrupted, above, is the rest of its own request.
            regs.error(ErrorCode.DENIED);
            return;
        }
        if (model(word) == MODEL_INTERRUPT && EndpointId.isSecure(partitionId) && state(targetWord) != PREEMPTED)
        {
            // The secure interrupt model runs only a PREEMPTED SP (digest 6.3, Hafnium's rule 6 there), not one
            // that yielded to it: run by the scheduler, it resumes that one from the FFA_RUN model.
            regs.error(ErrorCode.DENIED);
            return;
        }
        // Only the scheduler (the normal world's physical instance, ID 0) gives cycles to a context
        // that did not yield them to the caller, as only Hafnium's primary VM may; a VM resumes its own.
        final boolean scheduler = partitionId == EndpointId.HYPERVISOR;
        final long update;
        if (state(targetWord) == BLOCKED && yielded(targetWord) && owner)
        {
            update = pack(RUNNING, model(targetWord), false, partitionId, index, targetWord);
        }
        else if (state(targetWord) == WAITING && scheduler)
        {
            update = pack(RUNNING, MODEL_RUN, false, partitionId, index, targetWord);
        }
        else
        {
            // Only the scheduler may run an OFF context (digest 6.4), and here not even it: no process serves it.
            // An SP resumes only a PREEMPTED or BLOCKED SP (Hafnium's run checks), never one earlier in its own
            // call chain (digest 6.3, as a request); one BLOCKED for another is BUSY.
            final int targetState = state(targetWord);
            regs.error(targetState == ABORTED ? ErrorCode.ABORTED :
                targetState == WAITING || (!scheduler && (!EndpointId.isSecure(partitionId) ||
                targetState != BLOCKED && targetState != PREEMPTED || rules.isInCallChain(targetSlot, targetEc))) ?
                ErrorCode.DENIED : ErrorCode.BUSY);
            return;
        }
        if (outstandingTarget >= 0 && outstandingInterrupted)
        {
            // Our interrupted request's answer is still to come, and only FFA_RUN of its target collects
            // it: resume that first, as a direct request must (this run's yield or bound would take its record).
            regs.error(ErrorCode.BUSY);
            return;
        }
        // A scheduler's first FFA_RUN of this context adds our log to its inbox, which the driver may refuse.
        final int refused = transport.open(target, targetEc);
        if (refused != 0)
        {
            regs.error(refused);
            return;
        }
        // Blocked first: a target's word, once moved, cannot be put back without an ABA.
        final long before = block(false, target, targetEc);
        if (before == GIVEN_BACK)
        {
            regs.error(ErrorCode.ABORTED);
            return;
        }
        if (!controlFile.ecStateCompareAndSet(targetOffset, targetWord, update))
        {
            restoreRunning(before);
            // Taken meanwhile, or ABORTED as its partition's init failed (its own check, after ours above).
            final boolean aborted = state(controlFile.ecState(targetOffset)) == ABORTED;
            if (aborted && ours)
            {
                outstandingTarget = -1;
            }
            regs.error(aborted ? ErrorCode.ABORTED : ErrorCode.BUSY);
            return;
        }
        if (ours)
        {
            outstandingTarget = -1;
        }
        lastTargetOffset = targetOffset;
        lastTargetWord = update;
        lastTargetGeneration = targetGeneration;
        regs.clear().w(0, TrapProtocol.FABRIC_RESUME).w(1, RegisterFile.packTargetInfo(target, targetEc));
        transport.sendTo(target, targetEc, (int)lastTargetGeneration, regs);
        awaitCompletion(regs, target, targetEc, targetOffset, update, before, lastTargetGeneration, timeoutNs);
    }

    /**
     * Waits, BLOCKED, for the context we gave our cycles to: its response or error ends the
     * request; its FFA_YIELD, FFA_MSG_WAIT or our own timeout (FFA_INTERRUPT) gives the CPU back.
     * {@code targetGeneration} is the target's claim generation when the exchange began. The request
     * ends in ABORTED when the target goes, or says (in our lost-answer word) that the driver refused
     * the log its message back to us needed ({@link #loseAnswer}).
     */
    private void awaitCompletion(
        final RegisterFile regs, final int target, final int targetEc, final int targetOffset, final long installed,
        final long ownWord, final long targetGeneration, final long timeoutNs)
    {
        final int waited = waitForAnswer(regs, target, targetEc, targetOffset, installed, targetGeneration, timeoutNs);
        if (waited == ANSWER_ABORTED)
        {
            regs.error(ErrorCode.ABORTED);
            restoreRunning(ownWord);
            return;
        }
        if (waited == ANSWER_TIMED_OUT)
        {
            outstandingTarget = target;
            outstandingTargetEc = targetEc;
            outstandingTargetOffset = targetOffset;
            outstandingTargetWord = installed;
            outstandingTargetGeneration = targetGeneration;
            outstandingInterrupted = true;
            restoreRunning(ownWord);
            regs.clear().w(0, FunctionId.FFA_INTERRUPT).w(1, RegisterFile.packTargetInfo(target, targetEc));
            return;
        }
        if (regs.functionId() == FunctionId.FFA_YIELD)
        {
            // The target stored its own BLOCKED word; it waits for our FFA_RUN.
            outstandingTarget = target;
            outstandingTargetEc = targetEc;
            outstandingTargetGeneration = targetGeneration;
            outstandingInterrupted = false;
        }
        else
        {
            release(targetOffset, installed);
        }
        restoreRunning(ownWord);
    }

    private static final int ANSWERED = 0;
    private static final int ANSWER_ABORTED = 1;
    private static final int ANSWER_TIMED_OUT = 2;

    /**
     * The spin of {@link #awaitCompletion}, kept apart so that the JIT compiles the spin early (it
     * gets hot during the first long wait) without freezing the completion's rarely-run-yet code
     * into it as calls.
     */
    private int waitForAnswer(
        final RegisterFile regs, final int target, final int targetEc, final int targetOffset, final long installed,
        final long targetGeneration, final long timeoutNs)
    {
        final long deadline = deadline(System.nanoTime(), timeoutNs);
        int polls = 0;
        int stride = QUICK_CHECK_STRIDE;
        long lastCheckNs = 0;
        while (!takeFrom(regs, target, targetEc, (int)targetGeneration))
        {
            if (++polls >= stride)
            {
                polls = 0;
                final long nowNs = System.nanoTime();
                stride = checkStride(lastCheckNs, nowNs, stride);
                lastCheckNs = nowNs;
                final int targetState = state(controlFile.ecState(targetOffset));
                if (targetState == ABORTED || targetState == OFF ||
                    generationOf(controlFile.slotOf(target)) != targetGeneration ||
                    endpoint.isClosed())
                {
                    // Gone, or claimed again by a process that owes us nothing. An answer committed
                    // before the target went away is visible by now: take it. A note it left on the way
                    // names this exchange, which ends here, so it goes too.
                    takeLostAnswerNote(target, targetEc, installed);
                    return takeLastAnswer(regs, target, targetEc, targetGeneration) ? ANSWERED : ANSWER_ABORTED;
                }
                if (takeLostAnswerNote(target, targetEc, installed))
                {
                    // The target could not make its log to us: its one message of this exchange was never
                    // sent, and it is WAITING again (loseAnswer). Nothing is left to take.
                    return ANSWER_ABORTED;
                }
                if (nowNs >= deadline)
                {
                    return ANSWER_TIMED_OUT;
                }
            }
        }
        return ANSWERED;
    }

    /**
     * True, and the note taken, when the target's lost-answer note names this exchange. Taken, since
     * left it would name a later exchange once the target's 32-bit sequence comes round (2^31 round
     * trips), and end that one while its answer is on its way. Only the target of our one
     * outstanding exchange writes it.
     */
    private boolean takeLostAnswerNote(final int target, final int targetEc, final long installed)
    {
        if (controlFile.lostAnswer(stateOffset) != lostAnswer(target, targetEc, installed))
        {
            return false;
        }
        controlFile.lostAnswer(stateOffset, 0);
        return true;
    }

    /**
     * The last look for an answer from a target that has gone. Its answer, if it sent one, was
     * committed before it went; but the first message on a new publication reaches our inbox only
     * once our client's conductor has added its image, which it does on its own schedule (a target
     * that answers its first request and closes at once). The driver links such a log to our inbox
     * before the target can write to it, and keeps the link until we have read all it holds: so the
     * look goes on while the driver has the link and our client not yet its image, hurrying the
     * conductor each millisecond rather than leaving it to its 10 ms turns, of which a loaded machine
     * may give it too few. With no link, nothing was sent to us, and the look ends at once; so it does
     * once the partition manager has gone, as the fabric has with it.
     */
    private boolean takeLastAnswer(final RegisterFile regs, final int target, final int targetEc, final long targetGeneration)
    {
        final int generation = (int)targetGeneration;
        final long deadline = System.nanoTime() + LINKED_IMAGE_TIMEOUT_NS;
        long nextLookNs = 0;
        while (!takeFrom(regs, target, targetEc, generation))
        {
            if (transport.hasImageFrom(target, targetEc, generation))
            {
                // Added since that poll, perhaps: one more, of all it holds.
                return takeFrom(regs, target, targetEc, generation);
            }
            final long nowNs = System.nanoTime();
            if (nowNs >= nextLookNs)
            {
                // An embedded driver that died with the partition manager left its counters as they were.
                if (nowNs >= deadline || !transport.driverLinksLogFrom(target, targetEc, generation) ||
                    endpoint.isPartitionManagerGone())
                {
                    return takeFrom(regs, target, targetEc, generation);
                }
                endpoint.hurryConductor();
                nextLookNs = nowNs + IMAGE_HURRY_INTERVAL_NS;
            }
        }
        return true;
    }

    /** The claim generation of a slot: each claim of it has its own. */
    private long generationOf(final int slot)
    {
        return controlFile.claimGeneration(slot) & 0xFFFF_FFFFL;
    }

    /**
     * When a wait bounded by {@code timeoutNs} from {@code nowNs} runs out: never for 0, nor for a bound
     * past the clock's range (Long.MAX_VALUE, say), whose sum would overflow to a time long past.
     */
    static long deadline(final long nowNs, final long timeoutNs)
    {
        final long deadline = nowNs + timeoutNs;
        return timeoutNs <= 0 || deadline < nowNs ? Long.MAX_VALUE : deadline;
    }

    /** The polls until a wait's next check, from how long the last stride took. */
    private static int checkStride(final long lastCheckNs, final long nowNs, final int stride)
    {
        return lastCheckNs != 0 && nowNs - lastCheckNs > stride * SLOW_POLL_NS ? 1 : QUICK_CHECK_STRIDE;
    }

    /**
     * Back to exactly the word this context had before it blocked (serving its own requester,
     * say), so that requester's {@link #release} still finds the word it installed.
     */
    private void restoreRunning(final long before)
    {
        transition(before);
    }

    /**
     * Waits, WAITING (or BLOCKED after a yield), for the next request or FFA_RUN; a timeout returns
     * FFA_INTERRUPT. When {@code serving}, a direct request is served in place by the handler
     * that {@link #serveDirectRequest} installed and true is returned; anything else arrives in
     * {@code regs} as FFA_MSG_WAIT returns it.
     */
    private boolean awaitMessage(
        final RegisterFile regs, final long timeoutNs, final boolean serving, final boolean interruptOnTimeout)
    {
        // The clock is first read at the first liveness check: a message that is already there
        // (the common case when serving) costs no clock read at all.
        long deadline = 0;
        long nextPeerCheckNs = 0;
        int polls = 0;
        int stride = QUICK_CHECK_STRIDE;
        long lastCheckNs = 0;
        while (true)
        {
            while (true)
            {
                if (serving)
                {
                    final int received = transport.pollInPlace(servingReceiver, regs);
                    if (received == ContextTransport.HANDLED)
                    {
                        return true;
                    }
                    if (received == ContextTransport.COPIED && !keptForLater(regs))
                    {
                        break;
                    }
                }
                else if (transport.poll(regs) && !keptForLater(regs))
                {
                    break;
                }
                if (++polls < stride)
                {
                    continue;
                }
                polls = 0;
                if (endpoint.isAborted() && abortWithPartition(regs))
                {
                    return false;
                }
                final long nowNs = System.nanoTime();
                stride = checkStride(lastCheckNs, nowNs, stride);
                lastCheckNs = nowNs;
                if (deadline == 0)
                {
                    deadline = deadline(nowNs, timeoutNs);
                    // The first check comes right after an answer, where the requester's release is on its way.
                    nextPeerCheckNs = nowNs + PEER_CHECK_NS;
                }
                if (nowNs >= nextPeerCheckNs)
                {
                    nextPeerCheckNs = nowNs + PEER_CHECK_NS;
                    if (state(word) == WAITING)
                    {
                        // Our answer is still not taken a while later (its requester's wait was interrupted
                        // by its bound, and it has not called since): we are WAITING from the answer on,
                        // as the spec has it, so store the word its release would and let others in.
                        releaseOnBehalf();
                    }
                    if (lastPeerId >= 0 && (state(word) == WAITING || yielded(word)) &&
                        !endpoint.isClaimed(lastPeerId, peerGeneration))
                    {
                        lastPeerId = -1;
                        if (yielded(word))
                        {
                            if (abandonYield(regs))
                            {
                                return false;
                            }
                        }
                        else
                        {
                            // The claim we last ran for has ended (it closed once its call returned,
                            // say) without releasing us, and it never will.
                            releaseOnBehalf();
                        }
                    }
                    else if (yielded(word) && isAborted(peerId(word), peerEc(word)) && abandonYield(regs))
                    {
                        // We yielded to an SP whose init then failed: it never runs again, so nor does its FFA_RUN.
                        return false;
                    }
                }
                if (nowNs >= deadline || endpoint.isClosed())
                {
                    final boolean closing = endpoint.isClosed();
                    final long current = releaseOnBehalf();
                    if (!closing && !interruptOnTimeout)
                    {
                        if (state(current) == WAITING)
                        {
                            regs.clear();
                            return false;
                        }
                        // A requester won its compare-and-set: its message is on its way, so keep waiting for it.
                        continue;
                    }
                    if (leaveWaiting(current, closing ? MODEL_NONE : MODEL_INTERRUPT))
                    {
                        regs.clear().w(0, FunctionId.FFA_INTERRUPT).w(1, RegisterFile.packTargetInfo(partitionId, index));
                        if (closing)
                        {
                            regs.error(ErrorCode.ABORTED);
                        }
                        return false;
                    }
                    if (closing && state(current) != WAITING)
                    {
                        regs.error(ErrorCode.ABORTED);
                        return false;
                    }
                    // A requester won the compare-and-set: its message is on its way, so keep waiting for it.
                }
            }
            // Mirror the peer's compare-and-set: the message says exactly what it wrote.
            final int sender = transport.senderId();
            final int senderEc = transport.senderEc();
            rememberSender();
            final int functionId = regs.functionId();
            if (functionId == TrapProtocol.FABRIC_RESUME)
            {
                word = pack(RUNNING, state(word) == WAITING ? MODEL_RUN : model(word), false, sender, senderEc, word);
                regs.clear().w(0, FunctionId.FFA_RUN).w(1, RegisterFile.packTargetInfo(partitionId, index));
            }
            else
            {
                word = pack(RUNNING, acceptRequest(functionId, regs.w(2)), false, sender, senderEc, word);
                controlFile.countOrdered(requestsReceivedCounter);
            }
            assert isMirrored() : "state mirror " + describe(word) + " != " + describe(controlFile.ecState(stateOffset));
            if (endpoint.isAborted())
            {
                // Taken before this context's word went ABORTED, it arrives after: answered as one would be now.
                giveBack(regs.error(ErrorCode.ABORTED), word);
                if (abortWithPartition(regs))
                {
                    return false;
                }
                continue;
            }
            return false;
        }
    }

    /**
     * WAITING to RUNNING in {@code model} by compare-and-set from {@code current}, the table's word after
     * {@link #releaseOnBehalf}; false when a requester (or a scheduler) took the context first.
     */
    private boolean leaveWaiting(final long current, final int model)
    {
        final long update = pack(RUNNING, model, false, 0, 0, current);
        if (state(current) == WAITING && controlFile.ecStateCompareAndSet(stateOffset, current, update))
        {
            word = update;
            return true;
        }
        return false;
    }

    /**
     * For a serving loop that stops: a waiting context leaves FFA_MSG_WAIT now, as when a bound runs out
     * (RUNNING in the interrupt model), before any later request can take it. False when a requester or a
     * scheduler took it first: serve that with {@link #serveDirectRequest}, then leave again. True on a
     * context not waiting, on a closed endpoint, and on a context another thread is inside a call on
     * (touching nothing).
     */
    boolean leaveWait()
    {
        if (!enter())
        {
            // Another thread is inside a call on this context: its wait is not the serving loop's to end.
            return true;
        }
        try
        {
            return endpoint.isClosed() || state(word) != WAITING || leaveWaiting(releaseOnBehalf(), MODEL_INTERRUPT);
        }
        finally
        {
            exit();
        }
    }

    /** The sender of the message just accepted is whose cycles we now run. */
    private void rememberSender()
    {
        lastPeerId = transport.senderId();
        peerGeneration = transport.senderGeneration();
        if (migrates)
        {
            cpu = transport.senderCpu();
            transport.cpu(cpu);
        }
    }

    /**
     * We yielded to a claim that has ended, or to a context whose init failed: no FFA_RUN of it will come,
     * and a new claim of the same partition owes nothing to this request. Unless that new claim's FFA_RUN got here first, the
     * context runs on by itself and FFA_YIELD returns ABORTED; its answer, when it comes, goes
     * nowhere, and the context gives itself back as for any ended claim.
     */
    private boolean abandonYield(final RegisterFile regs)
    {
        final long current = controlFile.ecState(stateOffset);
        final long resumed = pack(RUNNING, model(word), false, peerId(word), peerEc(word), current);
        if ((int)current != (int)word || !controlFile.ecStateCompareAndSet(stateOffset, current, resumed))
        {
            return false;
        }
        word = resumed;
        lastPeerId = peerId(word);
        regs.error(ErrorCode.ABORTED);
        return true;
    }

    /** True when that context's word is ABORTED: its init failed, or its process died. */
    private boolean isAborted(final int partitionId, final int ec)
    {
        final int peerSlot = controlFile.slotOf(partitionId);
        return peerSlot >= 0 && state(controlFile.ecState(controlFile.ecStateOffset(peerSlot, ec))) == ABORTED;
    }

    /**
     * Off the hot path: the real word, after releasing it on our last requester's behalf when that
     * requester has not taken our answer (its own wait was interrupted, say, or its claim ended),
     * to the very word its release would store, so that one simply fails. When our compare-and-set
     * fails, the requester's release (or a new requester after it) got there between the read and
     * the compare-and-set: the word is read again, never the stale one returned.
     */
    private long releaseOnBehalf()
    {
        final long current = controlFile.ecState(stateOffset);
        // Only a requester's (or scheduler's) RUNNING word is released: never an ABORTED one of the same sequence.
        if (state(current) == RUNNING && state(word) == WAITING && waitingAfter(current) == word)
        {
            return controlFile.ecStateCompareAndSet(stateOffset, current, word) ? word : controlFile.ecState(stateOffset);
        }
        return current;
    }

    /**
     * The state word mirror matches the table, all but the sequence, which may differ after the
     * partition manager reset us for a dead peer. So may the rest, when the sender's claim is over
     * by now: the partition manager gives back the contexts a closed or dead requester held, and
     * its request may still have been waiting in our inbox (it is served, its answer dropped); or when
     * no claimed context has its session, which only something writing its own messages can use.
     */
    private boolean isMirrored()
    {
        return (int)word == (int)controlFile.ecState(stateOffset) ||
            !endpoint.isClaimed(transport.senderId(), transport.senderEc(), transport.senderGeneration());
    }

    /**
     * A waiting context takes only requests and FFA_RUN. Anything else, the late answer to a
     * request of ours that was interrupted (by its bound) or yielded, is kept for the FFA_RUN that
     * collects it, as {@link #takeFrom} does, and the wait goes on; so it does after refusing a
     * request whose w1 does not name its ends.
     */
    private boolean keptForLater(final RegisterFile regs)
    {
        final int functionId = regs.functionId();
        if (FunctionId.isDirectRequest(functionId))
        {
            if (namesItsEnds(regs.w(1)))
            {
                return false;
            }
            refuseRequest(regs);
            return true;
        }
        if (functionId == TrapProtocol.FABRIC_RESUME)
        {
            return false;
        }
        transport.stash(regs);
        releaseIfLateAnswer(regs);
        return true;
    }

    /**
     * True when a request's w1 names the partition its session does as sender, another than ours, and us
     * as receiver. The requester's runtime checks all three before it sends, so only a message written by
     * hand fails: its handler, reading the sender from w1, would take it for another partition's than the
     * one answered, and an answer to ourselves is refused.
     */
    private boolean namesItsEnds(final int ids)
    {
        final int sender = transport.senderId();
        return ids == RegisterFile.packIds(sender, partitionId) && sender != partitionId;
    }

    /**
     * FFA_ERROR(INVALID_PARAMETERS) to the context whose session sent a request naming other ends, as the
     * spec's SPMC refuses a caller that names another ID. Our word is left alone: a requester that took it
     * releases it on this answer, as on any, and a sender that did not take it never moved it.
     */
    private void refuseRequest(final RegisterFile regs)
    {
        transport.sendTo(transport.senderId(), transport.senderEc(), transport.senderGeneration(),
            regs.error(ErrorCode.INVALID_PARAMETERS));
    }

    /** The stashed message is the late answer to our interrupted request: its target is free now. */
    private void releaseIfLateAnswer(final RegisterFile regs)
    {
        if (outstandingInterrupted && transport.senderId() == outstandingTarget &&
            transport.senderEc() == outstandingTargetEc && regs.functionId() != FunctionId.FFA_YIELD)
        {
            release(outstandingTargetOffset, outstandingTargetWord);
        }
    }

    // Buffers.

    /**
     * FFA_RX_RELEASE: the owner's compare-and-set back to the producer, no trap (an unmap between a check
     * and a plain store would let the store take RX from its next owner). w1 [15:0] names a VM only for
     * the hypervisor.
     */
    private void rxRelease(final RegisterFile regs)
    {
        final int vmId = regs.w(1) & 0xFFFF;
        if ((regs.w(1) & 0xFFFF_0000) != 0 || (vmId != 0 && partitionId != EndpointId.HYPERVISOR))
        {
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        final int rxSlot = vmId != 0 ? controlFile.slotOf(vmId) : slot;
        if (rxSlot < 0 || (vmId != 0 && controlFile.world(rxSlot) != World.VM))
        {
            // The hypervisor names a VM: any other ID is an unknown VM (reference 6.1, Hafnium).
            regs.error(ErrorCode.INVALID_PARAMETERS);
            return;
        }
        final int ownedBy = vmId != 0 ? BufferOwnership.HYPERVISOR : BufferOwnership.CONSUMER;
        if (!controlFile.releaseRx(rxSlot, ownedBy))
        {
            regs.error(ErrorCode.DENIED);
            return;
        }
        regs.success();
    }

    // Trap to the partition manager.

    private void trap(final RegisterFile regs)
    {
        if (!transport.sendToPartitionManager(regs))
        {
            regs.error(ErrorCode.ABORTED);
            return;
        }
        final int pm = TrapProtocol.partitionIdOf(TrapProtocol.PM_SESSION_ID);
        final int pmEc = TrapProtocol.ecOf(TrapProtocol.PM_SESSION_ID);
        int polls = 0;
        while (!takeFrom(regs, pm, pmEc, ContextTransport.ANY_CLAIM))
        {
            if (++polls < QUICK_CHECK_STRIDE)
            {
                continue;
            }
            polls = 0;
            if (endpoint.isClosed() || !transport.isPartitionManagerConnected())
            {
                // A reply sent before the partition manager went away is visible by now: take it.
                if (!takeFrom(regs, pm, pmEc, ContextTransport.ANY_CLAIM))
                {
                    regs.error(ErrorCode.ABORTED);
                }
                return;
            }
        }
    }

    /** Used by the endpoint while claiming: sends FABRIC_CLAIM; false when it could not be sent. */
    boolean sendClaim(final RegisterFile regs)
    {
        return transport.sendToPartitionManager(regs);
    }

    /**
     * Used by the endpoint while claiming: one look, never idling, for the partition manager's answer
     * to {@link #sendClaim} of claim {@code generation} (the endpoint waits for every context's at once).
     * True once it is in {@code regs}: FFA_SUCCESS once bound. A refusal comes in the control file
     * instead, as the manager may have no log to answer on. Any other reply of the manager's is an
     * earlier claim's, left unread in the reply log this claim reuses (256 generations on): dropped.
     */
    boolean takeClaimAnswer(final RegisterFile regs, final int generation)
    {
        if (!transport.pollOnce(regs))
        {
            return false;
        }
        if (transport.senderId() != TrapProtocol.partitionIdOf(TrapProtocol.PM_SESSION_ID) ||
            transport.senderEc() != TrapProtocol.ecOf(TrapProtocol.PM_SESSION_ID))
        {
            // No peer sends to a context before it is bound; kept for whoever waits for its sender, as takeFrom does.
            transport.stash(regs);
            return false;
        }
        if (!regs.isSuccess() || regs.w(1) != TrapProtocol.FABRIC_CLAIM || regs.w(2) != generation)
        {
            return false;
        }
        // The partition manager set this context RUNNING when it accepted the claim.
        word = controlFile.ecState(stateOffset);
        return true;
    }

    /** The length of one of this context's logs, as the driver makes them: three terms and a page. */
    long logLength()
    {
        return transport.logLength();
    }

    void release()
    {
        final RegisterFile regs = new RegisterFile();
        regs.w(0, TrapProtocol.FABRIC_RELEASE);
        transport.sendToPartitionManager(regs);
    }

    // Waiting for one sender.

    /**
     * Waits for a message from one sender. Another sender's message is stashed by the transport;
     * when it is the late completion of our interrupted request, its target is released now
     * rather than left waiting on us until the FFA_RUN that collects it.
     */
    private boolean takeFrom(final RegisterFile regs, final int senderId, final int senderEc, final int senderGeneration)
    {
        final int taken = transport.takeFrom(regs, senderId, senderEc, senderGeneration);
        if (taken == ContextTransport.STASHED)
        {
            releaseIfLateAnswer(regs);
        }
        return taken == ContextTransport.TAKEN;
    }
}
