"""The API about itself: liveness, its OpenAPI contract, and who the token belongs to."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from handoff.api.auth import agent_of
from handoff.openapi import document


async def health(request: Request) -> HTTPResponse:
    return json_response({"status": "ok"})


async def openapi(request: Request) -> HTTPResponse:
    return json_response(document())


async def me(request: Request) -> HTTPResponse:
    return json_response((await agent_of(request)).to_dict() | {"token_hash": None})


def blueprint() -> Blueprint:
    bp = Blueprint("meta")
    bp.add_route(health, "/health", methods=["GET"])
    bp.add_route(openapi, "/openapi.json", methods=["GET"])
    bp.add_route(me, "/me", methods=["GET"])
    return bp
