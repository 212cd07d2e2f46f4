"""The service's background loops, running as long as the app in every worker: the consumers of
Rasa's event stream (customer messages join their case's transcript; every event goes to the
conversation archive), the SLA clock (breaches alert), the 预警 warning checks (complaint volume
alerts, handoff/warnings), the statistics' rollup (handoff/stats/rollup.py), the daily and weekly
reports (handoff/reports) and the archive's retention sweep.

Several workers (and several machines) run these loops side by side:
- each stream consumer has its own consumer group ("handoff" for the transcript, "archive" for
  the archive), so the two never wait for each other, and in a group each worker reads under its
  own consumer name (host and pid), so Redis hands every entry to one worker only;
- the periodic jobs take a Redis lock (SET NX PX) named after the job, that expires after one
  period and is never released early: whichever worker comes first in a period does the job,
  the others find the lock taken and wait for the next period.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Coroutine, Optional

import redis.asyncio as aioredis
import sqlalchemy as sa
from sanic import Sanic

from handoff.api.http import off_loop
from handoff.archive import Archive, archive_key
from handoff.desk import Desk
from handoff.reports.writer import ReportWriter
from handoff.stats import rollup
from handoff.stream import AsyncEventStream, Healthy, event_key
from handoff.warnings import WarningRunner

log = logging.getLogger("handoff.service")

TRANSCRIPT_GROUP = "handoff"
ARCHIVE_GROUP = "archive"
ARCHIVE_SWEEP_EVERY = 3600.0  # seconds between retention sweeps; deleting old rows is never urgent


class PeriodLock:
    """At most one holder per `period` seconds across every process sharing this Redis.

    `acquire` is SET key token NX PX period: the lock is left to expire rather than released, so
    a second worker whose clock ticks a moment later in the same period does not do the job a
    second time. A holder's next try comes a full period after its last job, by then the lock
    has expired, so one worker alone still runs every period.
    """

    def __init__(self, client: aioredis.Redis, name: str, period: float, prefix: str = "handoff") -> None:
        self.client = client
        self.key = f"{prefix}:lock:{name}"
        self.period_ms = max(1, int(period * 1000))
        self.token = secrets.token_hex(8)

    async def acquire(self) -> bool:
        return bool(await self.client.set(self.key, self.token, nx=True, px=self.period_ms))


async def consume_group(handler: Callable[[dict[str, Any]], Awaitable[None]], redis_url: str, stream_name: str,
                        group: str, stop: asyncio.Event, healthy: Optional[Healthy] = None) -> None:
    """Every event of Rasa's stream to `handler`, in the consumer group `group`, until `stop`."""
    client = aioredis.Redis.from_url(redis_url)
    stream = AsyncEventStream(client, stream=stream_name, group=group)  # consumer name: host-pid of this worker
    try:
        while not stop.is_set():
            try:
                await stream.consume(handler, stop, healthy=healthy)  # dead letters replayed when healthy
            except Exception:  # Redis restarting: keep trying, the stream keeps what we missed
                log.exception("event stream '%s' (group %s) interrupted; reconnecting", stream_name, group)
                await asyncio.sleep(1.0)
    finally:
        await client.close()


async def consume(desk: Desk, redis_url: str, stream_name: str, stop: asyncio.Event) -> None:
    """Every tracker event of Rasa's stream goes to the desk (case transcripts), until `stop` is set."""

    async def on_event(event: dict[str, Any]) -> None:
        await off_loop(desk.customer_event, event, event_key(event))

    async def database_answers() -> bool:
        await off_loop(desk.ping)
        return True

    await consume_group(on_event, redis_url, stream_name, TRANSCRIPT_GROUP, stop, database_answers)


async def archive_events(archive: Archive, redis_url: str, stream_name: str, stop: asyncio.Event) -> None:
    """Every tracker event of Rasa's stream into the conversation archive, until `stop` is set."""

    async def on_event(event: dict[str, Any]) -> None:
        await off_loop(archive.record, event, archive_key(event))

    await consume_group(on_event, redis_url, stream_name, ARCHIVE_GROUP, stop)


async def every(period: float, job: Callable[[], Awaitable[Any]], stop: asyncio.Event, name: str,
                lock: Optional[PeriodLock] = None) -> None:
    """Runs `job` every `period` seconds until `stop`; with a lock, only when this worker holds it."""
    while not stop.is_set():
        try:
            if lock is None or await lock.acquire():
                await job()
        except Exception:
            log.exception("%s failed; retrying", name)
        try:
            await asyncio.wait_for(stop.wait(), timeout=period)
        except asyncio.TimeoutError:
            pass


async def sla_clock(desk: Desk, tick: float, stop: asyncio.Event, lock: Optional[PeriodLock] = None) -> None:
    """Every `tick` seconds (the first at start): the queue reconciled with the database (rebuilt
    if Redis lost it, missing cases re-queued, stale entries removed), then the SLA sweep (by one
    worker per tick when given the shared lock)."""

    async def sweep() -> None:
        await off_loop(desk.reconcile)
        await off_loop(desk.check_sla)

    await every(tick, sweep, stop, "SLA sweep", lock)


async def archive_retention(archive: Archive, period: float, stop: asyncio.Event,
                            lock: Optional[PeriodLock] = None) -> None:
    """Every `period` seconds, rows older than the archive's retention are deleted."""

    async def sweep() -> None:
        deleted = await off_loop(archive.sweep)
        if any(deleted.values()):
            log.info("archive retention (%d days) deleted %s", archive.retention_days, deleted)

    await every(period, sweep, stop, "archive retention sweep", lock)


