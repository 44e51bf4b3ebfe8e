package org.ffafabric.bench.latency;

import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A wait for a peer that goes while the wait is under way. Counts idles, never checks a timing value: the timeouts are hang guards. */
class PeerWaitTest
{
    @ParameterizedTest
    @EnumSource(IdleMode.class)
    @Timeout(60)
    void aPeerThatGoesDuringAWaitIsNoticedWithinAStrideOrTwoInEveryIdleMode(final IdleMode idleMode)
    {
        // The checks came every 1024 idles: under spin-park, once its 100,000 spins were over and it parked
        // 10 ms at a time, some 10 s apart, so a peer that went then was noticed only that long after.
        // Counted in idles, not seconds, so that a stalled machine cannot fail it: the peer goes past the
        // first check, under spin-park a few parks after its spins and yields.
        final long goneAtIdle = idleMode == IdleMode.SPIN_PARK ? 100_000 + 100 + 20 : 2_000;
        final long[] idles = new long[1];
        final IdleStrategy strategy = idleMode.newIdleStrategy();
        final IdleStrategy counted = new IdleStrategy()
        {
            public void idle(final int workCount)
            {
                idle();
            }

            public void idle()
            {
                idles[0]++;
                strategy.idle();
            }

            public void reset()
            {
                strategy.reset();
            }
        };
        final PeerWait wait = new PeerWait(counted, () -> idles[0] < goneAtIdle, "stand-in peer");
        wait.reset();

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () ->
        {
            while (true)
            {
                wait.idle();
            }
        });
        assertEquals("stand-in peer has gone", ex.getMessage());
        final long late = idles[0] - goneAtIdle;
        assertTrue(late <= 2 * PeerWait.QUICK_CHECK_STRIDE, () -> "noticed " + late + " idles after the peer went");
    }

    @ParameterizedTest
    @EnumSource(IdleMode.class)
    @Timeout(60)
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
