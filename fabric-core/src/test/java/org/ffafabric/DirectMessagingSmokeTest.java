package org.ffafabric;

import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.*;

class DirectMessagingSmokeTest
{
    @Test
    void requestAndResponseAcrossTwoEndpoints() throws Exception
    {
        final Manifest manifest = Manifest.builder()
            .partition(p -> p.name("vm1").id(1).world(World.VM).uuid("11111111-2222-3333-4444-555555555555").directMessaging())
            .partition(p -> p.name("sp1").id(0x8001).world(World.SP_EL1).uuid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee").directMessaging())
            .build();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest);
            Endpoint vm = fabric.claim(1);
            Endpoint sp = fabric.claim(0x8001))
        {
            try (AutoCloseable serving = sp.serve((req, resp) -> resp.payload(0, req.payload(0) + 1)))
            {
                // serve() returns once the server waits: the very first request must not be BUSY.
                final DirectMessage msg = new DirectMessage();
                for (int i = 0; i < 100; i++)
                {
                    msg.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                    vm.executionContext(0).ops().sendDirect(0x8001, msg);
                    assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, msg.functionId());
                    assertEquals(RegisterFile.packIds(0x8001, 1), msg.registers().w(1));
                    assertEquals(i + 1, msg.payload(0));
                }
            }
        }
    }
}
