package org.ffafabric.control;

import org.ffafabric.abi.EndpointId;

/**
 * The 64-bit state word of one execution context in the shared state table.
 * <pre>
 *   63                            32 31            16 15       8 7  6   4 3     0
 *   +-------------------------------+----------------+----------+--+-----+-------+
 *   |           sequence            |   peer ID      | peer EC  |Y |model| state |
 *   +-------------------------------+----------------+----------+--+-----+-------+
 * </pre>
 * The peer is whoever owns this context's CPU cycles: the requester it serves or the
 * scheduler that ran it (RUNNING, BLOCKED-yielded), or the target it waits for (BLOCKED).
 * Y marks a context that gave its cycles back with FFA_YIELD. Every transition bumps the
 * sequence, so a compare-and-set can never succeed on a stale word (no ABA), with one deliberate
 * exception: a serving context whose own request down a call chain returns puts back the very word
 * its requester installed, so that the requester's release still finds it. No peer compares
 * against the BLOCKED word in between, so the repeat cannot be mistaken for it.
 */
public final class ExecutionContextState
{
    // States, after the spec's run-time model.
    public static final int OFF = 0;
    public static final int RUNNING = 1;
    public static final int WAITING = 2;
    public static final int BLOCKED = 3;
    public static final int PREEMPTED = 4;
    public static final int ABORTED = 5;

    // Why a RUNNING context has the CPU.
    public static final int MODEL_NONE = 0;
    public static final int MODEL_RUN = 1;
    public static final int MODEL_DIRECT_REQ = 2;
    public static final int MODEL_DIRECT_REQ2 = 3;
    public static final int MODEL_FRAMEWORK = 4;
    public static final int MODEL_INTERRUPT = 5;
    // A secure partition's first run after its claim, until FFA_MSG_WAIT: the spec's SP initialisation.
    public static final int MODEL_INIT = 6;

    private static final int STATE_MASK = 0xF;
    private static final int MODEL_SHIFT = 4;
    private static final int MODEL_MASK = 0x7;
    private static final long YIELDED_BIT = 1L << 7;
    private static final int PEER_EC_SHIFT = 8;
    private static final int PEER_ID_SHIFT = 16;
    private static final int SEQUENCE_SHIFT = 32;

    private ExecutionContextState()
    {
    }

    public static long pack(final int state, final int model, final boolean yielded, final int peerId, final int peerEc,
        final long previous)
    {
        final long sequence = (sequence(previous) + 1) & 0xFFFF_FFFFL;
        return (sequence << SEQUENCE_SHIFT) |
            ((long)(peerId & 0xFFFF) << PEER_ID_SHIFT) |
            ((long)(peerEc & 0xFF) << PEER_EC_SHIFT) |
            (yielded ? YIELDED_BIT : 0) |
            ((long)(model & MODEL_MASK) << MODEL_SHIFT) |
            (state & STATE_MASK);
    }

    /** The WAITING word that follows {@code running} when its cycles are given back. */
    public static long waitingAfter(final long running)
    {
        return pack(WAITING, MODEL_NONE, false, 0, 0, running);
    }

    /**
     * The WAITING word that {@code taken} replaced: a requester's or a scheduler's compare-and-set out of
     * WAITING is one step, so its word is that one's successor.
     */
    public static long waitingBefore(final long taken)
    {
        return (((sequence(taken) - 1) & 0xFFFF_FFFFL) << SEQUENCE_SHIFT) | WAITING;
    }

    /**
     * What a target context stores in its requester's lost-answer word when the answer to the
     * exchange whose word the requester installed ({@code installed}) cannot be sent: the driver
     * refused the log to the requester's inbox. The target's sequence names the exchange (each of
     * the target's transitions moves it), and the target's ID and index name the target, so a
     * requester compares it with one value of its own and never mistakes another exchange's.
     */
    public static long lostAnswer(final int targetId, final int targetEc, final long installed)
    {
        return (sequence(installed) << SEQUENCE_SHIFT) | ((long)(targetId & 0xFFFF) << PEER_ID_SHIFT) |
            ((long)(targetEc & 0xFF) << PEER_EC_SHIFT) | 1;
    }

    public static int state(final long word)
    {
        return (int)(word & STATE_MASK);
    }

    public static int model(final long word)
    {
        return (int)((word >>> MODEL_SHIFT) & MODEL_MASK);
    }

    public static boolean yielded(final long word)
    {
        return (word & YIELDED_BIT) != 0;
    }

    public static int peerId(final long word)
    {
        return (int)((word >>> PEER_ID_SHIFT) & 0xFFFF);
    }

    public static int peerEc(final long word)
    {
        return (int)((word >>> PEER_EC_SHIFT) & 0xFF);
    }

    public static long sequence(final long word)
    {
        return word >>> SEQUENCE_SHIFT;
    }

    public static boolean isServing(final long word)
    {
        final int model = model(word);
        return state(word) == RUNNING &&
            (model == MODEL_DIRECT_REQ || model == MODEL_DIRECT_REQ2 || model == MODEL_FRAMEWORK);
    }

    /**
     * True for a word the partition manager gives back (to WAITING) when its peer dies: RUNNING for
     * a requester it serves, or for the scheduler that ran it. The context itself may still be
     * running a handler then, so it leaves such a word only by compare-and-set.
     */
    public static boolean isGivenBackOnPeerDeath(final long word)
    {
        return isServing(word) || (state(word) == RUNNING && model(word) == MODEL_RUN);
    }

    public static String stateName(final int state)
    {
        switch (state)
        {
            case OFF: return "OFF";
            case RUNNING: return "RUNNING";
            case WAITING: return "WAITING";
            case BLOCKED: return "BLOCKED";
            case PREEMPTED: return "PREEMPTED";
            case ABORTED: return "ABORTED";
            default: return "UNKNOWN";
        }
    }

    public static String modelName(final int model)
    {
        switch (model)
        {
            case MODEL_NONE: return "none";
            case MODEL_RUN: return "run";
            case MODEL_DIRECT_REQ: return "direct-req";
            case MODEL_DIRECT_REQ2: return "direct-req2";
            case MODEL_FRAMEWORK: return "framework";
            case MODEL_INTERRUPT: return "interrupt";
            case MODEL_INIT: return "init";
            default: return "unknown";
        }
    }

    public static String describe(final long word)
    {
        final StringBuilder sb = new StringBuilder(stateName(state(word)));
        if (state(word) == RUNNING || state(word) == BLOCKED)
        {
            sb.append('(').append(modelName(model(word)));
            if (yielded(word))
            {
                sb.append(",yielded");
            }
            if (model(word) != MODEL_NONE || peerId(word) != 0 || peerEc(word) != 0)
            {
                // A context that runs on its own (a held VM's, the scheduler's) has no peer to name.
                sb.append(",peer=").append(EndpointId.toString(peerId(word))).append('/').append(peerEc(word));
            }
            sb.append(')');
        }
        return sb.toString();
    }
}
