"""What the channel remembers between messages, in Redis (shared by every Rasa process) and in
this process's memory (so a Redis outage costs sharing, not the messages): which messages are
being handled or were handled, the passive replies given, the numbered choices a customer may
answer, and when each customer last wrote (the 48-hour window of core/reach.py, read by the
handoff service).

WeChat sends a message again when it had no answer within 5 s (three tries, about 5 s apart,
same MsgId), and the try may reach another Rasa process. A message is therefore taken with a
*lease*, not marked once: the process handling it holds it briefly and renews it while it works,
so a process killed mid-message (OOM, crash) lets go within `LEASE_S` and WeChat's next try is
run by whichever process it reaches. A message is handled at least once, never lost to a dead
holder; at worst (killed after Rasa answered, before "done") twice.

A message WeChat will not send again (the channel answered "success" because Rasa was slow, or
it was WeChat's last try) is recorded as *unfinished* while it runs (`Lease.record`): if its
process dies, a sweeper in any process (`sweeper.Sweeper`) finds the lease lapsed and runs it.
The record goes once the message is done, after "done" is set, so a crash in between leaves a
record of a done message, which the sweeper deletes. Without Redis nothing is recorded: a
process's memory dies with it.

Redis keys (`<key>` is the MsgId, or `<openid>:<CreateTime>:<event>` for an event, which has none):

- `wechat:msg:<appid>:<key>`: a lease token (being handled; expires after `LEASE_S`, renewed
  every `RENEW_S` by its holder) or `done` (handled; kept `DEDUP_TTL`). The lease is redis-py's
  `Lock` (SET NX PX, and `extend`, which compares the token); "done" replaces only our own
  token, or a lease that has lapsed, in one Lua script (`MARK_DONE`).
- `wechat:unfinished:<appid>`: a hash, field `<key>`, value the message to run again
  (`inbound.Inbound` as JSON: openid, text, ..., attempts), only while it is taken and not done;
  the hash expires `DEDUP_TTL` after the last record written.
- `wechat:reply:<appid>:<key>`: the passive reply given, for a retry whose try lost it (`REPLY_TTL`).
- `wechat:choices:<appid>:<openid>`: the numbered choices last sent (`CHOICES_TTL`).
- `reach:last_inbound:wechat:<openid>`: when the customer last wrote (core/reach.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import OrderedDict
from typing import Any, List, Optional, Tuple

from redis.exceptions import LockNotOwnedError

from connectors.redis_link import REDIS_ERRORS, RedisLink
from connectors.wechat.inbound import Inbound
from core.reach import LAST_INBOUND_TTL, last_inbound_key

logger = logging.getLogger(__name__)

DEDUP_TTL = 3_600  # WeChat retries a message three times within about 15 seconds
CHOICES_TTL = 86_400  # a question with choices can be answered for a day
REPLY_TTL = 60  # a passive reply is kept for WeChat's retries of the same message (about 15 s)
# A dead holder's lease must lapse before WeChat's next try, which comes about 5 s after the one
# before: a holder killed just after renewing lets go LEASE_S later, so shorter than the gap.
LEASE_S = 3.0
# Renewed three times per lease: one slow Redis call (the client's timeout is 1 s) or a briefly
# busy event loop does not let a live holder's lease lapse.
RENEW_S = 1.0
DONE = "done"
# "done" for our own lease, or for a lease that lapsed while we worked (no one took it): we did
# handle the message. Another process's lease is left alone: it is handling it too.
MARK_DONE = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] or not held then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""


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


class Lease:
    """This process's hold on one message while it handles it, renewed in the background until
    `done`. `stop` ends the renewal without "done", as a killed process would: the lease lapses
    and the next try of the message runs it."""

    def __init__(self, state: State, key: str, token: str, lock: Any) -> None:
        self.state, self.key, self.token, self.lock = state, key, token, lock
        self.recorded: Optional[str] = None  # the message key of our unfinished record
        self._renewing: Optional[asyncio.Task[None]] = asyncio.get_running_loop().create_task(self._keep())

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.state.renew_s)
            if not await self.renew():
                return

    async def renew(self) -> bool:
        """Extends the lease by `LEASE_S` while this process holds it (redis-py's `extend`
        compares the token). A lease that lapsed unnoticed (the loop was busy for longer) is
        taken back when no one else took it; another's lease is never extended: False then."""
        memory = self.state.memory
        held = memory.get(self.key) in (None, self.token)
        if held:
            memory.set(self.key, self.token, self.state.lease_s)
        if self.lock is not None:
            try:
                try:
                    held = bool(await self.lock.extend(self.state.lease_s, replace_ttl=True))
                except LockNotOwnedError:
                    held = bool(await self.lock.do_acquire(self.token))
            except REDIS_ERRORS as exc:
                self.state.link.failed(exc)
        if not held:
            logger.warning("WeChat channel: %s lapsed and was taken by another process; both handle it", self.key)
        return held

    def stop(self) -> None:
        """No more renewals: the lease lapses within `LEASE_S`."""
        if self._renewing is not None:
            self._renewing.cancel()
            self._renewing = None

    async def record(self, inbound: Inbound) -> Inbound:
        """Keeps the message in `wechat:unfinished:<appid>` until `done`, for the sweeper to run
        if this process dies; the run as recorded (counted after the runs recorded before: a
        process killed on it left its record). Without Redis, the message as it came, run once."""
        client = self.state.link.client()
        if client is None:
            return inbound.again(None)
        try:
            before = await client.hget(self.state.unfinished_key, inbound.key)
            try:
                earlier = Inbound.from_json(before) if before else None
            except ValueError:
                earlier = None
            run = inbound.again(earlier)
            # The hash lives as long as "done" would (`DEDUP_TTL`) after the last message recorded:
            # should no sweeper ever run again (the channel removed), the customers' texts go too;
            # and a record older than its "done" could not tell a done message from an unfinished one.
            await (client.pipeline(transaction=True).hset(self.state.unfinished_key, inbound.key, run.to_json())
                   .expire(self.state.unfinished_key, self.state.dedup_ttl).execute())
        except REDIS_ERRORS as exc:
            self.state.link.failed(exc)
            return inbound.again(None)
        self.recorded = inbound.key
        return run

    async def done(self) -> None:
        """The message was handled (whatever became of the delivery): a retry runs nothing for
        `DEDUP_TTL`. Only our own token, or a lapsed lease, becomes "done" (`MARK_DONE`). The
        unfinished record goes only once "done" is set: removed first, a crash in between would
        leave a message neither done nor recorded. If "done" fails, the record stays and a sweeper
        runs the message again: answered twice rather than perhaps never."""
        self.stop()
        self.state.memory.set(self.key, DONE, self.state.dedup_ttl)
        client = self.state.link.client()
        if client is None:
            return
        try:
            await client.register_script(MARK_DONE)(keys=[self.key], args=[self.token, DONE, self.state.dedup_ttl])
        except REDIS_ERRORS as exc:
            self.state.link.failed(exc)
            return
        if self.recorded is not None:
            await self.state.forget(self.recorded)


