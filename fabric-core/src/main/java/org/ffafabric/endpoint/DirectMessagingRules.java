package org.ffafabric.endpoint;

import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.FrameworkMessage;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.PartitionProperties;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;

import static org.ffafabric.control.ExecutionContextState.*;

/**
 * The spec's direct messaging rules, as one execution context applies them to the requests it
 * sends and the responses it gives: identity, IDs, flags and must-be-zero registers, world and
 * partition properties, framework messages, call-chain cycles, and which response answers which
 * request. Checks only, against the control file; the state machine that follows them is
 * {@link ExecutionContext}'s. Each returns 0 or the spec's error code.
 */
final class DirectMessagingRules
{
    private final ControlFile controlFile;
    private final int partitionId;
    private final int slot;
    private final int index;

    DirectMessagingRules(final ControlFile controlFile, final int partitionId, final int slot, final int index)
    {
        this.controlFile = controlFile;
        this.partitionId = partitionId;
        this.slot = slot;
        this.index = index;
    }

    /**
     * What a request must be whatever the state: REQ2 only from v1.2; from us, to another partition
     * of the fabric that is not the hypervisor, valid flags, and a secure partition only to another.
     */
    int checkRequestArguments(
        final RegisterFile regs, final boolean req2, final int receiver, final int targetSlot, final long x2)
    {
        if (req2 && controlFile.negotiatedVersion(slot) < FfaVersion.V1_2)
        {
            return ErrorCode.NOT_SUPPORTED;
        }
        if (RegisterFile.senderOf(regs.w(1)) != partitionId || receiver == partitionId || targetSlot < 0 ||
            receiver == EndpointId.HYPERVISOR || !RegisterFile.isValidDirectMessageFlags(x2) ||
            (EndpointId.isSecure(partitionId) && !EndpointId.isSecure(receiver)))
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        return 0;
    }

    /**
     * Who may send what to whom: the properties both ends declared, and REQ2's service UUID and version.
     * An SMC64 request needs a receiver in AArch64 state, which alone can take x registers or answer in
     * kind (a response has its request's width); Linux sends an AArch32 partition SMC32 requests.
     */
    int checkProperties(final boolean req2, final int targetSlot, final RegisterFile regs)
    {
        if (req2)
        {
            // The UUID before the receiver's version, as Hafnium: a service it does not declare is
            // INVALID_PARAMETERS whatever its version.
            final long lo = regs.x(2);
            final long hi = regs.x(3);
            if ((lo != 0 || hi != 0) && !controlFile.hasUuid(targetSlot, lo, hi))
            {
                return ErrorCode.INVALID_PARAMETERS;
            }
            if (controlFile.negotiatedVersion(targetSlot) < FfaVersion.V1_2)
            {
                return ErrorCode.DENIED;
            }
        }
        final int send = req2 ? PartitionProperties.DIRECT_REQ2_SEND : PartitionProperties.DIRECT_REQ_SEND;
        final int receive = (req2 ? PartitionProperties.DIRECT_REQ2_RECV : PartitionProperties.DIRECT_REQ_RECV) |
            receiverState(regs.functionId());
        if ((controlFile.properties(slot) & send) == 0 || (controlFile.properties(targetSlot) & receive) != receive)
        {
            return ErrorCode.DENIED;
        }
        return 0;
    }

    /**
     * Framework requests: VM created/destroyed, from the hypervisor at v1.1 or later (framework
     * messages came with v1.1: at v1.0 the whole of w2 is MBZ), to partitions subscribed to that type
     * (INVALID_PARAMETERS otherwise, as Hafnium's SPMC checks a VM availability message) that
     * receive direct requests (a framework message is one, DENIED as for any request; partition
     * info reports the subscription only beside that bit).
     */
    int checkFrameworkRequest(final int functionId, final int flags, final int targetSlot)
    {
        final int type = RegisterFile.frameworkMessageType(flags);
        if (partitionId != EndpointId.HYPERVISOR || controlFile.negotiatedVersion(slot) < FfaVersion.V1_1 ||
            (type != FrameworkMessage.VM_CREATED_REQ && type != FrameworkMessage.VM_DESTROYED_REQ))
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        final int subscription = type == FrameworkMessage.VM_CREATED_REQ ?
            PartitionProperties.VM_CREATED_MSG : PartitionProperties.VM_DESTROYED_MSG;
        final int properties = controlFile.properties(targetSlot);
        if ((properties & subscription) == 0)
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        final int receive = PartitionProperties.DIRECT_REQ_RECV | receiverState(functionId);
        return (properties & receive) != receive ? ErrorCode.DENIED : 0;
    }

