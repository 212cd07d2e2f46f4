"""The handoff service's side of the Rasa event stream (written by `bot.broker`).

A consumer group gives at-least-once delivery across several handoff processes: an entry is
acknowledged only after the handler returned, so a crash re-delivers it - to the same consumer
name on restart (its own pending entries are read first), or to any other consumer once it has
been idle for `claim_idle_ms` (XAUTOCLAIM; needed because the default consumer name contains
the pid). The handler must therefore be idempotent; `event_key` is the dedup key.

The group is created at id "0", so a service that starts after Rasa still sees everything the
stream holds; duplicates are cheaper than gaps.

Nothing is lost to a database outage (issue 11): a handler failure that is an outage (the
database or Redis unreachable, locked or timing out: `TRANSIENT`, or `healthy()` saying no) is
not counted against the event. The entry stays pending and the consumer keeps retrying it, in
place and in order, with a capped backoff for as long as the outage lasts; only an event that
fails for another reason (a poison event) is set aside in `{stream}:dead` after `max_attempts`.
Those dead letters are replayed, oldest first, every `replay_every_s` once `healthy()` (a cheap
database ping) says yes, each at most `max_replays` times; the handler's idempotency key makes a
replay of something that did get stored harmless.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Optional, Union

import redis
import redis.asyncio
import sqlalchemy.exc

logger = logging.getLogger(__name__)

Entry = tuple[str, dict[str, Any]]
RawEntry = tuple[Any, Any]  # (id, fields) as redis-py returns them; id is None for a deleted entry
Handler = Callable[[dict[str, Any]], Awaitable[None]]
Healthy = Callable[[], Awaitable[bool]]

# Failures that say "the database (or Redis) is away", not "this event is bad": retried until
# they pass. OperationalError covers a PostgreSQL that is down and a SQLite that is locked or
# cannot be opened; the others are lost connections and timeouts.
TRANSIENT: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, sqlalchemy.exc.TimeoutError,
    redis.ConnectionError, redis.TimeoutError, ConnectionError, TimeoutError, asyncio.TimeoutError)
OUTAGE_RETRY_MAX_S = 5.0  # while the database is away, an entry is retried at least this often


def is_transient(error: BaseException) -> bool:
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, TRANSIENT)


def event_key(event: dict[str, Any]) -> str:
    """Same event, same key, however often it is delivered (repr keeps the float's every digit)."""
    return f"{event.get('sender_id')}:{event.get('event')}:{event.get('timestamp')!r}"


def default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _text(value: Union[str, bytes]) -> str:
    return value.decode() if isinstance(value, bytes) else value


class _Base:
    """State and parsing shared by the blocking and the asyncio reader."""

    def __init__(self, stream: str, group: str, consumer: Optional[str], claim_idle_ms: int,
                 claim_every_s: float) -> None:
        self.stream = stream
        self.group = group
        self.consumer = consumer or default_consumer()
        self.claim_idle_ms = claim_idle_ms
        self.claim_every_s = claim_every_s
        self.dead_letter = f"{stream}:dead"
        self._pending_cursor: Optional[str] = "0"  # first read this consumer's unacked entries
        self._last_claim = time.monotonic()  # others' stale entries: not at once, give them time to restart

    def _parse(self, raw: Sequence[RawEntry]) -> tuple[list[Entry], list[str]]:
        """Decoded entries, and ids that can never be handled (trimmed away, not JSON) to ack now."""
        good: list[Entry] = []
        bad: list[str] = []
        for raw_id, fields in raw:
            if raw_id is None:
                continue
            entry_id = _text(raw_id)
            data = {_text(k): v for k, v in (fields or {}).items()}.get("event")
            if data is None:
                logger.error("Stream entry %s of '%s' is gone (trimmed before it was acknowledged)",
                             entry_id, self.stream)
                bad.append(entry_id)
                continue
            try:
                event = json.loads(_text(data))
                if not isinstance(event, dict):
                    raise ValueError("not an object")
            except ValueError as error:
                logger.error("Stream entry %s of '%s' is not a JSON event (%s); skipped", entry_id, self.stream, error)
                bad.append(entry_id)
                continue
            good.append((entry_id, event))
        return good, bad

    def _claim_due(self) -> bool:
        if time.monotonic() - self._last_claim < self.claim_every_s:
            return False
        self._last_claim = time.monotonic()
        return True

    @staticmethod
    def _first_stream(response: Any) -> list[RawEntry]:
        return list(response[0][1]) if response else []


def _is_nogroup(error: Exception) -> bool:
    return str(error).startswith("NOGROUP")


class EventStream(_Base):
    """Blocking reader over a redis.Redis client (scripts, tests, a worker thread)."""

    def __init__(self, redis: redis.Redis, stream: str = "rasa:events", group: str = "handoff",
                 consumer: Optional[str] = None, claim_idle_ms: int = 60_000, claim_every_s: float = 30.0) -> None:
        super().__init__(stream, group, consumer, claim_idle_ms, claim_every_s)
        self.redis = redis

    def ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def read(self, count: int = 100, block_ms: int = 1000) -> list[Entry]:
        """Next entries: own pending ones after a restart, then stale ones of dead consumers, then new."""
        try:
            return self._read(count, block_ms)
        except redis.ResponseError as error:
            if not _is_nogroup(error):
                raise
            logger.warning("Consumer group '%s' of '%s' is missing (Redis flushed?); creating it", self.group,
                           self.stream)
            self.ensure_group()
            self._pending_cursor = None
            return self._read(count, block_ms)

    def _read(self, count: int, block_ms: int) -> list[Entry]:
        while True:
            if self._pending_cursor is not None:
                raw = self._first_stream(self.redis.xreadgroup(
                    self.group, self.consumer, {self.stream: self._pending_cursor}, count=count))
                if not raw:
                    self._pending_cursor = None
                    continue
                self._pending_cursor = _text(raw[-1][0])
            elif self._claim_due():
                raw = self.redis.xautoclaim(self.stream, self.group, self.consumer, self.claim_idle_ms,
                                            start_id="0-0", count=count)[1]
                if not raw:
                    continue
            else:
                raw = self._first_stream(self.redis.xreadgroup(
                    self.group, self.consumer, {self.stream: ">"}, count=count, block=block_ms))
            good, bad = self._parse(raw)
            if bad:
                self.ack(bad)
            if good or not bad:
                return good

    def ack(self, ids: Iterable[str]) -> int:
        ids = list(ids)
        return int(self.redis.xack(self.stream, self.group, *ids)) if ids else 0


class AsyncEventStream(_Base):
    """The same over redis.asyncio, for the Sanic handoff service; `consume` is the usual entry point."""

    def __init__(self, redis: redis.asyncio.Redis, stream: str = "rasa:events", group: str = "handoff",
                 consumer: Optional[str] = None, claim_idle_ms: int = 60_000, claim_every_s: float = 30.0) -> None:
        super().__init__(stream, group, consumer, claim_idle_ms, claim_every_s)
        self.redis = redis

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def read(self, count: int = 100, block_ms: int = 1000) -> list[Entry]:
        try:
            return await self._read(count, block_ms)
        except redis.ResponseError as error:
            if not _is_nogroup(error):
                raise
            logger.warning("Consumer group '%s' of '%s' is missing (Redis flushed?); creating it", self.group,
                           self.stream)
            await self.ensure_group()
            self._pending_cursor = None
            return await self._read(count, block_ms)

    async def _read(self, count: int, block_ms: int) -> list[Entry]:
        while True:
            if self._pending_cursor is not None:
                raw = self._first_stream(await self.redis.xreadgroup(
                    self.group, self.consumer, {self.stream: self._pending_cursor}, count=count))
                if not raw:
                    self._pending_cursor = None
                    continue
                self._pending_cursor = _text(raw[-1][0])
            elif self._claim_due():
                raw = (await self.redis.xautoclaim(self.stream, self.group, self.consumer, self.claim_idle_ms,
                                                   start_id="0-0", count=count))[1]
                if not raw:
                    continue
            else:
                raw = self._first_stream(await self.redis.xreadgroup(
                    self.group, self.consumer, {self.stream: ">"}, count=count, block=block_ms))
            good, bad = self._parse(raw)
            if bad:
                await self.ack(bad)
            if good or not bad:
                return good

    async def ack(self, ids: Iterable[str]) -> int:
        ids = list(ids)
        return int(await self.redis.xack(self.stream, self.group, *ids)) if ids else 0

    async def consume(self, handler: Handler, stop: asyncio.Event, count: int = 100, block_ms: int = 1000,
                      max_attempts: int = 5, healthy: Optional[Healthy] = None, replay_every_s: float = 5.0,
                      max_replays: int = 20) -> None:
        """Runs until `stop` is set, in stream order; an entry is acked only after `handler` returned.

        A handler that keeps failing for a reason other than an outage (a poison event) is
        retried with backoff, then the event is copied to `{stream}:dead` with the error and
        acked, so one bad event cannot stall the rest; an outage stalls the stream instead, and
        the entry is retried until the database is back (module docstring).
        """
        await self.ensure_group()
        last_replay = 0.0
        while not stop.is_set():
            if time.monotonic() - last_replay >= replay_every_s:
                last_replay = time.monotonic()
                try:
                    await self.replay_dead_letters(handler, healthy, max_replays)
                except (redis.RedisError, OSError) as error:
                    logger.warning("Replaying '%s' failed (%s); next time", self.dead_letter, error)
            try:
                batch = await self.read(count, block_ms)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
                logger.warning("Reading '%s' failed (%s); retrying", self.stream, error)
                await _sleep_unless(stop, 1.0)
                continue
            for entry_id, event in batch:
                if not await self._handle(entry_id, event, handler, stop, max_attempts, healthy):
                    return  # stopped mid-retry: the entry stays pending and comes back on restart
                await self.ack([entry_id])

    async def _handle(self, entry_id: str, event: dict[str, Any], handler: Handler, stop: asyncio.Event,
                      max_attempts: int, healthy: Optional[Healthy]) -> bool:
        """True once the entry may be acked (handled, or set aside as poison); False if stopped."""
        attempt, outage_since = 0, None
        while True:
            try:
                await handler(event)
                if outage_since is not None:
                    logger.warning("Event %s stored after a %.0f s outage", entry_id, time.monotonic() - outage_since)
                return True
            except Exception as error:  # the handler's failure must not kill the consumer
                if is_transient(error) or not await _is_healthy(healthy):
                    if outage_since is None:
                        outage_since = time.monotonic()
                        logger.warning("Event %s (%s) waits for the database (%r); retrying until it is back",
                                       entry_id, event_key(event), error)
                    delay = min(0.5 * 2 ** min(int(time.monotonic() - outage_since), 4), OUTAGE_RETRY_MAX_S)
                else:
                    attempt += 1
                    if attempt >= max_attempts:
                        logger.exception("Event %s (%s) failed %d times; moved to '%s'", entry_id,
                                         event_key(event), attempt, self.dead_letter)
                        await self._bury(event, entry_id, error, 0)
                        return True
                    logger.warning("Event %s (%s) failed (%r); retry %d", entry_id, event_key(event), error, attempt)
                    delay = min(0.2 * 2**attempt, 5.0)
                if await _sleep_unless(stop, delay):
                    return False

    async def _bury(self, event: dict[str, Any], entry_id: str, error: BaseException, replays: int) -> None:
        await self.redis.xadd(self.dead_letter, {"event": json.dumps(event, ensure_ascii=False), "id": entry_id,
                                                 "group": self.group, "error": repr(error), "replays": str(replays)})

    async def replay_dead_letters(self, handler: Handler, healthy: Optional[Healthy] = None,
                                  max_replays: int = 20) -> int:
        """This group's dead letters through `handler` again, oldest first, if the database answers.

        A replayed letter is deleted; one that fails again goes back to the end with its count
        raised (an outage leaves it as it is and stops the pass). Returns how many were handled.
        Letters of another group are left to it; old letters without a group are taken by the
        first group that replays them.
        """
        if not await self.redis.exists(self.dead_letter) or not await _is_healthy(healthy):
            return 0
        done = 0
        for raw_id, raw_fields in await self.redis.xrange(self.dead_letter, count=1000):
            fields = {_text(k): _text(v) for k, v in (raw_fields or {}).items()}
            replays = int(fields.get("replays") or 0)
            if fields.get("group", self.group) != self.group or replays >= max_replays:
                continue
            try:
                event = json.loads(fields.get("event") or "null")
                if not isinstance(event, dict):
                    raise ValueError("not an object")
            except ValueError:
                continue  # nothing to replay; kept for a person to read
            try:
                await handler(event)
            except Exception as error:
                if is_transient(error):
                    return done  # the database went away again: next pass
                await self._bury(event, fields.get("id", ""), error, replays + 1)
            else:
                done += 1
                logger.info("Dead letter %s (%s) replayed", fields.get("id"), event_key(event))
            await self.redis.xdel(self.dead_letter, raw_id)
        return done


async def _is_healthy(healthy: Optional[Healthy]) -> bool:
    if healthy is None:
        return True
    try:
        return bool(await healthy())
    except Exception:  # a ping that raises is a database that is not there
        return False


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> bool:
    """Sleeps, waking early when stop is set; True if it was."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        return False
    return True
