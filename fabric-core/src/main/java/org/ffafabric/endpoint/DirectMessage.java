package org.ffafabric.endpoint;

import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;

/**
 * A direct message as the typed API sees it: a view of a register file. Payload word
 * {@code i} is w/x(3 + i) for DIRECT_REQ/RESP (five words) and x(4 + i) for REQ2/RESP2
 * (fourteen words). Reused across calls: nothing is allocated per message.
 * <p>
 * The layout is read from w0 as it is when a payload word is read or written: a fresh message
 * (w0 = 0) and one holding a RESP are laid out for REQ, one holding a RESP2 for REQ2. So call
 * {@link #reset} with the request's function ID before setting its payload; {@link FfaOps#sendDirect}
 * and {@link FfaOps#sendDirect2} refuse a message laid out for the other kind.
 */
public final class DirectMessage
{
    public static final int PAYLOAD_WORDS = 5;
    public static final int PAYLOAD2_WORDS = 14;

    private final RegisterFile regs;
    // The first payload register, fixed by the runtime for the views it serves in place; -1 while
    // the layout follows w0. A served response lies in a log line its requester polls: reading w0
    // there for every payload word put the REQ2 round trip at 330 ns instead of 240 in some JVM
    // runs (in all of them with the responder on -XX:-TieredCompilation).
    private int fixedFirstPayloadRegister = -1;

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

    /** Payload word {@code i}: 0..4 for REQ/RESP, 0..13 for REQ2/RESP2, else {@link IndexOutOfBoundsException}. */
    public long payload(final int i)
    {
        return regs.x(payloadRegister(i));
    }

    /** Sets payload word {@code i}: 0..4 for REQ/RESP, 0..13 for REQ2/RESP2, else {@link IndexOutOfBoundsException}. */
    public DirectMessage payload(final int i, final long value)
    {
        regs.x(payloadRegister(i), value);
        return this;
    }

    private int payloadRegister(final int i)
    {
        final int first = firstPayloadRegister();
        if (i < 0 || i >= (first == 4 ? PAYLOAD2_WORDS : PAYLOAD_WORDS))
        {
            throw new IndexOutOfBoundsException("payload word " + i + " of a " + (first == 4 ? "REQ2/RESP2 (" +
                PAYLOAD2_WORDS : "REQ/RESP (" + PAYLOAD_WORDS) + " words)");
        }
        return first + i;
    }

    public int payloadWords()
    {
        return firstPayloadRegister() == 4 ? PAYLOAD2_WORDS : PAYLOAD_WORDS;
    }

    private int firstPayloadRegister()
    {
        final int fixed = fixedFirstPayloadRegister;
        return fixed >= 0 ? fixed : isReq2() ? 4 : 3;
    }

    /** Clears the registers and sets the function ID, so payload setters know the layout. */
    public DirectMessage reset(final int functionId)
    {
        regs.clear().w(0, functionId);
        if (fixedFirstPayloadRegister >= 0)
        {
            fixLayout(functionId);
        }
        return this;
    }

    /** Fixes the payload layout to that of {@code functionId}'s kind, for a view served in place. */
    void fixLayout(final int functionId)
    {
        fixedFirstPayloadRegister = functionId == FunctionId.FFA_MSG_SEND_DIRECT_REQ2 ||
            functionId == FunctionId.FFA_MSG_SEND_DIRECT_RESP2 ? 4 : 3;
    }

    /** The payload layout follows w0 again. */
    void unfixLayout()
    {
        fixedFirstPayloadRegister = -1;
    }

    public String toString()
    {
        return regs.toString();
    }
}
