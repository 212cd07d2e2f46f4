"""A real redis-server per test module for the tests of the queue, the broker, the desk and the
actions (unit tests may use fakes, but Redis's atomicity is what these tests are about)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import redis

from handoff.desk import Desk
from handoff.queue import CaseQueue
from handoff.staffing import Hours
from handoff.store import CaseStore
from tests.redis_server import RedisServer


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with RedisServer() as s:
        yield s


@pytest.fixture(scope="module")
def redis_url(server: RedisServer) -> str:
    return server.url


@pytest.fixture()
def client(server: RedisServer) -> Iterator[redis.Redis]:
    c = redis.Redis.from_url(server.url, decode_responses=True)
    c.flushall()
    yield c
    c.close()


@pytest.fixture()
def desk(tmp_path: Path, client: redis.Redis) -> Desk:
    """A desk of its own: a new SQLite case store and an empty Redis, open round the clock."""
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    store.create_schema()
    return Desk(store, CaseQueue(client), hours=Hours())
