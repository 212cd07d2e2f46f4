"""A handed-off conversation survives Rasa being killed: still paused, still linked to its case.

Rasa keeps conversations in its tracker store (SQL, on DATABASE_URL: tools/endpoints.py). The
customer's severe complaint is handed to a person, which pauses the conversation and puts the
case id in the `case_id` slot; then the Rasa process is SIGKILLed, as a crash or an OOM kill
would, and supervisord starts it again with the same endpoints. Afterwards the tracker must still
be paused with its case, and a customer message must get no answer from the bot (the agent is
the one answering), while it is still recorded for the agent to read.
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
from pathlib import Path
from typing import Iterator

import pytest

from tests.integration.conftest import Agent, Customer, Inbox, create_agent, start_stack
from tools.stack import Stack, wait_http

CASE_ID = re.compile(r"C-\d{8}-\d{4,}")


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own: killing its Rasa must not disturb the other tests' stack."""
    inbox = Inbox()
    stack = start_stack(tmp_path_factory.mktemp("var"), inbox)
    yield stack
    stack.stop()
    inbox.server.shutdown()


@pytest.fixture(scope="module")
def agent(own_stack: Stack) -> Agent:
    boss = create_agent(own_stack, "sam", "supervisor")
    boss.call("GET", "/queue")  # signs in: someone is online, so the customer is handed over at once
    return boss


def alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet serves nothing)."""
    try:
        os.kill(pid, 0)
        status = Path(f"/proc/{pid}/status").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return "\nState:\tZ" not in status


def kill_and_wait_for_rasa(stack: Stack, timeout: float = 240) -> None:
    """SIGKILL Rasa's main process; supervisord starts it again with the same endpoints file.

    Rasa's Sanic workers outlive their killed parent and keep answering on the port (with the
    conversations in their memory, were there no tracker store) until the restart clears them
    away; only after every one of them is gone does an answer come from the new Rasa."""
    old = stack.pids("rasa")
    assert len(old) >= 2, f"Rasa and its workers: {old}"
    stack.kill("rasa")
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in old):
        assert time.monotonic() < deadline, "the killed Rasa's workers are still serving"
        time.sleep(0.2)
    wait_http(f"{stack.rasa_url}/status?token={stack.auth_token}", max(1.0, deadline - time.monotonic()))
    assert not set(stack.pids("rasa")) & set(old)


def slots(customer: Customer) -> dict[str, object]:
    return dict(customer.tracker()["slots"])


def test_paused_handoff_and_case_survive_a_rasa_crash(own_stack: Stack, agent: Agent) -> None:
    dan = Customer(own_stack, "durable-dan")
    replies = dan.say("充电宝冒烟起火，差点烧到孩子，订单20251103887，我电话13812345678")
    found = CASE_ID.search("\n".join(replies))
    assert found, f"no case id in {replies}"
    case_id = found.group(0)
    assert dan.tracker()["paused"] is True and slots(dan)["case_id"] == case_id

    kill_and_wait_for_rasa(own_stack)

    tracker = dan.tracker()
    assert tracker["paused"] is True, "the handoff was forgotten: the bot would talk over the agent"
    assert tracker["slots"]["case_id"] == case_id
    assert any(e.get("event") == "user" and "充电宝冒烟起火" in str(e.get("text")) for e in tracker["events"])

    try:
        after = dan.say("人呢？还在吗")
    except urllib.error.HTTPError as error:  # pragma: no cover - shown, not expected
        raise AssertionError(f"Rasa answered {error.code} after the restart") from None
    assert after == [], f"the bot answered a customer who is with an agent: {after}"
    tracker = dan.tracker()
    assert tracker["paused"] is True and tracker["slots"]["case_id"] == case_id
    assert [e["text"] for e in tracker["events"] if e.get("event") == "user"][-1] == "人呢？还在吗"  # recorded


def test_a_new_customer_after_the_restart_gets_answers(own_stack: Stack, agent: Agent) -> None:
    """The restarted Rasa serves as before: the paused conversation is the only silent one."""
    assert Customer(own_stack, "durable-carol").say("请问退货规定是什么")
