package org.ffafabric.endpoint;

/**
 * Serves direct requests for an execution context. The response arrives with its function
 * ID and IDs already set (the matching RESP or RESP2, responder and requester swapped);
 * the handler fills the payload, or sets FFA_ERROR and a code to cancel the request. The
 * request is read where it lies in the transport's log and both views are valid only during
 * the call (see {@link ExecutionContext#serveDirectRequest}). Called on the context's own
 * thread, which the requester waits on: it must not block long. Its own FF-A calls go on that
 * context, {@link Endpoint#currentContext()}.
 */
@FunctionalInterface
public interface DirectRequestHandler
{
    void onDirectRequest(DirectMessage request, DirectMessage response);
}
