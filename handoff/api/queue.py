"""The queue of waiting cases: what an agent may take, and taking the best one."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from handoff.api.auth import agent_of
from handoff.api.customer import greet
from handoff.api.http import off_loop, services


async def list_queue(request: Request) -> HTTPResponse:
    agent = await agent_of(request)
    desk = services(request).desk
    rows = await off_loop(desk.list_queue, agent)
    return json_response({"cases": rows, "agents_online": await off_loop(desk.agents_online)})


async def claim_next(request: Request) -> HTTPResponse:
    agent = await agent_of(request)
    found = services(request)
    case = await off_loop(found.desk.claim_next, agent)
    if case is None:
        return json_response({"case": None}, status=200)
    await greet(found, case, agent)
    return json_response({"case": case.to_dict()})


def blueprint() -> Blueprint:
    bp = Blueprint("queue")
    bp.add_route(list_queue, "/queue", methods=["GET"])
    bp.add_route(claim_next, "/queue/next", methods=["POST"])
    return bp
