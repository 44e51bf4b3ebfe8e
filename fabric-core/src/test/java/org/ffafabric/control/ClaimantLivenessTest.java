package org.ffafabric.control;

import org.ffafabric.abi.FfaVersion;
import org.ffafabric.launch.ChildJvm;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * How a control file's reader tells whether the process holding a claim is its claimant: its PID
 * alive, and started no later than the claim's mark, so not a later process given that PID.
 */
class ClaimantLivenessTest
{
    private static final long MEMORY_BASE = 0x8000_0000L;
    private static final String BTIME = "btime ";

    @TempDir
    Path dir;

    private final long me = ProcessHandle.current().pid();
    /** The mark of a claimant that started just before this process: an earlier holder of its PID. */
    private final long before = ProcessLiveness.startMark(me) - 1;

    private ControlFile create()
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-0000-0000-0000-000000000001"))
            .build();
        return ControlFile.create(dir.resolve("fabric.ctl"), manifest, FfaVersion.LATEST, MEMORY_BASE, null);
    }

    private static void mark(final ControlFile controlFile, final int slot, final long mark)
    {
        controlFile.buffer().putLongVolatile(
            ControlFileDescriptor.slotOffset(slot) + ControlFileDescriptor.SLOT_CLAIM_MARK_OFFSET, mark);
    }

    @Test
    void aClaimMadeByALiveProcessIsItsClaimants()
    {
        try (ControlFile controlFile = create())
        {
            assertTrue(controlFile.claim(0, me));
            assertTrue(controlFile.isClaimantAlive(0, me), "this process made the claim, after it started");
        }
    }

    @Test
    void aProcessThatStartedAfterTheClaimIsNotItsClaimant()
    {
        try (ControlFile controlFile = create())
        {
            assertTrue(controlFile.claim(0, me));
            // As if the claimant had died and its PID gone to a later process (this one, here).
            mark(controlFile, 0, before);
            assertFalse(controlFile.isClaimantAlive(0, me));

            assertTrue(controlFile.unclaim(0, controlFile.claimGeneration(0), me));
            assertTrue(controlFile.claim(0, me));
            assertTrue(controlFile.isClaimantAlive(0, me), "a claim of its own carries a mark of its own");
        }
    }

    /**
     * A claimer that judged a claim dead (its PID a later process's) may take over that claim, not
     * whatever its PID holds by the time it acts: meanwhile the process given the PID may have taken the
     * dead claim over itself, as any claimer may, and that claim is live. Here both take-overs are this
     * process's, as two of its threads claiming the partition would make them: the later must not take
     * the earlier's live claim, else both threads hold the partition.
     */
    @Test
    void aTakeOverOfAClaimJudgedDeadLeavesTheClaimMadeSinceUnderItsPid()
    {
        try (ControlFile controlFile = create())
        {
            assertTrue(controlFile.claim(0, me));
            // As if the claimant had died and its PID gone to a later process (this one, here).
            mark(controlFile, 0, before);
            final long judged = controlFile.claimWord(0);
            assertFalse(controlFile.isClaimantAlive(0, ControlFile.pidOf(judged)), "judged dead");

            assertTrue(controlFile.takeOver(0, judged, me), "another claimer, judging it dead too, takes it over first");
            final long live = controlFile.claimWord(0);
            assertTrue(controlFile.isClaimantAlive(0, me), "a live claim");
            assertFalse(controlFile.takeOver(0, judged, me), "the claim judged dead has ended: there is nothing to take over");
            assertEquals(live, controlFile.claimWord(0), "the live claim stays");
        }
    }

    /** A claimer judges the holder by the mark: a claim attempt on a slot that is not free must not move it. */
    @Test
    void aClaimOfASlotThatIsNotFreeLeavesItsMarkAlone()
    {
        try (ControlFile controlFile = create())
        {
            assertTrue(controlFile.claim(0, me));
            mark(controlFile, 0, before);
            assertFalse(controlFile.claim(0, me + 1), "the slot is not free");
            assertFalse(controlFile.takeOver(0, controlFile.claimWord(0) + (1L << 32), me + 2), "nor holds that claim");
            assertEquals(before, controlFile.claimMark(0));
            assertFalse(controlFile.isClaimantAlive(0, me), "still not its claimant");
        }
    }

    /**
     * A claimer that started before the claimant of a claim made meanwhile (a racing claimer's, raised
     * before its compare-and-set) stores an older mark: lowering that claim's mark would make its live
     * claimant look later than it, and dead.
     */
    @Test
    void aClaimNeverLowersTheMark()
    {
        try (ControlFile controlFile = create())
        {
            final long later = ProcessLiveness.startMark(me) + TimeUnit.DAYS.toMillis(1);
            mark(controlFile, 0, later);
            assertTrue(controlFile.claim(0, me));
            assertEquals(later, controlFile.claimMark(0));
            assertTrue(controlFile.isClaimantAlive(0, me));
        }
    }

    /**
     * The partition manager reckons process starts from the boot time it read as it started; the wall
     * clock may be stepped back after that (an NTP step at boot, a date set by hand). A claim made since by
     * a live process is still that process's: the mark must not depend on what the wall clock says.
     * Here the reader is a JVM whose /proc/stat (bound over in a mount namespace of its own, as root)
     * says the machine booted a day later than it did: as if the clock had been a day ahead when it read it.
     */
    @Test
    @Timeout(120)
    void aClaimantAManagerAndALockMakerLiveThoughTheWallClockWasSteppedBackSinceTheirReaderStarted() throws Exception
    {
        assumeTrue(Files.isReadable(Path.of("/proc/stat")), "process starts are told by /proc");
        final long day = TimeUnit.DAYS.toSeconds(1);
        final long booted = bootSeconds();
        final Path stat = dir.resolve("stat");
        Files.write(stat, Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).stream()
            .map(line -> line.startsWith(BTIME) ? BTIME + (booted + day) : line)
            .collect(Collectors.toList()), StandardCharsets.US_ASCII);
        final List<String> bound = List.of("unshare", "-m", "sh", "-c", "mount --bind \"$0\" /proc/stat && exec \"$@\"",
            stat.toString());
        final List<String> probe = new ArrayList<>(bound);
        probe.add("true");
        final Process canBind = new ProcessBuilder(probe).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assumeTrue(canBind.waitFor(30, TimeUnit.SECONDS) && canBind.exitValue() == 0, "cannot bind a /proc/stat of its own");

        final Process claimant = new ProcessBuilder("sleep", "600").start();
        try (ControlFile controlFile = create(); FabricLock lock = FabricLock.create(dir))
        {
            assertNotNull(lock, "the lock is made");
            assertTrue(controlFile.claim(0, claimant.pid()));
            final List<String> command = new ArrayList<>(bound);
            command.addAll(ChildJvm.command(Reader.class, List.of(
                dir.resolve("fabric.ctl").toString(), Long.toString(claimant.pid()), Long.toString(booted))));
            final Process reader = ChildJvm.processBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try
            {
                final String out = new String(reader.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                assertTrue(reader.waitFor(60, TimeUnit.SECONDS), "the reader ends");
                assertEquals(0, reader.exitValue(), out);
                // The control file's maker, this JVM, stands for its partition manager, and made the
                // directory's lock: by the same rule.
                assertEquals("booted " + day + " s later; claimant alive; manager alive; lock's maker running", out);
            }
            finally
            {
                reader.destroyForcibly().waitFor();
            }
        }
        finally
        {
            claimant.destroyForcibly().waitFor();
        }
    }

    private static long bootSeconds() throws java.io.IOException
    {
        return Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).stream()
            .filter(line -> line.startsWith(BTIME)).mapToLong(line -> Long.parseLong(line.substring(BTIME.length()).trim()))
            .findFirst().orElseThrow();
    }

    /**
     * Opens a control file and says how much later than {@code args[2]} its /proc/stat has the machine
     * booted, whether the claimant of the first slot, {@code args[1]}, and the file's partition manager live,
     * and whether the maker of the lock of the file's directory runs.
     */
    public static final class Reader
    {
        public static void main(final String[] args) throws Exception
        {
            final long pid = Long.parseLong(args[1]);
            try (ControlFile controlFile = ControlFile.open(Path.of(args[0])))
            {
                System.out.println("booted " + (bootSeconds() - Long.parseLong(args[2])) + " s later; claimant " +
                    (controlFile.isClaimantAlive(0, pid) ? "alive" : "gone") + "; manager " +
                    (controlFile.isPartitionManagerProcessAlive() ? "alive" : "gone") + "; lock's maker " +
                    (FabricLock.isMakerRunning(Path.of(args[0]).getParent()) ? "running" : "gone"));
            }
        }
    }
}
