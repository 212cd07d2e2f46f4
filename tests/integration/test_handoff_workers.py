"""The real handoff service (`python -m handoff.service --workers 2`) over a real Redis and a
SQLite database: what two Sanic worker processes must still do as one service.

- every console's server-sent-event stream gets every change, whichever worker serves it and
  whichever worker (or other process) made the change;
- every event of Rasa's stream is handled by one worker, in the transcript and in the archive;
- pages, sign-in and the API answer the same from either worker.

Rasa is not needed here: the test plays the action server (a desk on the same database and
Redis, as actions/ uses it) and the event broker (XADD to the stream, as bot/broker.py does).
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import urlparse

import pytest
import redis

from core.settings import ROOT
from handoff.archive import Archive
from handoff.desk import Desk
from handoff.queue import CaseQueue
from handoff.staffing import Hours
from handoff.store import CaseStore
from tests.redis_server import RedisServer
from tests.unit.handoff.archive.support import user
from tools.stack import PY, free_port, wait_http

WORKERS = 2


@dataclass
class Service:
    url: str
    token: str
    redis_url: str
    database_url: str
    proc: subprocess.Popen[bytes]

    def call(self, method: str, path: str, body: Optional[Any] = None, token: Optional[str] = "") -> Any:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token or self.token}"
        request = urllib.request.Request(f"{self.url}{path}", method=method, headers=headers,
                                         data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return json.loads(raw) if response.headers.get("Content-Type", "").startswith("application/json") else raw


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_service(tmp_path_factory.mktemp("workers")) as started:
        yield started


@contextmanager
def running_service(var: Path) -> Iterator[Service]:
    with RedisServer() as server:
        database_url = f"sqlite:///{var / 'shop.db'}"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": server.url, "DATABASE_URL": database_url,
               "SHOP_VAR_DIR": str(var), "RASA_URL": f"http://127.0.0.1:{free_port()}", "HANDOFF_SLA_TICK": "0.5",
               "HANDOFF_PRESENCE_TTL": "3600", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
        token = subprocess.run([PY, "-m", "handoff.agents", "create", "sam", "--role", "supervisor"], env=env,
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        port = free_port()
        with open(var / "handoff.log", "wb") as log:
            proc = subprocess.Popen([PY, "-m", "handoff.service", "--port", str(port), "--workers", str(WORKERS)],
                                    env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_http(f"http://127.0.0.1:{port}/health", 120, proc)
            yield Service(f"http://127.0.0.1:{port}", token, server.url, database_url, proc)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class Console:
    """One agent console's /events stream, read on a thread of its own."""

    def __init__(self, service: Service) -> None:
        address = urlparse(service.url)
        self.connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)
        self.connection.request("GET", "/events", headers={  # a connection of its own
            "Authorization": f"Bearer {service.token}", "Accept": "text/event-stream"})
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        first = self.response.readline().decode()
        assert first.startswith(": connected to worker "), first
        self.worker = int(first.rsplit(" ", 1)[1])
        self.notes: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    self.notes.put(json.loads(line[len("data: "):]))
        except (OSError, ValueError, http.client.HTTPException):  # closed by the test
            pass
        finally:
            self.connection.close()

    def wait_for(self, kind: str, case_id: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"console on worker {self.worker} got no '{kind}' of {case_id}")
            try:
                note = self.notes.get(timeout=left)
            except queue.Empty:
                continue
            if note.get("kind") == kind and note.get("payload", {}).get("case_id") == case_id:
                return note

    def close(self) -> None:
        # Shut the socket down rather than close the response: the reader thread holds its lock.
        # The reader then sees the end of the stream and closes the connection itself.
        if self.connection.sock is not None:
            self.connection.sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def desk(service: Service) -> Desk:
    """The action server's side: its own desk on the service's database and Redis."""
    return Desk(CaseStore(service.database_url), CaseQueue(redis.Redis.from_url(service.redis_url,
                                                                               decode_responses=True)),
                hours=Hours())


def open_consoles(service: Service, at_least: int = 6, tries: int = 60) -> list[Console]:
    """Consoles until both workers serve some: the kernel spreads new connections over them."""
    consoles: list[Console] = []
    while len(consoles) < at_least or len({c.worker for c in consoles}) < WORKERS:
        assert len(consoles) < tries, f"all {tries} connections went to workers {({c.worker for c in consoles})}"
        consoles.append(Console(service))
    return consoles


