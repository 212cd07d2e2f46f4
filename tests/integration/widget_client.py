"""A customer's widget as far as the wire goes, for tests that need one outside a browser."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, Optional

import socketio

from tools.stack import Stack

# What each named widget keeps in its localStorage: the token of its session, per Rasa. A second
# Browser with the same name (a reload, a reconnect after a crash) shows it and gets the same
# conversation back; the server, not the name, decides the conversation id.
TOKENS: dict[tuple[str, str], str] = {}


class Browser:
    """One customer's widget, as far as the wire goes: a websocket-only socket.io client.
    `session_id` is the conversation id the server confirmed (empty until `connect`)."""

    def __init__(self, name: str, headers: Optional[dict[str, str]] = None) -> None:
        self.name = name
        self.session_id = ""
        self.token: Optional[str] = None
        self.headers = headers or {}
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: list[dict[str, Any]] = []
        self.errors: list[Any] = []
        self.confirmations: list[Any] = []
        self.client.on("bot_uttered", self.received.append)
        self.client.on("session_error", self.errors.append)
        self.client.on("session_confirm", self.confirmations.append)

    async def open_socket(self, stack: Stack) -> None:
        await self.client.connect(stack.rasa_url, transports=["websocket"], socketio_path="socket.io",
                                  headers=self.headers)

    async def request_session(self, request: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        """Sends `session_request` exactly as given; returns the server's `session_confirm`."""
        before = len(self.confirmations)
        await self.client.emit("session_request", request)
        deadline = time.monotonic() + timeout
        while len(self.confirmations) == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no session_confirm; got {self.received}")
            await asyncio.sleep(0.05)
        confirmed = self.confirmations[-1]
        assert isinstance(confirmed, dict), confirmed
        self.session_id, self.token = str(confirmed["session_id"]), str(confirmed["token"])
        return confirmed

    async def connect(self, stack: Stack) -> int:
        """Connects as the widget does (showing the token it kept, if any); returns the local
        port, which names the connection."""
        await self.open_socket(stack)
        kept = TOKENS.get((stack.rasa_url, self.name))
        await self.request_session({"token": kept} if kept else {})
        assert self.token is not None
        TOKENS[(stack.rasa_url, self.name)] = self.token
        return self.local_port()

    def local_port(self) -> int:
        ws = self.client.eio.ws  # aiohttp's websocket of engine.io's websocket transport
        return int(ws._response.connection.transport.get_extra_info("sockname")[1])

    async def say(self, text: str) -> None:
        await self.client.emit("user_uttered", {"message": text})

    async def receives(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.received:
                if predicate(message):
                    return message
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} ({self.session_id}) did not receive it; got {self.received}")
