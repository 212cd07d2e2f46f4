"""What the channel remembers between updates: update ids already received (safe in the inbox,
or handled when there is no Redis; inbox.py keeps the handled ones) and the payloads of
long buttons. Both live in Redis, so every Rasa process shares them, and in this process's memory,
so a Redis outage costs sharing, not the updates themselves."""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections import OrderedDict
from typing import Optional

import redis

from connectors.redis_link import RedisLink

logger = logging.getLogger(__name__)

CALLBACK_DATA_LIMIT = 64  # Bot API: callback_data is 1–64 bytes
DEDUP_TTL = 86_400  # Telegram gives up re-delivering well within a day
BUTTON_TTL = 30 * 86_400  # a keyboard in an old message still works for a month
BUTTON_KEY_PREFIX = "#k:"  # callback_data that stands for a payload stored elsewhere


def bot_key(token: str) -> str:
    """The bot's numeric id, the part of the token before the colon: names its Redis keys
    without putting the secret half of the token into them."""
    return token.split(":", 1)[0] or "bot"


class Deduplicator:
    """Says whether an update is new: Redis `SET NX EX` shared by every Rasa process, and an
    LRU of recent update ids in this process that also covers a Redis outage."""

    def __init__(self, link: RedisLink, bot: str, ttl: int = DEDUP_TTL, size: int = 50_000) -> None:
        self.link, self.bot, self.ttl, self.size = link, bot, ttl, size
        self.recent: OrderedDict[str, float] = OrderedDict()

    def key(self, update_id: int) -> str:
        return f"telegram:update:{self.bot}:{update_id}"

    def seen_here(self, key: str) -> bool:
        expires = self.recent.get(key)
        return expires is not None and expires > time.monotonic()

    def remember(self, key: str) -> None:
        self.recent[key] = time.monotonic() + self.ttl
        self.recent.move_to_end(key)
        while len(self.recent) > self.size:
            self.recent.popitem(last=False)

    def forget(self, key: str) -> None:
        """An update that could not be handled: its next delivery is a first time again."""
        self.recent.pop(key, None)

    async def received(self, update_id: int) -> bool:
        """Whether the update was received before (a read-only look; `first_time` decides)."""
        key = self.key(update_id)
        if self.seen_here(key):
            return True
        client = self.link.client()
        if client is None:
            return False
        try:
            return bool(await client.exists(key))
        except (redis.RedisError, OSError) as exc:
            self.link.failed(exc)
            return False

    async def first_time(self, update_id: int) -> bool:
        key = self.key(update_id)
        if self.seen_here(key):
            return False
        client = self.link.client()
        if client is not None:
            try:
                if not await client.set(key, "1", nx=True, ex=self.ttl):
                    self.remember(key)
                    return False
            except (redis.RedisError, OSError) as exc:
                self.link.failed(exc)
        self.remember(key)
        return True


class ButtonStore:
    """Maps button payloads to callback_data and back. Telegram allows 64 bytes; a longer
    payload (e.g. `/inform{"order_id": ...}`) travels as a short key whose payload is kept in
    Redis for a month (any Rasa process can read it) and in this process's memory."""

    def __init__(self, link: RedisLink, bot: str, ttl: int = BUTTON_TTL, size: int = 10_000) -> None:
        self.link, self.bot, self.ttl, self.size = link, bot, ttl, size
        self.memory: OrderedDict[str, str] = OrderedDict()

    @staticmethod
    def fits(payload: str) -> bool:
        return 0 < len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(BUTTON_KEY_PREFIX)

    def _redis_key(self, data: str) -> str:
        return f"telegram:button:{self.bot}:{data[len(BUTTON_KEY_PREFIX):]}"

    async def encode(self, payload: str) -> str:
        if self.fits(payload):
            return payload
        digest = base64.urlsafe_b64encode(hashlib.sha256(payload.encode("utf-8")).digest()).decode()[:22]
        data = BUTTON_KEY_PREFIX + digest
        self.memory[data] = payload
        self.memory.move_to_end(data)
        while len(self.memory) > self.size:
            self.memory.popitem(last=False)
        client = self.link.client()
        if client is not None:
            try:
                await client.set(self._redis_key(data), payload, ex=self.ttl)
            except (redis.RedisError, OSError) as exc:
                self.link.failed(exc)
        return data

    async def decode(self, data: str) -> Optional[str]:
        """The payload behind a button; None for a key that has expired everywhere."""
        if not data.startswith(BUTTON_KEY_PREFIX):
            return data
        if data in self.memory:
            return self.memory[data]
        client = self.link.client()
        if client is not None:
            try:
                found = await client.get(self._redis_key(data))
                if found is not None:
                    return str(found)
            except (redis.RedisError, OSError) as exc:
                self.link.failed(exc)
        return None
