"""The desk with a controllable clock: the case store on SQLite, the queue on a real Redis."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import redis

from core.settings import load
from handoff.clock import FakeClock
from handoff.desk import Conflict, Desk, Forbidden
from handoff.queue import CaseQueue
from handoff.staffing import Hours, team_for
from handoff.store import CaseView, ClaimConflict

START = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture()
def desk(tmp_path: Path, redis_url: str, clock: FakeClock) -> Desk:
    from handoff.store import CaseStore

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushall()
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}", clock=clock)
    store.create_schema()
    desk = Desk(store, CaseQueue(client), clock=clock, hours=Hours())
    desk.queue.touch_agent(1, teams=["general"])
    return desk


def complaint(conversation: str, severity: str = "severe", emotion: str = "anger", **extra: Any) -> dict[str, Any]:
    return {"conversation_id": conversation, "channel": "rest", "customer_id": conversation, "language": "zh-Hans",
            "category": "complain_refund", "severity": severity, "emotion": emotion, "reasons": [], **extra}


def agent(desk: Desk, name: str, role: str = "agent") -> Any:
    view, _ = desk.store.create_agent(name, role)
    return view


def test_queue_orders_by_severity_then_deadline(desk: Desk, clock: FakeClock) -> None:
    general = desk.hand_off(**complaint("a", "general", "neutral")).case
    clock.advance(5)
    severe = desk.hand_off(**complaint("b", "severe", "neutral")).case
    clock.advance(5)
    upset = desk.hand_off(**complaint("c", "important", "anger")).case
    rows = desk.list_queue(agent(desk, "alice"))
    assert [r["id"] for r in rows] == [severe.id, upset.id, general.id]
    assert [r["position"] for r in rows] == [1, 2, 3]


def test_one_conversation_keeps_one_case_and_only_raises_it(desk: Desk) -> None:
    first = desk.register(**complaint("a", "general", "neutral"))
    again = desk.hand_off(**complaint("a", "important", "anger"))
    assert again.case.id == first.id and again.case.severity == "important" and again.case.queue_status == "queued"
    lower = desk.register(**complaint("a", "general", "neutral"))
    assert lower.severity == "important" and lower.queue_status == "queued"


def test_nobody_online_or_after_hours_means_callback(desk: Desk, clock: FakeClock) -> None:
    desk.queue.agent_offline(1)
    ticket = desk.hand_off(**complaint("a"))
    assert ticket.callback and ticket.case.queue_status == "callback" and ticket.wait_seconds is None
    desk.queue.touch_agent(1, teams=["general"])
    desk.hours = Hours(time(9, 0), time(21, 0))
    clock.set(datetime(2026, 11, 22, 14, 0, tzinfo=timezone.utc))  # 22:00 in Shanghai
    assert not desk.agents_available()
    clock.set(START)
    assert desk.agents_available()


def test_hours_are_read_from_the_settings() -> None:
    night = Hours.from_settings(load({"HANDOFF_HOURS": "22:00-06:00"}))
    assert night.open_at(datetime(2026, 11, 22, 15, 0, tzinfo=timezone.utc))  # 23:00 Shanghai
    assert not night.open_at(START)
    with pytest.raises(ValueError, match="HANDOFF_HOURS"):
        Hours.from_settings(load({"HANDOFF_HOURS": "9-21"}))


def test_teams_come_from_the_settings() -> None:
    assert team_for("complain_refund", load({}).handoff_teams) == "general"
    teams = load({"HANDOFF_TEAMS": "complain_refund=billing,complain_billing=billing"}).handoff_teams
    assert team_for("complain_refund", teams) == "billing" and team_for("complain_delivery", teams) == "general"


def test_claim_is_decided_by_the_database_even_without_redis(desk: Desk) -> None:
    case = desk.hand_off(**complaint("a")).case
    desk.queue.redis.flushall()
    alice, bob = agent(desk, "alice"), agent(desk, "bob")
    assert desk.claim(case.id, alice).assigned_agent == "alice"
    with pytest.raises(ClaimConflict, match="alice"):
        desk.claim(case.id, bob)


def test_flushed_queue_is_rebuilt_from_open_cases(desk: Desk) -> None:
    ids = [desk.hand_off(**complaint(f"c{i}")).case.id for i in range(3)]
    desk.queue.redis.flushall()
    assert sorted(r["id"] for r in desk.list_queue(agent(desk, "alice"))) == ids


def test_only_the_owner_or_a_supervisor_works_a_case(desk: Desk) -> None:
    case = desk.hand_off(**complaint("a")).case
    alice, bob, sam = agent(desk, "alice"), agent(desk, "bob"), agent(desk, "sam", "supervisor")
    with pytest.raises(Conflict, match="claim it first"):
        desk.reply(case.id, sam, "hello")
    desk.claim(case.id, alice)
    with pytest.raises(Forbidden):
        desk.reply(case.id, bob, "hello")
    _, stored = desk.reply(case.id, sam, "supervisor here", key="k1")
    assert stored is not None
    assert desk.reply(case.id, sam, "supervisor here", key="k1")[1] is None  # same key, same agent: stored once
    assert desk.reply(case.id, alice, "me too", key="k1")[1] is not None  # another agent's key is their own
    desk.resolve(case.id, alice)
    with pytest.raises(Conflict, match="resolved"):
        desk.reply(case.id, alice, "one more thing")


def test_customer_messages_join_the_case_once_and_only_after_the_handoff(desk: Desk, clock: FakeClock) -> None:
    case = desk.hand_off(**complaint("a")).case
    before = {"event": "user", "sender_id": "a", "text": "the complaint itself",
              "timestamp": (START - timedelta(seconds=1)).timestamp()}
    after = {"event": "user", "sender_id": "a", "text": "are you there?", "timestamp": (START + timedelta(seconds=3))
             .timestamp(), "parse_data": {"intent": {"name": "affirm"}, "emotion": {"name": "anxiety",
                                                                                    "confidence": 0.8}}}
    assert desk.customer_event(before, "k0") is None
    assert desk.customer_event(after, "k1") == case.id
    assert desk.customer_event(after, "k1") is None
    messages = [m for m in desk.store.messages(case.id) if m.role == "customer"]
    assert [(m.text, m.intent, m.emotion) for m in messages] == [("are you there?", "affirm", "anxiety")]
    agent_echo = {"event": "bot", "sender_id": "a", "text": "hi", "timestamp": after["timestamp"],
                  "metadata": {"handoff_agent": "alice"}}
    assert desk.customer_event(agent_echo, "k2") is None


def test_sla_breach_raises_priority_and_alerts_once(desk: Desk, clock: FakeClock) -> None:
    case = desk.hand_off(**complaint("a", "severe", "neutral")).case
    other = desk.hand_off(**complaint("b", "severe", "anger")).case
    assert [e.case_id for e in desk.queue.entries()] == [other.id, case.id]
    clock.advance(61)
    alerts = desk.check_sla()
    assert {a.case_id for a in alerts} == {case.id, other.id} and all(a.level == "severe" for a in alerts)
    assert desk.store.get(case.id).priority == 115 and desk.check_sla() == []
    assert [e.priority for e in desk.queue.entries()] == [135, 115]


def sketch(case: CaseView, earlier: list[CaseView]) -> dict[str, Any]:
    """A package builder that shows what it was given."""
    return {"case_id": case.id, "first_response_due": case.first_response_due.isoformat(),
            "earlier": [c.id for c in earlier], "summary": f"summary of {case.id}"}


def test_a_handoff_writes_the_case_with_its_package_at_once(desk: Desk) -> None:
    earlier = desk.register(**complaint("old-chat", "general", "neutral", customer_id="a"))
    ticket = desk.hand_off(package=sketch, **complaint("a"))
    case = desk.store.get(ticket.case.id)
    assert case.version == 1 and ticket.case.package == case.package  # one INSERT, no second write
    assert case.package == {"case_id": case.id, "first_response_due": case.first_response_due.isoformat(),
                            "earlier": [earlier.id], "summary": f"summary of {case.id}"}
    assert case.summary == f"summary of {case.id}"


def test_raising_a_case_rebuilds_its_package_with_the_new_deadlines(desk: Desk, clock: FakeClock) -> None:
    first = desk.register(package=sketch, **complaint("a", "general", "neutral"))
    clock.advance(600)
    raised = desk.hand_off(package=sketch, **complaint("a", "severe", "anger")).case
    assert raised.id == first.id and raised.version == first.version + 1
    assert raised.first_response_due < first.first_response_due
    assert raised.package == {"case_id": first.id, "first_response_due": raised.first_response_due.isoformat(),
                              "earlier": [], "summary": f"summary of {first.id}"}
