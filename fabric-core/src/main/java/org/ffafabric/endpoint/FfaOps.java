package org.ffafabric.endpoint;

import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.FfaException;
import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.FfaUuid;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.abi.descriptor.PartitionInfoDescriptor;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.memory.EndpointMemory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Typed FF-A calls shaped like Linux's {@code ffa_ops}: every method packs registers, calls
 * {@link ExecutionContext#invoke}, and turns FFA_ERROR into {@link FfaException}. Nothing
 * here bypasses the register path. A call that packs this instance's own registers holds the
 * context from packing to reading the answer: another thread's call on the context meanwhile
 * throws BUSY, as invoke answers it, and leaves the first call's registers alone. A bound
 * ({@code timeoutNs}) is 0 for none; a negative one, a budget spent by the time of the call, is
 * refused with {@link IllegalArgumentException}, where invoke would take it for none.
 */
public final class FfaOps
{
    private final ExecutionContext ec;
    private final RegisterFile regs = new RegisterFile();
    private final PartitionInfoDescriptor infoDescriptor = new PartitionInfoDescriptor();

    FfaOps(final ExecutionContext ec)
    {
        this.ec = ec;
    }

    public ExecutionContext executionContext()
    {
        return ec;
    }

    /** FFA_VERSION: negotiates {@code requested}; returns the fabric's version. */
    public int version(final int requested)
    {
        enter("FFA_VERSION");
        try
        {
            regs.clear().w(0, FunctionId.FFA_VERSION).w(1, requested);
            ec.invoke(regs);
            if (regs.w(0) == FfaVersion.NOT_SUPPORTED)
            {
                throw new FfaException(org.ffafabric.abi.ErrorCode.NOT_SUPPORTED, "FFA_VERSION");
            }
            if (regs.w(0) == FunctionId.FFA_ERROR)
            {
                // FFA_VERSION answers a version, never FFA_ERROR: this is a call after the endpoint closed.
                throw new FfaException(regs.w(2), "FFA_VERSION");
            }
            return regs.w(0);
        }
        finally
        {
            ec.exitTypedCall();
        }
    }

    /** FFA_ID_GET. */
    public int id()
    {
        enter("FFA_ID_GET");
        try
        {
            call(FunctionId.FFA_ID_GET);
            return regs.w(2) & 0xFFFF;
        }
        finally
        {
            ec.exitTypedCall();
        }
    }

    /**
     * FFA_FEATURES: true when the function or feature is implemented for this caller, false when
     * the answer is NOT_SUPPORTED; any other error (ABORTED once the endpoint has closed) throws.
     */
    public boolean features(final int functionOrFeatureId)
    {
        enter("FFA_FEATURES");
        try
        {
            regs.clear().w(0, FunctionId.FFA_FEATURES).w(1, functionOrFeatureId);
            ec.invoke(regs);
            if (regs.isError() && regs.errorCode() != org.ffafabric.abi.ErrorCode.NOT_SUPPORTED)
            {
                throw new FfaException(regs.errorCode(), "FFA_FEATURES");
            }
            return regs.isSuccess();
        }
        finally
        {
            ec.exitTypedCall();
        }
    }

    /**
     * FFA_RXTX_MAP with both buffers in this endpoint's memory, in the partition's native width as Linux's
     * driver: the SMC64 form, or the SMC32 one for a partition in AArch32 state, whose addresses must then
     * fit in 32 bits ({@link IllegalArgumentException} otherwise). It takes its turn with the partition's
     * other contexts' {@link #partitionInfo} (Linux's driver maps under its locks), so a read in progress
     * never finds its RX moved elsewhere.
     */
    public void rxtxMap(final long txAddress, final long rxAddress, final int pageCount)
    {
        final Endpoint endpoint = ec.endpoint();
        final boolean smc64 = endpoint.controlFile().isAarch64(endpoint.slot());
        final String call = smc64 ? "FFA_RXTX_MAP_64" : "FFA_RXTX_MAP_32";
        if (!smc64 && ((txAddress | rxAddress) >>> 32) != 0)
        {
            throw new IllegalArgumentException(String.format(
                "%s of 0x%x and 0x%x: partition %s runs in AArch32 state and cannot name addresses above 4 GiB",
                call, txAddress, rxAddress, endpoint.name()));
        }
        synchronized (endpoint.rxLock())
        {
            enter(call);
            try
            {
                regs.clear().w(0, smc64 ? FunctionId.FFA_RXTX_MAP_64 : FunctionId.FFA_RXTX_MAP_32)
                    .x(1, txAddress).x(2, rxAddress).w(3, pageCount);
                invokeChecked(call);
            }
            finally
            {
                ec.exitTypedCall();
            }
        }
    }

    /**
     * FFA_RXTX_UNMAP of this endpoint's own buffers, in turn with {@link #partitionInfo} as {@link #rxtxMap}:
     * an unmap takes RX back from whoever holds it, so it waits for a read in progress to release it.
     */
    public void rxtxUnmap()
    {
        synchronized (ec.endpoint().rxLock())
        {
            enteredCall(FunctionId.FFA_RXTX_UNMAP);
        }
    }

    /** FFA_RX_RELEASE. */
    public void rxRelease()
    {
        enteredCall(FunctionId.FFA_RX_RELEASE);
    }

    /**
     * FFA_PARTITION_INFO_GET, decoded from RX and released again (Linux's partition_info_get).
     * A null or Nil UUID lists every partition this caller may see. The descriptors come in RX:
     * map the buffers with {@link #rxtxMap} first (Linux's driver does at init), else BUSY. The
     * partition's contexts take turns from the call to the release, as Linux's callers do under its
     * RX lock, so a context asking while another reads waits rather than fails BUSY (a raw
     * PARTITION_INFO_GET through {@link ExecutionContext#invoke} still answers BUSY meanwhile).
     */
    public List<PartitionInfo> partitionInfo(final UUID uuid)
    {
        synchronized (ec.endpoint().rxLock())
        {
            // Held to the release: a close waits for the read of RX, which it would unmap.
            enter("FFA_PARTITION_INFO_GET");
            try
            {
                return partitionInfoWhileHoldingRxLock(uuid);
            }
            finally
            {
                ec.exitTypedCall();
            }
        }
    }

    private List<PartitionInfo> partitionInfoWhileHoldingRxLock(final UUID uuid)
    {
        regs.clear().w(0, FunctionId.FFA_PARTITION_INFO_GET);
        if (uuid != null)
        {
            regs.uuidWords(1, uuid);
        }
        ec.invoke(regs);
        final ControlFile controlFile = ec.endpoint().controlFile();
        final int slot = ec.endpoint().slot();
        if (regs.isError())
        {
            // BUSY is also the spec's answer to a caller with no RX buffer, which Linux's driver never is.
            throw regs.errorCode() == org.ffafabric.abi.ErrorCode.BUSY && !controlFile.rxtxMapped(slot) ?
                new FfaException(regs.errorCode(), "FFA_PARTITION_INFO_GET",
                "no RX/TX buffers are mapped: rxtxMap them first (partitionCount needs none)") :
                new FfaException(regs.errorCode(), "FFA_PARTITION_INFO_GET");
        }
        final int count = regs.w(2);
        final int version = controlFile.negotiatedVersion(slot);
        final int size = regs.w(3) != 0 ? regs.w(3) : PartitionInfoDescriptor.length(version);
        // RX is ours from the answer on: it goes back whatever the decoding does, as Linux releases it.
        try
        {
            final EndpointMemory memory = ec.endpoint().memory();
            final UnsafeBuffer buffer = memory.buffer();
            int offset = memory.offsetOf(controlFile.rxAddress(slot));
            final List<PartitionInfo> result = new ArrayList<>(count);
            for (int i = 0; i < count; i++, offset += size)
            {
                infoDescriptor.wrap(buffer, offset, size, version);
                final UUID id = PartitionInfoDescriptor.hasUuid(version) && (infoDescriptor.uuidLo() != 0 ||
                    infoDescriptor.uuidHi() != 0) ? FfaUuid.fromWords(infoDescriptor.uuidLo(), infoDescriptor.uuidHi()) : null;
                result.add(new PartitionInfo(infoDescriptor.partitionId(), infoDescriptor.executionContextCount(),
                    infoDescriptor.properties(), id));
            }
            return result;
        }
        finally
        {
            rxRelease();
        }
    }

    /**
     * FFA_PARTITION_INFO_GET with the count-only flag: touches no buffer. The flag exists from v1.1:
     * an endpoint at v1.0 gets INVALID_PARAMETERS, and counts with {@link #partitionInfo} instead.
     */
    public int partitionCount(final UUID uuid)
    {
        enter("FFA_PARTITION_INFO_GET");
        try
        {
            regs.clear().w(0, FunctionId.FFA_PARTITION_INFO_GET).w(5, 1);
            if (uuid != null)
            {
                regs.uuidWords(1, uuid);
            }
            invokeChecked("FFA_PARTITION_INFO_GET");
            return regs.w(2);
        }
        finally
        {
            ec.exitTypedCall();
        }
    }

    /**
     * FFA_MSG_SEND_DIRECT_REQ_64 to {@code target} with {@code message}'s payload, or REQ_32 when
     * the message is reset to REQ_32 or holds the RESP_32 that answered one, or is fresh (w0 = 0) and
     * either end runs in AArch32 state, as Linux's driver picks (payload words are then w registers, their
     * upper halves dropped); the response's registers replace the message's. The message must be laid out
     * for REQ (reset to a REQ, holding a RESP, or fresh): one laid out for REQ2 has its payload from
     * x4, one word off, and is refused with {@link IllegalArgumentException}. Loops on FFA_YIELD/FFA_INTERRUPT with
     * FFA_RUN like Linux's driver (holding the context inside each call, not between them: another thread's
     * FFA_RUN there would collect the response), unless {@code timeoutNs} (0 = none) runs out, which
     * throws INTERRUPTED with the request still pending: resume it with
     * {@link #run(int, int, DirectMessage, long)} of the context the message's w1 and the exception
     * name (a multi-context target's context N serves the caller's CPU N), which puts the response
     * in the message. Until then another request from this context is BUSY. The registers are the
     * SMC's: on FFA_ERROR the message holds FFA_ERROR and the request is gone (Linux leaves its data
     * as it was), so a retry after BUSY resets it and sets its payload again.
     */
    public DirectMessage sendDirect(final int target, final DirectMessage message, final long timeoutNs)
    {
        if (message.isReq2())
        {
            throw new IllegalArgumentException("sendDirect of a message laid out for REQ2/RESP2 (payload from x4): " +
                "reset(FFA_MSG_SEND_DIRECT_REQ_64) before setting its payload");
        }
        final RegisterFile r = message.registers();
        final int held = r.functionId();
        final boolean smc32 = held == FunctionId.FFA_MSG_SEND_DIRECT_REQ_32 ||
            held == FunctionId.FFA_MSG_SEND_DIRECT_RESP_32 || (held == 0 && !bothInAarch64(target));
        r.w(0, smc32 ? FunctionId.FFA_MSG_SEND_DIRECT_REQ_32 : FunctionId.FFA_MSG_SEND_DIRECT_REQ_64)
            .w(1, RegisterFile.packIds(ec.partitionId(), target)).x(2, 0);
        return complete(target, message, timeoutNs, smc32 ? "FFA_MSG_SEND_DIRECT_REQ_32" : "FFA_MSG_SEND_DIRECT_REQ_64");
    }

    /** Linux's choice of width for a direct message: SMC32 unless both ends run in AArch64 state. */
    private boolean bothInAarch64(final int target)
    {
        final ControlFile controlFile = ec.endpoint().controlFile();
        final int targetSlot = controlFile.slotOf(target);
        // An unknown target is refused whatever the width.
        return controlFile.isAarch64(ec.endpoint().slot()) && (targetSlot < 0 || controlFile.isAarch64(targetSlot));
    }

    public DirectMessage sendDirect(final int target, final DirectMessage message)
    {
        return sendDirect(target, message, 0);
    }

    /**
     * FFA_MSG_SEND_DIRECT_REQ2 to {@code target}'s service {@code uuid} (null: its default), as
     * {@link #sendDirect} otherwise. The message must be laid out for REQ2 (reset to REQ2, or holding
     * a RESP2): one laid out for REQ has its payload from x3, which REQ2 uses for the UUID, and is
     * refused with {@link IllegalArgumentException}.
     */
    public DirectMessage sendDirect2(final int target, final UUID uuid, final DirectMessage message, final long timeoutNs)
    {
        if (!message.isReq2())
        {
            throw new IllegalArgumentException("sendDirect2 of a message laid out for REQ/RESP (payload from x3, " +
                "where REQ2 puts the UUID): reset(FFA_MSG_SEND_DIRECT_REQ2) before setting its payload");
        }
        final RegisterFile r = message.registers();
        r.w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ2).w(1, RegisterFile.packIds(ec.partitionId(), target));
        if (uuid != null)
        {
            r.uuidPair(2, uuid);
        }
        else
        {
            r.x(2, 0).x(3, 0);
        }
        return complete(target, message, timeoutNs, "FFA_MSG_SEND_DIRECT_REQ2");
    }

    public DirectMessage sendDirect2(final int target, final UUID uuid, final DirectMessage message)
    {
        return sendDirect2(target, uuid, message, 0);
    }

    private DirectMessage complete(final int target, final DirectMessage message, final long timeoutNs, final String call)
    {
        requireBound(timeoutNs, call);
        final RegisterFile r = message.registers();
        final long deadline = ExecutionContext.deadline(System.nanoTime(), timeoutNs);
        ec.invoke(r, timeoutNs);
        while (r.functionId() == FunctionId.FFA_YIELD || r.functionId() == FunctionId.FFA_INTERRUPT)
        {
            final long remaining = deadline - System.nanoTime();
            final int targetInfo = r.w(1);
            if (timeoutNs > 0 && remaining <= 0)
            {
                // Only FFA_RUN of that one context collects it: any other is INVALID_PARAMETERS, a new request BUSY.
                throw new FfaException(org.ffafabric.abi.ErrorCode.INTERRUPTED, call, stillPending(targetInfo));
            }
            r.clear().w(0, FunctionId.FFA_RUN).w(1, targetInfo);
            ec.invoke(r, timeoutNs > 0 ? remaining : 0);
        }
        if (r.isError())
        {
            throw requestFailed(r.errorCode(), target, call);
        }
        return message;
    }

    /**
     * A request's FFA_ERROR. BUSY is the spec's answer for a target context that is not waiting, whatever
     * the reason: when it is this context's own request still pending, or no process has claimed the
     * target (as ffa send says it), that is said; so is ABORTED from a target whose process died.
     */
    private FfaException requestFailed(final int errorCode, final int target, final String call)
    {
        String cause = null;
        // The send holds its context only inside each call: hold it again to read what the cause needs,
        // so that a close waits for the reads or they see the close (the control file may be unmapped).
        // Another thread inside a call on it meanwhile: the error goes without a cause.
        if (ec.enterTypedCall())
        {
            try
            {
                if (!ec.endpoint().isClosed())
                {
                    final long pending = errorCode == org.ffafabric.abi.ErrorCode.BUSY ? ec.pendingRequestTargetInfo() : -1;
                    cause = pending >= 0 ? stillPending((int)pending) : unclaimedCause(errorCode, ec.endpoint().controlFile(), target);
                }
            }
            finally
            {
                ec.exitTypedCall();
            }
        }
        return cause != null ? new FfaException(errorCode, call, cause) : new FfaException(errorCode, call);
    }

    /** Says which FFA_RUN collects the request pending on the target context {@code targetInfo} names. */
    private static String stillPending(final int targetInfo)
    {
        final String target = EndpointId.toString(RegisterFile.senderOf(targetInfo));
        final int vcpu = RegisterFile.receiverOf(targetInfo);
        return "the request to " + target + " context " + vcpu + " is still pending: collect its response with run(" +
            target + ", " + vcpu + ", message, timeoutNs)";
    }

    /**
     * Why a direct request to {@code target} was answered {@code errorCode}, when the fabric can tell more
     * than the spec's code: BUSY or ABORTED from a partition no process has claimed, said to be from a
     * process that died when the manager left a context of it ABORTED (a close leaves them OFF). Null otherwise.
     */
    public static String unclaimedCause(final int errorCode, final ControlFile controlFile, final int target)
    {
        return unclaimedCause(errorCode, controlFile, target, EndpointId.toString(target));
    }

    /** As {@link #unclaimedCause(int, ControlFile, int)}, naming the target as {@code label} ("echo-sp (0x8001)"). */
    public static String unclaimedCause(final int errorCode, final ControlFile controlFile, final int target, final String label)
    {
        final int slot = controlFile.slotOf(target);
        if (slot < 0 || controlFile.claimPid(slot) != 0 ||
            (errorCode != org.ffafabric.abi.ErrorCode.BUSY && errorCode != org.ffafabric.abi.ErrorCode.ABORTED))
        {
            return null;
        }
        for (int ec = 0; ec < controlFile.executionContextCount(slot); ec++)
        {
            if (ExecutionContextState.state(controlFile.ecState(controlFile.ecStateOffset(slot, ec))) ==
                ExecutionContextState.ABORTED)
            {
                return label + " is not claimed: the process that claimed it died, and none has claimed it since";
            }
        }
        return label + " is not claimed: no partition process serves it";
    }

    /**
     * FFA_RUN of {@code target}'s context {@code vcpu}; returns how the target gave the CPU back. Giving
     * cycles to a waiting context is the scheduler's (the hypervisor endpoint); others resume their own.
     * The registers the target gave back are not kept: to resume a direct request and read its
     * response, use {@link #run(int, int, DirectMessage, long)}.
     */
    public int run(final int target, final int vcpu)
    {
        enter("FFA_RUN");
        try
        {
            return run(target, vcpu, regs, 0);
        }
        finally
        {
            ec.exitTypedCall();
        }
    }

    /**
     * FFA_RUN of {@code target}'s context {@code vcpu} with the registers it gives back landing in
     * {@code message}: the response to a request of ours that timed out or yielded (DIRECT_RESP or
     * RESP2), or FFA_YIELD / FFA_INTERRUPT (run again), or FFA_MSG_WAIT. Returns that function ID;
     * FFA_ERROR throws. {@code timeoutNs} (0 = none) bounds the wait, which then returns FFA_INTERRUPT.
     */
    public int run(final int target, final int vcpu, final DirectMessage message, final long timeoutNs)
    {
        requireBound(timeoutNs, "FFA_RUN");
        return run(target, vcpu, message.registers(), timeoutNs);
    }

    private int run(final int target, final int vcpu, final RegisterFile r, final long timeoutNs)
    {
        r.clear().w(0, FunctionId.FFA_RUN).w(1, RegisterFile.packTargetInfo(target, vcpu));
        ec.invoke(r, timeoutNs);
        if (r.isError())
        {
            throw new FfaException(r.errorCode(), "FFA_RUN");
        }
        return r.functionId();
    }

    /**
     * FFA_YIELD: gives the cycles back to whoever lent them; returns when resumed with FFA_RUN. Before
     * v1.2 only cycles FFA_RUN lent may be yielded (DENIED while serving a request), and at v1.0 the
     * timeout hint must be 0.
     */
    public void yieldCycles(final long timeoutHintNs)
    {
        enter("FFA_YIELD");
        try
        {
            regs.clear().w(0, FunctionId.FFA_YIELD).w(2, (int)timeoutHintNs).w(3, (int)(timeoutHintNs >>> 32));
            invokeChecked("FFA_YIELD");
        }
        finally
        {
            ec.exitTypedCall();
        }
    }

    /**
     * FFA_MSG_WAIT: waits for the next message; its registers land in {@code message}.
     * With a timeout the wait can end in FFA_INTERRUPT instead. A direct request it returns is
     * answered with DIRECT_RESP through {@link ExecutionContext#invoke}, which FfaOps does not wrap
     * ({@link Endpoint#serve} answers in place instead).
     */
    public DirectMessage msgWait(final DirectMessage message, final long timeoutNs)
    {
        requireBound(timeoutNs, "FFA_MSG_WAIT");
        message.registers().clear().w(0, FunctionId.FFA_MSG_WAIT);
        ec.invoke(message.registers(), timeoutNs);
        if (message.registers().isError())
        {
            throw new FfaException(message.registers().errorCode(), "FFA_MSG_WAIT");
        }
        return message;
    }

    /** Refuses a negative bound, which invoke would wait out for ever, before the call is made. */
    private static void requireBound(final long timeoutNs, final String call)
    {
        if (timeoutNs < 0)
        {
            throw new IllegalArgumentException(call + " bounded by " + timeoutNs + " ns: a bound is 0 (none) or more");
        }
    }

    /** Holds the context for a call that packs and reads {@link #regs}; refused as invoke refuses another thread. */
    private void enter(final String call)
    {
        if (!ec.enterTypedCall())
        {
            throw new FfaException(ec.refusal(), call);
        }
    }

    /** {@link #call} holding the context. */
    private void enteredCall(final int functionId)
    {
        final String name = FunctionId.describe(functionId);
        enter(name);
        try
        {
            regs.clear().w(0, functionId);
            invokeChecked(name);
        }
        finally
        {
            ec.exitTypedCall();
        }
    }

    private void call(final int functionId)
    {
        regs.clear().w(0, functionId);
        invokeChecked(FunctionId.describe(functionId));
    }

    private void invokeChecked(final String name)
    {
        ec.invoke(regs);
        if (regs.isError())
        {
            throw new FfaException(regs.errorCode(), name);
        }
    }
}
