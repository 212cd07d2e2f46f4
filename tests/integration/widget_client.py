"""A customer's widget as far as the wire goes, for tests that need one outside a browser."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

import socketio

from tools.stack import Stack


class Browser:
    """One customer's widget, as far as the wire goes: a websocket-only socket.io client."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: list[dict[str, Any]] = []
        self.client.on("bot_uttered", self.received.append)

    async def connect(self, stack: Stack) -> int:
        """Connects as the widget does; returns the local port, which names the connection."""
        confirmed = asyncio.Event()
        self.client.on("session_confirm", lambda *_: confirmed.set())
        await self.client.connect(stack.rasa_url, transports=["websocket"], socketio_path="socket.io")
        await self.client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(confirmed.wait(), 30)
        return self.local_port()

    def local_port(self) -> int:
        ws = self.client.eio.ws  # aiohttp's websocket of engine.io's websocket transport
        return int(ws._response.connection.transport.get_extra_info("sockname")[1])

    async def say(self, text: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    async def receives(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.received:
                if predicate(message):
                    return message
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.session_id} did not receive it; got {self.received}")
