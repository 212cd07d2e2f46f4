"""The Redis client the webhook channels (Telegram, WeChat) share their state through.

Made lazily for the running event loop (Rasa's Sanic workers each have their own), `None`
without a URL, with short timeouts: a Redis outage must not hold up a webhook that the
messenger wants answered within seconds (WeChat gives up after 5). The channels then fall back
to their own process's memory and say so once a minute, not on every message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Optional

import redis
import redis.asyncio

logger = logging.getLogger(__name__)

REDIS_ERRORS = (redis.RedisError, OSError)


class RedisLink:
    def __init__(self, url: Optional[str], channel: str = "channel") -> None:
        self.url = url or None
        self.channel = channel
        self._client: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._warned_at = 0.0

    def client(self) -> Any:
        if not self.url:
            return None
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = redis.asyncio.Redis.from_url(self.url, socket_timeout=1.0, socket_connect_timeout=1.0,
                                                        decode_responses=True)
            self._loop = loop
        return self._client

    def failed(self, exc: Exception) -> None:
        """Says so once a minute, not on every message while Redis is away."""
        now = time.monotonic()
        if now - self._warned_at > 60:
            self._warned_at = now
            logger.warning("%s: Redis at %s failed (%s); using this process's memory only",
                           self.channel, self.url, exc)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
