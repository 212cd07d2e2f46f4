"""`GET /ready` against a real Redis and database and small HTTP stand-ins for Rasa and the
action server: what an operator (or `make run`) learns about each part."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from handoff.api.app import create_app
from handoff.desk import Desk
from handoff.queue import CaseQueue
from handoff.rasa_client import RasaClient
from handoff.store import CaseStore
from tests.unit.handoff.api.conftest import app_name, served

TOKEN = "rasa-secret"


class Stub:
    """Rasa (`/status` with its token) and the action server (`/health`) in one small server."""

    def __init__(self) -> None:
        self.tokens: list[Optional[str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                token = parse_qs(url.query).get("token", [None])[0]
                if url.path == "/status":
                    stub.tokens.append(token)
                    status = 200 if token == TOKEN else 401
                else:
                    status = 200 if url.path == "/health" else 404
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture()
def stub() -> Iterator[Stub]:
    s = Stub()
    yield s
    s.server.shutdown()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def ready(desk: Desk, redis_url: str, rasa_url: str, token: Optional[str] = TOKEN) -> tuple[int, dict[str, Any]]:
    app = create_app(desk, RasaClient(rasa_url, token), redis_url=redis_url, background=False, name=app_name())
    async with served(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                              base_url="http://handoff.test") as client:
        response = await client.get("/ready")
    return response.status_code, response.json()


def up(body: dict[str, Any]) -> dict[str, bool]:
    return {name: part["up"] for name, part in body["parts"].items()}


async def test_all_parts_up_is_200(desk: Desk, redis_url: str, stub: Stub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_URL", stub.url)
    status, body = await ready(desk, redis_url, stub.url)
    assert status == 200 and body["ready"] is True
    assert up(body) == {"redis": True, "database": True, "rasa": True, "actions": True}
    assert stub.tokens == [TOKEN]  # Rasa is asked with the token the service delivers with


async def test_rasa_and_actions_down_is_503_and_names_them(desk: Desk, redis_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_URL", f"http://127.0.0.1:{closed_port()}")
    status, body = await ready(desk, redis_url, f"http://127.0.0.1:{closed_port()}")
    assert status == 503 and body["ready"] is False
    assert up(body) == {"redis": True, "database": True, "rasa": False, "actions": False}
    assert body["parts"]["rasa"]["error"]


async def test_a_refused_rasa_token_counts_as_rasa_down(desk: Desk, redis_url: str, stub: Stub,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Replies and hand-backs would all be refused: Rasa is of no use to the service then."""
    monkeypatch.setenv("ACTION_URL", stub.url)
    status, body = await ready(desk, redis_url, stub.url, token="wrong")
    assert status == 503
    assert up(body)["rasa"] is False and "401" in body["parts"]["rasa"]["error"]


async def test_redis_and_database_down(tmp_path: Path, stub: Stub, redis_url: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    monkeypatch.setenv("ACTION_URL", stub.url)
    # the database's folder replaced by a plain file (the disk went away), and a Redis port
    # nobody listens on
    store = CaseStore(f"sqlite:///{tmp_path / 'db' / 'shop.db'}")
    (tmp_path / "db").rmdir()
    (tmp_path / "db").write_text("")
    dead_redis = f"redis://127.0.0.1:{closed_port()}/0"
    desk = Desk(store, CaseQueue(redis.Redis.from_url(dead_redis, decode_responses=True)))
    status, body = await ready(desk, dead_redis, stub.url)
    assert status == 503
    assert up(body) == {"redis": False, "database": False, "rasa": True, "actions": True}


async def test_a_hung_part_makes_the_answer_slow_not_stuck(desk: Desk, redis_url: str, stub: Stub,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """An action server that accepts connections but never answers (stuck event loop)."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)  # connections complete in the backlog; nothing ever reads them
    try:
        monkeypatch.setenv("ACTION_URL", f"http://127.0.0.1:{hung.getsockname()[1]}")
        started = time.monotonic()
        status, body = await ready(desk, redis_url, stub.url)
        assert status == 503 and up(body)["actions"] is False and up(body)["rasa"] is True
        assert time.monotonic() - started < 30  # bounded by the check's timeout, not forever
    finally:
        hung.close()
