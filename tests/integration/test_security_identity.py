"""Who a customer is, per channel, played by an outsider against the real processes.

(a) the hijack found on main: a widget that names a REST customer's conversation (bare, with
    its prefix, or with a forged token) gets a conversation of its own and never the agent's
    words; (b) a widget that comes back with its own token gets its own conversation back;
(c) another site's page cannot open a socket; (d) REST from off this machine needs REST_TOKEN;
(e) one address sending too much gets a polite "please wait" and no NLU.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import urllib.error
import urllib.request
from typing import Any, Iterator, Optional
from urllib.parse import quote

import pytest
import socketio

from tests.integration.conftest import Agent, Customer, Inbox, create_agent, start_stack
from tests.integration.widget_client import Browser
from tools.stack import Stack

CASE_ID = re.compile(r"C-\d{8}-\d{4,}")
SECRET = "您的退款码是 12345"
REST_TOKEN = "rest-token-for-the-shop-server"
OUTSIDER = "203.0.113.7"  # an address on the internet, as nginx (a trusted proxy on loopback) names it


def rest(stack: Stack, body: Any, headers: Optional[dict[str, str]] = None,
         host: str = "127.0.0.1") -> tuple[int, Any]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(f"http://{host}:{stack.rasa_port}/webhooks/rest/webhook", data=data,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def user_texts(stack: Stack, conversation: str) -> list[str]:
    url = f"{stack.rasa_url}/conversations/{quote(conversation, safe='')}/tracker?token={stack.auth_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return [str(e.get("text")) for e in json.loads(response.read())["events"] if e.get("event") == "user"]


def case_id_in(texts: list[str]) -> str:
    found = [m.group(0) for t in texts if (m := CASE_ID.search(t))]
    assert found, f"no case id in {texts}"
    return found[0]


# --- (a) the hijack, (b) coming back -----------------------------------------------------------

async def test_a_widget_naming_a_rest_customers_conversation_never_reads_it(stack: Stack, supervisor: Agent) -> None:
    agent = create_agent(stack, "hijack-agent")
    agent.call("GET", "/queue")  # online: the complaint is queued for a person at once
    alice = Customer(stack, "alice@example.com")
    case_id = case_id_in(alice.say("充电宝冒烟起火，差点烧到孩子，订单20251103887"))
    assert alice.conversation_id == "rest:alice@example.com"

    forged = [{"session_id": "alice@example.com"}, {"session_id": "rest:alice@example.com"},
              {"session_id": "alice@example.com", "token": "rest:alice@example.com." + "0" * 64},
              {"token": "alice@example.com"}, {"token": "web:" + "a" * 32 + "." + "f" * 64}]
    outsiders = [Browser(f"outsider-{n}") for n in range(len(forged))]
    for outsider, request in zip(outsiders, forged, strict=True):
        await outsider.open_socket(stack)
        confirmed = await outsider.request_session(request)
        assert re.fullmatch(r"web:[0-9a-f]{32}", confirmed["session_id"]), confirmed
    assert len({o.session_id for o in outsiders}) == len(outsiders)  # each a conversation of its own
    try:
        # the outsider writes as if it were alice: it lands in its own conversation
        await outsiders[0].client.emit("user_uttered", {"message": "我是alice，把退款码发给我",
                                                        "session_id": "alice@example.com"})
        await outsiders[0].receives(lambda m: m.get("sender") == "bot" and bool(m.get("text")))

        agent.call("POST", f"/cases/{case_id}/claim")  # the join message goes to alice's channel
        sent = agent.call("POST", f"/cases/{case_id}/reply", {"text": SECRET})
        assert sent["delivered"] is True
        await asyncio.sleep(3)  # what the agent said has long been emitted (delivered means Rasa sent it)
        for outsider in outsiders:
            assert not [m for m in outsider.received if m.get("sender") == "agent" or "12345" in str(m.get("text"))], \
                outsider.received
        assert "我是alice，把退款码发给我" not in user_texts(stack, alice.conversation_id)
        assert user_texts(stack, outsiders[0].session_id) == ["我是alice，把退款码发给我"]
    finally:
        for outsider in outsiders:
            await outsider.client.disconnect()


async def test_a_widget_coming_back_with_its_token_gets_its_own_conversation(stack: Stack) -> None:
    first = Browser("returning")
    await first.connect(stack)
    await first.say("我的订单到哪了")
    await first.receives(lambda m: "订单号" in str(m.get("text")))
    await first.client.disconnect()

    again = Browser("returning")  # the same widget after a reload: it shows the token it kept
    await again.connect(stack)
    try:
        assert (again.session_id, again.token) == (first.session_id, first.token)
        await again.say("20251103887")  # only this conversation knows the number is the order asked for
        await again.receives(lambda m: "运输中" in str(m.get("text")))
        assert user_texts(stack, first.session_id)[-2:] == ["我的订单到哪了", "20251103887"]
    finally:
        await again.client.disconnect()

    stranger = Browser("stranger")  # knows the id, not the token
    await stranger.open_socket(stack)
    try:
        confirmed = await stranger.request_session({"session_id": first.session_id})
        assert confirmed["session_id"] != first.session_id
    finally:
        await stranger.client.disconnect()


async def test_a_message_before_the_session_goes_nowhere(stack: Stack) -> None:
    early = Browser("early")
    await early.open_socket(stack)
    try:
        await early.client.emit("user_uttered", {"message": "你好", "session_id": "rest:alice@example.com"})
        for _ in range(100):
            if early.errors:
                break
            await asyncio.sleep(0.1)
        assert early.errors and early.errors[0]["error"] == "no_session", early.errors
        assert early.received == []
    finally:
        await early.client.disconnect()


# --- (c) origins ----------------------------------------------------------------------------------

async def test_another_sites_page_cannot_open_a_socket(stack: Stack) -> None:
    evil = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await evil.connect(stack.rasa_url, transports=["websocket"], socketio_path="socket.io",
                           headers={"Origin": "https://evil.example"})
    shop = Browser("shop-origin", headers={"Origin": stack.handoff_url})  # the widget's own page
    await shop.connect(stack)
    await shop.client.disconnect()
    assert shop.session_id.startswith("web:")


# --- (d) REST is for the shop's own servers ----------------------------------------------------------

def test_rest_on_loopback_keeps_working_and_is_namespaced(stack: Stack) -> None:
    """The README's curl example; its conversation is a REST one, whatever the sender says."""
    status, replies = rest(stack, {"sender": "web:readme", "message": "订单 20251103887 到哪了",
                                   "input_channel": "socketio"},
                           {"Content-Type": "application/x-www-form-urlencoded"})  # what `curl -d` sends
    assert status == 200 and any("运输中" in str(r.get("text")) for r in replies), replies
    assert user_texts(stack, "rest:web:readme") == ["订单 20251103887 到哪了"]
    assert user_texts(stack, "web:readme") == []


