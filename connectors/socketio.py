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
Rasa sends them, so any socket.io client keeps working.

Rasa runs several Sanic workers (SANIC_WORKERS), each a process with its own socket.io server,
and Rasa builds that server without a client manager: an emit reaches only the widgets connected
to the same process. An agent's reply arrives at whichever worker takes the HTTP API request, so
half of them would be lost. Here the server gets python-socketio's `AsyncRedisManager` on the
project's Redis (REDIS_URL): every emit goes through a Redis channel and each worker delivers it
to the rooms it holds. A connection itself must stay on one worker, which websocket-only clients
do (the widget: `transports: ["websocket"]`); long-polling requests would land on any worker.
In `credentials.yml`:

    connectors.socketio.ShopSocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
"""

from __future__ import annotations

import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from socketio import AsyncRedisManager, AsyncServer

from connectors.rasa_routes import unquote_conversation_ids
from core import settings

unquote_conversation_ids()  # Rasa imports this channel before it builds its app: see there

AGENT_KEY = "handoff_agent"
PUBSUB_CHANNEL = "shop:socketio"  # the Redis channel every Rasa worker's socket.io server shares


class WorkerRedisManager(AsyncRedisManager):
    """`AsyncRedisManager` made after fork-safe: Rasa builds its channels (and so this manager)
    before Sanic forks the workers. python-socketio starts the manager in the process that gets
    the first connection; there each worker takes a Redis client and a host id of its own (the
    host id tells the workers apart for emits with callbacks). A worker that never has a
    connection only publishes, on connections it opens itself."""

    def initialize(self) -> None:
        self.host_id = uuid.uuid4().hex
        self._redis_connect()
        super().initialize()


def share_emits(sio: AsyncServer, redis_url: str) -> WorkerRedisManager:
    """Gives Rasa's already built server the Redis manager (it takes none from its caller)."""
    manager = WorkerRedisManager(redis_url, channel=PUBSUB_CHANNEL)
    manager.set_server(sio)
    sio.manager = manager
    sio.manager_initialized = False
    return manager


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

        blueprint = super().blueprint(answer_through_shop_output)
        if self.sio is not None:
            share_emits(self.sio, settings.load().redis_url)
        return blueprint
