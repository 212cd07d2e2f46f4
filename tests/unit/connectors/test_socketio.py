"""Rasa's socket.io server gets the Redis client manager on the project's Redis (REDIS_URL), and
handlers that bind each socket to a server-made conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from connectors.socketio import (
    NO_SESSION,
    PUBSUB_CHANNEL,
    SESSION_ERROR_EVT,
    ShopSocketIOInput,
    WorkerRedisManager,
    slow_down_text,
)
from connectors.web_session import verified_session
from core.limits import Verdict
from core.settings import load


async def ignore(_: Any) -> None:
    return None


def test_the_channel_shares_its_emits_through_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6390/0")
    monkeypatch.setenv("SESSION_SECRET", "test-secret")  # not var/secrets of the working tree
    channel = ShopSocketIOInput.from_credentials({"user_message_evt": "user_uttered",
                                                  "bot_message_evt": "bot_uttered", "session_persistence": True})
    channel.blueprint(ignore)
    assert channel.sio is not None
    manager = channel.sio.manager
    assert isinstance(manager, WorkerRedisManager) and manager.server is channel.sio
    assert manager.redis_url == "redis://cache.example:6390/0" and manager.channel == PUBSUB_CHANNEL
    assert not channel.sio.manager_initialized  # started in each worker, at its first connection


# --- the connection handlers: the conversation id is the server's, never the client's ---------

class FakeServer:
    """As much of python-socketio's AsyncServer as the handlers use: sessions, rooms, emits."""

    def __init__(self) -> None:
        self.handlers: dict[str, Any] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.rooms: dict[str, set[str]] = {}
        self.emitted: list[tuple[str, Any, str]] = []

    def on(self, event: str, namespace: Any = None) -> Any:
        def register(handler: Any) -> Any:
            self.handlers[event] = handler
            return handler
        return register

    async def save_session(self, sid: str, session: dict[str, Any], namespace: Any = None) -> None:
        self.sessions[sid] = dict(session)

    async def get_session(self, sid: str, namespace: Any = None) -> dict[str, Any]:
        return dict(self.sessions.get(sid, {}))

    def enter_room(self, sid: str, room: str, namespace: Any = None) -> None:
        self.rooms.setdefault(sid, set()).add(room)

    def leave_room(self, sid: str, room: str, namespace: Any = None) -> None:
        self.rooms.setdefault(sid, set()).discard(room)

    async def emit(self, event: str, data: Any = None, room: str = "", namespace: Any = None, **_: Any) -> None:
        self.emitted.append((event, data, room))

    def last(self, event: str) -> Any:
        return [data for name, data, _ in self.emitted if name == event][-1]


class FakeLimiter:
    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.hits: list[tuple[str, str]] = []

    def hit(self, rule: str, key: str = "all") -> Verdict:
        self.hits.append((rule, key))
        return Verdict(len(self.hits) <= self.allowed, 0 if len(self.hits) <= self.allowed else 42)


class Peer:
    """The Sanic request engine.io keeps in its environ: only the socket's peer address."""

    def __init__(self, ip: str) -> None:
        self.ip = ip


def widget_channel(tmp_path: Path, allowed: int = 100) -> tuple[FakeServer, list[UserMessage], FakeLimiter]:
    channel = ShopSocketIOInput.from_credentials({"session_persistence": True})
    assert isinstance(channel, ShopSocketIOInput)
    server, received, limiter = FakeServer(), [], FakeLimiter(allowed)

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    channel._limiter = limiter  # type: ignore[assignment]
    channel.install_handlers(server, on_new_message,
                             load({"SHOP_VAR_DIR": str(tmp_path), "SESSION_SECRET": "test-secret"}))
    return server, received, limiter


async def connect(server: FakeServer, sid: str, ip: str = "203.0.113.7", forwarded: str = "") -> None:
    environ = {"sanic.request": Peer(ip), "REMOTE_ADDR": "127.0.0.1"}
    if forwarded:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    assert await server.handlers["connect"](sid, environ, None) is True