def complaint(conversation: str) -> dict[str, Any]:
    return {"conversation_id": conversation, "channel": "rest", "customer_id": conversation, "language": "zh-Hans",
            "category": "complain_refund", "severity": "severe", "emotion": "anger", "reasons": []}


def test_every_console_gets_every_change_whichever_worker_serves_it(service: Service, desk: Desk) -> None:
    consoles = open_consoles(service)
    try:
        assert len({c.worker for c in consoles}) == WORKERS
        # Changes made by another process (the action server hands customers off) ...
        cases = [desk.hand_off(**complaint(f"sse-{i}")).case for i in range(3)]
        for console in consoles:
            for case in cases:
                console.wait_for("queued", case.id)
        # ... and by the workers themselves (an agent's claim, served by one of them).
        assert service.call("POST", f"/cases/{cases[0].id}/claim", {})["case"]["id"] == cases[0].id
        for console in consoles:
            console.wait_for("claimed", cases[0].id)
    finally:
        for console in consoles:
            console.close()


def test_each_stream_event_is_handled_by_one_worker_in_each_consumer_group(service: Service, desk: Desk) -> None:
    case = desk.hand_off(**complaint("stream-1")).case
    service.call("POST", f"/cases/{case.id}/claim", {})
    client = redis.Redis.from_url(service.redis_url, decode_responses=True)
    texts = [f"第{i}条消息，电话13812345678" for i in range(10)]
    start = time.time() + 1
    for i, text in enumerate(texts):
        client.xadd("rasa:events", {"event": json.dumps(user("stream-1", text, start + i), ensure_ascii=False)})

    archive = Archive(service.database_url)
    deadline = time.monotonic() + 30
    while True:
        messages = service.call("GET", f"/cases/{case.id}/messages")["messages"]
        customer = [m["text"] for m in messages if m["role"] == "customer"]
        history = archive.conversation("stream-1")
        if len(customer) == len(texts) and history is not None and len(history.turns) == len(texts):
            break
        assert time.monotonic() < deadline, f"transcript {len(customer)}, archive {history}"
        time.sleep(0.2)

    assert customer == [t.replace("13812345678", "138****5678") for t in texts]
    assert [t.text for t in history.turns] == customer and history.conversation.user_turns == len(texts)
    for group in ("handoff", "archive"):
        consumers = client.xinfo_consumers("rasa:events", group)
        assert len({c["name"] for c in consumers}) == WORKERS  # one reader per worker, each its own name
        assert sum(c["pending"] for c in consumers) == 0
    client.close()


def test_pages_and_sign_in_answer_from_either_worker(service: Service) -> None:
    for _ in range(20):  # new connections each time: both workers answer some
        assert service.call("GET", "/health", token=None)["status"] == "ok"
        page = service.call("GET", "/console/", token=None)
        assert b"<html" in page.lower()
        assert service.call("GET", "/me")["name"] == "sam"
        with pytest.raises(urllib.error.HTTPError) as refused:
            service.call("GET", "/queue", token="not-a-token")
        assert refused.value.code == 401


def test_stopping_the_service_stops_every_worker(service: Service) -> None:
    """Last in this module: SIGTERM to the main process alone (as a supervisor sends it) ends the
    workers too, so no orphan keeps the port or reads the stream."""
    workers = workers_of(service)
    assert len(workers) == WORKERS
    service.proc.send_signal(signal.SIGTERM)
    assert service.proc.wait(timeout=30) is not None
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, f"workers {workers} outlived the service"
        time.sleep(0.1)


def workers_of(service: Service) -> list[str]:
    return subprocess.run(["pgrep", "-P", str(service.proc.pid)], capture_output=True, text=True).stdout.split()


def test_workers_do_not_outlive_a_killed_main_process(tmp_path: Path) -> None:
    """SIGKILL leaves Sanic no chance to stop its workers: they end themselves (parent-death
    signal) instead of answering on the port and reading the stream unsupervised."""
    with running_service(tmp_path) as service:
        workers = workers_of(service)
        assert len(workers) == WORKERS
        service.proc.kill()
        service.proc.wait(timeout=10)
        deadline = time.monotonic() + 20
        while any(Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
                  for pid in workers):
            assert time.monotonic() < deadline, f"workers {workers} outlived the killed service"
            time.sleep(0.1)
