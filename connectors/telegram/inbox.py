"""The durable inbox: every accepted Telegram update waits in a Redis stream until it was handled.

Why an inbox and not "answer the webhook only after handling": Telegram wants a quick answer
and re-sends an update it does not get one for, while handling one (NLU, actions, the reply)
can take seconds; and an update answered 200 is gone from Telegram for good. So the webhook
writes the update to `telegram:inbox:{bot}` (XADD: durable in Redis, shared by every Rasa
process) and only then answers 200. A consumer group hands each entry to one Rasa worker; the
entry is acknowledged (XACK) after Rasa handled the update, and its update_id is marked done.
A worker that dies mid-update leaves the entry pending; any worker takes it over (XAUTOCLAIM)
once it has been idle for `claim_idle_s`, which a live worker prevents for a slow update by
re-claiming it every `claim_idle_s / 3`. Handling an update again is harmless: an update marked
done is acknowledged without being handled, so each update_id is handled once after it
succeeded (a crash between Rasa's reply and the mark can repeat that one reply).

Without Redis the channel falls back to handling the update inside the webhook call and
answering 200 only afterwards (channel.py), so an update still counts as seen only once handled.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Optional

import redis
import redis.asyncio

from connectors.telegram.state import DEDUP_TTL
from handoff.stream import AsyncEventStream

logger = logging.getLogger(__name__)

GROUP = "telegram"
READ_BLOCK_MS = 1000


class Inbox:
    """One bot's inbox stream; `put` from the webhook, `reader` and `finish` for the consumer."""

    def __init__(self, url: Optional[str], bot: str, claim_idle_s: float = 30.0, done_ttl: int = DEDUP_TTL) -> None:
        self.url = url or None
        self.stream = f"telegram:inbox:{bot}"
        self.bot = bot
        self.claim_idle_s = max(1.0, float(claim_idle_s))
        self.done_ttl = done_ttl
        self._client: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def client(self) -> Any:
        """A client of this event loop; its timeout outlasts a blocking XREADGROUP."""
        if not self.url:
            return None
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = redis.asyncio.Redis.from_url(self.url, socket_timeout=READ_BLOCK_MS / 1000 + 4,
                                                        socket_connect_timeout=1.0, decode_responses=True)
            self._loop = loop
        return self._client

    def done_key(self, update_id: int) -> str:
        return f"telegram:done:{self.bot}:{update_id}"

    async def put(self, update: dict[str, Any]) -> Optional[str]:
        """The entry id the update was stored under; None when there is no Redis to store it in."""
        client = self.client()
        if client is None:
            return None
        try:
            return str(await client.xadd(self.stream, {"event": json.dumps(update, ensure_ascii=False)}))
        except (redis.RedisError, OSError) as exc:
            logger.warning("Telegram inbox: XADD to %s failed (%s); handling in the webhook call", self.stream, exc)
            return None

    async def drop(self, entry_id: str) -> None:
        """Takes back an entry `put` added for an update that turned out to be a duplicate."""
        try:
            await self.client().xdel(self.stream, entry_id)
        except (redis.RedisError, OSError):
            pass  # the consumer finds its update done or received and acknowledges it

    async def is_done(self, update_id: int) -> bool:
        client = self.client()
        if client is None:
            return False
        try:
            return bool(await client.exists(self.done_key(update_id)))
        except (redis.RedisError, OSError):
            return False

    def reader(self) -> AsyncEventStream:
        return AsyncEventStream(self.client(), stream=self.stream, group=GROUP,
                                claim_idle_ms=int(self.claim_idle_s * 1000), claim_every_s=self.claim_idle_s / 2)

    async def keep(self, reader: AsyncEventStream, entry_id: str) -> None:
        """Re-claims an entry being handled so that no other worker takes it over meanwhile."""
        while True:
            await asyncio.sleep(self.claim_idle_s / 3)
            try:
                await self.client().xclaim(self.stream, GROUP, reader.consumer, 0, [entry_id], justid=True)
            except (redis.RedisError, OSError) as exc:
                logger.debug("Telegram inbox: keeping %s failed: %s", entry_id, exc)

    async def finish(self, reader: AsyncEventStream, entry_id: str, update_id: Optional[int]) -> None:
        """Marks the update done, then acknowledges its entry (in that order: a crash in between
        leaves a pending entry whose update is done, which is acknowledged without handling)."""
        client = self.client()
        if update_id is not None:
            await client.set(self.done_key(update_id), "1", ex=self.done_ttl)
        await reader.ack([entry_id])
        await client.xdel(self.stream, entry_id)  # handled updates are not kept: they hold what people wrote

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
