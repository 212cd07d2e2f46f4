"""Open 回访 tasks: the customers to call back after their case was resolved."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from handoff.api.auth import agent_of
from handoff.api.http import off_loop, services


async def list_follow_ups(request: Request) -> HTTPResponse:
    await agent_of(request)
    tasks = await off_loop(services(request).desk.follow_ups)
    return json_response({"follow_ups": [f.to_dict() for f in tasks]})


def blueprint() -> Blueprint:
    bp = Blueprint("follow_ups")
    bp.add_route(list_follow_ups, "/follow-ups", methods=["GET"])
    return bp
