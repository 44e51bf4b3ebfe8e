package org.ffafabric.conformance;

import org.ffafabric.control.FabricLock;

import java.nio.file.Paths;

/**
 * A child JVM of {@link CrashedLaunchTest} that does what a launch sweeping beside a dead fabric
 * does, held part way: takes the fabric's lock, prints {@code TAKEN}, and removes the fabric only
 * when its standard input ends.
 * <pre>
 *   SweepingProcess --dir D
 * </pre>
 */
final class SweepingProcess
{
    private SweepingProcess()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        ChildProcess.haltWithParent();
        final FabricLock lock = FabricLock.tryTake(Paths.get(args[1]));
        if (lock == null)
        {
            System.out.println("FAILED the lock of " + args[1] + " is held or gone");
            System.exit(1);
        }
        System.out.println("TAKEN");
        System.out.flush();
        while (System.in.read() >= 0)
        {
            // Until the parent says: its standard input ends.
        }
        lock.deleteDirectory();
    }
}
