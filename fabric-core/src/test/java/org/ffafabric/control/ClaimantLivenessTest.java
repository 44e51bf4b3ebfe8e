package org.ffafabric.control;

import org.ffafabric.abi.FfaVersion;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a control file's reader tells whether the process holding a claim is its claimant: its PID
 * alive, and started no later than the claim's mark, so not a later process given that PID.
 */
class ClaimantLivenessTest
{
    private static final long MEMORY_BASE = 0x8000_0000L;
    /** Long before any process of this test started, long after the 1970 of an unwritten mark. */
    private static final long LONG_AGO_MS = 1_000L;

    @TempDir
    Path dir;

    private final long me = ProcessHandle.current().pid();

    private ControlFile create()
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-0000-0000-0000-000000000001"))
            .build();
        return ControlFile.create(dir.resolve("fabric.ctl"), manifest, FfaVersion.LATEST, MEMORY_BASE, null);
    }

    private static void mark(final ControlFile controlFile, final int slot, final long epochMs)
    {
        controlFile.buffer().putLongVolatile(
            ControlFileDescriptor.slotOffset(slot) + ControlFileDescriptor.SLOT_CLAIM_MARK_OFFSET, epochMs);
    }

    @Test
    void aClaimMadeByALiveProcessIsItsClaimants()
    {
        try (ControlFile controlFile = create())
        {
            assertTrue(controlFile.claim(0, 0, me));
            assertTrue(controlFile.isClaimantAlive(0, me), "this process made the claim, after it started");
        }
    }

    @Test
    void aProcessThatStartedAfterTheClaimIsNotItsClaimant()
    {
        try (ControlFile controlFile = create())
        {
            assertTrue(controlFile.claim(0, 0, me));
            // As if the claimant had died long ago and its PID gone to a later process (this one, here).
            mark(controlFile, 0, LONG_AGO_MS);
            assertFalse(controlFile.isClaimantAlive(0, me));

            assertTrue(controlFile.unclaim(0, me));
            assertTrue(controlFile.claim(0, 0, me));
            assertTrue(controlFile.isClaimantAlive(0, me), "a claim of its own carries a mark of its own");
        }
    }

    /** A claimer judges the holder by the mark: a claim attempt on a slot that is not free must not move it. */
    @Test
    void aClaimOfASlotThatIsNotFreeLeavesItsMarkAlone()
    {
        try (ControlFile controlFile = create())
        {
            assertTrue(controlFile.claim(0, 0, me));
            mark(controlFile, 0, LONG_AGO_MS);
            assertFalse(controlFile.claim(0, 0, me + 1), "the slot is not free");
            assertFalse(controlFile.claim(0, me + 1, me + 2), "nor held by that PID");
            assertEquals(LONG_AGO_MS, controlFile.claimMark(0));
            assertFalse(controlFile.isClaimantAlive(0, me), "still not its claimant");
        }
    }

    /**
     * A claimer that took the time and was then held up stores an older mark than a claim made
     * meanwhile: lowering that claim's mark would make its live claimant look later than it, and dead.
     */
    @Test
    void aClaimNeverLowersTheMark()
    {
        try (ControlFile controlFile = create())
        {
            final long later = System.currentTimeMillis() + TimeUnit.DAYS.toMillis(1);
            mark(controlFile, 0, later);
            assertTrue(controlFile.claim(0, 0, me));
            assertEquals(later, controlFile.claimMark(0));
            assertTrue(controlFile.isClaimantAlive(0, me));
        }
    }
}
