package org.ffafabric.bench.fabric;

import io.aeron.Aeron;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.ffafabric.bench.baseline.AeronIpcStreams;
import org.ffafabric.bench.latency.ScenarioContext;
import org.ffafabric.control.ControlFile;
import org.ffafabric.control.ExecutionContextState;
import org.ffafabric.control.FabricDirectory;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.endpoint.FabricClient;
import org.ffafabric.launch.PartitionHostMain;
import org.ffafabric.pm.PartitionManager;
import org.ffafabric.transport.AeronTuning;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A raw peer stands for a live partition: the runtime on the other side takes a partition nobody has
 * claimed for gone (a first log to it that is still connecting is then given up on), so the peer holds
 * its partition's claim while open, under this process, and lets go of exactly that claim at close.
 */
@Timeout(60)
class RawDirectMessagePeerTest
{
    private PartitionManager pm;
    private Aeron aeron;

    @BeforeEach
    void launch()
    {
        pm = PartitionManager.launch(new PartitionManager.Context()
            .directory(ScenarioContext.newShmPath("raw-peer-test"))
            .manifest(FfaScenarios.manifest()));
        aeron = Aeron.connect(AeronTuning.client(new Aeron.Context()
            .aeronDirectoryName(FabricDirectory.aeronDirectory(pm.directory()).toString())));
    }

    @AfterEach
    void close()
    {
        CloseHelper.closeAll(aeron, pm);
    }

    @Test
    void aRawRequesterHoldsItsPartitionsClaimWhileOpen()
    {
        assertHoldsClaimWhileOpen(FfaScenarios.REQUESTER_ID, RawDirectMessagePeer::requester);
    }

    @Test
    void aRawResponderHoldsItsPartitionsClaimWhileOpen()
    {
        assertHoldsClaimWhileOpen(FfaScenarios.RESPONDER_ID, RawDirectMessagePeer::responder);
    }

    @Test
    void aRawPeerOfAPartitionClaimedAlreadyIsRefused()
    {
        final ControlFile controlFile = pm.controlFile();
        try (RawDirectMessagePeer first = RawDirectMessagePeer.responder(aeron, controlFile))
        {
            final long claim = controlFile.claimWord(controlFile.slotOf(FfaScenarios.RESPONDER_ID));
            assertThrows(IllegalStateException.class, () -> RawDirectMessagePeer.responder(aeron, controlFile));
            assertEquals(claim, controlFile.claimWord(controlFile.slotOf(FfaScenarios.RESPONDER_ID)));
        }
    }

    @Test
    void aRawRequesterTakesTheEchoOfEveryPayloadWord() throws Exception
    {
        final long[] answers = roundTripsOfARawRequester(PartitionHostMain::echo, 2);
        assertEquals(answers[0] + 1, answers[1]);
    }

    @Test
    void aRawRequesterRefusesAnAnswerWithOnlyItsFirstPayloadWordEchoed()
    {
        // x3 echoed plus one, x4..x7 left as the response came (zero): a message cut short.
        final DirectRequestHandler firstWordOnly = (request, response) -> response.payload(0, request.payload(0) + 1);
        assertThrows(IllegalStateException.class, () -> roundTripsOfARawRequester(firstWordOnly, 1));
    }

    @Test
    void aRawRequesterWhoseResponderHasNoInboxFailsRatherThanSpinning() throws Exception
    {
        // WAITING in the control file, yet nobody subscribes to its inbox: the request finds no log to go into.
        final ControlFile controlFile = pm.controlFile();
        final int stateOffset = controlFile.ecStateOffset(controlFile.slotOf(FfaScenarios.RESPONDER_ID), 0);
        controlFile.ecStateOrdered(stateOffset, ExecutionContextState.waitingAfter(controlFile.ecState(stateOffset)));
        try (RawDirectMessagePeer requester = RawDirectMessagePeer.requester(aeron, controlFile))
        {
            // On a thread of its own, so that a spin does not outlive the test: the close below ends it.
            final CompletableFuture<Throwable> failure = new CompletableFuture<>();
            final Thread thread = new Thread(() ->
            {
                try
                {
                    requester.roundTrip(new BusySpinIdleStrategy());
                    failure.complete(null);
                }
                catch (final Throwable ex)
                {
                    failure.complete(ex);
                }
            }, "raw-requester");
            thread.setDaemon(true);
            thread.start();
            assertInstanceOf(IllegalStateException.class, failure.get(40, TimeUnit.SECONDS));
        }
    }

    /** Round trips of a raw requester to the runtime's responder serving with {@code handler}; their answers. */
    private long[] roundTripsOfARawRequester(final DirectRequestHandler handler, final int count) throws Exception
    {
        final long[] answers = new long[count];
        try (FabricClient client = FabricClient.connect(new FabricClient.Context().directory(pm.directory()));
             Endpoint responder = client.claim(FfaScenarios.RESPONDER_ID);
             AutoCloseable serving = responder.serve(handler);
             RawDirectMessagePeer requester = RawDirectMessagePeer.requester(aeron, pm.controlFile()))
        {
            AeronIpcStreams.await(requester::isConnected, "raw requester's publication");
            for (int i = 0; i < count; i++)
            {
                answers[i] = requester.roundTrip(new BusySpinIdleStrategy());
            }
        }
        return answers;
    }

    private void assertHoldsClaimWhileOpen(
        final int partitionId, final BiFunction<Aeron, ControlFile, RawDirectMessagePeer> open)
    {
        final ControlFile controlFile = pm.controlFile();
        final int slot = controlFile.slotOf(partitionId);
        final int before = controlFile.claimGeneration(slot);
        final long pid = ProcessHandle.current().pid();
        try (RawDirectMessagePeer peer = open.apply(aeron, controlFile))
        {
            assertEquals(pid, controlFile.claimPid(slot));
            assertEquals(before + 1, controlFile.claimGeneration(slot));
            // Its messages say which claim sent them, as the runtime's do.
            assertEquals(before + 1, peer.generation());
        }
        assertEquals(0, controlFile.claimPid(slot));
        assertFalse(controlFile.holdsClaim(slot, before + 1, pid));
    }
}
