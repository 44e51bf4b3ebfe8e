package org.ffafabric.endpoint;

import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FunctionId;
import org.ffafabric.abi.RegisterFile;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DirectMessageTest
{
    @Test
    void aMessageOfItsOwnFollowsW0()
    {
        final DirectMessage message = new DirectMessage();
        message.reset(FunctionId.FFA_MSG_SEND_DIRECT_REQ2).payload(0, 0xA0).payload(13, 0xAD);
        assertEquals(0xA0, message.registers().x(4));
        assertEquals(0xAD, message.registers().x(17));
        assertEquals(DirectMessage.PAYLOAD2_WORDS, message.payloadWords());

        // Registers written by a call (invoke's return) change the layout with them.
        message.registers().clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_RESP_64).x(3, 0xB0).x(7, 0xB4);
        assertEquals(0xB0, message.payload(0));
        assertEquals(0xB4, message.payload(4));
        assertEquals(DirectMessage.PAYLOAD_WORDS, message.payloadWords());
    }

    @Test
    void aServedViewKeepsTheLayoutItWasGivenWithoutReadingW0()
    {
        final DirectMessage response = new DirectMessage();
        response.registers().clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_RESP2);
        response.fixLayout(FunctionId.FFA_MSG_SEND_DIRECT_RESP2);
        // A handler that cancels with an error: the payload setters still address x4 on.
        response.registers().error(ErrorCode.DENIED);
        response.payload(0, 0xC0);
        assertEquals(0xC0, response.registers().x(4));
        assertEquals(DirectMessage.PAYLOAD2_WORDS, response.payloadWords());
        assertEquals(ErrorCode.DENIED, response.registers().w(2));

        // A reset of a served view moves its fixed layout to the new kind.
        response.reset(FunctionId.FFA_MSG_SEND_DIRECT_RESP_32).payload(0, 0xD0);
        assertEquals(0xD0, response.registers().x(3));
        assertEquals(DirectMessage.PAYLOAD_WORDS, response.payloadWords());

        final DirectMessage request = new DirectMessage(new RegisterFile());
        request.registers().clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ_64).x(3, 0xE0);
        request.fixLayout(FunctionId.FFA_MSG_SEND_DIRECT_REQ_64);
        assertEquals(0xE0, request.payload(0));
    }

    @Test
    void aDetachedViewFollowsW0Again()
    {
        // A handler's view copied out of the log may carry the answer to a call of its own.
        final DirectMessage request = new DirectMessage();
        request.registers().clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_REQ2);
        request.fixLayout(FunctionId.FFA_MSG_SEND_DIRECT_REQ2);
        request.unfixLayout();
        request.registers().clear().w(0, FunctionId.FFA_MSG_SEND_DIRECT_RESP_64).x(3, 0xF0);
        assertEquals(0xF0, request.payload(0));
        assertEquals(DirectMessage.PAYLOAD_WORDS, request.payloadWords());
    }
}
