package org.ffafabric.control;

import org.junit.jupiter.api.Test;

import static org.ffafabric.control.ExecutionContextState.*;
import static org.junit.jupiter.api.Assertions.*;

/** A state word as `ffa partitions` and the tests' messages say it. */
class ExecutionContextStateTest
{
    @Test
    void aRunningOrBlockedContextIsSaidWithItsModelAndItsPeerWhenItHasOne()
    {
        assertEquals("RUNNING(none)", describe(pack(RUNNING, MODEL_NONE, false, 0, 0, 0)),
            "a held VM's context runs for no one: no peer=0x0000/0");
        assertEquals("RUNNING(direct-req,peer=0x0001/2)", describe(pack(RUNNING, MODEL_DIRECT_REQ, false, 1, 2, 0)));
        assertEquals("BLOCKED(run,yielded,peer=0x8001/0)", describe(pack(BLOCKED, MODEL_RUN, true, 0x8001, 0, 0)));
        assertEquals("RUNNING(init,peer=0x0000/0)", describe(pack(RUNNING, MODEL_INIT, false, 0, 0, 0)),
            "only a context that runs on its own leaves the peer out");
        assertEquals("WAITING", describe(pack(WAITING, MODEL_NONE, false, 0, 0, 0)));
    }
}
