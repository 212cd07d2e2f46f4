"""The action server as an outsider meets it: served on a real socket (Sanic's own HTTP protocol,
which is where the body limit is enforced), called with no token, a wrong one, the right one."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import httpx
import pytest
from sanic import Sanic

from actions.server import build, main
from core.settings import load
from tools.stack import free_port

Sanic.test_mode = True  # several apps named "rasa_sdk" in one test process

TOKEN = "s3cret-action-token"
CALL = {"next_action": "action_ask_rating", "sender_id": "rest:alice", "version": "3.6.2", "domain": {},
        "tracker": {"sender_id": "rest:alice", "slots": {"case_id": "C-1", "language": "en"},
                    "latest_message": {"text": "hi", "intent": {}, "entities": []}, "events": [],
                    "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None}}


@pytest.fixture()
async def server(tmp_path: Path) -> AsyncIterator[str]:
    settings = load({"SHOP_VAR_DIR": str(tmp_path), "ACTION_MAX_BODY_BYTES": "50000"})
    app = build(settings, token=TOKEN)
    port = free_port()
    served = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    assert served is not None
    await served.startup()
    await served.start_serving()
    yield f"http://127.0.0.1:{port}"
    served.close()
    await served.wait_closed()


@pytest.mark.parametrize("query", ["", "?token=", "?token=wrong", "?token=s3cret-action-token-and-more"])
async def test_without_the_right_token_nothing_runs(server: str, query: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server}/webhook{query}", json=CALL)
        listed = await client.get(f"{server}/actions{query}")
    assert response.status_code == 401 and listed.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized" and "responses" not in response.text


async def test_rasa_with_the_token_gets_the_action_run(server: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server}/webhook", params={"token": TOKEN}, json=CALL)
    assert response.status_code == 200
    assert "C-1" in response.json()["responses"][0]["text"]  # the rating question, for the case


async def test_health_is_open_and_says_nothing_more(server: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{server}/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_an_oversized_body_is_refused_before_any_action(server: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server}/webhook", params={"token": TOKEN},
                                     content=b'{"next_action": "' + b"x" * 60_000 + b'"}',
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


async def test_an_unknown_path_is_a_404_not_a_500_echoing_the_body(server: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{server}/nope", params={"token": TOKEN})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_the_token_comes_from_the_secret_file_made_0600(tmp_path: Path) -> None:
    settings = load({"SHOP_VAR_DIR": str(tmp_path)})
    build(settings)
    token_file = tmp_path / "secrets" / "action_token"
    assert token_file.stat().st_mode & 0o777 == 0o600 and token_file.read_text().strip()


def test_the_command_line_is_the_one_the_stack_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`python -m actions.server --port P` binds loopback unless ACTION_HOST says otherwise."""
    ran: dict[str, object] = {}
    monkeypatch.setenv("SHOP_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("ACTION_HOST", raising=False)
    monkeypatch.setattr(Sanic, "run", lambda self, **kwargs: ran.update(kwargs))
    main(["--port", "5999"])
    assert ran["host"] == "127.0.0.1" and ran["port"] == 5999 and ran["workers"] == 1
