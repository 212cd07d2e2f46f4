"""nginx in front of the real processes (deploy/nginx/shop.conf.template, docs/topology.md).

The Rasa upstream has two entries: the stack's Rasa and a port where nothing listens, as when
one of N Rasa processes is down or restarting. Customers must not notice: nginx skips the
refused connection. The public port passes on only the customers' doors (channel webhooks but
REST and callback, socket.io, the widget); the console and the agent API are on the agents' port;
Rasa's HTTP API, its REST channel and the action server are on neither, although the same request
straight to Rasa (on the internal network) is answered.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from email.message import Message
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
                  agents_port=free_port(), prefix=tmp_path_factory.mktemp("nginx"))
    with nginx:
        yield nginx


def request(url: str, body: Optional[Any] = None, headers: Optional[dict[str, str]] = None,
            raw: Optional[bytes] = None) -> tuple[int, bytes]:
    status, content, _ = fetch(url, body, headers, raw)
    return status, content


def fetch(url: str, body: Optional[Any] = None, headers: Optional[dict[str, str]] = None,
          raw: Optional[bytes] = None) -> tuple[int, bytes, Message]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def test_channel_webhooks_reach_rasa_through_nginx_with_one_rasa_down(front: Nginx) -> None:
    for _ in range(6):  # more requests than upstream entries: the dead one is chosen and skipped
        status, body = request(f"{front.url}/webhooks/socketio/")
        assert status == 200 and json.loads(body) == {"status": "ok"}  # Rasa's own channel health answer


def test_rasa_http_api_rest_channel_and_action_server_are_internal(front: Nginx, stack: Stack) -> None:
    """The outsider tries every internal door on the public port (and on the agents' port)."""
    sender = "nginx-rest-0"
    status, _ = request(f"{stack.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": "你好"})
    assert status == 200  # the shop's own servers use REST on the internal network ...
    for port_url in (front.url, front.agents_url):
        status, body = request(f"{port_url}/webhooks/rest/webhook", {"sender": sender, "message": "你好"})
        assert status == 404 and "你好".encode() not in body  # ... it is never proxied
        status, _ = request(f"{port_url}/webhooks/callback/webhook", {"sender": sender, "message": "你好"})
        assert status == 404
    token = f"token={stack.auth_token}"
    internal = [f"/conversations/{sender}/tracker?{token}", f"/status?{token}", "/version", "/"]
    for path in internal:
        direct, _ = request(f"{stack.rasa_url}{path}")
        assert direct == 200, path  # the route exists on Rasa ...
        for port_url in (front.url, front.agents_url):
            refused, body = request(f"{port_url}{path}")
            assert refused == 404, path  # ... and nginx does not pass it on
            assert sender.encode() not in body
    # Writing to a tracker (an agent message as the bot) is refused as well.
    status, _ = request(f"{front.url}/conversations/{sender}/tracker/events?{token}&output_channel=latest",
                        [{"event": "bot", "text": "not from us"}])
    assert status == 404
    status, _ = request(f"{front.url}/model/parse?{token}", {"text": "你好"})
    assert status == 404
    # The action server's webhook (a forged tracker) is no path of nginx's.
    forged = {"next_action": "action_store_rating", "sender_id": sender, "tracker": {"sender_id": sender}}
    status, _ = request(f"{front.url}/webhook", forged)
    assert status == 404


def test_customers_get_the_widget_agents_get_the_console_on_their_own_port(front: Nginx, stack: Stack) -> None:
    status, body = request(f"{front.url}/widget/")
    assert status == 200 and b"<html" in body.lower()
    for path in ("/console/", "/queue", "/cases", "/me", "/events", "/openapi.json", "/stats", "/reports"):
        assert request(f"{front.url}{path}")[0] == 404, path  # not on the public port
    status, body = request(f"{front.agents_url}/console/")
    assert status == 200 and b"<html" in body.lower()
    for path in ("/queue", "/stats", "/stats/export", "/reports", "/training/inbox", "/console/labels.json"):
        status, _ = request(f"{front.agents_url}{path}")  # the handoff service's own answer: the agent
        assert status == (200 if path.endswith(".json") else 401), path  # API is there, behind its tokens
    assert request(f"{front.agents_url}/widget/")[0] == 404
    assert request(f"{front.agents_url}/models/current.tar.gz")[0] == 404  # a model is for Rasa on loopback only
    assert request(f"{stack.handoff_url}/health")[0] == 200
    assert request(f"{front.url}/health")[0] == 404 and request(f"{front.agents_url}/health")[0] == 404


def test_nginx_refuses_big_bodies_and_floods_and_sends_security_headers(front: Nginx) -> None:
    status, _ = request(f"{front.url}/webhooks/telegram/webhook", raw=b"x" * 2_000_000)
    assert status == 413  # nginx answers; Rasa never reads it
    status, _, headers = fetch(f"{front.url}/status")
    assert status == 404 and headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    statuses = []
    for _ in range(400):  # far beyond the per-address burst (100) and rate (20/s)
        statuses.append(request(f"{front.url}/webhooks/socketio/")[0])
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}


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
                  agents_port=free_port(), prefix=tmp_path / "nginx")
    nginx.start()
    proc = nginx.proc
    assert proc is not None and (tmp_path / "nginx" / "nginx.pid").exists()
    nginx.stop()
    assert proc.poll() is not None
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{nginx.url}/widget/", timeout=2)
