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
Who a connection speaks for is the server's to say, never the client's (docs/security.md,
"Conversation hijack"): Rasa's own handlers took the conversation id from `session_request` and
from every `user_uttered`, so anyone could join anyone's conversation. Here `session_request`
binds the socket to a server-made id (`web:<uuid>`), or to the one its signed token proves
(connectors/web_session.py), and answers `session_confirm {"session_id", "token"}`; `user_uttered`
uses only that bound id. The socket.io server accepts only the configured origins
(CORS_ORIGINS), and each client address may open sessions and send messages only at
RATE_PER_IP (counted in Redis, so across workers), with a polite reply past it and no NLU.

In `credentials.yml`:

    connectors.socketio.ShopSocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from socketio import AsyncRedisManager, AsyncServer

from connectors import web_session
from connectors.rasa_routes import unquote_conversation_ids
from core import language, settings
from core.limits import RateLimiter, Verdict, client_address
from core.secrets import secret

unquote_conversation_ids()  # Rasa imports this channel before it builds its app: see there

logger = logging.getLogger(__name__)

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


# What a customer over the per-address limit reads, in their language (the texts of the other
# limits live with the bot's guard; the socket.io door is the only one that counts addresses).
SLOW_DOWN = {
    "zh-Hans": "您发送得太频繁了，请等 {seconds} 秒后再试。",
    "zh-Hant": "您傳送得太頻繁了，請等 {seconds} 秒後再試。",
    "en": "You're sending messages a little too quickly. Please wait {seconds} seconds and try again.",
}
SESSION_ERROR_EVT = "session_error"  # tells a client why its message went nowhere
NO_SESSION = {"error": "no_session",
              "message": "Send session_request and wait for session_confirm before user_uttered."}


def slow_down_text(seconds: int, text: str = "", lang: Optional[str] = None) -> str:
    """The polite over-the-limit reply: in the language of `text`, else of `lang` (what the
    widget says it shows), else both Chinese and English (nothing to tell them by)."""
    found = language.detect(text) if text else None
    if found is None and lang in SLOW_DOWN:
        found = lang  # type: ignore[assignment]
    if found is None:
        return SLOW_DOWN["zh-Hans"].format(seconds=seconds) + "\n\n" + SLOW_DOWN["en"].format(seconds=seconds)
    return SLOW_DOWN[found].format(seconds=seconds)


def peer_address(environ: Dict[str, Any], trusted_proxies: tuple[str, ...]) -> str:
    """The client's address from engine.io's environ. The sanic driver writes a fixed
    REMOTE_ADDR of 127.0.0.1, so the socket's peer is read from the Sanic request it keeps."""
    request = environ.get("sanic.request")
    peer = getattr(request, "ip", None) or environ.get("REMOTE_ADDR")
    return client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"), trusted_proxies)


def message_metadata(data: Dict[str, Any], key: str) -> Dict[str, Any]:
    """The client's metadata as Rasa reads it (a dict, or JSON text of one); anything else: {}."""
    metadata = data.get(key) or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return {}
    return metadata if isinstance(metadata, dict) else {}


class ShopSocketIOInput(SocketIOInput):
    """Rasa's socket.io input channel with server-made sessions, origin and per-address limits,
    whose replies go out through `ShopSocketIOOutput`."""

    _limiter: Optional[RateLimiter] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        """The channel for messages sent later (an agent's reply, `output_channel=socketio`)."""
        if self.sio is None:
            return super().get_output_channel()  # warns, as Rasa does, and returns None
        return ShopSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint with the connection handlers replaced by ones that never take the
        conversation id from the client; each message is answered through `ShopSocketIOOutput`."""

        async def answer_through_shop_output(message: UserMessage) -> Any:
            if self.sio is not None:
                message.output_channel = ShopSocketIOOutput(self.sio, self.bot_message_evt)
            return await on_new_message(message)

        blueprint = super().blueprint(answer_through_shop_output)
        if self.sio is not None:
            config = settings.load()
            share_emits(self.sio, config.redis_url)
            origins = list(config.cors_origins)
            # Rasa passes [] (no check at all): any site's page could open a socket as its visitor.
            self.sio.eio.cors_allowed_origins = "*" if "*" in origins else origins
            self.install_handlers(self.sio, answer_through_shop_output, config)
        return blueprint

    async def _hit(self, config: settings.Settings, address: str) -> Verdict:
        """Counts one session or message of `address` (in a thread: a slow Redis must not stall
        the other customers of this worker). Made on first use, in the worker that uses it."""
        if self._limiter is None:
            self._limiter = RateLimiter.from_settings(config)
        return await asyncio.to_thread(self._limiter.hit, "ip", address)

    def install_handlers(self, sio: AsyncServer, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                         config: settings.Settings) -> None:
        """Registers connect / session_request / user_uttered over Rasa's (same events, same
        namespace: python-socketio keeps the last handler of an event)."""
        namespace = self.namespace
        signing_key = secret(config, "session_secret")

        async def connect(sid: str, environ: Dict[str, Any], auth: Optional[Dict[str, Any]] = None) -> bool:
            await sio.save_session(sid, {"address": peer_address(environ, config.trusted_proxies)},
                                   namespace=namespace)
            return True

        async def session_request(sid: str, data: Any) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            lang = data.get("lang") if isinstance(data, dict) else None
            verdict = await self._hit(config, session.get("address", "unknown"))
            if not verdict.allowed:
                await sio.emit(self.bot_message_evt, {"text": slow_down_text(verdict.retry_after_s, lang=lang),
                                                      "sender": "bot"}, room=sid, namespace=namespace)
                return
            proven = web_session.verified_session(signing_key, web_session.presented_token(data))
            conversation = proven or web_session.new_session_id()
            previous = session.get("conversation_id")
            if previous and previous != conversation:
                sio.leave_room(sid, previous, namespace=namespace)
            sio.enter_room(sid, conversation, namespace=namespace)
            session["conversation_id"] = conversation
            await sio.save_session(sid, session, namespace=namespace)
            confirm = {"session_id": conversation, "token": web_session.token_for(signing_key, conversation)}
            await sio.emit("session_confirm", confirm, room=sid, namespace=namespace)

        async def user_uttered(sid: str, data: Any) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            conversation = session.get("conversation_id")
            if not conversation:  # never the data's session_id: that is how conversations were hijacked
                await sio.emit(SESSION_ERROR_EVT, NO_SESSION, room=sid, namespace=namespace)
                return
            data = data if isinstance(data, dict) else {}
            text = data.get("message")
            text = text if isinstance(text, str) else ""
            verdict = await self._hit(config, session.get("address", "unknown"))
            if not verdict.allowed:
                await sio.emit(self.bot_message_evt, {"text": slow_down_text(verdict.retry_after_s, text),
                                                      "sender": "bot"}, room=sid, namespace=namespace)
                return
            output = ShopSocketIOOutput(sio, self.bot_message_evt)
            await on_new_message(UserMessage(text, output, conversation, input_channel=self.name(),
                                             metadata=message_metadata(data, self.metadata_key or "metadata")))

        sio.on("connect", namespace=namespace)(connect)
        sio.on("session_request", namespace=namespace)(session_request)
        sio.on(self.user_message_evt, namespace=namespace)(user_uttered)
