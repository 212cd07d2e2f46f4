"""The agents' side of issue 11 on the real processes, played by outsiders: an agent of another
team, a colleague who does not serve the case, a transfer to a team that does not exist, a case
closed without resolving it, one Idempotency-Key on two cases, a rotated or disabled token; and
the security headers on the service's pages, its API and its errors.

Cases of these customers go to the default team `general` (no HANDOFF_TEAMS here); the outsider
works in `billing` only.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Agent, ApiError, ChatCustomer, Customer
from tools.stack import PY, Stack

CASE_ID = re.compile(r"C-\d{8}-\d{4,}")
SEVERE = "充电宝冒烟起火，差点烧到孩子，订单20251103887，我要人工"
ROOT = Path(__file__).parents[2]


def cli(stack: Stack, *args: str) -> str:
    """`python -m handoff.agents …` with the stack's settings, as a shop runs it."""
    result = subprocess.run([PY, "-m", "handoff.agents", *args], env=stack._environment(), capture_output=True,
                            text=True, check=True, cwd=str(ROOT))
    return result.stdout.strip()


def agent(stack: Stack, name: str, teams: str = "general", languages: str = "zh,en") -> Agent:
    token = cli(stack, "create", name, "--role", "agent", "--teams", teams, "--languages", languages)
    made = Agent(stack, name, token)
    made.call("GET", "/me")
    return made


def refused(call: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def case_of(replies: list[str]) -> str:
    for text in replies:
        found = CASE_ID.search(text)
        if found:
            return found.group(0)
    raise AssertionError(f"no case id in {replies}")


def get(url: str, token: str = "") -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status, response.headers
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code, exc.headers


@pytest.fixture(scope="module")
def team(stack: Stack, supervisor: Agent) -> dict[str, Agent]:
    return {"gina": agent(stack, "gina"), "gus": agent(stack, "gus"), "bill": agent(stack, "bill", teams="billing")}


def test_another_team_cannot_read_list_or_claim_and_only_the_owner_sees_the_contact(
        stack: Stack, team: dict[str, Agent]) -> None:
    customer = Customer(stack, "alice.lin@example.com")
    case_id = case_of(customer.say(SEVERE))
    gina, gus, bill = team["gina"], team["gus"], team["bill"]

    assert case_id not in [row["id"] for row in bill.call("GET", "/queue")["cases"]]
    for method, path in (("GET", ""), ("GET", "/messages"), ("POST", "/claim"), ("POST", "/notes")):
        error = refused(bill.call, method, f"/cases/{case_id}{path}", {"text": "peek"} if method == "POST" else None)
        assert error.status == 404 and error.body["error"] == {"code": "not_found", "message": f"no case {case_id}"}
        assert "alice" not in json.dumps(error.body)

    queued = next(row for row in gus.call("GET", "/queue")["cases"] if row["id"] == case_id)
    assert queued["customer_id"] == "rest:al***@example.com"
    gina.call("POST", f"/cases/{case_id}/claim")
    assert gina.call("GET", f"/cases/{case_id}")["case"]["customer_id"] == "rest:alice.lin@example.com"
    seen_by_gus = gus.call("GET", f"/cases/{case_id}")["case"]
    assert seen_by_gus["customer_id"] == "rest:al***@example.com"
    assert "alice.lin" not in json.dumps(seen_by_gus)
    assert refused(gus.call, "POST", f"/cases/{case_id}/reply", {"text": "hi"}).status == 403
    gina.call("POST", f"/cases/{case_id}/resolve")


def test_a_transfer_to_an_unknown_team_changes_nothing_and_the_queue_still_lists(
        stack: Stack, team: dict[str, Agent]) -> None:
    gina = team["gina"]
    waiting = case_of(Customer(stack, "waiting-for-transfer").say(SEVERE))
    mine = case_of(Customer(stack, "transferred").say(SEVERE))
    gina.call("POST", f"/cases/{mine}/claim")
    error = refused(gina.call, "POST", f"/cases/{mine}/transfer", {"team": "nowhere"})
    assert error.status == 422 and "nowhere" in error.body["error"]["message"]
    assert waiting in [row["id"] for row in gina.call("GET", "/queue")["cases"]]
    assert gina.call("GET", f"/cases/{mine}")["case"]["assigned_agent"] == "gina"
    gina.call("POST", f"/cases/{mine}/resolve")


def test_a_case_closed_through_state_gives_the_customer_back_to_the_bot(
        stack: Stack, team: dict[str, Agent], chat: ChatCustomer) -> None:
    gina = team["gina"]
    case_id = case_of(chat.say(SEVERE))
    gina.call("POST", f"/cases/{case_id}/claim")
    assert chat.tracker()["paused"] is True
    mark = chat.mark()
    closed = gina.call("POST", f"/cases/{case_id}/state", {"state": "closed", "note": "sorted by phone"})
    assert closed["handed_back"] is True and closed["case"]["state"] == "closed"
    chat.receives(mark, lambda text: bool(text))  # the bot speaks again (it asks for a rating)
    assert chat.tracker()["paused"] is False
    assert chat.say("订单20251103887到哪了") != []  # and answers the next message


def test_one_idempotency_key_on_two_cases_does_two_things(stack: Stack, team: dict[str, Agent]) -> None:
    gina = team["gina"]
    cases = [case_of(Customer(stack, f"idem-{n}").say(SEVERE)) for n in (1, 2)]
    for case_id in cases:
        gina.call("POST", f"/cases/{case_id}/claim")
    sent = [gina.call("POST", f"/cases/{case_id}/reply", {"text": "您好"}, headers={"Idempotency-Key": "same"})
            for case_id in cases]
    assert [s["delivered"] for s in sent] == [True, True] and sent[0]["message"]["id"] != sent[1]["message"]["id"]
    again = gina.call("POST", f"/cases/{cases[0]}/reply", {"text": "您好"}, headers={"Idempotency-Key": "same"})
    assert again["duplicate"] is True
    for case_id in cases:
        gina.call("POST", f"/cases/{case_id}/resolve")


def test_pages_api_and_errors_send_security_headers(stack: Stack, team: dict[str, Agent]) -> None:
    base = stack.handoff_url
    answers = {path: get(base + path, team["gina"].token) for path in ("/console/", "/widget/", "/queue",
                                                                      "/no-such-page")}
    assert [status for status, _ in answers.values()] == [200, 200, 200, 404]
    for path, (_, headers) in answers.items():
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path
    widget = answers["/widget/"][1]["Content-Security-Policy"]
    rasa_port = stack.rasa_url.rsplit(":", 1)[1]
    assert f":{rasa_port}" in widget.split("connect-src")[1] and "script-src 'self'" in widget
    assert "script-src 'self';" in answers["/console/"][1]["Content-Security-Policy"]


def test_a_rotated_or_disabled_token_stops_working_at_once(stack: Stack) -> None:
    rory = agent(stack, "rory")
    new = cli(stack, "rotate", "rory")
    assert refused(rory.call, "GET", "/me").status == 401
    rotated = Agent(stack, "rory", new)
    assert rotated.call("GET", "/me")["name"] == "rory"
    cli(stack, "disable", "rory")
    error = refused(rotated.call, "GET", "/queue")
    assert error.status == 401 and error.body["error"]["code"] == "unauthenticated"
    assert "rory" in cli(stack, "list") and "disabled" in cli(stack, "list")
