package org.ffafabric.pm;

import io.aeron.ExclusivePublication;
import org.agrona.ExpandableRingBuffer;

/** One bound execution context as the partition manager knows it, keyed by session ID. */
final class Caller
{
    final int sessionId;
    final int slot;
    final int partitionId;
    final int ec;
    // The whole claim generation, as the claim word held it at the bind: the session ID has its low eight bits alone.
    final int generation;
    final ExclusivePublication reply;
    // Its replies its inbox had no room for, oldest first (made at the first such): see Replies.
    ExpandableRingBuffer waitingReplies;

    Caller(
        final int sessionId, final int slot, final int partitionId, final int ec, final int generation,
        final ExclusivePublication reply)
    {
        this.sessionId = sessionId;
        this.slot = slot;
        this.partitionId = partitionId;
        this.ec = ec;
        this.generation = generation;
        this.reply = reply;
    }
}
