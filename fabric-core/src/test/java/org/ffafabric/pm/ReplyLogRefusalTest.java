package org.ffafabric.pm;

import io.aeron.ErrorCode;
import io.aeron.exceptions.RegistrationException;
import org.ffafabric.control.ControlFileDescriptor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Why the manager says a claim's reply log was refused, from the driver's refusal as Aeron 1.51 words it:
 * the claimer's message rests on it (no room, no counter, or a session ID another log still holds).
 */
class ReplyLogRefusalTest
{
    @Test
    void eachRefusalOfTheDriverIsToldByItsCause()
    {
        final RegistrationException clash = new RegistrationException(1, ErrorCode.INVALID_CHANNEL.value(),
            ErrorCode.INVALID_CHANNEL, "existing publication has clashing sessionId=-2147418111 for streamId=1 channel=aeron:ipc");
        final RegistrationException noRoom = new RegistrationException(1, ErrorCode.STORAGE_SPACE.value(),
            ErrorCode.STORAGE_SPACE, "insufficient usable storage for new log of length=12587008");
        final RegistrationException noCounter = new RegistrationException(1, ErrorCode.GENERIC_ERROR.value(),
            ErrorCode.GENERIC_ERROR, "java.lang.IllegalStateException: unable to allocate counter; buffer is full");
        final RegistrationException otherChannel = new RegistrationException(1, ErrorCode.INVALID_CHANNEL.value(),
            ErrorCode.INVALID_CHANNEL, "term-length not a power of 2");

        assertEquals(ControlFileDescriptor.REFUSED_SESSION_HELD, PartitionManager.refusalCause(clash, false));
        assertEquals(ControlFileDescriptor.REFUSED_NO_ROOM, PartitionManager.refusalCause(noRoom, false));
        assertEquals(ControlFileDescriptor.REFUSED_NO_COUNTER, PartitionManager.refusalCause(noCounter, false));
        assertEquals(ControlFileDescriptor.REFUSED_NO_ROOM, PartitionManager.refusalCause(otherChannel, false),
            "an invalid channel that is no clash is no held session");
        assertEquals(ControlFileDescriptor.REFUSED_NO_COUNTER, PartitionManager.refusalCause(clash, true),
            "no counter left whatever the message");
    }
}
