"""The agents' API over a real desk (SQLite, the test Redis) and a fake Rasa, driven through
Sanic's ASGI interface with httpx (no sanic-testing needed)."""

from __future__ import annotations

import asyncio
import itertools
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Optional

import httpx
import pytest
from sanic import Sanic

from handoff.api.app import create_app
from handoff.desk import Desk
from handoff.rasa_client import DeliveryError, RasaClient
from handoff.store import AgentView

NAMES = itertools.count()
# Sanic rewrites its own request handling when an app starts; in test mode it keeps the original,
# so one process can start many apps (as sanic-testing does).
Sanic.test_mode = True


class FakeRasa(RasaClient):
    """Records what would reach the customer; `down` makes every delivery fail."""

    def __init__(self) -> None:
        super().__init__("http://rasa.invalid")
        self.said: list[tuple[str, str]] = []
        self.handed_back: list[str] = []
        self.down = False

    async def say(self, conversation_id: str, text: str, *, agent: Optional[str] = None,
                  case_id: Optional[str] = None) -> None:
        if self.down:
            raise DeliveryError("Rasa is not reachable")
        self.said.append((conversation_id, text))

    async def hand_back(self, conversation_id: str) -> None:
        if self.down:
            raise DeliveryError("Rasa is not reachable")
        self.handed_back.append(conversation_id)

    async def close(self) -> None:
        pass


@dataclass
class Api:
    """An app with its desk, its fake Rasa and some agents' tokens."""

    app: Sanic
    desk: Desk
    rasa: FakeRasa
    tokens: dict[str, str] = field(default_factory=dict)

    def agent(self, name: str, role: str = "agent") -> AgentView:
        view, token = self.desk.store.create_agent(name, role)
        self.tokens[name] = token
        return view

    @asynccontextmanager
    async def client(self, as_agent: Optional[str] = None) -> AsyncIterator[httpx.AsyncClient]:
        headers = {"Authorization": f"Bearer {self.tokens[as_agent]}"} if as_agent else {}
        async with served(self.app), httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                                       base_url="http://handoff.test", headers=headers) as client:
            yield client


@asynccontextmanager
async def served(app: Sanic) -> AsyncIterator[None]:
    """The ASGI lifespan: Sanic finalises its router on startup and runs its stop listeners on shutdown."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        assert (await outbox.get())["type"] == "lifespan.shutdown.complete"
        with suppress(AttributeError):  # Sanic 21.12 then handles the lifespan scope as if it were a request
            await task


def app_name() -> str:
    """Sanic refuses two apps of one name in a process."""
    return f"handoff_test_{next(NAMES)}"


@pytest.fixture()
def api(desk: Desk, redis_url: str, tmp_path: Path) -> Api:
    rasa = FakeRasa()
    app = create_app(desk, rasa, redis_url=redis_url, background=False, name=app_name())
    return Api(app, desk, rasa)


def complaint(conversation: str = "chat-1", severity: str = "severe") -> dict[str, Any]:
    return {"conversation_id": conversation, "channel": "rest", "customer_id": conversation, "language": "zh-Hans",
            "category": "complain_refund", "severity": severity, "emotion": "anger", "reasons": []}
