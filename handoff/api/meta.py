"""The API about itself: liveness, its OpenAPI contract, who the token belongs to, and the names
of its values (`/console/labels.json`).

The names (categories, severities, channels, warning levels in Chinese and English) are defined
once in core/labels.py; the console reads them from here before it draws, the reports read the
module itself. They sit under /console/ because the console is what asks for them, and a
deployment that exposes the console's files (deploy/nginx) exposes them with no extra rule.
Static, non-secret words: no token needed, like the page's own scripts.
"""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from core.labels import as_json
from handoff.api.auth import person_of
from handoff.openapi import document


async def health(request: Request) -> HTTPResponse:
    return json_response({"status": "ok"})


async def openapi(request: Request) -> HTTPResponse:
    return json_response(document())


async def me(request: Request) -> HTTPResponse:
    # any role: the console and the trainers' page both ask who signed in, and what they may open
    return json_response((await person_of(request)).to_dict() | {"token_hash": None})


async def labels(request: Request) -> HTTPResponse:
    return json_response(as_json())


def blueprint() -> Blueprint:
    bp = Blueprint("meta")
    bp.add_route(health, "/health", methods=["GET"])
    bp.add_route(openapi, "/openapi.json", methods=["GET"])
    bp.add_route(me, "/me", methods=["GET"])
    bp.add_route(labels, "/console/labels.json", methods=["GET"])
    return bp
