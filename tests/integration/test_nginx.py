"""nginx in front of the real processes (deploy/nginx/shop.conf.template, docs/topology.md).

The Rasa upstream has two entries: the stack's Rasa and a port where nothing listens, as when
one of N Rasa processes is down or restarting. Customers must not notice: nginx skips the
refused connection. Rasa's HTTP API must not be reachable through nginx at all, although the
same request straight to Rasa (on the internal network) is answered.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
import socketio

from tools.nginx import Nginx
from tools.stack import Stack, free_port


@pytest.fixture(scope="module")
def front(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    down = f"127.0.0.1:{free_port()}"  # a Rasa process that is not running
    nginx = Nginx([f"127.0.0.1:{stack.rasa_port}", down], [f"127.0.0.1:{stack.handoff_port}"], free_port(),
                  prefix=tmp_path_factory.mktemp("nginx"))
    with nginx:
        yield nginx


def request(url: str, body: Optional[Any] = None, headers: Optional[dict[str, str]] = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_rest_customers_are_answered_through_nginx_with_one_rasa_down(front: Nginx) -> None:
    for n in range(6):  # more turns than upstream entries: the dead one is chosen and skipped
        status, body = request(f"{front.url}/webhooks/rest/webhook",
                               {"sender": f"nginx-rest-{n}", "message": "订单 20251103887 到哪了"})
        assert status == 200
        text = " ".join(m.get("text", "") for m in json.loads(body))
        assert "20251103887" in text and "运输中" in text


def test_rasa_http_api_is_internal(front: Nginx, stack: Stack) -> None:
    sender = "nginx-rest-0"
    request(f"{front.url}/webhooks/rest/webhook", {"sender": sender, "message": "你好"})
    token = f"token={stack.auth_token}"
    internal = [f"/conversations/{sender}/tracker?{token}", f"/status?{token}", "/version", "/"]
    for path in internal:
        direct, _ = request(f"{stack.rasa_url}{path}")
        assert direct == 200, path  # the route exists on Rasa ...
        refused, body = request(f"{front.url}{path}")
        assert refused == 404, path  # ... and nginx does not pass it on
        assert sender.encode() not in body
    # Writing to a tracker (an agent message as the bot) is refused as well.
    status, _ = request(f"{front.url}/conversations/{sender}/tracker/events?{token}&output_channel=latest",
                        [{"event": "bot", "text": "not from us"}])
    assert status == 404
    status, _ = request(f"{front.url}/model/parse?{token}", {"text": "你好"})
    assert status == 404


def test_pages_and_agent_api_pass_health_checks_do_not(front: Nginx, stack: Stack) -> None:
    status, body = request(f"{front.url}/widget/")
    assert status == 200 and b"<html" in body.lower()
    status, body = request(f"{front.url}/console/")
    assert status == 200 and b"<html" in body.lower()
    status, _ = request(f"{front.url}/queue")
    assert status == 401  # the handoff service's own answer: the agent API is there, behind its tokens
    assert request(f"{stack.handoff_url}/health")[0] == 200
    assert request(f"{front.url}/health")[0] == 404


async def test_socketio_widget_gets_its_reply_through_nginx(front: Nginx) -> None:
    client = socketio.AsyncClient(reconnection=False)
    received: list[dict[str, Any]] = []
    confirmed = asyncio.Event()
    client.on("bot_uttered", received.append)
    client.on("session_confirm", lambda *_: confirmed.set())
    session = "nginx-ws-1"
    await client.connect(front.url, transports=["websocket"], socketio_path="socket.io")
    try:
        await client.emit("session_request", {"session_id": session})
        await asyncio.wait_for(confirmed.wait(), 30)
        await client.emit("user_uttered", {"message": "订单 20251103887 到哪了", "session_id": session})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("20251103887" in str(m.get("text")) for m in received):
            await asyncio.sleep(0.1)
        assert any("20251103887" in str(m.get("text")) for m in received), received
    finally:
        await client.disconnect()


def test_nginx_stops_with_its_owner(stack: Stack, tmp_path: Path) -> None:
    """A stopped front leaves no nginx process and no listening port behind."""
    nginx = Nginx([f"127.0.0.1:{stack.rasa_port}"], [f"127.0.0.1:{stack.handoff_port}"], free_port(),
                  prefix=tmp_path / "nginx")
    nginx.start()
    proc = nginx.proc
    assert proc is not None and (tmp_path / "nginx" / "nginx.pid").exists()
    nginx.stop()
    assert proc.poll() is not None
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{nginx.url}/widget/", timeout=2)
