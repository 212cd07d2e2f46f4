"""The desk as an outsider tries it: another team's case, someone else's idempotency key, a
transfer to a team that does not exist, Redis and the database pulled apart, a forged rating."""

from __future__ import annotations

from typing import Any

import pytest

from handoff.desk import Conflict, Desk, Forbidden, Invalid
from handoff.store import AgentView, CaseNotFound


def complaint(conversation: str, category: str = "complain_refund", language: str = "zh-Hans") -> dict[str, Any]:
    return {"conversation_id": conversation, "channel": "rest", "customer_id": conversation, "language": language,
            "category": category, "severity": "severe", "emotion": "anger", "reasons": [],
            "summary": "客户电话 13812345678"}


def make(desk: Desk, name: str, role: str = "agent", teams: tuple[str, ...] = ("general",),
         languages: tuple[str, ...] = ("zh", "en")) -> AgentView:
    return desk.store.create_agent(name, role, list(teams), list(languages))[0]


@pytest.fixture()
def billing_desk(desk: Desk) -> Desk:
    desk.teams = {"complain_billing": "billing"}
    desk.queue.touch_agent(99, teams=["general", "billing"])
    return desk


def test_an_agent_of_another_team_cannot_see_list_or_claim_the_case(billing_desk: Desk) -> None:
    desk = billing_desk
    case = desk.hand_off(**complaint("web:a", "complain_billing")).case
    outsider = make(desk, "olga", teams=("general",))
    english_only = make(desk, "emma", teams=("billing",), languages=("en",))
    insider = make(desk, "bill", teams=("billing",), languages=("zh",))
    for agent in (outsider, english_only):
        assert desk.list_queue(agent) == []
        with pytest.raises(CaseNotFound, match=f"no case {case.id}"):
            desk.case_detail(case.id, agent)
        with pytest.raises(CaseNotFound):
            desk.messages(case.id, agent)
        with pytest.raises(CaseNotFound):
            desk.claim(case.id, agent)
        with pytest.raises(CaseNotFound):
            desk.note(case.id, agent, "peek")
        assert desk.claim_next(agent) is None
        assert not desk.may_see(agent, case.id)
    assert [row["id"] for row in desk.list_queue(insider)] == [case.id]
    assert desk.claim_next(insider) is not None  # still there: the outsiders took nothing
    supervisor = make(desk, "sue", role="supervisor")
    assert desk.case_detail(case.id, supervisor)["id"] == case.id


def test_contacts_are_shown_only_to_whoever_serves_the_case(desk: Desk) -> None:
    case = desk.hand_off(**complaint("rest:alice@example.com")).case
    desk.record_callback(case.id, "13812345678")
    owner, colleague = make(desk, "owner"), make(desk, "colleague")
    supervisor = make(desk, "sue", role="supervisor")
    seen = desk.case_detail(case.id, colleague)
    assert seen["callback_contact"] == "138****5678"
    assert seen["customer_id"] == "rest:al***@example.com" and "13812345678" not in seen["summary"]
    assert desk.list_queue(colleague)[0]["callback_contact"] == "138****5678"
    desk.claim(case.id, owner)
    desk.reply(case.id, owner, "I will call 13812345678 now")
    assert desk.case_detail(case.id, owner)["callback_contact"] == "13812345678"
    assert desk.case_detail(case.id, supervisor)["customer_id"] == "rest:alice@example.com"
    texts = [m["text"] for m in desk.messages(case.id, colleague)]
    assert "I will call 138****5678 now" in texts
    assert "I will call 13812345678 now" in [m["text"] for m in desk.messages(case.id, owner)]
    with pytest.raises(Forbidden):
        desk.reply(case.id, colleague, "let me")


def test_an_idempotency_key_counts_per_case_agent_and_route(desk: Desk) -> None:
    alice, bob = make(desk, "alice"), make(desk, "bob")
    first = desk.hand_off(**complaint("web:1")).case
    second = desk.hand_off(**complaint("web:2")).case
    desk.claim(first.id, alice)
    desk.claim(second.id, alice)
    assert desk.reply(first.id, alice, "hello", key="k1")[1] is not None
    assert desk.reply(first.id, alice, "hello", key="k1")[1] is None  # a retry
    assert desk.reply(second.id, alice, "hello", key="k1")[1] is not None  # another case: new
    assert desk.note(first.id, alice, "n", key="k1") is not None  # another route: new
    supervisor = make(desk, "sue", role="supervisor")
    assert desk.reply(first.id, supervisor, "hello", key="k1")[1] is not None  # another agent: new
    assert desk.note(first.id, bob, "n", key="k1") is not None


