"""Server-sent events: every queue, case and message change the desk publishes, for consoles.

Each stream subscribes to the Redis pub/sub channel itself, so it gets every change whichever
worker (or machine) made it and whichever worker serves it; the opening comment names the
serving worker's process, which tells operators (and the tests) how connections spread.

A stream carries only news of cases its agent may see (handoff/access.py): an agent of another
team does not even learn that a case was queued. The token is checked again every `RECHECK_S`
seconds (and the agent counted online, as any request does): a disabled agent or a rotated token
ends the stream with an `unauthenticated` event, and the browser's reconnect then gets 401.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from contextlib import suppress
from typing import Any

import redis.asyncio as aioredis
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from handoff.api.auth import agent_of, token_of
from handoff.api.http import Services, off_loop, services
from handoff.queue import listen
from handoff.store import AgentView

RECHECK_S = 15.0  # seconds between token checks of an open stream; also the keep-alive period
SCOPE_CACHE_S = 5.0  # how long "may this agent see case X" is remembered within one stream


def frame(note: dict[str, object]) -> str:
    """One event of the stream, named by its kind (`queued`, `claimed`, `message`, `alert`, …)."""
    return f"event: {note.get('kind')}\ndata: {json.dumps(note, ensure_ascii=False)}\n\n"


class Scope:
    """Whether this stream's agent may hear about a note's case, remembered for a few seconds."""

    def __init__(self, found: Services, agent: AgentView) -> None:
        self.found, self.agent = found, agent
        self.known: dict[str, tuple[float, bool]] = {}

    async def allows(self, note: dict[str, Any]) -> bool:
        payload = note.get("payload")
        case_id = payload.get("case_id") if isinstance(payload, dict) else None
        if not case_id:
            return note.get("kind") != "alert" or self.agent.role == "supervisor"
        now = time.monotonic()
        cached = self.known.get(str(case_id))
        if cached is None or now - cached[0] > SCOPE_CACHE_S:
            cached = (now, await off_loop(self.found.desk.may_see, self.agent, str(case_id)))
            self.known[str(case_id)] = cached
        return cached[1]


async def live(request: Request) -> HTTPResponse:
    agent = await agent_of(request)
    token, found = token_of(request), services(request)
    scope = Scope(found, agent)
    response = await request.respond(content_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    client = aioredis.Redis.from_url(found.redis_url, decode_responses=True)
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)

    async def pump() -> None:
        async for note in listen(client):
            with suppress(asyncio.QueueFull):  # a console that cannot keep up reloads its lists anyway
                inbox.put_nowait(note)

    reader = asyncio.create_task(pump())
    checked = time.monotonic()
    try:
        await response.send(f": connected to worker {os.getpid()}\n\n")
        while not reader.done():
            try:
                note = await asyncio.wait_for(inbox.get(), timeout=RECHECK_S)
            except asyncio.TimeoutError:
                note = None
            if time.monotonic() - checked >= RECHECK_S:
                if await off_loop(found.desk.authenticate, token, presence_ttl=found.presence_ttl) is None:
                    await response.send("event: unauthenticated\ndata: {}\n\n")
                    break
                checked = time.monotonic()
            if note is None:
                await response.send(": keep-alive\n\n")
            elif await scope.allows(note):
                await response.send(frame(note))
    finally:
        reader.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await reader
        await client.close()
    return response


def blueprint() -> Blueprint:
    bp = Blueprint("events")
    bp.add_route(live, "/events", methods=["GET"])
    return bp
