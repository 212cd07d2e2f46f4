"""Server-sent events: every queue, case and message change the desk publishes, for consoles.

Each stream subscribes to the Redis pub/sub channel itself, so it gets every change whichever
worker (or machine) made it and whichever worker serves it; the opening comment names the
serving worker's process, which tells operators (and the tests) how connections spread.
"""

from __future__ import annotations

import json
import os

import redis.asyncio as aioredis
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from handoff.api.auth import agent_of
from handoff.api.http import services
from handoff.queue import listen


def frame(note: dict[str, object]) -> str:
    """One event of the stream, named by its kind (`queued`, `claimed`, `message`, `alert`, …)."""
    return f"event: {note.get('kind')}\ndata: {json.dumps(note, ensure_ascii=False)}\n\n"


async def live(request: Request) -> HTTPResponse:
    await agent_of(request)
    response = await request.respond(content_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    client = aioredis.Redis.from_url(services(request).redis_url, decode_responses=True)
    try:
        await response.send(f": connected to worker {os.getpid()}\n\n")
        async for note in listen(client):
            await response.send(frame(note))
    finally:
        await client.close()
    return response


def blueprint() -> Blueprint:
    bp = Blueprint("events")
    bp.add_route(live, "/events", methods=["GET"])
    return bp
