package org.ffafabric.control;

import org.ffafabric.abi.FfaVersion;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * FFA_VERSION may change a partition's version only until another call of the partition locks it.
 * The partition manager negotiates on one core while a context's first call locks on another: one
 * of the two goes first, so either the negotiation fails or the call sees the version it set.
 */
class VersionNegotiationLockTest
{
    private static final int TRIALS = 200_000;

    @TempDir
    Path dir;

    private ControlFile create()
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("11111111-0000-0000-0000-000000000001"))
            .build();
        return ControlFile.create(dir.resolve("fabric.ctl"), manifest, FfaVersion.LATEST, 0x8000_0000L, null);
    }

    @Test
    void aLockedVersionIsNeverNegotiatedAgain()
    {
        try (ControlFile controlFile = create())
        {
            controlFile.resetVersion(0, FfaVersion.V1_2);
            assertTrue(controlFile.negotiateVersion(0, FfaVersion.V1_1));
            assertEquals(FfaVersion.V1_1, controlFile.lockVersion(0));
            assertTrue(controlFile.versionLocked(0));
            assertFalse(controlFile.negotiateVersion(0, FfaVersion.V1_0));
            assertEquals(FfaVersion.V1_1, controlFile.negotiatedVersion(0));
            assertEquals(FfaVersion.V1_1, controlFile.lockVersion(0), "locking twice keeps the version");
            controlFile.resetVersion(0, FfaVersion.V1_2);
            assertFalse(controlFile.versionLocked(0));
            assertEquals(FfaVersion.V1_2, controlFile.negotiatedVersion(0));
        }
    }

    @Test
    void aNegotiationRacingTheFirstCallNeverSucceedsBehindItsBack() throws Exception
    {
        try (ControlFile controlFile = create())
        {
            final AtomicInteger trial = new AtomicInteger(-1);
            final AtomicInteger negotiatorDone = new AtomicInteger(-1);
            final AtomicInteger lockerDone = new AtomicInteger(-1);
            final boolean[] negotiated = new boolean[TRIALS];
            final int[] seen = new int[TRIALS];
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread locker = new Thread(() ->
            {
                try
                {
                    for (int t = 0; t < TRIALS; t++)
                    {
                        for (int spins = 0; trial.get() < t; spins++)
                        {
                            pause(spins);
                        }
                        seen[t] = controlFile.lockVersion(0);
                        lockerDone.set(t);
                    }
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
            });
            locker.setDaemon(true);
            locker.start();
            for (int t = 0; t < TRIALS; t++)
            {
                controlFile.resetVersion(0, FfaVersion.V1_2);
                trial.set(t);
                negotiated[t] = controlFile.negotiateVersion(0, FfaVersion.V1_1);
                final long deadline = System.nanoTime() + 10_000_000_000L;
                for (int spins = 0; lockerDone.get() < t; spins++)
                {
                    assertNull(failure.get());
                    assertTrue(System.nanoTime() < deadline, "the locking thread stopped");
                    pause(spins);
                }
            }
            locker.join();
            int violations = 0;
            for (int t = 0; t < TRIALS; t++)
            {
                // Negotiated first: the call sees 1.1. Locked first: the negotiation fails and it sees 1.2.
                if (negotiated[t] != (seen[t] == FfaVersion.V1_1))
                {
                    violations++;
                }
            }
            assertEquals(0, violations, "trials in which the negotiation and the call disagree on who went first");
        }
    }

    /**
     * Spins while the other thread is a moment away, then yields: on a machine with more runnable threads
     * than cores (a loaded CI host), a spin that never yields can wait out a whole time slice for a thread
     * that is not running, every trial, and 200,000 trials took longer than a quarter of an hour.
     */
    private static void pause(final int spins)
    {
        if (spins < 1_000)
        {
            Thread.onSpinWait();
        }
        else
        {
            Thread.yield();
        }
    }
}
