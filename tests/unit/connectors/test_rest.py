"""The REST and callback channels: namespaced senders, and a token for callers off this machine."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest

from connectors.rest import ShopCallbackInput, ShopRestInput, is_loopback, malformed, namespaced_sender, refusal
from core.settings import load


class FakeRequest:
    """What the checks read of a Sanic request: the socket's peer, headers, method and body."""

    def __init__(self, ip: str = "127.0.0.1", headers: Optional[dict[str, str]] = None,
                 body: Any = None, method: str = "POST") -> None:
        self.ip, self.method, self.json = ip, method, body
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}


def fake(ip: str = "127.0.0.1", headers: Optional[dict[str, str]] = None, body: Any = None,
         method: str = "POST") -> Any:
    return FakeRequest(ip, headers, body, method)


def answer(result: Any) -> tuple[int, dict[str, Any]]:
    assert result is not None
    return result.status, json.loads(result.body)


def test_loopback_callers_need_no_token() -> None:
    """The README's curl example and the shop's own server on this machine keep working."""
    for ip in ("127.0.0.1", "::1", "::ffff:127.0.0.1", "127.0.0.53"):
        assert refusal(fake(ip), load({})) is None


def test_without_a_configured_token_outsiders_are_told_to_set_one() -> None:
    status, body = answer(refusal(fake("203.0.113.7"), load({})))
    assert status == 403 and body["error"] == "rest_token_not_configured" and "REST_TOKEN" in body["message"]


def test_through_the_proxy_the_outsider_is_still_an_outsider() -> None:
    """nginx on loopback names the real client in X-Forwarded-For: that one counts."""
    request = fake("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"})
    assert answer(refusal(request, load({})))[0] == 403
    spoofed = fake("203.0.113.7", {"X-Forwarded-For": "127.0.0.1"})  # not from a trusted proxy
    assert answer(refusal(spoofed, load({})))[0] == 403


def test_with_a_token_outsiders_must_show_it() -> None:
    settings = load({"REST_TOKEN": "s3cret"})
    assert refusal(fake("203.0.113.7", {"Authorization": "Bearer s3cret"}), settings) is None
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"},
                    {"Authorization": "Basic s3cret"}):
        status, body = answer(refusal(fake("203.0.113.7", headers), settings))
        assert (status, body["error"]) == (401, "rest_token_required"), headers


@pytest.mark.parametrize("body", [None, [], "hi", {"message": "hi"}, {"sender": "", "message": "hi"},
                                  {"sender": "a", "message": None}, {"sender": True, "message": "hi"},
                                  {"sender": ["a"], "message": "hi"}])
def test_a_malformed_message_gets_a_clear_400(body: Any) -> None:
    status, answered = answer(malformed(fake(body=body)))
    assert status == 400 and answered["error"] == "bad_request"


def test_a_good_message_and_a_get_pass() -> None:
    assert malformed(fake(body={"sender": "alice", "message": "hi"})) is None
    assert malformed(fake(body={"sender": 42, "message": ""})) is None
    assert malformed(fake(method="GET")) is None


def test_senders_are_namespaced_by_channel() -> None:
    """A REST caller naming a widget's id reaches a REST conversation, not the widget's."""
    assert namespaced_sender("rest", fake(body={"sender": "alice@example.com"})) == "rest:alice@example.com"
    assert namespaced_sender("rest", fake(body={"sender": "web:0f3c"})) == "rest:web:0f3c"
    assert namespaced_sender("callback", fake(body={"sender": 42})) == "callback:42"
    assert ShopRestInput.name() == "rest" and ShopCallbackInput.name() == "callback"


async def test_the_channel_is_never_the_callers_choice() -> None:
    channel = ShopRestInput()
    request = fake(body={"sender": "alice", "message": "hi", "input_channel": "socketio"})
    assert channel._extract_input_channel(request) == "rest"
    assert await channel._extract_sender(request) == "rest:alice"


def test_only_real_loopback_addresses_are_loopback() -> None:
    assert not any(is_loopback(a) for a in ("", "unknown", "localhost", "10.0.0.1", "0.0.0.0", "::ffff:10.0.0.1"))