class State:
    """The channel's shared memory, keyed by the account's appid so two accounts never mix."""

    def __init__(self, link: RedisLink, appid: str, dedup_ttl: int = DEDUP_TTL, lease_s: float = LEASE_S,
                 renew_s: float = RENEW_S) -> None:
        self.link, self.appid, self.dedup_ttl = link, appid, dedup_ttl
        self.lease_s, self.renew_s = lease_s, renew_s
        self.memory = Memory()
        self.unfinished_key = f"wechat:unfinished:{appid}"

    def _msg_key(self, message_key: str) -> str:
        return f"wechat:msg:{self.appid}:{message_key}"

    async def take(self, message_key: str) -> Optional[Lease]:
        """The lease on a message (MsgId, or sender and time for an event) that no process holds
        and none has handled; None while another holds it or once it was handled (`handled`).
        Redis decides between processes; this process's memory when Redis is away."""
        key = self._msg_key(message_key)
        if self.memory.get(key) is not None:
            return None
        token = uuid.uuid4().hex
        lock: Any = None
        client = self.link.client()
        if client is not None:
            try:
                lock = client.lock(key, timeout=self.lease_s, blocking=False, thread_local=False)
                if not await lock.acquire(token=token):
                    if await client.get(key) == DONE:
                        self.memory.set(key, DONE, self.dedup_ttl)
                    return None
            except REDIS_ERRORS as exc:
                self.link.failed(exc)
                lock = None
        self.memory.set(key, token, self.lease_s)
        return Lease(self, key, token, lock)

    async def handled(self, message_key: str) -> bool:
        """Whether the message is done (not merely held by a process that may yet die)."""
        key = self._msg_key(message_key)
        if self.memory.get(key) == DONE:
            return True
        client = self.link.client()
        if client is not None:
            try:
                return bool(await client.get(key) == DONE)
            except REDIS_ERRORS as exc:
                self.link.failed(exc)
        return False

    async def unfinished(self, cursor: int, count: int) -> Tuple[int, List[Tuple[str, str]]]:
        """One HSCAN page of the unfinished records: the next cursor (0: the scan is complete)
        and (message key, record) pairs. Nothing without Redis, or when it fails."""
        client = self.link.client()
        if client is None:
            return 0, []
        try:
            following, found = await client.hscan(self.unfinished_key, cursor, count=count)
        except REDIS_ERRORS as exc:
            self.link.failed(exc)
            return 0, []
        return int(following), [(str(k), str(v)) for k, v in found.items()]

    async def forget(self, message_key: str) -> None:
        """The unfinished record of a message goes (it is done, or given up)."""
        client = self.link.client()
        if client is None:
            return
        try:
            await client.hdel(self.unfinished_key, message_key)
        except REDIS_ERRORS as exc:
            self.link.failed(exc)

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
