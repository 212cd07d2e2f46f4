"""Rasa's socket.io channel, saying who wrote each message: the bot or a person.

The web widget (`connectors/web/`) tells the assistant's messages from an agent's. An agent's
reply reaches Rasa as a `bot` event with `metadata.handoff_agent` (`handoff/rasa_client.py`);
`BotUttered.message()` merges the metadata into the message and `OutputChannel.send_response`
passes the extra keys to the `send_*` methods as keyword arguments. This channel adds to every
`bot_uttered` payload

    {"text": ..., "sender": "agent", "agent": "<agent name>"}   # a person wrote it
    {"text": ..., "sender": "bot"}                               # the assistant wrote it

and is otherwise Rasa's own `SocketIOInput`: channel name `socketio`, webhook path `/socket.io`,
events `user_uttered` / `bot_uttered` / `session_request` / `session_confirm`, quick replies as
Rasa sends them, so any socket.io client keeps working. In `credentials.yml`:

    connectors.socketio.ShopSocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from connectors.rasa_routes import unquote_conversation_ids

unquote_conversation_ids()  # Rasa imports this channel before it builds its app: see there

AGENT_KEY = "handoff_agent"


def sender_fields(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """`sender` (and `agent`) for a message whose other keys are `kwargs`."""
    agent = kwargs.get(AGENT_KEY)
    if isinstance(agent, str) and agent.strip():
        return {"sender": "agent", "agent": agent.strip()}
    return {"sender": "bot"}


class ShopSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output with `sender` (and `agent`) in every message."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        who = sender_fields(kwargs)
        for message_part in (text or "").strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": message_part, **who})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        who = sender_fields(kwargs)
        message_parts = (text or "").strip().split("\n\n")  # [""] at least: the buttons need a message
        messages: List[Dict[str, Any]] = [{"text": part, "quick_replies": [], **who} for part in message_parts]
        messages[-1]["quick_replies"] = [
            {"content_type": "text", "title": button["title"], "payload": button["payload"]} for button in buttons
        ]
        for message in messages:
            await self._send_message(recipient_id, message)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        message = {"attachment": {"type": "image", "payload": {"src": image}}, **sender_fields(kwargs)}
        await self._send_message(recipient_id, message)

    async def send_attachment(
        self, recipient_id: str, attachment: Dict[str, Any], **kwargs: Any
    ) -> None:
        await self._send_message(recipient_id, {"attachment": attachment, **sender_fields(kwargs)})


class ShopSocketIOInput(SocketIOInput):
    """Rasa's socket.io input channel whose replies go out through `ShopSocketIOOutput`."""

    def get_output_channel(self) -> Optional[OutputChannel]:
        """The channel for messages sent later (an agent's reply, `output_channel=latest`)."""
        if self.sio is None:
            return super().get_output_channel()  # warns, as Rasa does, and returns None
        return ShopSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint; each customer message is answered through `ShopSocketIOOutput`."""

        async def answer_through_shop_output(message: UserMessage) -> Any:
            if self.sio is not None:
                message.output_channel = ShopSocketIOOutput(self.sio, self.bot_message_evt)
            return await on_new_message(message)

        return super().blueprint(answer_through_shop_output)