    /** The execution state a receiver of {@code functionId} needs: AArch64 for an SMC64 request. */
    private static int receiverState(final int functionId)
    {
        return FunctionId.isSmc64(functionId) ? PartitionProperties.AARCH64 : 0;
    }

    /** True when the target already waits, directly or down a chain, on this context: a cycle. */
    boolean isInCallChain(final int targetSlot, final int targetEc)
    {
        int s = targetSlot;
        int ec = targetEc;
        for (int hops = 0; hops < 16; hops++)
        {
            final long word = controlFile.ecState(controlFile.ecStateOffset(s, ec));
            if (state(word) != BLOCKED || yielded(word))
            {
                return false;
            }
            if (peerId(word) == partitionId && peerEc(word) == index)
            {
                return true;
            }
            s = controlFile.slotOf(peerId(word));
            ec = peerEc(word);
            if (s < 0)
            {
                return false;
            }
        }
        return false;
    }

    /** The spec's checks on a DIRECT_RESP, RESP2 (whose x2/x3 it clears) or their 32-bit form. */
    int checkResponse(final RegisterFile regs, final long ownWord, final int requestId, final int frameworkResponse)
    {
        final int check = checkResponseArguments(regs);
        return check != 0 ? check : checkResponseState(regs, ownWord, requestId, frameworkResponse);
    }

    /**
     * What a response must be whatever the state (Hafnium's api_ffa_msg_send_direct_resp_validate_args):
     * from us, not to us, w2 MBZ unless a framework message, x8..x17 MBZ from v1.2 on.
     */
    int checkResponseArguments(final RegisterFile regs)
    {
        final boolean resp2 = regs.functionId() == FunctionId.FFA_MSG_SEND_DIRECT_RESP2;
        final long x2 = resp2 ? 0 : regs.x(2);
        final int ids = regs.w(1);
        if (RegisterFile.senderOf(ids) != partitionId || RegisterFile.receiverOf(ids) == partitionId ||
            !RegisterFile.isValidDirectMessageFlags(x2) ||
            (!resp2 && controlFile.negotiatedVersion(slot) >= FfaVersion.V1_2 && !regs.isZero(8, 17)))
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        return 0;
    }

    /**
     * What a response must be for the request this context serves ({@code ownWord}, whose
     * function ID was {@code requestId}): to its requester, of its kind and width (REQ_32 takes
     * RESP_32, REQ_64 RESP_64, REQ2 RESP2), a framework request answered with {@code frameworkResponse}.
     */
    int checkResponseState(final RegisterFile regs, final long ownWord, final int requestId, final int frameworkResponse)
    {
        final int responseId = regs.functionId();
        final boolean resp2 = responseId == FunctionId.FFA_MSG_SEND_DIRECT_RESP2;
        final int model = model(ownWord);
        final int flags = resp2 ? 0 : regs.w(2);
        if (RegisterFile.receiverOf(regs.w(1)) != peerId(ownWord) ||
            resp2 != (model == MODEL_DIRECT_REQ2) ||
            FunctionId.isSmc64(responseId) != FunctionId.isSmc64(requestId) ||
            RegisterFile.isFrameworkMessage(flags) != (model == MODEL_FRAMEWORK))
        {
            return ErrorCode.DENIED;
        }
        if (model == MODEL_FRAMEWORK && RegisterFile.frameworkMessageType(flags) != frameworkResponse)
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        if (resp2)
        {
            regs.x(2, 0).x(3, 0);
        }
        return 0;
    }

    /** The run-time model a direct request puts its receiver in: REQ2, framework or partition message. */
    static int requestModel(final int functionId, final int flags)
    {
        return functionId == FunctionId.FFA_MSG_SEND_DIRECT_REQ2 ? MODEL_DIRECT_REQ2 :
            RegisterFile.isFrameworkMessage(flags) ? MODEL_FRAMEWORK : MODEL_DIRECT_REQ;
    }

    static int responseFor(final int requestId)
    {
        switch (requestId)
        {
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_32: return FunctionId.FFA_MSG_SEND_DIRECT_RESP_32;
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ2: return FunctionId.FFA_MSG_SEND_DIRECT_RESP2;
            default: return FunctionId.FFA_MSG_SEND_DIRECT_RESP_64;
        }
    }
}
