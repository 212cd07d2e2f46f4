"""Fixtures of the WeChat tests: the stand-in WeChat API and an emptied real Redis."""

from __future__ import annotations

from typing import Iterator

import pytest
import redis

from tests.redis_server import RedisServer
from tests.wechat_stub import WeChatApiStub


@pytest.fixture()
def api() -> Iterator[WeChatApiStub]:
    with WeChatApiStub() as stub:
        yield stub


@pytest.fixture()
def redis_url(server: RedisServer) -> str:
    redis.Redis.from_url(server.url).flushall()
    return server.url