async def test_a_session_request_naming_someone_elses_id_gets_a_new_id(tmp_path: Path) -> None:
    server, received, _ = widget_channel(tmp_path)
    await connect(server, "s1")
    await server.handlers["session_request"]("s1", {"session_id": "rest:alice@example.com"})
    confirmed = server.last("session_confirm")
    assert confirmed["session_id"].startswith("web:") and confirmed["session_id"] != "rest:alice@example.com"
    assert verified_session("test-secret", confirmed["token"]) == confirmed["session_id"]
    assert server.rooms["s1"] == {confirmed["session_id"]}  # agents' replies to alice never reach s1

    await server.handlers["user_uttered"]("s1", {"message": "hi", "session_id": "rest:alice@example.com"})
    assert [(m.sender_id, m.text, m.input_channel) for m in received] == [(confirmed["session_id"], "hi", "socketio")]


async def test_the_token_brings_a_reconnecting_widget_back(tmp_path: Path) -> None:
    server, received, _ = widget_channel(tmp_path)
    await connect(server, "s1")
    await server.handlers["session_request"]("s1", {})
    first = server.last("session_confirm")
    await connect(server, "s2")  # a reload: a new socket, possibly on another worker
    await server.handlers["session_request"]("s2", {"session_id": "whatever", "token": first["token"]})
    assert server.last("session_confirm") == first and server.rooms["s2"] == {first["session_id"]}

    forged = first["token"][:-4] + "0000"
    await connect(server, "s3")
    await server.handlers["session_request"]("s3", {"session_id": first["session_id"], "token": forged})
    assert server.last("session_confirm")["session_id"] not in (first["session_id"], None)


async def test_a_message_before_a_session_is_dropped_with_an_error(tmp_path: Path) -> None:
    server, received, _ = widget_channel(tmp_path)
    await connect(server, "s1")
    await server.handlers["user_uttered"]("s1", {"message": "hi", "session_id": "rest:alice@example.com"})
    assert received == []
    assert server.emitted == [(SESSION_ERROR_EVT, NO_SESSION, "s1")]


async def test_over_the_per_address_limit_a_polite_reply_and_no_nlu(tmp_path: Path) -> None:
    server, received, limiter = widget_channel(tmp_path, allowed=2)
    await connect(server, "s1", ip="127.0.0.1", forwarded="10.9.9.9, 198.51.100.4")  # through nginx
    await server.handlers["session_request"]("s1", {"lang": "en"})
    await server.handlers["user_uttered"]("s1", {"message": "where is my order"})
    await server.handlers["user_uttered"]("s1", {"message": "where is my order now?"})
    await server.handlers["user_uttered"]("s1", {"message": "我的订单呢"})
    assert [m.text for m in received] == ["where is my order"]
    replies = [data["text"] for event, data, _ in server.emitted if event == "bot_uttered"]
    assert replies == ["You're sending messages a little too quickly. Please wait 42 seconds and try again.",
                       "您发送得太频繁了，请等 42 秒后再试。"]
    assert {key for _, key in limiter.hits} == {"198.51.100.4"}  # the proxy's last hop, not the client's claim


def test_only_the_configured_origins_may_open_a_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://shop.example")
    monkeypatch.setenv("SESSION_SECRET", "test-secret")
    channel = ShopSocketIOInput.from_credentials({"session_persistence": True})
    channel.blueprint(ignore)
    assert channel.sio is not None and channel.sio.eio.cors_allowed_origins == ["https://shop.example"]


def test_the_slow_down_reply_without_any_text_says_it_in_both_languages() -> None:
    assert slow_down_text(5) == ("您发送得太频繁了，请等 5 秒后再试。\n\n"
                                 "You're sending messages a little too quickly. Please wait 5 seconds and try again.")
    assert slow_down_text(5, "請問訂單") == "您傳送得太頻繁了，請等 5 秒後再試。"
