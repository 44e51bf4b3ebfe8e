package org.ffafabric.conformance;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.ffafabric.control.ControlFile;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.ExecutionContext;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.launch.ChildJvm;
import org.ffafabric.launch.PartitionHostMain;
import org.ffafabric.launch.PartitionManagerMain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.ffafabric.conformance.Fx.*;
import static org.junit.jupiter.api.Assertions.*;

/** A partition manager and a two-SP partition host in child JVMs, a VM endpoint in this one. */
class MultiProcessTest
{
    static final UUID SP1 = UUID.fromString("aaaaaaaa-0000-0000-0000-000000000001");
    static final UUID SP2 = UUID.fromString("aaaaaaaa-0000-0000-0000-000000000002");

    private final List<Process> children = new ArrayList<>();
    private Path manifest;
    private Path dir;

    @AfterEach
    void cleanUp() throws Exception
    {
        for (final Process p : children)
        {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        if (manifest != null)
        {
            Files.deleteIfExists(manifest);
        }
        if (dir != null && Files.exists(dir))
        {
            org.agrona.IoUtil.delete(dir.toFile(), true);
        }
    }

    private Process start(final Class<?> main, final String... args) throws Exception
    {
        final List<String> cmd = ChildJvm.command(main, List.of(args));
        final Process p = ChildJvm.processBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        return p;
    }

    private static void awaitReady(final Process p) throws Exception
    {
        final BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        final CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                String line;
                while ((line = out.readLine()) != null)
                {
                    if (line.startsWith("READY"))
                    {
                        return true;
                    }
                }
                return false;
            }
            catch (final Exception ex)
            {
                return false;
            }
        });
        assertTrue(ready.get(60, TimeUnit.SECONDS), "child printed READY");
    }

    /** Writes the manifest and starts the partition manager; its directory is {@link #dir}. */
    private Process startPartitionManager() throws Exception
    {
        manifest = Files.createTempFile("ffa-mp-", ".yaml");
        Files.writeString(manifest, String.join("\n",
            "partitions:",
            "  - {name: vm1, id: 1, world: vm, uuid: 11111111-0000-0000-0000-000000000001,",
            "     messaging: [direct-req-send, direct-req2-send]}",
            "  - {name: sp1, id: 0x8001, world: sp-el1, uuid: " + SP1 + ",",
            "     messaging: [direct-req-recv, direct-req2-recv]}",
            "  - {name: sp2, id: 0x8002, world: sp-el1, uuid: " + SP2 + ",",
            "     messaging: [direct-req-recv, direct-req2-recv]}",
            "  - {name: sp3, id: 0x8003, world: sp-el1, uuid: aaaaaaaa-0000-0000-0000-000000000003,",
            "     messaging: [direct-req-recv]}",
            ""));
        dir = Path.of("/dev/shm", "ffa-mp-" + UUID.randomUUID().toString().substring(0, 8));
        final Process pm = start(PartitionManagerMain.class, "--manifest", manifest.toString(), "--dir", dir.toString(),
            "--exit-on-stdin-eof");
        awaitReady(pm);
        return pm;
    }

    @Test
    void separateProcessesServeDirectRequestsAndShutDownClean() throws Exception
    {
        final Process pm = startPartitionManager();
        final Process host = start(PartitionHostMain.class, "--dir", dir.toString(), "--partition", "0x8001",
            "--partition", "0x8002", "--exit-on-stdin-eof");
        awaitReady(host);
        final Process victim = start(PartitionHostMain.class, "--dir", dir.toString(), "--partition", "0x8003",
            "--exit-on-stdin-eof");
        awaitReady(victim);

        try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(dir)))
        {
            try (Endpoint vm = client.claim(1))
            {
                final ExecutionContext ec = vm.executionContext(0);
                for (final int sp : new int[] { 0x8001, 0x8002 })
                {
                    final RegisterFile r = sendWhenNotBusy(ec, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64, sp, null);
                    assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, r.w(0), r.toString());
                    assertEquals(RegisterFile.packIds(sp, 1), r.w(1));
                    for (int i = 0; i < 5; i++)
                    {
                        assertEquals(1000L * sp + i + 1, r.x(3 + i));
                    }
                    final RegisterFile r2 = sendWhenNotBusy(ec, FunctionId.FFA_MSG_SEND_DIRECT_REQ2, sp,
                        sp == 0x8001 ? SP1 : SP2);
                    assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP2, r2.w(0), r2.toString());
                    assertEquals(0L, r2.x(2));
                    assertEquals(0L, r2.x(3));
                    for (int i = 0; i < 14; i++)
                    {
                        assertEquals(1000L * sp + i + 1, r2.x(4 + i));
                    }
                }

                // A killed partition process is reaped: its contexts are ABORTED before its claim is
                // let go, so a request after the reap ends in ABORTED; the slot is claimable.
                victim.destroyForcibly();
                assertTrue(victim.waitFor(20, TimeUnit.SECONDS));
                final ControlFile cf = client.controlFile();
                final int slot = cf.slotOf(0x8003);
                final long deadline = System.nanoTime() + WAIT_NS;
                while (cf.claimPid(slot) != 0 && System.nanoTime() < deadline)
                {
                    LockSupport.parkNanos(1_000_000);
                }
                assertEquals(0L, cf.claimPid(slot), "the PM reaped the dead claim");
                final RegisterFile dead = regs(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64);
                dead.w(1, RegisterFile.packIds(1, 0x8003));
                ec.invoke(dead, WAIT_NS);
                assertEquals(FunctionId.FFA_ERROR, dead.w(0), dead.toString());
                assertEquals(ErrorCode.ABORTED, dead.w(2), dead.toString());
            }
            try (Endpoint taken = client.claim(0x8003))
            {
                final RegisterFile id = call(taken.executionContext(0), FunctionId.FFA_ID_GET);
                assertSuccess32(id);
                assertEquals(0x8003, id.w(2));
            }
        }

        host.getOutputStream().close();
        assertTrue(host.waitFor(30, TimeUnit.SECONDS), "host exits when stdin closes");
        assertEquals(0, host.exitValue());
        pm.getOutputStream().close();
        assertTrue(pm.waitFor(30, TimeUnit.SECONDS), "PM exits when stdin closes");
        assertEquals(0, pm.exitValue());
        assertFalse(Files.exists(dir), "the PM removed " + dir);
    }

    /** A host given a partition that receives no direct requests (vm1 only sends) claims and holds it, serving nothing. */
    @Test
    void aHostHoldsAPartitionThatOnlySends() throws Exception
    {
        final Process pm = startPartitionManager();
        final Process host = start(PartitionHostMain.class, "--dir", dir.toString(), "--partition", "1",
            "--exit-on-stdin-eof");
        awaitReady(host);
        try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(dir)))
        {
            final ControlFile cf = client.controlFile();
            assertEquals(host.pid(), cf.claimPid(cf.slotOf(1)), "the host holds vm1");
        }
        host.getOutputStream().close();
        assertTrue(host.waitFor(30, TimeUnit.SECONDS), "host exits when stdin closes");
        assertEquals(0, host.exitValue());
        pm.getOutputStream().close();
        assertTrue(pm.waitFor(30, TimeUnit.SECONDS), "PM exits when stdin closes");
    }

    /**
     * The partition manager's process dies: every client notices within a second or so and closes
     * itself, so a serving wait and later calls answer ABORTED (Aeron's client would otherwise end
     * the JVM once the driver's keepalive ran out), and a partition host exits on its own.
     */
    @Test
    void clientsCloseThemselvesWhenThePartitionManagerDies() throws Exception
    {
        final Process pm = startPartitionManager();
        final Process host = start(PartitionHostMain.class, "--dir", dir.toString(), "--partition", "0x8001");
        awaitReady(host);
        final CountDownLatch gone = new CountDownLatch(1);
        final FabricClient client = FabricClient.connect(
            new FabricClient.Context().directory(dir).partitionManagerGoneHandler(gone::countDown));
        try
        {
            final Endpoint vm = client.claim(1);
            final Endpoint sp2 = client.claim(0x8002);
            final RegisterFile served = new RegisterFile();
            final CompletableFuture<Boolean> serving = CompletableFuture.supplyAsync(() ->
                sp2.executionContext(0).serveDirectRequest((req, resp) -> { }, served, 0));
            final RegisterFile echoed = sendWhenNotBusy(vm.executionContext(0), FunctionId.FFA_MSG_SEND_DIRECT_REQ_64,
                0x8001, null);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, echoed.w(0), echoed.toString());

            pm.destroyForcibly();
            assertTrue(pm.waitFor(30, TimeUnit.SECONDS), "killed");
            assertTrue(gone.await(30, TimeUnit.SECONDS), "the client noticed");
            assertFalse(serving.get(30, TimeUnit.SECONDS), "the serving wait ended without a request");
            assertError(ErrorCode.ABORTED, served, "serving wait");
            assertTrue(vm.isClosed() && sp2.isClosed(), "the client closed its endpoints");
            assertError(ErrorCode.ABORTED, call(vm.executionContext(0), FunctionId.FFA_ID_GET), "a call after");
            assertTrue(host.waitFor(30, TimeUnit.SECONDS), "the host exits by itself");
            assertEquals(1, host.exitValue(), "the host says its partition manager went");
            assertFalse(client.hasPartitionManagerStopped(), "a killed manager did not stop");
        }
        finally
        {
            client.close();
        }
    }

    /**
     * The partition manager stopped, by its owner: here its standard input closed, which closes it as SIGTERM,
     * SIGINT and `ffa stop` do. Its clients close as for a death, but know it stopped (before their handler runs),
     * and a host exits 0: the fabric ended in order.
     */
    @Test
    void clientsAndHostsTellAStoppedPartitionManagerFromADeadOne() throws Exception
    {
        final Process pm = startPartitionManager();
        final Process host = start(PartitionHostMain.class, "--dir", dir.toString(), "--partition", "0x8001");
        awaitReady(host);
        final AtomicReference<FabricClient> holder = new AtomicReference<>();
        final CompletableFuture<Boolean> stoppedInHandler = new CompletableFuture<>();
        final FabricClient client = FabricClient.connect(new FabricClient.Context().directory(dir)
            .partitionManagerGoneHandler(() -> stoppedInHandler.complete(holder.get().hasPartitionManagerStopped())));
        holder.set(client);
        try
        {
            final Endpoint vm = client.claim(1);
            final RegisterFile echoed = sendWhenNotBusy(vm.executionContext(0), FunctionId.FFA_MSG_SEND_DIRECT_REQ_64,
                0x8001, null);
            assertEquals(FunctionId.FFA_MSG_SEND_DIRECT_RESP_64, echoed.w(0), echoed.toString());
            assertFalse(client.hasPartitionManagerStopped(), "not before it stops");

            pm.getOutputStream().close();
            assertTrue(stoppedInHandler.get(30, TimeUnit.SECONDS), "the handler saw a stop");
            awaitUntil(System.nanoTime() + WAIT_NS, vm::isClosed, "the client closed its endpoint");
            assertTrue(pm.waitFor(30, TimeUnit.SECONDS), "the manager ended");
            assertEquals(0, pm.exitValue());
            assertTrue(host.waitFor(30, TimeUnit.SECONDS), "the host exits by itself");
            assertEquals(0, host.exitValue(), "the host ends in order with its manager");
        }
        finally
        {
            client.close();
        }
    }

    /**
     * The partition manager dies under a ping-pong that runs flat out, so the client's close from
     * its watch thread races calls entering and leaving millions of times a second: both sides end
     * in ABORTED, and nothing touches what the close unmapped (that would crash this JVM).
     */
    @Test
    void aPingPongWhosePartitionManagerDiesEndsInAbortedOnBothSides() throws Exception
    {
        final Process pm = startPartitionManager();
        final FabricClient client = FabricClient.connect(
            new FabricClient.Context().directory(dir).partitionManagerGoneHandler(() -> { }));
        try
        {
            final Endpoint vm = client.claim(1);
            final Endpoint sp2 = client.claim(0x8002);
            final AutoCloseable serving = sp2.serve(PartitionHostMain::echo);
            final AtomicLong answered = new AtomicLong();
            final CompletableFuture<RegisterFile> pinging = CompletableFuture.supplyAsync(() ->
            {
                final ExecutionContext ec = vm.executionContext(0);
                final RegisterFile r = new RegisterFile();
                while (true)
                {
                    r.clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).w(1, RegisterFile.packIds(1, 0x8002)).x(3, 7);
                    ec.invoke(r);
                    if (r.w(0) == FunctionId.FFA_MSG_SEND_DIRECT_RESP_64)
                    {
                        assertEquals(8L, r.x(3), r::toString);
                        answered.incrementAndGet();
                    }
                    else if (!(r.isError() && r.w(2) == ErrorCode.BUSY))
                    {
                        return r;
                    }
                }
            });
            // A hang guard only: 10,000 round trips take milliseconds on an idle machine, but on a loaded one each
            // side waits for a core at every turn, and 200 a second have been seen (10 s was not enough).
            final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (answered.get() < 10_000 && !pinging.isDone())
            {
                assertTrue(System.nanoTime() < deadline, () -> "10,000 round trips, " + answered.get() + " made");
                LockSupport.parkNanos(1_000_000);
            }

            pm.destroyForcibly();
            assertTrue(pm.waitFor(30, TimeUnit.SECONDS), "killed");
            assertError(ErrorCode.ABORTED, pinging.get(30, TimeUnit.SECONDS), "the requester's last call");
            final long closing = System.nanoTime() + WAIT_NS;
            while (!(vm.isClosed() && sp2.isClosed()))
            {
                // The watch thread closes them one after the other.
                assertTrue(System.nanoTime() < closing, "the client closed its endpoints");
                LockSupport.parkNanos(1_000_000);
            }
            serving.close();
        }
        finally
        {
            client.close();
        }
    }

    /** A server between duty cycles is briefly not WAITING: retry BUSY, bounded. */
    private static RegisterFile sendWhenNotBusy(final ExecutionContext ec, final int fid, final int sp, final UUID uuid)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (true)
        {
            final RegisterFile r = regs(fid);
            r.w(1, RegisterFile.packIds(1, sp));
            final int first = uuid != null ? 4 : 3;
            if (uuid != null)
            {
                r.x(2, uuidLe(uuid, 0)).x(3, uuidLe(uuid, 1));
            }
            for (int i = 0; first + i <= (uuid != null ? 17 : 7); i++)
            {
                r.x(first + i, 1000L * sp + i);
            }
            ec.invoke(r, WAIT_NS);
            if (!(r.isError() && r.w(2) == ErrorCode.BUSY) || System.nanoTime() > deadline)
            {
                return r;
            }
            LockSupport.parkNanos(1_000_000);
        }
    }
}
