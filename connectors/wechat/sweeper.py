"""Runs the messages whose process died after WeChat had its answer, so none is lost.

When Rasa is slower than the passive reply's window, the channel answers WeChat "success" and
the answer is to follow through the customer-service API; WeChat then never sends the message
again. The same holds for WeChat's third and last try. If the process handling such a message
is killed (OOM, crash), no retry will come: the message is only in `wechat:unfinished:<appid>`
(`state.Lease.record`). Every Rasa process running the channel sweeps that hash: a record whose
lease lapsed (its holder is dead) is taken and run as a message whose passive reply is over,
everything through the API; a record of a done message (the process died between "done" and
removing the record) is removed; a record whose holder is alive is left to it. The lease decides
between the sweeping processes and WeChat's retries, as it does between retries.

A message taken to be run `MAX_ATTEMPTS` times without being done is dropped with an error: a
message that kills the process running it (a poison message) must not kill every process in turn.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Optional

from connectors.wechat.inbound import Inbound
from connectors.wechat.state import Lease, State

logger = logging.getLogger(__name__)

# A dead holder's message waits for its lease to lapse (state.LEASE_S, 3 s) and then at most one
# period: answered within about 8 s of the kill, later than a passive reply but well within what
# a customer waits for. Each sweep is one HSCAN when nothing is unfinished, cheap for every process.
SWEEP_S = 5.0
# HSCAN's page size hint: the hash holds only the messages being handled at this moment.
SCAN_COUNT = 100
# Records looked at per sweep: after an outage the backlog is worked off over a few sweeps, not
# in one burst of Redis calls and Rasa turns while the webhook must answer within seconds. The
# scan's cursor is kept from sweep to sweep, so every record is reached.
MAX_PER_SWEEP = 200
# WeChat's three tries and the sweeps together: a message taken this many times and still not
# done has killed (or been lost with) every process that ran it.
MAX_ATTEMPTS = 3

Run = Callable[[Inbound, Lease], Awaitable[None]]


class Sweeper:
    """Sweeps `state`'s unfinished messages every `period` seconds; `run` starts a taken message
    (through the API only) and sees to `lease.done()` once it has been handled."""

    def __init__(self, state: State, run: Run, period: float = SWEEP_S) -> None:
        self.state, self.run, self.period = state, run, period
        self._cursor = 0
        self._stop: Optional[asyncio.Event] = None
        self._task: Optional[asyncio.Task[None]] = None

    def start(self) -> None:
        if self._task is None:
            self._stop = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._loop(self._stop))

    async def stop(self) -> None:
        if self._stop is not None and self._task is not None:
            self._stop.set()
            await asyncio.wait([self._task], timeout=self.period + 5)
            self._task = None

    async def _loop(self, stop: asyncio.Event) -> None:
        """Sweeps until stopped; a failing sweep (Redis away, a bug) is logged, and the next one
        comes a period later: the sweeper must outlive whatever one sweep met."""
        while not stop.is_set():
            try:
                await self.sweep()
            except Exception:
                logger.exception("WeChat channel: sweeping unfinished messages failed; trying again")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.period)
            except asyncio.TimeoutError:
                pass

    async def sweep(self) -> int:
        """One pass over at most `MAX_PER_SWEEP` records, from where the last one stopped; how
        many messages it started."""
        started = seen = 0
        while seen < MAX_PER_SWEEP:
            self._cursor, found = await self.state.unfinished(self._cursor, SCAN_COUNT)
            for key, raw in found:
                seen += 1
                started += await self._one(key, raw)
            if self._cursor == 0:
                break
        return started

    async def _one(self, key: str, raw: str) -> int:
        lease = await self.state.take(key)
        if lease is None:
            if await self.state.handled(key):
                await self.state.forget(key)  # done; its process died before removing the record
            return 0  # held: its process is alive and renews the lease
        try:
            inbound = Inbound.from_json(raw)
            if inbound.key != key:
                raise ValueError(f"it names message {inbound.key}")
        except ValueError as exc:
            logger.error("WeChat channel: unfinished record %s is not the channel's (%s); dropped", key, exc)
            await self._drop(lease, key)
            return 0
        if inbound.attempts >= MAX_ATTEMPTS:
            logger.error("WeChat channel: message %s from %s was taken %d times and never finished; dropped "
                         "(it may kill the process that runs it)", key, inbound.openid, inbound.attempts)
            await self._drop(lease, key)
            return 0
        try:
            run = await lease.record(inbound)
            logger.warning("WeChat channel: message %s was left unfinished by a process that died; running it "
                           "again (attempt %d)", key, run.attempts)
            await self.run(run, lease)
        except Exception:
            logger.exception("WeChat channel: running unfinished message %s failed; a later sweep tries again", key)
            lease.stop()  # not done: the lease lapses, and the next run is counted
            return 0
        return 1

    async def _drop(self, lease: Lease, key: str) -> None:
        await lease.done()
        await self.state.forget(key)