async def warning_checks(runner: WarningRunner, tick: float, stop: asyncio.Event,
                         lock: Optional[PeriodLock] = None) -> None:
    """Every `tick` seconds (the first at start), by one worker per tick: complaint counts through
    the detector into alerts (handoff/warnings/runner.py)."""

    async def check() -> None:
        await off_loop(runner.tick)

    await every(tick, check, stop, "warning check", lock)


def run_warnings_with(app: Sanic, runner: WarningRunner, *, redis_url: str, tick: float) -> None:
    """The warning checks run while the server (each worker) runs, one worker per tick."""

    def loops(stop: asyncio.Event, locks: aioredis.Redis) -> list[Coroutine[Any, Any, None]]:
        return [warning_checks(runner, tick, stop, PeriodLock(locks, "warnings", tick))]

    _run(app, redis_url, loops)


ROLLUP_EVERY = 60.0  # seconds between passes of the statistics' rollup (handoff/stats/rollup.py)
ROLLUP_DAYS_PER_PASS = 62


async def rollup_passes(engine: sa.engine.Engine, tz: str, period: float, stop: asyncio.Event,
                        lock: Optional[PeriodLock] = None) -> None:
    """Every `period` seconds, by one worker per period: changed days marked, missing or stale
    days and months rolled (at most ROLLUP_DAYS_PER_PASS days a pass, so a first start on a year
    of cases catches up over a few minutes without holding the database)."""

    async def roll() -> None:
        await off_loop(lambda: rollup.refresh(engine, tz, datetime.now(timezone.utc), limit=ROLLUP_DAYS_PER_PASS))

    await every(period, roll, stop, "statistics rollup", lock)


def run_rollup_with(app: Sanic, engine: sa.engine.Engine, tz: str, *, redis_url: str,
                    period: float = ROLLUP_EVERY) -> None:
    """The statistics' rollup runs while the server (each worker) runs, one worker per period."""

    def loops(stop: asyncio.Event, locks: aioredis.Redis) -> list[Coroutine[Any, Any, None]]:
        return [rollup_passes(engine, tz, period, stop, PeriodLock(locks, "stats-rollup", period))]

    _run(app, redis_url, loops)


REPORT_CHECK_EVERY = 300.0  # seconds between checks for a due daily or weekly report
REPORT_FIRST_CHECK = 60.0  # seconds after start: a short-lived stack (a test) never starts Chromium


async def report_checks(writer: ReportWriter, period: float, stop: asyncio.Event,
                        lock: Optional[PeriodLock] = None, first_after: float = REPORT_FIRST_CHECK) -> None:
    """Every `period` seconds, by one worker per period: the due reports not yet on disk are
    written (handoff/reports/writer.py). The statistics and Chromium's PDF run in a thread."""

    async def check() -> None:
        await off_loop(writer.write_due)

    try:
        await asyncio.wait_for(stop.wait(), timeout=first_after)
        return
    except asyncio.TimeoutError:
        pass
    await every(period, check, stop, "report check", lock)


def run_reports_with(app: Sanic, writer: ReportWriter, *, redis_url: str,
                     period: float = REPORT_CHECK_EVERY) -> None:
    """The report checks run while the server (each worker) runs, one worker per period."""

    def loops(stop: asyncio.Event, locks: aioredis.Redis) -> list[Coroutine[Any, Any, None]]:
        return [report_checks(writer, period, stop, PeriodLock(locks, "reports", period))]

    _run(app, redis_url, loops)


def run_with(app: Sanic, desk: Desk, *, redis_url: str, stream_name: str, sla_tick: float) -> None:
    """The transcript consumer and the SLA clock run while the server (each worker) runs."""

    def loops(stop: asyncio.Event, locks: aioredis.Redis) -> list[Coroutine[Any, Any, None]]:
        return [consume(desk, redis_url, stream_name, stop),
                sla_clock(desk, sla_tick, stop, PeriodLock(locks, "sla", sla_tick))]

    _run(app, redis_url, loops)


def run_archive_with(app: Sanic, archive: Archive, *, redis_url: str, stream_name: str,
                     sweep_every: float = ARCHIVE_SWEEP_EVERY) -> None:
    """The archive's consumer and its retention sweep run while the server (each worker) runs."""

    def loops(stop: asyncio.Event, locks: aioredis.Redis) -> list[Coroutine[Any, Any, None]]:
        return [archive_events(archive, redis_url, stream_name, stop),
                archive_retention(archive, sweep_every, stop, PeriodLock(locks, "archive-sweep", sweep_every))]

    _run(app, redis_url, loops)


def _run(app: Sanic, redis_url: str,
         loops: Callable[[asyncio.Event, aioredis.Redis], list[Coroutine[Any, Any, None]]]) -> None:
    """Starts the loops after the server (each worker) has started; stops them before it stops."""
    stop = asyncio.Event()
    background: list[asyncio.Task[None]] = []  # asyncio keeps only weak references to tasks
    clients: list[aioredis.Redis] = []

    async def start(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        locks = aioredis.Redis.from_url(redis_url)
        clients.append(locks)
        background.extend(loop.create_task(job) for job in loops(stop, locks))

    async def halt(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        stop.set()
        if background:  # a loop stops within a read's block time; don't let one hold the shutdown
            await asyncio.wait(background, timeout=5)
        for client in clients:
            await client.close()

    app.register_listener(start, "after_server_start")
    app.register_listener(halt, "before_server_stop")
