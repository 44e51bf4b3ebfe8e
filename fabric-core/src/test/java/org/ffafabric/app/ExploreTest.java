package org.ffafabric.app;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.FfaException;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.endpoint.*;
import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(60)
class ExploreTest
{
    static final int VM = 0x0001, KV = 0x8001, LEAF = 0x8002;
    static final UUID STORE = UUID.fromString("c0ffee00-0000-4000-8000-000000000001");
    static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("hv").id(0).world(World.HYPERVISOR).uuid("c0ffee00-0000-4000-8000-0000000000ff"))
            .partition(p -> p.name("client").id(VM).world(World.VM).uuid("c0ffee00-0000-4000-8000-0000000000aa")
                .executionContexts(2).directMessaging())
            .partition(p -> p.name("kv").id(KV).world(World.SP_EL1).uuid(STORE)
                .executionContexts(2).directMessaging())
            .partition(p -> p.name("leaf").id(LEAF).world(World.SP_EL1).uuid("c0ffee00-0000-4000-8000-0000000000bb")
                .executionContexts(1).directMessaging())
            .build();
    }

    @Test
    void yieldingHandlerThroughTypedSend() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint leaf = fabric.claim(LEAF);
             AutoCloseable s = leaf.serve((req, resp) -> {
                 leaf.executionContext(0).ops().yieldCycles(0);
                 leaf.executionContext(0).ops().yieldCycles(1000);
                 resp.payload(0, req.payload(0) * 2);
             }))
        {
            FfaOps ops = client.executionContext(0).ops();
            DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 21);
            ops.sendDirect(LEAF, m);
            System.out.println("yield: " + m);
            assertEquals(42, m.payload(0));
            m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 5);
            ops.sendDirect(LEAF, m, TimeUnit.SECONDS.toNanos(10));
            assertEquals(10, m.payload(0));
            m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, 5);
            ops.sendDirect2(LEAF, null, m, 0);
            System.out.println("yield2: " + m);
            assertEquals(10, m.payload(0));
        }
    }

    @Test
    void partitionInfoWithoutRxtx() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM))
        {
            FfaOps ops = client.executionContext(0).ops();
            try { System.out.println("noRX: " + ops.partitionInfo(null)); }
            catch (FfaException ex) { System.out.println("noRX ex: " + ex); }
            System.out.println("count: " + ops.partitionCount(null));
        }
    }

    @Test
    void hypervisorRunsSp() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint hv = fabric.claim(0);
             Endpoint leaf = fabric.claim(LEAF);
             AutoCloseable s = leaf.serve((req, resp) -> resp.payload(0, 1)))
        {
            FfaOps ops = hv.executionContext(0).ops();
            System.out.println("run: " + FunctionId.describe(ops.run(LEAF, 0)));
            DirectMessage m = new DirectMessage();
            System.out.println("run2: " + FunctionId.describe(ops.run(LEAF, 0, m, TimeUnit.SECONDS.toNanos(5))) + " " + m);
            m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 5);
            ops.sendDirect(LEAF, m);
            System.out.println("hv send: " + m);
        }
    }

    @Test
    void msgWaitAndRespondByHand() throws Exception
    {
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint leaf = fabric.claim(LEAF))
        {
            FfaOps lops = leaf.executionContext(0).ops();
            Future<?> f = ex.submit(() -> {
                DirectMessage m = new DirectMessage();
                lops.msgWait(m, TimeUnit.SECONDS.toNanos(10));
                for (int i = 0; i < 3; i++)
                {
                    System.out.println("got: " + m);
                    long v = m.payload(0);
                    int sender = m.sender();
                    int fid = m.functionId() == FunctionId.FFA_MSG_SEND_DIRECT_REQ2 ? FunctionId.FFA_MSG_SEND_DIRECT_RESP2 : FunctionId.FFA_MSG_SEND_DIRECT_RESP_64;
                    m.reset(fid).payload(0, v + 100);
                    m.registers().w(1, RegisterFile.packIds(LEAF, sender));
                    leaf.executionContext(0).invoke(m.registers(), i == 2 ? 1 : TimeUnit.SECONDS.toNanos(10));
                }
                System.out.println("last: " + m);
                return null;
            });
            Thread.sleep(200);
            FfaOps ops = client.executionContext(0).ops();
            DirectMessage m = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 1);
            ops.sendDirect(LEAF, m);
            assertEquals(101, m.payload(0));
            m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, 2);
            ops.sendDirect2(LEAF, null, m, 0);
            assertEquals(102, m.payload(0));
            m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, 3);
            ops.sendDirect(LEAF, m);
            assertEquals(103, m.payload(0));
            f.get(20, TimeUnit.SECONDS);
        }
        finally { ex.shutdownNow(); }
    }

    @Test
    void closeWhileServingAndRequestInFlight() throws Exception
    {
        ExecutorService ex = Executors.newSingleThreadExecutor();
        CountDownLatch in = new CountDownLatch(1);
        CountDownLatch gate = new CountDownLatch(1);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM))
        {
            Endpoint leaf = fabric.claim(LEAF);
            AutoCloseable s = leaf.serve((req, resp) -> {
                in.countDown();
                try { gate.await(5, TimeUnit.SECONDS); } catch (InterruptedException e) { }
                resp.payload(0, 7);
            });
            FfaOps ops = client.executionContext(0).ops();
            Future<DirectMessage> f = ex.submit(() -> ops.sendDirect(LEAF, new DirectMessage().payload(0, 1)));
            assertTrue(in.await(10, TimeUnit.SECONDS));
            long t = System.nanoTime();
            Thread closer = new Thread(leaf::close);
            closer.start();
            Thread.sleep(100);
            gate.countDown();
            closer.join(20000);
            System.out.println("close took ms " + (System.nanoTime() - t) / 1e6);
            try { System.out.println("inflight: " + f.get(20, TimeUnit.SECONDS)); }
            catch (ExecutionException e) { System.out.println("inflight ex: " + e.getCause()); }
            s.close();
            try { ops.sendDirect(LEAF, new DirectMessage()); } catch (FfaException e) { System.out.println("after close: " + e); }
            Endpoint again = fabric.claim(LEAF);
            try (AutoCloseable s2 = again.serve((req, resp) -> resp.payload(0, 9)))
            {
                DirectMessage m = ops.sendDirect(LEAF, new DirectMessage());
                assertEquals(9, m.payload(0));
            }
            again.close();
        }
        finally { ex.shutdownNow(); }
    }

    @Test
    void nestedOnMp() throws Exception
    {
        ExecutorService ex = Executors.newFixedThreadPool(2);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV);
             Endpoint leaf = fabric.claim(LEAF);
             AutoCloseable s1 = leaf.serve((req, resp) -> resp.payload(0, req.payload(0) + 1000));
             AutoCloseable s2 = kv.serve((req, resp) -> {
                 // Naive user: which context am I on? Guess 0.
                 DirectMessage fwd = new DirectMessage().reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, req.payload(0));
                 kv.executionContext(0).ops().sendDirect(LEAF, fwd, TimeUnit.SECONDS.toNanos(2));
                 resp.payload(0, fwd.payload(0));
             }))
        {
            Future<?>[] f = new Future<?>[2];
            for (int c = 0; c < 2; c++)
            {
                final int ec = c;
                f[c] = ex.submit(() -> {
                    FfaOps o = client.executionContext(ec).ops();
                    DirectMessage m = new DirectMessage();
                    for (int i = 0; i < 50; i++)
                    {
                        m.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).payload(0, i);
                        try { o.sendDirect(KV, m, TimeUnit.SECONDS.toNanos(3)); System.out.println("ec" + ec + " " + m.payload(0)); }
                        catch (FfaException e) { System.out.println("ec" + ec + " ex " + e); return null; }
                    }
                    return null;
                });
            }
            f[0].get(30, TimeUnit.SECONDS);
            f[1].get(30, TimeUnit.SECONDS);
        }
        finally { ex.shutdownNow(); }
    }

    @Test
    void timeoutMessages() throws Exception
    {
        CountDownLatch gate = new CountDownLatch(1);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM);
             Endpoint kv = fabric.claim(KV);
             AutoCloseable s = kv.serve((req, resp) -> { try { gate.await(10, TimeUnit.SECONDS); } catch (InterruptedException e) {} resp.payload(0, 3); }))
        {
            FfaOps ops = client.executionContext(1).ops();
            DirectMessage m = new DirectMessage().payload(0, 1);
            try { ops.sendDirect(KV, m, 10_000_000); } catch (FfaException e) { System.out.println("to: " + e + " msg " + m); }
            try { ops.sendDirect(KV, new DirectMessage()); } catch (FfaException e) { System.out.println("busy: " + e); }
            try { ops.run(KV, 0, m, 10_000_000); } catch (FfaException e) { System.out.println("run wrong vcpu: " + e); }
            gate.countDown();
            int r = ops.run(KV, 1, m, TimeUnit.SECONDS.toNanos(10));
            System.out.println("run: " + FunctionId.describe(r) + " " + m);
            // version 1.0 partition info
        }
    }

    @Test
    void v10PartitionInfo() throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
             Endpoint client = fabric.claim(VM))
        {
            FfaOps ops = client.executionContext(0).ops();
            System.out.println("v: " + Integer.toHexString(ops.version(0x10000)));
            long base = client.memory().base();
            ops.rxtxMap(base, base + 4096, 1);
            System.out.println("all10: " + ops.partitionInfo(null));
            System.out.println("uuid10: " + ops.partitionInfo(STORE));
            System.out.println("all10 again: " + ops.partitionInfo(null));
            try { System.out.println("count10: " + ops.partitionCount(null)); } catch (FfaException e) { System.out.println("count10 " + e); }
        }
    }

    @Test
    void fabricCloseWhileServing() throws Exception
    {
        EmbeddedFabric fabric = EmbeddedFabric.launch(manifest());
        Endpoint client = fabric.claim(VM);
        Endpoint kv = fabric.claim(KV);
        AutoCloseable s = kv.serve((req, resp) -> resp.payload(0, 1));
        client.executionContext(0).ops().sendDirect(KV, new DirectMessage());
        long t = System.nanoTime();
        fabric.close();
        System.out.println("fabric close ms " + (System.nanoTime() - t) / 1e6);
        Thread.sleep(300);
        Thread.getAllStackTraces().keySet().forEach(th -> { if (th.getName().startsWith("ffa")) System.out.println("thread left: " + th.getName()); });
        s.close();
        System.out.println("dir exists " + java.nio.file.Files.exists(fabric.directory()));
    }
}
