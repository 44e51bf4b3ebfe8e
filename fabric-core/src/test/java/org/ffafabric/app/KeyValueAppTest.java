package org.ffafabric.app;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.FfaException;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.DirectMessage;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FfaOps;
import org.ffafabric.endpoint.PartitionInfo;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** A small key-value application on the typed API only, as a user builds it from the README. */
@Timeout(120)
class KeyValueAppTest
{
    static final int VM = 0x0001;
    static final int KV = 0x8001;
    static final UUID STORE = UUID.fromString("c0ffee00-0000-4000-8000-000000000001");
    static final UUID STATS = UUID.fromString("c0ffee00-0000-4000-8000-000000000002");
    static final long PUT = 1, GET = 2, SLOW = 3, THROW = 4, DENY = 5;

    static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("hv").id(0).world(World.HYPERVISOR).uuid("c0ffee00-0000-4000-8000-0000000000ff"))
            .partition(p -> p.name("client").id(VM).world(World.VM).uuid("c0ffee00-0000-4000-8000-0000000000aa")
                .executionContexts(2).directMessaging())
            .partition(p -> p.name("kv").id(KV).world(World.SP_EL1).uuid(STORE).uuid(STATS)
                .executionContexts(2).directMessaging())
            .build();
    }

    final Map<Long, Long> store = new ConcurrentHashMap<>();
    volatile CountDownLatch slowGate = new CountDownLatch(0);

    DirectRequestHandler handler()
    {
        return (req, resp) ->
        {
            if (!req.isReq2())
            {
                resp.payload(0, req.payload(0) + 1);
                return;
            }
            final UUID service = req.registers().uuidFromPair(2);
            if (STATS.equals(service))
            {
                resp.payload(0, store.size());
                return;
            }
            final long op = req.payload(0);
            if (op == PUT)
            {
                final Long old = store.put(req.payload(1), req.payload(2));
                resp.payload(0, 0).payload(1, old == null ? -1 : old);
            }
            else if (op == GET)
            {
                final Long v = store.get(req.payload(1));
                resp.payload(0, v == null ? 1 : 0).payload(1, v == null ? 0 : v);
            }
            else if (op == SLOW)
            {
                try
                {
                    slowGate.await(30, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                resp.payload(0, 0).payload(1, 99);
            }
            else if (op == THROW)
            {
                throw new IllegalStateException("kv handler failure on purpose");
            }
            else if (op == DENY)
            {
                resp.registers().error(ErrorCode.DENIED);
            }
            else
            {
                resp.payload(13, op);
            }
        };
    }

    @Test
    void aKeyValueServiceAnswersTwoServicesOnTwoContexts() throws Exception
    {
        final ExecutorService exec = Executors.newFixedThreadPool(2);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim("kv");
             AutoCloseable serving = kv.serve(handler()))
        {
            final FfaOps ops = client.executionContext(0).ops();
            assertEquals(0x10002, ops.version(0x10002));
            assertEquals(VM, ops.id());
            assertTrue(ops.features(FunctionId.FFA_MSG_SEND_DIRECT_REQ2));
            assertTrue(ops.features(FunctionId.FFA_RXTX_MAP_64));
            // RX/TX in the client's own memory.
            final long base = client.memory().base();
            ops.rxtxMap(base, base + 4096, 1);
            final List<PartitionInfo> all = ops.partitionInfo(null);
            System.out.println(all);
            assertEquals(all.size(), ops.partitionCount(null));
            final List<PartitionInfo> kvStore = ops.partitionInfo(STORE);
            assertEquals(1, kvStore.size(), kvStore.toString());
            assertEquals(KV, kvStore.get(0).id());
            assertEquals(2, kvStore.get(0).executionContextCount());
            assertNull(kvStore.get(0).uuid());
            assertTrue(kvStore.get(0).supportsDirectRequest2Receive());
            assertEquals(1, ops.partitionCount(STATS));
            final FfaException unknown = assertThrows(FfaException.class, () -> ops.partitionInfo(UUID.randomUUID()));
            assertEquals(ErrorCode.INVALID_PARAMETERS, unknown.errorCode());
            // RX was released by partitionInfo: a second release is DENIED.
            final FfaException released = assertThrows(FfaException.class, ops::rxRelease);
            assertEquals(ErrorCode.DENIED, released.errorCode());

            // REQ_64 echo on the default.
            final DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 41);
            ops.sendDirect(KV, m);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, m.functionId());
            assertEquals(42, m.payload(0));
            assertEquals(KV, m.sender());
            assertEquals(VM, m.receiver());

            // Two contexts in parallel on the store service.
            final Future<?>[] f = new Future<?>[2];
            for (int c = 0; c < 2; c++)
            {
                final int ec = c;
                f[c] = exec.submit(() ->
                {
                    final FfaOps o = client.executionContext(ec).ops();
                    final DirectMessage msg = new DirectMessage();
                    for (long k = 0; k < 200; k++)
                    {
                        final long key = ec * 1000 + k;
                        msg.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, PUT).payload(1, key).payload(2, key * 7);
                        o.sendDirect2(KV, STORE, msg, 0);
                        assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, msg.functionId());
                        assertEquals(-1, msg.payload(1));
                        msg.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, GET).payload(1, key);
                        o.sendDirect2(KV, STORE, msg, 0);
                        assertEquals(0, msg.payload(0));
                        assertEquals(key * 7, msg.payload(1));
                    }
                    return null;
                });
            }
            f[0].get(60, TimeUnit.SECONDS);
            f[1].get(60, TimeUnit.SECONDS);
            final DirectMessage stats = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2);
            ops.sendDirect2(KV, STATS, stats, 0);
            assertEquals(400, stats.payload(0));
            // The last payload word of REQ2 (x17).
            stats.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, 1234);
            ops.sendDirect2(KV, null, stats, 0);
            assertEquals(1234, stats.payload(13));

            // Handler failures.
            final DirectMessage bad = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, THROW);
            final FfaException aborted = assertThrows(FfaException.class, () -> ops.sendDirect2(KV, STORE, bad, 0));
            assertEquals(ErrorCode.ABORTED, aborted.errorCode());
            bad.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, DENY);
            final FfaException denied = assertThrows(FfaException.class, () -> ops.sendDirect2(KV, STORE, bad, 0));
            assertEquals(ErrorCode.DENIED, denied.errorCode());
            // And the service goes on.
            m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 1);
            ops.sendDirect(KV, m);
            assertEquals(2, m.payload(0));
            // Unknown service UUID.
            final FfaException noService = assertThrows(FfaException.class, () -> ops.sendDirect2(KV, UUID.randomUUID(), m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2), 0));
            assertEquals(ErrorCode.INVALID_PARAMETERS, noService.errorCode());
            // Late version change.
            final FfaException late = assertThrows(FfaException.class, () -> ops.version(0x10001));
            assertEquals(ErrorCode.NOT_SUPPORTED, late.errorCode());
            // msgWait with a bound ends in FFA_INTERRUPT.
            final DirectMessage w = ops.msgWait(new DirectMessage(), TimeUnit.MILLISECONDS.toNanos(20));
            assertEquals(FunctionId.FFA_INTERRUPT, w.functionId());
        }
        finally
        {
            exec.shutdownNow();
        }
    }
}
