package org.ffafabric.abi.descriptor;

import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaUuid;
import org.ffafabric.abi.FfaVersion;

import java.util.UUID;

/**
 * Indirect message (partition message) header at the start of the TX/RX buffer for
 * FFA_MSG_SEND2 (reference §5.9). 20 bytes in v1.1, 40 bytes from v1.2.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     Flags (reserved, SBZ)                     |  0
 *  +---------------------------------------------------------------+
 *  |                          Reserved                             |  4
 *  +---------------------------------------------------------------+
 *  |          Offset of the payload from the buffer start          |  8
 *  +-------------------------------+-------------------------------+
 *  |        Receiver ID            |          Sender ID            | 12
 *  +-------------------------------+-------------------------------+
 *  |                      Payload size                             | 16
 *  +---------------------------------------------------------------+ 20 (v1.1 ends)
 *  |                         Reserved                              | 20
 *  +---------------------------------------------------------------+
 *  |              UUID (16 bytes, Nil if unspecified)              | 24
 *  +---------------------------------------------------------------+ 40 (v1.2)
 * </pre>
 * The u32 at 12 reads as the usual ids word: sender in [31:16], receiver in [15:0].
 */
public final class IndirectMessageHeader extends VersionedFlyweight<IndirectMessageHeader>
{
    public static final int FLAGS_OFFSET = 0;
    public static final int RESERVED_OFFSET = 4;
    public static final int PAYLOAD_OFFSET_OFFSET = 8;
    public static final int RECEIVER_ID_OFFSET = 12;
    public static final int SENDER_ID_OFFSET = 14;
    public static final int PAYLOAD_SIZE_OFFSET = 16;
    public static final int V1_2_RESERVED_OFFSET = 20;
    public static final int UUID_OFFSET = 24;

    public static final int V1_1_LENGTH = 20;
    public static final int V1_2_LENGTH = 40;

    public IndirectMessageHeader()
    {
        super("IndirectMessage", true);
    }

    /** Header length for a sender's version: 20 for v1.1, 40 from v1.2, 0 for v1.0 (no MSG_SEND2). */
    public static int length(final int version)
    {
        if (!FfaVersion.isValid(version) || version < FfaVersion.V1_1)
        {
            return 0;
        }
        return version == FfaVersion.V1_1 ? V1_1_LENGTH : V1_2_LENGTH;
    }

    public int encodedLength()
    {
        return length(version);
    }

    private boolean hasUuid()
    {
        return length(version) == V1_2_LENGTH;
    }

    /** Zeroes the header, reserved fields included. */
    public IndirectMessageHeader clear()
    {
        mutableBuffer.setMemory(offset, encodedLength(), (byte)0);
        return this;
    }

    public int flags()
    {
        return buffer.getInt(offset + FLAGS_OFFSET, ORDER);
    }

    public IndirectMessageHeader flags(final int flags)
    {
        mutableBuffer.putInt(offset + FLAGS_OFFSET, flags, ORDER);
        return this;
    }

    public long payloadOffset()
    {
        return buffer.getInt(offset + PAYLOAD_OFFSET_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public IndirectMessageHeader payloadOffset(final int payloadOffset)
    {
        mutableBuffer.putInt(offset + PAYLOAD_OFFSET_OFFSET, payloadOffset, ORDER);
        return this;
    }

    public int receiverId()
    {
        return buffer.getShort(offset + RECEIVER_ID_OFFSET, ORDER) & 0xFFFF;
    }

    public IndirectMessageHeader receiverId(final int id)
    {
        mutableBuffer.putShort(offset + RECEIVER_ID_OFFSET, (short)id, ORDER);
        return this;
    }

    public int senderId()
    {
        return buffer.getShort(offset + SENDER_ID_OFFSET, ORDER) & 0xFFFF;
    }

    public IndirectMessageHeader senderId(final int id)
    {
        mutableBuffer.putShort(offset + SENDER_ID_OFFSET, (short)id, ORDER);
        return this;
    }

    public long payloadSize()
    {
        return buffer.getInt(offset + PAYLOAD_SIZE_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public IndirectMessageHeader payloadSize(final int size)
    {
        mutableBuffer.putInt(offset + PAYLOAD_SIZE_OFFSET, size, ORDER);
        return this;
    }

    public long uuidLo()
    {
        return hasUuid() ? buffer.getLong(offset + UUID_OFFSET, ORDER) : 0;
    }

    public long uuidHi()
    {
        return hasUuid() ? buffer.getLong(offset + UUID_OFFSET + 8, ORDER) : 0;
    }

    /** Sets the v1.2 UUID from a Java UUID's halves; ignored for v1.1. */
    public IndirectMessageHeader uuid(final long mostSigBits, final long leastSigBits)
    {
        if (hasUuid())
        {
            FfaUuid.put(mutableBuffer, offset + UUID_OFFSET, mostSigBits, leastSigBits);
        }
        return this;
    }

    public IndirectMessageHeader uuid(final UUID uuid)
    {
        return uuid(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
    }

    public UUID uuid()
    {
        return FfaUuid.fromWords(uuidLo(), uuidHi());
    }

    /**
     * The header as Hafnium checks it: the sender's version has MSG_SEND2 (else
     * NOT_SUPPORTED), the header lies inside the window, the payload offset is at least the
     * header length, sender differs from receiver, and offset + size (in 64 bits) is within
     * {@code maxMessageSize} (the mailbox, one page by default).
     *
     * @return 0, NOT_SUPPORTED or INVALID_PARAMETERS.
     */
    public int validate(final int maxMessageSize)
    {
        final int headerLength = length(version);
        if (headerLength == 0)
        {
            return ErrorCode.NOT_SUPPORTED;
        }
        if (!windowInBuffer(headerLength))
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        final long payloadOffset = payloadOffset();
        if (payloadOffset < headerLength || payloadOffset + payloadSize() > maxMessageSize ||
            senderId() == receiverId())
        {
            return ErrorCode.INVALID_PARAMETERS;
        }
        return 0;
    }

    public StringBuilder appendTo(final StringBuilder out)
    {
        final int headerLength = length(version);
        if (headerLength == 0 || !windowInBuffer(headerLength))
        {
            return appendTruncated(out);
        }
        out.append("IndirectMessage{sender=");
        EndpointId.appendTo(senderId(), out);
        out.append(" receiver=");
        EndpointId.appendTo(receiverId(), out);
        out.append(" offset=").append(payloadOffset()).append(" size=").append(payloadSize());
        if (flags() != 0)
        {
            out.append(" flags=0x").append(Integer.toHexString(flags()));
        }
        if (hasUuid())
        {
            out.append(" uuid=").append(uuid());
        }
        return out.append('}');
    }
}
