package org.ffafabric.bench.latency;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A wait for a peer that goes while the wait is under way. Never checks a timing value: the timeout is a hang guard. */
class PeerWaitTest
{
    @ParameterizedTest
    @EnumSource(IdleMode.class)
    @Timeout(8)
    void aPeerThatGoesDuringAWaitIsNoticedInEveryIdleMode(final IdleMode idleMode)
    {
        // The checks came every 1024 idles: under spin-park, once its 100,000 spins were over and it parked
        // 10 ms at a time, some 10 s apart (the first of them ~2.5 s into the wait), so a peer that went
        // then was noticed only that long after.
        final long goneAtNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        final PeerWait wait = new PeerWait(idleMode.newIdleStrategy(), () -> System.nanoTime() < goneAtNs, "stand-in peer");
        wait.reset();

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () ->
        {
            while (true)
            {
                wait.idle();
            }
        });
        assertEquals("stand-in peer has gone", ex.getMessage());
    }

    @ParameterizedTest
    @EnumSource(IdleMode.class)
    @Timeout(8)
    void aPeerAliveButSilentIsTakenForStuckOnceTheTimeoutHasPassed(final IdleMode idleMode)
    {
        final PeerWait wait = new PeerWait(
            idleMode.newIdleStrategy(), () -> true, "stand-in peer", TimeUnit.MILLISECONDS.toNanos(50));
        wait.reset();

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () ->
        {
            while (true)
            {
                wait.idle();
            }
        });
        assertEquals("stand-in peer did not answer within 50 ms", ex.getMessage());
    }
}
