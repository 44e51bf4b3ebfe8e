package org.ffafabric.conformance;

import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.PartitionManifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A manifest at the fabric's limits: 256 partitions, two of them with 64 execution contexts at the
 * top of their ID ranges (VM 0x7FFE, SP 0xFFBF), where the stream and session IDs pack the largest
 * partition ID and context index; RX/TX at the largest page count. Every context of both is
 * claimed in one process and talks: a request from the VM's context N is served on the SP's
 * context N, and the discovery of all 256 fills the large RX buffer. About 130 contexts claimed:
 * a few seconds, and some 60 MB of /dev/shm at the tests' 64 KiB terms.
 */
class ScaleTest
{
    static final int VM_MAX = 0x7FFE;
    static final int SP_MAX = 0xFFBF;
    static final int ECS = PartitionManifest.MAX_EXECUTION_CONTEXTS;
    static final int RXTX_PAGES = 63;
    static final int OTHERS = Manifest.MAX_PARTITIONS - 2;

    @Test
    @Timeout(120)
    void everyContextOfTwoPartitionsAtTheLimitsIsClaimedAndServedOnItsOwnCpu() throws Exception
    {
        final Manifest.Builder manifest = Manifest.builder()
            .partition(p -> p.name("vm-max").id(VM_MAX).world(World.VM).uuid("f1000000-0000-0000-0000-000000007ffe")
                .directMessaging().executionContexts(ECS).memorySize(1024 * 1024))
            .partition(p -> p.name("sp-max").id(SP_MAX).world(World.SP_EL1).uuid("f1000000-0000-0000-0000-00000000ffbf")
                .directMessaging().executionContexts(ECS).memorySize(4096));
        for (int i = 0; i < OTHERS; i++)
        {
            final int id = 0x8001 + i;
            manifest.partition(p -> p.name("sp" + id).id(id).world(World.SP_EL1)
                .uuid(new UUID(0xf2000000L, id)).directMessaging().memorySize(4096));
        }
        try (FabricFixture fx = FabricFixture.launch(manifest.build(), VM_MAX, SP_MAX, 0x8001, 0x8000 + OTHERS))
        {
            final Endpoint vm = fx.endpoint(VM_MAX);
            final List<AutoCloseable> serving = new ArrayList<>();
            try
            {
                for (final int id : new int[] {SP_MAX, 0x8001, 0x8000 + OTHERS})
                {
                    // Each answers its own ID and the request's payload + 1.
                    serving.add(fx.endpoint(id).serve((req, resp) -> resp.payload(0, req.payload(0) + 1)));
                }
                for (int ec = 0; ec < ECS; ec++)
                {
                    final RegisterFile r = call(vm.executionContext(ec),
                        ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, VM_MAX, SP_MAX).x(3, ec));
                    assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), "vm-max/" + ec + ": " + r);
                    assertEquals(RegisterFile.packIds(SP_MAX, VM_MAX), r.w(1), "vm-max/" + ec + ": " + r);
                    assertEquals(ec + 1, r.x(3), "vm-max/" + ec + ": " + r);
                }
                for (final int id : new int[] {0x8001, 0x8000 + OTHERS})
                {
                    final RegisterFile r = call(vm.executionContext(ECS - 1),
                        ids(FunctionId.FFA_MSG_SEND_DIRECT_REQ2, VM_MAX, id).x(4, 41));
                    assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, r.w(0), r::toString);
                    assertEquals(RegisterFile.packIds(id, VM_MAX), r.w(1), r::toString);
                }
            }
            finally
            {
                for (final AutoCloseable s : serving)
                {
                    s.close();
                }
            }
            // Every partition is shown to a VM: 256 descriptors of 24 bytes in 63 pages of RX.
            PartitionInfoTest.mapRxTx(vm, RXTX_PAGES);
            final RegisterFile info = PartitionInfoTest.infoGet(vm.executionContext(0), null, 0);
            assertSuccess32(info);
            assertEquals(Manifest.MAX_PARTITIONS, info.x(2), info::toString);
            final long rx = PartitionInfoTest.rxAddress(vm, RXTX_PAGES) - vm.memory().base();
            boolean seenSpMax = false;
            for (int i = 0; i < Manifest.MAX_PARTITIONS; i++)
            {
                final int offset = (int)rx + i * 24;
                final int id = vm.memory().buffer().getShort(offset, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
                final int ecCount = vm.memory().buffer().getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
                if (id == SP_MAX)
                {
                    seenSpMax = true;
                    assertEquals(ECS, ecCount, "sp-max's execution contexts");
                }
            }
            assertTrue(seenSpMax, "sp-max is among the descriptors");
        }
    }
}
