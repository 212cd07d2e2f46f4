"""The service's warning loop: every worker runs it, one per period does the check (the Redis
PeriodLock of handoff/api/tasks.py), and a burst ends up as one alert whichever worker saw it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis.asyncio as aioredis

from handoff.api.tasks import PeriodLock, warning_checks
from handoff.store import CaseStore
from handoff.warnings import WarningRunner
from shop.warnings import WarningSettings
from tests.unit.handoff.warnings.conftest import complaint


async def test_two_workers_loops_raise_one_warning(tmp_path: Path, redis_url: str) -> None:
    store = CaseStore(f"sqlite:///{tmp_path / 'shop.db'}")
    store.create_schema()
    for n in range(20):
        complaint(store, n)
    runners = [WarningRunner(store, WarningSettings()) for _ in range(2)]
    connections = [aioredis.Redis.from_url(redis_url) for _ in runners]
    stop = asyncio.Event()
    loops = [asyncio.create_task(warning_checks(r, 0.05, stop, PeriodLock(c, "warnings-test", 0.05)))
             for r, c in zip(runners, connections, strict=True)]
    try:
        while not store.alerts():
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # several more periods of both loops
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*loops), timeout=5)
        for c in connections:
            await c.close()
    assert [(a.kind, a.category) for a in store.alerts()] == [("volume_spike", "complain_refund")]
