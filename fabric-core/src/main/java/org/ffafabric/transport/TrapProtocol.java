package org.ffafabric.transport;

/**
 * How traps travel over Aeron IPC.
 * <p>
 * A message is a register file: 64 bytes (x0..x7) for calls that fit SMC32's registers,
 * 144 bytes (x0..x17) otherwise. The sender's identity is never read from w1: every
 * execution context publishes with a session ID derived from its partition ID, EC index
 * and claim generation, and the media driver refuses a second publication with the same
 * session ID on a stream, so the session ID of a fragment says who sent it.
 * <pre>
 *   stream IDs   PM inbox: 0x0FFA0001   EC inbox: 0x10000000 | id &lt;&lt; 8 | ec
 *   session IDs  EC: id &lt;&lt; 16 | ec &lt;&lt; 8 | generation   PM: 0x8000FFFF
 * </pre>
 * A message between contexts also says which claim of its receiver it is for, in the frame
 * header's reserved value ({@link #addressedTo}): an inbox stream outlives a claim, and a new
 * subscription to it is handed what the old claim left unread. The partition manager's replies
 * say it with their session ID ({@link #replySessionId}). The reserved value also carries the
 * CPU the sender runs on ({@link #cpuOf}), which a one-context receiver inherits with the cycles.
 * <pre>
 *   reserved value  [23:16] sender's CPU   [8] set   [7:0] receiver's claim generation
 * </pre>
 */
public final class TrapProtocol
{
    public static final String CHANNEL = "aeron:ipc";
    public static final int PM_STREAM_ID = 0x0FFA_0001;
    public static final int PM_SESSION_ID = 0x8000_FFFF;
    // Marks a reserved value as set: an unset one is 0.
    private static final long ADDRESSED = 0x100L;
    private static final long ADDRESS_MASK = 0x1FFL;
    private static final int CPU_SHIFT = 16;

    public static final int SHORT_MESSAGE_LENGTH = 8 * Long.BYTES;
    public static final int LONG_MESSAGE_LENGTH = 18 * Long.BYTES;

    /**
     * Fabric-internal calls in the SMCCC vendor-specific hypervisor service range (owner 6):
     * never FF-A IDs, never accepted from partition code.
     */
    /**
     * x1, x2: the claimer's PID, low and high words. Answered FFA_SUCCESS with w1 = FABRIC_CLAIM and w2 = the
     * whole claim generation, so that a claim reusing an earlier claim's reply log (256 generations on) tells
     * its answer from that claim's unread ones.
     */
    public static final int FABRIC_CLAIM = 0x8600_FF01;
    public static final int FABRIC_RELEASE = 0x8600_FF02;
    /** Sent by a scheduler's FFA_RUN to the context it resumes or starts. */
    public static final int FABRIC_RESUME = 0x8600_FF03;

    private TrapProtocol()
    {
    }

    /**
     * True for the length of a message, a register file of 64 or 144 bytes. A fragment of any other
     * length is none of the runtime's: anything that can open the Aeron directory can publish one.
     */
    public static boolean isMessageLength(final int length)
    {
        return length == SHORT_MESSAGE_LENGTH || length == LONG_MESSAGE_LENGTH;
    }

    public static int inboxStreamId(final int partitionId, final int ec)
    {
        return 0x1000_0000 | ((partitionId & 0xFFFF) << 8) | (ec & 0xFF);
    }

    public static int sessionId(final int partitionId, final int ec, final int generation)
    {
        return ((partitionId & 0xFFFF) << 16) | ((ec & 0xFF) << 8) | (generation & 0xFF);
    }

    /** The PM's reply session to a claim generation: PM partition and EC fields, generation in [7:0]. */
    public static int replySessionId(final int generation)
    {
        return (PM_SESSION_ID & ~0xFF) | (generation & 0xFF);
    }

    /** The header's reserved value of a message for claim {@code generation} of its receiver; never 0. */
    public static long addressedTo(final int generation)
    {
        return ADDRESSED | (generation & 0xFF);
    }

    /** As {@link #addressedTo(int)}, from a sender running on CPU {@code cpu}. */
    public static long addressedTo(final int generation, final int cpu)
    {
        return addressedTo(generation) | ((long)(cpu & 0xFF) << CPU_SHIFT);
    }

    /** The receiver's claim a reserved value addresses, as {@link #addressedTo(int)} gives it. */
    public static long addressOf(final long reservedValue)
    {
        return reservedValue & ADDRESS_MASK;
    }

    /** The CPU of the sender of a message between contexts, from its reserved value. */
    public static int cpuOf(final long reservedValue)
    {
        return (int)(reservedValue >>> CPU_SHIFT) & 0xFF;
    }

    /** True for the session of one of the partition manager's replies. */
    public static boolean isPartitionManager(final int sessionId)
    {
        return (sessionId & ~0xFF) == (PM_SESSION_ID & ~0xFF);
    }

    public static int partitionIdOf(final int sessionId)
    {
        return sessionId >>> 16;
    }

    public static int ecOf(final int sessionId)
    {
        return (sessionId >>> 8) & 0xFF;
    }

    public static int generationOf(final int sessionId)
    {
        return sessionId & 0xFF;
    }

    public static String publicationChannel(final int sessionId)
    {
        return CHANNEL + "?session-id=" + sessionId;
    }
}
