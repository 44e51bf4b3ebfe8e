package org.ffafabric.endpoint;

import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;

/**
 * A direct message as the typed API sees it: a view of a register file. Payload word
 * {@code i} is w/x(3 + i) for DIRECT_REQ/RESP (five words) and x(4 + i) for REQ2/RESP2
 * (fourteen words). Reused across calls: nothing is allocated per message.
 */
public final class DirectMessage
{
    public static final int PAYLOAD_WORDS = 5;
    public static final int PAYLOAD2_WORDS = 14;

    private final RegisterFile regs;

    public DirectMessage()
    {
        this(new RegisterFile());
    }

    public DirectMessage(final RegisterFile regs)
    {
        this.regs = regs;
    }

    public RegisterFile registers()
    {
        return regs;
    }

    public int functionId()
    {
        return regs.functionId();
    }

    public boolean isReq2()
    {
        final int id = regs.functionId();
        return id == FunctionId.FFA_MSG_SEND_DIRECT_REQ2 || id == FunctionId.FFA_MSG_SEND_DIRECT_RESP2;
    }

    public int sender()
    {
        return RegisterFile.senderOf(regs.w(1));
    }

    public int receiver()
    {
        return RegisterFile.receiverOf(regs.w(1));
    }

    /** Payload word {@code i}. */
    public long payload(final int i)
    {
        return regs.x(firstPayloadRegister() + i);
    }

    public DirectMessage payload(final int i, final long value)
    {
        regs.x(firstPayloadRegister() + i, value);
        return this;
    }

    public int payloadWords()
    {
        return isReq2() ? PAYLOAD2_WORDS : PAYLOAD_WORDS;
    }

    private int firstPayloadRegister()
    {
        return isReq2() ? 4 : 3;
    }

    /** Clears the registers and sets the function ID, so payload setters know the layout. */
    public DirectMessage reset(final int functionId)
    {
        regs.clear().w(0, functionId);
        return this;
    }

    public String toString()
    {
        return regs.toString();
    }
}
