"""The service's two background loops, running as long as the app: the consumer of Rasa's event
stream (customer messages join their case's transcript) and the SLA clock (breaches alert)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis.asyncio as aioredis
from sanic import Sanic

from handoff.api.http import off_loop
from handoff.desk import Desk
from handoff.stream import AsyncEventStream, event_key

log = logging.getLogger("handoff.service")


async def consume(desk: Desk, redis_url: str, stream_name: str, stop: asyncio.Event) -> None:
    """Every tracker event of Rasa's stream goes to the desk, until `stop` is set."""

    async def on_event(event: dict[str, Any]) -> None:
        await off_loop(desk.customer_event, event, event_key(event))

    client = aioredis.Redis.from_url(redis_url)
    stream = AsyncEventStream(client, stream=stream_name)
    try:
        while not stop.is_set():
            try:
                await stream.consume(on_event, stop)
            except Exception:  # Redis restarting: keep trying, the stream keeps what we missed
                log.exception("event stream interrupted; reconnecting")
                await asyncio.sleep(1.0)
    finally:
        await client.close()


async def sla_clock(desk: Desk, tick: float, stop: asyncio.Event) -> None:
    """Every `tick` seconds: the queue rebuilt if Redis lost it, then the SLA sweep."""
    while not stop.is_set():
        try:
            await off_loop(desk.ensure_queue)
            await off_loop(desk.check_sla)
        except Exception:
            log.exception("SLA sweep failed; retrying")
        try:
            await asyncio.wait_for(stop.wait(), timeout=tick)
        except asyncio.TimeoutError:
            pass


def run_with(app: Sanic, desk: Desk, *, redis_url: str, stream_name: str, sla_tick: float) -> None:
    """Starts both loops when the server has started and stops them when it stops."""
    stop = asyncio.Event()
    background: list[asyncio.Task[None]] = []  # asyncio keeps only weak references to tasks

    async def start(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        background.append(loop.create_task(consume(desk, redis_url, stream_name, stop)))
        background.append(loop.create_task(sla_clock(desk, sla_tick, stop)))

    async def halt(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        stop.set()

    app.register_listener(start, "after_server_start")
    app.register_listener(halt, "before_server_stop")
