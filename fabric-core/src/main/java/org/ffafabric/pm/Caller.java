package org.ffafabric.pm;

import io.aeron.ExclusivePublication;

/** One bound execution context as the partition manager knows it, keyed by session ID. */
final class Caller
{
    final int sessionId;
    final int slot;
    final int partitionId;
    final int ec;
    final ExclusivePublication reply;

    Caller(final int sessionId, final int slot, final int partitionId, final int ec, final ExclusivePublication reply)
    {
        this.sessionId = sessionId;
        this.slot = slot;
        this.partitionId = partitionId;
        this.ec = ec;
        this.reply = reply;
    }
}
