"""Fixtures of the Telegram tests: the stand-in Bot API and an emptied real Redis."""

from __future__ import annotations

from typing import Iterator

import pytest
import redis

from tests.redis_server import RedisServer
from tests.telegram_stub import BotApiStub


@pytest.fixture(scope="module")
def api() -> Iterator[BotApiStub]:
    with BotApiStub() as stub:
        yield stub


@pytest.fixture()
def redis_url(server: RedisServer) -> str:
    redis.Redis.from_url(server.url).flushall()
    return server.url
