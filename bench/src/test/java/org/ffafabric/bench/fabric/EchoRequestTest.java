package org.ffafabric.bench.fabric;

import org.ffafabric.EmbeddedFabric;
import org.ffafabric.endpoint.DirectRequestHandler;
import org.ffafabric.endpoint.Endpoint;
import org.ffafabric.launch.PartitionHostMain;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The ffa scenarios' request checks the whole answer it is timed on: a fabric that carried only
 * part of the message back (the first payload word, say) must fail the round trip, not pass as fast.
 */
@Timeout(60)
class EchoRequestTest
{
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theEchoOfEveryPayloadWordPasses(final boolean req2) throws Exception
    {
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(FfaScenarios.manifest());
             Endpoint requester = fabric.claim(FfaScenarios.REQUESTER_ID);
             Endpoint responder = fabric.claim(FfaScenarios.RESPONDER_ID);
             AutoCloseable serving = responder.serve(PartitionHostMain::echo))
        {
            final EchoRequest request = new EchoRequest(req2);
            request.awaitResponder(requester.executionContext(0));
            final long first = request.roundTrip(requester.executionContext(0));
            assertEquals(first + 1, request.roundTrip(requester.executionContext(0)));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anAnswerWithOnlyItsFirstPayloadWordEchoedFails(final boolean req2) throws Exception
    {
        // The README's echo: payload word 0 plus one, the rest left as the response came (zero).
        final DirectRequestHandler firstWordOnly = (request, response) -> response.payload(0, request.payload(0) + 1);
        try (EmbeddedFabric fabric = EmbeddedFabric.launch(FfaScenarios.manifest());
             Endpoint requester = fabric.claim(FfaScenarios.REQUESTER_ID);
             Endpoint responder = fabric.claim(FfaScenarios.RESPONDER_ID);
             AutoCloseable serving = responder.serve(firstWordOnly))
        {
            final EchoRequest request = new EchoRequest(req2);
            assertThrows(IllegalStateException.class, () -> request.awaitResponder(requester.executionContext(0)));
            assertThrows(IllegalStateException.class, () -> request.roundTrip(requester.executionContext(0)));
        }
    }
}
