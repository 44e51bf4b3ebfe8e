package org.ffafabric.transport;

import io.aeron.driver.MediaDriver;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class AeronTuningTest
{
    /**
     * A log is pre-touched through its mapping: made on a file system with no room for it, the
     * touch faults (SIGBUS) in the driver, which runs in the partition manager's duty cycle, and
     * takes that thread down. The driver's check refuses the log first, and the client that asked
     * gets a {@code RegistrationException} (NoRoomForALogTest: what the fabric makes of it).
     */
    @Test
    void theDriverChecksForRoomBeforeItMakesALog()
    {
        assertTrue(AeronTuning.driver(new MediaDriver.Context()).performStorageChecks());
    }
}
