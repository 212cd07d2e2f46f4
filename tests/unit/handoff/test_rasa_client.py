"""An agent's reply goes to the channel its conversation id names, never to "latest"."""

from __future__ import annotations

from typing import Any, AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from handoff.rasa_client import RasaClient, output_channel


class FakeRasa:
    """Rasa's HTTP API as far as the client uses it: records each request's path and query."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        app = web.Application()
        app.router.add_post("/{tail:.*}", self.record)
        self.server = TestServer(app)

    async def record(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, dict(request.query), await request.json()))
        return web.json_response({})


@pytest.fixture()
async def rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.mark.parametrize("conversation, channel", [
    ("web:0f3c", "socketio"), ("telegram:42", "telegram"), ("rest:alice@example.com", "rest"),
    ("callback:chat-1", "callback"), ("alice@example.com", "latest"), ("mailto:alice", "latest"),
])
def test_the_channel_is_the_one_the_id_names(conversation: str, channel: str) -> None:
    assert output_channel(conversation) == channel


async def test_a_reply_to_a_rest_customer_never_reaches_the_widget(rasa: FakeRasa) -> None:
    """The hijack: a widget that last wrote to "rest:alice" must not get the agent's reply;
    the event names the REST channel, so Rasa never picks the tracker's latest input channel."""
    client = RasaClient(str(rasa.server.make_url("")), token="t")
    try:
        await client.say("rest:alice@example.com", "your refund code is 12345", agent="wendy", case_id="C-1")
        await client.say("web:abc", "hello", agent="wendy")
        await client.hand_back("telegram:42")
    finally:
        await client.close()
    (path, query, body), (_, web_query, _), *back = rasa.requests
    assert path == "/conversations/rest:alice@example.com/tracker/events"
    assert query == {"output_channel": "rest", "execute_side_effects": "true", "token": "t"}
    assert body["metadata"] == {"handoff_agent": "wendy", "case_id": "C-1"}
    assert web_query["output_channel"] == "socketio"
    executed = [q for p, q, _ in back if p.endswith("/execute")]
    assert executed == [{"output_channel": "telegram", "token": "t"}]
