"""The background loops stop when the app stops and survive a failing sweep."""

from __future__ import annotations

import asyncio
from typing import cast

from handoff.api.tasks import sla_clock
from handoff.desk import Desk


class SweepingDesk:
    def __init__(self, fail_first: bool) -> None:
        self.sweeps = 0
        self.fail_first = fail_first

    def ensure_queue(self) -> int:
        return -1

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
