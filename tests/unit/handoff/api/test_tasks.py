"""The background loops stop when the app stops, survive a failing sweep, and share the SLA
sweep between workers: once per tick, whoever comes first."""

from __future__ import annotations

import asyncio
import time
from typing import cast

import redis
import redis.asyncio as aioredis

from handoff.api.tasks import PeriodLock, sla_clock
from handoff.desk import Desk


class SweepingDesk:
    def __init__(self, fail_first: bool) -> None:
        self.sweeps = 0
        self.fail_first = fail_first

    def ensure_queue(self) -> int:
        return -1

    def reconcile(self) -> tuple[int, int]:
        return 0, 0

    def check_sla(self) -> list[object]:
        self.sweeps += 1
        if self.fail_first and self.sweeps == 1:
            raise RuntimeError("database restarting")
        return []


async def test_the_sla_clock_sweeps_every_tick_until_stopped() -> None:
    desk = SweepingDesk(fail_first=True)
    stop = asyncio.Event()
    clock = asyncio.create_task(sla_clock(cast(Desk, desk), 0.01, stop))
    while desk.sweeps < 3:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(clock, timeout=1)
    assert clock.done() and clock.exception() is None


class CountingDesk(SweepingDesk):
    def __init__(self, name: str, log: list[tuple[str, float]]) -> None:
        super().__init__(fail_first=False)
        self.name, self.log = name, log

    def check_sla(self) -> list[object]:
        self.log.append((self.name, time.monotonic()))
        return super().check_sla()


async def test_of_workers_racing_for_a_tick_exactly_one_gets_it(redis_url: str, client: redis.Redis) -> None:
    connections = [aioredis.Redis.from_url(redis_url) for _ in range(8)]
    try:
        locks = [PeriodLock(c, "sla", 60) for c in connections]
        for _ in range(3):  # three ticks in a row
            won = await asyncio.gather(*(lock.acquire() for lock in locks))
            assert sum(won) == 1
            assert not any(await asyncio.gather(*(lock.acquire() for lock in locks)))  # same tick: nobody
            assert 0 < client.pttl(locks[0].key) <= 60_000  # nobody releases it: it expires with the tick
            client.pexpire(locks[0].key, 1)  # the tick is over
            while client.exists(locks[0].key):
                await asyncio.sleep(0.01)
    finally:
        for c in connections:
            await c.close()


async def test_two_sla_clocks_on_one_redis_sweep_once_per_tick(redis_url: str, client: redis.Redis) -> None:
    tick = 0.25
    log: list[tuple[str, float]] = []
    desks = [CountingDesk("a", log), CountingDesk("b", log)]
    connections = [aioredis.Redis.from_url(redis_url) for _ in desks]
    stop = asyncio.Event()
    began = time.monotonic()
    clocks = [asyncio.create_task(sla_clock(cast(Desk, d), tick, stop, PeriodLock(c, "sla", tick)))
              for d, c in zip(desks, connections, strict=True)]
    try:
        while len(log) < 6:
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*clocks), timeout=5)
        for c in connections:
            await c.close()
    elapsed = time.monotonic() - began
    # Unlocked, each clock would sweep every tick (twice as often). With the lock, sweeps are at
    # least one lock period apart, whichever worker does them; a slow machine only sweeps less.
    assert len(log) <= elapsed / tick + 1
    assert all(clock.exception() is None for clock in clocks)
