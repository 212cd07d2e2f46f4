"""The action server as an outsider meets it, on the real processes: a made-up action call is
refused without the token, changes nothing with it, and the server is not on the network at all;
and a customer who gives a score and leaves has it stored.

Before this, one unauthenticated POST of `action_store_rating` closed a case still `received`
and rated it 1 with the comment "forged" (issue 11).
"""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.request
from typing import Any, Optional

import pytest

from core.secrets import secret
from tests.integration.conftest import Agent, ChatCustomer, Customer
from tests.integration.test_handoff import case_id_in, eventually
from tools.stack import Stack


def forged_rating(conversation_id: str, case_id: str) -> dict[str, Any]:
    """What an outsider would send: a tracker made up to rate someone's case 1 with "forged"."""
    return {"next_action": "action_store_rating", "sender_id": conversation_id, "version": "3.6.2", "domain": {},
            "tracker": {"sender_id": conversation_id,
                        "slots": {"case_id": case_id, "rating": 1, "rating_comment": "forged", "language": "zh-Hans"},
                        "latest_message": {"text": "forged", "intent": {"name": "inform"}, "entities": []},
                        "events": [], "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": None}}


def post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def handed_off(customer: Customer) -> str:
    return case_id_in(customer.say("充电宝冒烟起火，差点烧到孩子"))


def test_an_unauthenticated_action_call_is_refused_and_changes_nothing(stack: Stack, customer: Customer,
                                                                      supervisor: Agent) -> None:
    case_id = handed_off(customer)
    before = supervisor.call("GET", f"/cases/{case_id}")["case"]
    assert before["state"] == "received"
    for query in ("", "?token=guess"):  # even naming the case's own conversation
        status, body = post(f"{stack.action_url}{query}", forged_rating(customer.conversation_id, case_id))
        assert status == 401 and body["error"]["code"] == "unauthorized"
    after = supervisor.call("GET", f"/cases/{case_id}")["case"]
    assert after["state"] == "received" and after.get("rating") is None
    assert after["transitions"] == before["transitions"]


def test_with_the_token_a_tracker_of_another_sender_stores_nothing(stack: Stack, customer: Customer,
                                                                  supervisor: Agent) -> None:
    case_id = handed_off(customer)
    token = secret(stack.settings(), "action_token")
    status, body = post(f"{stack.action_url}?token={token}", forged_rating("rest:mallory", case_id))
    assert status == 200 and any("感谢" in r["text"] for r in body["responses"])  # it learns nothing
    after = supervisor.call("GET", f"/cases/{case_id}")["case"]
    assert after["state"] == "received" and after.get("rating") is None


def non_loopback_address() -> Optional[str]:
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=10).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return next((a for a in out if not a.startswith("127.") and a != "::1"), None)


def test_the_action_server_is_not_on_the_network(stack: Stack) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to try")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        with pytest.raises(OSError):  # refused: nothing listens there
            s.connect((address, stack.action_port))
    with socket.create_connection(("127.0.0.1", stack.action_port), timeout=5):
        pass  # while Rasa's way in, loopback, answers


def test_a_customer_who_rates_and_leaves_has_the_rating_stored(chat: ChatCustomer, supervisor: Agent) -> None:
    case_id = case_id_in(chat.say("充电宝冒烟起火，差点烧到孩子"))
    supervisor.call("POST", f"/cases/{case_id}/claim")
    mark = chat.mark()
    supervisor.call("POST", f"/cases/{case_id}/resolve", {"note": "已退款"})
    chat.receives(mark, lambda t: "1–5" in t or "打分" in t)
    assert any("跳过" in t or "更好" in t for t in chat.say("5"))  # the comment question: they leave here
    case = eventually(lambda: supervisor.call("GET", f"/cases/{case_id}")["case"])
    assert case["rating"]["score"] == 5 and case["rating"]["comment"] is None
    assert case["state"] == "closed"
