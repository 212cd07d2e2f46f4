"""Rasa's HTTP API routes receive the conversation id percent-decoded, so an agent's reply can
reach a sender whose id needs quoting in a URL."""

from __future__ import annotations

from typing import Any

import httpx
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.rasa_routes import unquote_conversation_ids


async def test_conversation_ids_in_the_path_arrive_decoded_and_other_parameters_as_they_were() -> None:
    unquote_conversation_ids()
    unquote_conversation_ids()  # a second call must not decode twice
    Sanic.test_mode = True
    app = Sanic("rasa_routes_test")

    @app.route("/conversations/<conversation_id:path>/tracker", methods=["GET"])
    async def tracker(request: Request, conversation_id: str) -> HTTPResponse:
        return response.json({"conversation_id": conversation_id})

    @app.route("/files/<name:path>", methods=["GET"])
    async def files(request: Request, name: str) -> HTTPResponse:
        return response.json({"name": name})

    await app._startup()  # what serving the app does first: finalises its routes and signals
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rasa") as client:

        async def get(path: str) -> Any:
            answer = await client.get(path)
            assert answer.status_code == 200
            return answer.json()

        assert await get("/conversations/alice%40example.com/tracker") == {"conversation_id": "alice@example.com"}
        assert await get("/conversations/%E5%AE%A2%E6%88%B7%2042/tracker") == {"conversation_id": "客户 42"}
        assert await get("/conversations/50%2525/tracker") == {"conversation_id": "50%25"}
        assert await get("/files/a%40b") == {"name": "a%40b"}