def test_rest_from_outside_without_a_configured_token_is_refused(stack: Stack) -> None:
    status, body = rest(stack, {"sender": "outsider", "message": "你好"}, {"X-Forwarded-For": OUTSIDER})
    assert status == 403 and body["error"] == "rest_token_not_configured" and "REST_TOKEN" in body["message"]
    assert user_texts(stack, "rest:outsider") == []  # nothing reached the assistant


def test_rest_with_a_malformed_body_gets_a_clear_400(stack: Stack) -> None:
    bodies: list[Any] = [[], {"message": "你好"}, {"sender": "x", "message": None}]
    for body in bodies:
        status, answer = rest(stack, body)
        assert status == 400 and answer["error"] == "bad_request", body


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[Stack]:
    """A stack reachable from other machines, with a REST token and a low per-address limit."""
    s = start_stack(tmp_path_factory.mktemp("var-identity"), inbox, RASA_HOST="0.0.0.0", REST_TOKEN=REST_TOKEN,
                    RATE_PER_IP="5/minute")
    yield s
    s.stop()


def this_machines_address() -> Optional[str]:
    """An address of this machine that is not loopback (the route towards a documentation net)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_rest_from_outside_needs_the_token(guarded: Stack) -> None:
    status, body = rest(guarded, {"sender": "partner", "message": "你好"}, {"X-Forwarded-For": OUTSIDER})
    assert status == 401 and body["error"] == "rest_token_required"
    status, body = rest(guarded, {"sender": "partner", "message": "你好"},
                        {"X-Forwarded-For": OUTSIDER, "Authorization": "Bearer wrong"})
    assert status == 401 and body["error"] == "rest_token_required"
    status, replies = rest(guarded, {"sender": "partner", "message": "订单 20251103887 到哪了"},
                           {"X-Forwarded-For": OUTSIDER, "Authorization": f"Bearer {REST_TOKEN}"})
    assert status == 200 and any("运输中" in str(r.get("text")) for r in replies), replies


def test_rest_called_directly_from_another_address_needs_the_token(guarded: Stack) -> None:
    """Not through a proxy: a caller on another address of the machine, Rasa on 0.0.0.0."""
    program = next(p for p in guarded.programs(guarded._environment()) if p.name == "rasa")
    if "0.0.0.0" not in program.argv:
        pytest.skip("tools/stack.py does not pass RASA_HOST to `rasa run -i` yet: Rasa listens on its default")
    address = this_machines_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    status, body = rest(guarded, {"sender": "direct", "message": "你好"}, host=address)
    assert status == 401 and body["error"] == "rest_token_required"
    status, _ = rest(guarded, {"sender": "direct", "message": "你好"}, {"Authorization": f"Bearer {REST_TOKEN}"},
                     host=address)
    assert status == 200


# --- (e) per-address limit -------------------------------------------------------------------------

async def test_one_address_sending_too_much_is_asked_to_wait(guarded: Stack) -> None:
    """RATE_PER_IP=5/minute: a session and four messages pass, the fifth message is answered
    politely in the customer's language without reaching the NLU; another address goes on."""
    busy = Browser("busy", headers={"X-Forwarded-For": "198.51.100.10"})
    other = Browser("other", headers={"X-Forwarded-For": "198.51.100.11"})
    await busy.connect(guarded)
    try:
        for n in range(4):
            before = len(busy.received)
            await busy.say(f"你好 {n}")
            await busy.receives(lambda m, before=before: len(busy.received) > before)  # type: ignore[misc]
        written = [f"你好 {n}" for n in range(4)]
        deadline = time.monotonic() + 60
        while user_texts(guarded, busy.session_id) != written and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert user_texts(guarded, busy.session_id) == written
        await busy.say("where is my order 20251103887?")
        refused = await busy.receives(lambda m: "too quickly" in str(m.get("text")))
        assert re.fullmatch(r"You're sending messages a little too quickly\. Please wait \d+ seconds and try again\.",
                            refused["text"]), refused
        await busy.say("我的订单呢")
        chinese = re.compile(r"您发送得太频繁了，请等 \d+ 秒后再试。")
        await busy.receives(lambda m: chinese.fullmatch(str(m.get("text"))) is not None)
        await asyncio.sleep(1)
        assert user_texts(guarded, busy.session_id) == written  # the refused ones never reached the NLU

        await other.connect(guarded)  # another customer, another address: unaffected
        await other.say("订单 20251103887 到哪了")
        await other.receives(lambda m: "运输中" in str(m.get("text")))
    finally:
        await busy.client.disconnect()
        await other.client.disconnect()

    again = Browser("busy-again", headers={"X-Forwarded-For": "198.51.100.10"})
    await again.open_socket(guarded)
    try:
        await again.client.emit("session_request", {"lang": "en"})
        await again.receives(lambda m: "too quickly" in str(m.get("text")))
        assert again.confirmations == []  # no new session for that address either
    finally:
        await again.client.disconnect()

