package org.ffafabric.endpoint;

/**
 * Serves direct requests for an execution context. The response arrives with its function
 * ID and IDs already set (the matching RESP or RESP2, responder and requester swapped);
 * the handler fills the payload. Called on the context's own thread; must not block long.
 */
@FunctionalInterface
public interface DirectRequestHandler
{
    void onDirectRequest(DirectMessage request, DirectMessage response);
}
