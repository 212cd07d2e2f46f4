"""`GET /ready`: which parts of the assistant this service depends on answer right now.

`/health` only says the handoff service's own process runs; `/ready` says whether an agent's
work would go through: the case queue (Redis), the case database, Rasa (every reply and hand-back
goes through its HTTP API, with the service's token) and the action server (which opens the
cases). `make run` waits on it and prints the parts; a load balancer or a supervisor's check can
use the status: 200 when every part is up, 503 otherwise. Each check has its own short timeout
and they run at once, so a hung part makes the answer slow by at most that, never hang it.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Optional

import aiohttp
import redis.asyncio as aioredis
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from core.settings import load
from handoff.api.http import off_loop, services

CHECK_TIMEOUT_S = 2.0


async def _redis(url: str) -> None:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_S, socket_timeout=CHECK_TIMEOUT_S)
    try:
        await client.ping()
    finally:
        await client.close()


async def _http(url: str, params: Optional[dict[str, str]] = None) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CHECK_TIMEOUT_S)) as session:
        async with session.get(url, params=params) as response:
            if response.status >= 400:
                raise RuntimeError(f"{url} answered {response.status}")


async def _part(check: Awaitable[None]) -> dict[str, Any]:
    try:
        await asyncio.wait_for(check, CHECK_TIMEOUT_S + 1)
        return {"up": True}
    except Exception as exc:  # any failure of a part is its answer, never the endpoint's
        return {"up": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def blueprint() -> Blueprint:
    action_url = load().action_url  # read once, like every setting of the process

    async def ready(request: Request) -> HTTPResponse:
        s = services(request)
        rasa = s.rasa
        # Rasa's /status needs the token (and proves ours is accepted); without one, its root page
        rasa_check = _http(f"{rasa.url}/status", {"token": rasa.token}) if rasa.token else _http(f"{rasa.url}/")
        names = ("redis", "database", "rasa", "actions")
        results = await asyncio.gather(_part(_redis(s.redis_url)), _part(off_loop(s.desk.ping)), _part(rasa_check),
                                       _part(_http(f"{action_url}/health")))
        parts = dict(zip(names, results, strict=True))
        up = all(part["up"] for part in results)
        return json_response({"ready": up, "parts": parts}, status=200 if up else 503)

    bp = Blueprint("ready")
    bp.add_route(ready, "/ready", methods=["GET"])
    return bp
