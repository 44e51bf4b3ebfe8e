package org.ffafabric.app;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FfaOps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;

import static org.ffafabric.app.KeyValueAppTest.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's "the direct-message hot path allocates nothing", on the requester's typed path. Its hang guard is far
 * past the 8,000 round trips' few seconds: beside four busy processes on two cores each waits for a core, 22 s in all.
 */
@Timeout(600)
class TypedClientAllocationTest
{
    @Test
    void sendDirectAndSendDirect2AllocateNothingPerRequest() throws Exception
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        // Unmeasured, every count is -1 and the difference 0: the test would pass whatever was allocated.
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV);
             AutoCloseable serving = kv.serve((req, resp) -> resp.payload(0, req.payload(0) + 1)))
        {
            final FfaOps ops = client.executionContext(0).ops();
            final DirectMessage m = new DirectMessage();
            final long thread = Thread.currentThread().getId();
            long before = 0;
            for (int round = 0; round < 2; round++)
            {
                // Round 0 warms up (class loading, first images); round 1 is measured.
                before = threads.getThreadAllocatedBytes(thread);
                for (int i = 0; i < 2000; i++)
                {
                    m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                    ops.sendDirect(KV, m, 10_000_000_000L);
                    assertEquals(i + 1, m.payload(0));
                    m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, i);
                    ops.sendDirect2(KV, STORE, m, 0);
                    assertEquals(i + 1, m.payload(0));
                }
            }
            final long allocated = threads.getThreadAllocatedBytes(thread) - before;
            assertTrue(allocated < 4096, "the requesting thread allocated " + allocated + " bytes for 4000 requests");
        }
    }
}
