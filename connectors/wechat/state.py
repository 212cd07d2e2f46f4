"""What the channel remembers between messages, in Redis (shared by every Rasa process) and in
this process's memory (so a Redis outage costs sharing, not the messages): MsgIds already taken,
the numbered choices a customer may answer, and when each customer last wrote (the 48-hour
window of core/reach.py, read by the handoff service)."""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from typing import List, Optional, Tuple

from connectors.redis_link import REDIS_ERRORS, RedisLink
from core.reach import LAST_INBOUND_TTL, last_inbound_key

logger = logging.getLogger(__name__)

DEDUP_TTL = 3_600  # WeChat retries a message three times within about 15 seconds
CHOICES_TTL = 86_400  # a question with choices can be answered for a day
REPLY_TTL = 60  # a passive reply is kept for WeChat's retries of the same message (about 15 s)


class Memory:
    """A small LRU with expiry: the fallback of every Redis key below."""

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self.items: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def get(self, key: str) -> Optional[str]:
        found = self.items.get(key)
        if found is None or found[0] <= time.monotonic():
            self.items.pop(key, None)
            return None
        return found[1]

    def set(self, key: str, value: str, ttl: float) -> None:
        self.items[key] = (time.monotonic() + ttl, value)
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)

    def pop(self, key: str) -> Optional[str]:
        value = self.get(key)
        self.items.pop(key, None)
        return value


class State:
    """The channel's shared memory, keyed by the account's appid so two accounts never mix."""

    def __init__(self, link: RedisLink, appid: str, dedup_ttl: int = DEDUP_TTL) -> None:
        self.link, self.appid, self.dedup_ttl = link, appid, dedup_ttl
        self.memory = Memory()

    async def first_time(self, message_key: str) -> bool:
        """True once per message (MsgId, or sender and time for an event): Redis SET NX, so a
        retry reaching another Rasa process while the first is still being handled is refused."""
        key = f"wechat:msg:{self.appid}:{message_key}"
        if self.memory.get(key) is not None:
            return False
        client = self.link.client()
        if client is not None:
            try:
                if not await client.set(key, "1", nx=True, ex=self.dedup_ttl):
                    self.memory.set(key, "1", self.dedup_ttl)
                    return False
            except REDIS_ERRORS as exc:
                self.link.failed(exc)
        self.memory.set(key, "1", self.dedup_ttl)
        return True

    async def _put(self, key: str, value: str, ttl: int) -> None:
        """A value in this process's memory and in Redis, both expiring after `ttl` seconds."""
        self.memory.set(key, value, ttl)
        client = self.link.client()
        if client is not None:
            try:
                await client.set(key, value, ex=ttl)
            except REDIS_ERRORS as exc:
                self.link.failed(exc)

    def _reply_key(self, message_key: str) -> str:
        return f"wechat:reply:{self.appid}:{message_key}"

    async def remember_reply(self, message_key: str, text: str) -> None:
        """The passive reply given to a message. WeChat sends the message again only when that
        reply did not reach it (lost or late), so a retry gets the same reply once more."""
        await self._put(self._reply_key(message_key), text, REPLY_TTL)

    async def reply_for(self, message_key: str) -> Optional[str]:
        """The passive reply already given to this message, None while it is still being handled
        (what is not ready then follows through the customer-service API)."""
        key = self._reply_key(message_key)
        client = self.link.client()
        if client is not None:
            try:
                found = await client.get(key)
                if found is not None:
                    return str(found)
            except REDIS_ERRORS as exc:
                self.link.failed(exc)
        return self.memory.get(key)

    def _choices_key(self, openid: str) -> str:
        return f"wechat:choices:{self.appid}:{openid}"

    async def put_choices(self, openid: str, options: List[Tuple[str, str]]) -> None:
        """The (title, payload) choices just sent: the customer's "2" means the second."""
        await self._put(self._choices_key(openid), json.dumps(options, ensure_ascii=False), CHOICES_TTL)

    async def take_choices(self, openid: str) -> List[Tuple[str, str]]:
        """The pending choices, forgotten once the customer has written: they answer one question.
        Redis decides when it answers (another process may have taken them); memory otherwise."""
        key = self._choices_key(openid)
        value = self.memory.pop(key)
        client = self.link.client()
        if client is not None:
            try:
                value, _ = await client.pipeline(transaction=True).get(key).delete(key).execute()
            except REDIS_ERRORS as exc:
                self.link.failed(exc)
        try:
            found = json.loads(value) if value else []
        except ValueError:
            return []
        if not isinstance(found, list):
            return []
        return [(str(o[0]), str(o[1])) for o in found if isinstance(o, list) and len(o) == 2]

    async def touch(self, conversation: str, now: Optional[float] = None) -> None:
        """Records that the customer wrote now: the start of the 48-hour window (core/reach.py)."""
        client = self.link.client()
        if client is None:
            return
        try:
            await client.set(last_inbound_key(conversation), str(now if now is not None else time.time()),
                             ex=LAST_INBOUND_TTL)
        except REDIS_ERRORS as exc:
            self.link.failed(exc)