def test_a_transfer_to_an_unknown_team_or_a_disabled_agent_writes_nothing(desk: Desk) -> None:
    alice = make(desk, "alice")
    waiting = desk.hand_off(**complaint("web:w")).case
    case = desk.hand_off(**complaint("web:1")).case
    desk.claim(case.id, alice)
    before = desk.case(case.id)
    with pytest.raises(Invalid, match="no team 'nowhere'"):
        desk.transfer(case.id, alice, team="nowhere")
    with pytest.raises(Invalid):
        desk.transfer(case.id, alice, team="bad team:name")
    gone = make(desk, "gone")
    desk.store.set_active("gone", False)
    with pytest.raises(Invalid, match="disabled"):
        desk.transfer(case.id, alice, to_agent=desk.store.agent(gone.id))
    assert desk.case(case.id) == before
    assert [row["id"] for row in desk.list_queue(alice)] == [waiting.id]
    make(desk, "bill", teams=("billing",))
    moved = desk.transfer(case.id, alice, team="billing")  # a team agents work in is known
    assert moved.team == "billing" and moved.queue_status == "queued"


def test_reconcile_heals_a_queue_pulled_apart_from_the_database(desk: Desk) -> None:
    alice = make(desk, "alice")
    desk.rebuild_queue()  # a queue that was built: the sweep reconciles rather than rebuilds
    lost = desk.hand_off(**complaint("web:lost")).case
    kept = desk.hand_off(**complaint("web:kept")).case
    taken = desk.hand_off(**complaint("web:taken")).case
    desk.store.claim(taken.id, alice.id)  # claimed in the database, Redis never heard of it
    desk.queue.remove(lost.id)  # the database says waiting, Redis lost it
    desk.queue.enqueue("C-20990101-0001", "general", "zh", 50, lost.first_response_due)  # no such case
    desk.queue.redis.zadd(desk.queue.queue_key("general", "zh"), {"C-20990101-0002": 1})  # half-written
    assert desk.reconcile() == (1, 3)
    assert {row["id"] for row in desk.list_queue(alice)} == {lost.id, kept.id}
    assert set(desk.queue.members()) == {lost.id, kept.id}
    assert desk.reconcile() == (0, 0)  # in line: nothing to do


def test_a_case_with_a_team_redis_cannot_name_does_not_stop_the_rebuild(desk: Desk) -> None:
    good = desk.hand_off(**complaint("web:good")).case
    bad = desk.store.update(desk.hand_off(**complaint("web:bad")).case.id, team="bad team")
    desk.queue.redis.flushall()
    assert desk.rebuild_queue() == 1
    assert set(desk.queue.members()) == {good.id} and bad.team == "bad team"


def test_closing_by_any_route_asks_for_the_hand_back_once(desk: Desk) -> None:
    alice = make(desk, "alice")
    by_state = desk.hand_off(**complaint("web:1")).case
    desk.claim(by_state.id, alice)
    closed, hand_back = desk.update_state(by_state.id, alice, "closed", "done")
    assert hand_back and closed.state == "closed" and closed.queue_status == "returned"
    waiting = desk.hand_off(**complaint("web:2")).case
    supervisor = make(desk, "sue", role="supervisor")
    closed, hand_back = desk.update_state(waiting.id, supervisor, "closed")
    assert hand_back and desk.queue.get(waiting.id) is None  # out of the queue too
    resolved = desk.hand_off(**complaint("web:3")).case
    desk.claim(resolved.id, alice)
    assert desk.resolve(resolved.id, alice)[1]
    closed, hand_back = desk.update_state(resolved.id, alice, "closed")
    assert not hand_back  # handed back when it was resolved
    moved, hand_back = desk.update_state(desk.register(**complaint("web:4")).id, supervisor, "investigating")
    assert not hand_back and moved.state == "investigating"


def test_only_a_resolved_case_without_a_rating_can_be_rated(desk: Desk) -> None:
    alice = make(desk, "alice")
    case = desk.hand_off(**complaint("web:1")).case
    with pytest.raises(Conflict, match="not resolved"):
        desk.rate(case.id, 1, "forged")
    with pytest.raises(Conflict):
        desk.decline_rating(case.id)
    assert desk.case(case.id).state == "received" and desk.store.rating(case.id) is None
    desk.claim(case.id, alice)
    desk.resolve(case.id, alice)
    rating = desk.rate(case.id, 5)
    assert rating.score == 5 and rating.comment is None and desk.case(case.id).state == "closed"
    with pytest.raises(Conflict, match="rated already"):
        desk.rate(case.id, 1)
    assert desk.add_rating_comment(case.id, "  快\x00 ").comment == "快"
    with pytest.raises(Conflict):
        desk.add_rating_comment(case.id, "again")
    assert desk.store.rating(case.id).score == 5  # type: ignore[union-attr]
    other = desk.hand_off(**complaint("web:2")).case
    with pytest.raises(Conflict, match="no rating"):
        desk.add_rating_comment(other.id, "hi")


def test_control_characters_from_the_customer_never_reach_the_database(desk: Desk) -> None:
    case = desk.hand_off(**complaint("web:nul")).case
    event = {"event": "user", "sender_id": "web:nul", "text": "hello\x00 there\x1b", "timestamp": 4_102_444_800}
    assert desk.customer_event(event, "k-nul") == case.id
    desk.record_callback(case.id, "138\x0012345678")
    assert [m.text for m in desk.store.messages(case.id) if m.role == "customer"] == ["hello there"]
    assert desk.case(case.id).callback_contact == "13812345678"
