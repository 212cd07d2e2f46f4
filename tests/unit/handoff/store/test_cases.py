"""Cases, their messages, transitions and ratings."""

import threading
from datetime import timedelta

import pytest

from handoff.clock import FakeClock
from handoff.store import CaseClosed, CaseNotFound, CaseStore, ClaimConflict, InvalidTransition, StaleCase
from tests.unit.handoff.store.support import T0, case_fields


def test_ids_are_a_per_day_sequence(store: CaseStore, clock: FakeClock) -> None:
    first, second = store.create_case(**case_fields()), store.create_case(**case_fields())
    assert (first.id, second.id) == ("C-20261122-0001", "C-20261122-0002")
    clock.advance(24 * 3600)
    assert store.create_case(**case_fields()).id == "C-20261123-0001"


def test_sequence_grows_past_four_digits(store: CaseStore) -> None:
    store.create_case(**case_fields())
    raw = store.engine.raw_connection()  # autocommit: PRAGMA foreign_keys is ignored inside a transaction
    try:
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("UPDATE handoff_cases SET id = 'C-20261122-9999'")
        raw.execute("UPDATE handoff_case_transitions SET case_id = 'C-20261122-9999'")
        raw.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()
    assert store.create_case(**case_fields()).id == "C-20261122-10000"
    assert store.create_case(**case_fields()).id == "C-20261122-10001"


def test_new_case_has_deadlines_first_transition_and_aware_times(store: CaseStore) -> None:
    case = store.create_case(**case_fields(severity="important"), actor="bot", note="registered")
    assert case.state == "received" and case.version == 1 and case.reasons == ("risk:legal_threat",)
    assert case.first_response_due == T0 + timedelta(minutes=5)
    assert case.resolution_due == T0 + timedelta(hours=24)
    again = store.get(case.id)
    assert again == case and again.created_at.tzinfo is not None
    [t] = store.transitions(case.id)
    assert (t.from_state, t.to_state, t.actor, t.note) == (None, "received", "bot", "registered")
    data = case.to_dict()
    assert data["created_at"] == "2026-11-22T10:00:00+00:00" and data["reasons"] == ["risk:legal_threat"]


def test_get_normalises_the_id_and_unknown_ids_fail(store: CaseStore) -> None:
    case = store.create_case(**case_fields())
    assert store.get(" c-20261122-0001 ").id == case.id
    with pytest.raises(CaseNotFound, match="C-20990101-0001"):
        store.get("c-20990101-0001")
    with pytest.raises(LookupError):
        store.messages("nope")


def test_open_case_and_customer_history(store: CaseStore, clock: FakeClock) -> None:
    old = store.create_case(**case_fields())
    clock.advance(60)
    new = store.create_case(**case_fields())
    other = store.create_case(**case_fields(conversation_id="conv-2", customer_id="cust-2"))
    assert store.open_case_for("conv-1") == store.get(new.id)
    store.transition(new.id, "closed", "agent:alice")
    assert store.open_case_for("conv-1") == store.get(old.id)
    assert store.open_case_for("conv-unknown") is None
    assert [c.id for c in store.cases_of_customer("cust-1")] == [new.id, old.id]
    assert [c.id for c in store.cases_of_customer("cust-1", exclude=new.id.lower())] == [old.id]
    assert [c.id for c in store.cases_of_customer("cust-2")] == [other.id]


def test_update_bumps_version_and_severity_moves_deadlines(store: CaseStore, clock: FakeClock) -> None:
    case = store.create_case(**case_fields(severity="general", priority=30))
    clock.advance(10)
    updated = store.update(case.id, severity="severe", priority=100, reasons=["risk:fire"], summary="起火")
    assert updated.version == 2 and updated.updated_at == T0 + timedelta(seconds=10)
    assert updated.first_response_due == T0 + timedelta(seconds=70) and updated.reasons == ("risk:fire",)
    assert updated.resolution_due == T0 + timedelta(seconds=10, hours=4)
    assert store.update(case.id, severity="general").resolution_due == updated.resolution_due  # never looser
    with pytest.raises(ValueError, match="cannot update state"):
        store.update(case.id, state="closed")
    with pytest.raises(ValueError, match="unknown queue_status"):
        store.update(case.id, queue_status="lost")
    with pytest.raises(StaleCase):
        store.update(case.id, expected_version=1, summary="late writer")
    assert store.update(case.id, expected_version=3, summary="ok").summary == "ok"


def test_first_response_clock_starts_when_a_person_is_asked_for(store: CaseStore, clock: FakeClock) -> None:
    case = store.create_case(**case_fields(severity="general", priority=30, handoff=False, queue_status="none"))
    clock.advance(3600)
    assert store.due_breaches(clock.now()) == []
    asked = store.update(case.id, handoff=True, queue_status="queued", priority=30)
    assert asked.first_response_due == T0 + timedelta(hours=1, minutes=30)
    assert asked.resolution_due == T0 + timedelta(hours=72)


def test_transitions_are_validated_and_recorded(store: CaseStore, clock: FakeClock) -> None:
    case = store.create_case(**case_fields())
    store.transition(case.id, "investigating", "agent:alice", "checking the courier")
    clock.advance(60)
    closed = store.transition(case.id, "closed", "agent:alice")
    assert closed.closed_at == T0 + timedelta(seconds=60)
    with pytest.raises(InvalidTransition, match="from closed to in_progress; allowed: reopened"):
        store.transition(case.id, "in_progress", "agent:alice")
    reopened = store.transition(case.id, "reopened", "customer", "still broken")
    assert reopened.closed_at is None and reopened.state == "reopened"
    assert [(t.from_state, t.to_state) for t in store.transitions(case.id)] == [
        (None, "received"), ("received", "investigating"), ("investigating", "closed"), ("closed", "reopened")]


def test_claim_conflict_names_the_holder(store: CaseStore) -> None:
    alice, _ = store.create_agent("alice", "agent")
    bob, _ = store.create_agent("bob", "agent")
    case = store.create_case(**case_fields())
    claimed = store.claim(case.id, bob.id)
    assert (claimed.queue_status, claimed.assigned_agent, claimed.version) == ("claimed", "bob", 2)
    with pytest.raises(ClaimConflict, match=f"^case {case.id} is already claimed by bob$"):
        store.claim(case.id, alice.id)
    assert store.claim(case.id, bob.id).assigned_agent == "bob"  # a double click is harmless
    assert [m.text for m in store.messages(case.id)] == ["claimed by bob"]
    unqueued = store.create_case(**case_fields(handoff=False, queue_status="none"))
    with pytest.raises(ClaimConflict, match="not waiting in the queue"):
        store.claim(unqueued.id, alice.id)


def test_concurrent_claims_have_one_winner(store: CaseStore) -> None:
    agents = [store.create_agent(f"agent{i}", "agent")[0] for i in range(6)]
    case = store.create_case(**case_fields())
    barrier, winners, conflicts = threading.Barrier(len(agents)), [], []

    def claim(agent_id: int) -> None:
        barrier.wait()
        try:
            winners.append(store.claim(case.id, agent_id).assigned_agent)
        except ClaimConflict as error:
            conflicts.append(str(error))

    threads = [threading.Thread(target=claim, args=(a.id,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and len(conflicts) == len(agents) - 1
    assert all(c.endswith(f"claimed by {winners[0]}") for c in conflicts)


def test_concurrent_creation_gives_unique_ids(store: CaseStore) -> None:
    ids: list[str] = []
    barrier = threading.Barrier(4)

    def create() -> None:
        barrier.wait()
        ids.extend(store.create_case(**case_fields()).id for _ in range(5))

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ids) == [f"C-20261122-{n:04d}" for n in range(1, 21)]


def test_assign_to_an_agent_and_back_to_the_queue(store: CaseStore) -> None:
    alice, _ = store.create_agent("alice", "agent")
    store.create_agent("carol", "supervisor")
    case = store.create_case(**case_fields())
    moved = store.assign(case.id, alice.id, "billing", actor="agent:carol", note="billing question")
    assert (moved.assigned_agent, moved.team, moved.queue_status) == ("alice", "billing", "claimed")
    back = store.assign(case.id, None, None, actor="agent:alice")
    assert (back.assigned_agent_id, back.queue_status, back.team) == (None, "queued", "billing")
    assert [m.text for m in store.messages(case.id)] == [
        "assigned to alice by agent:carol: billing question", "returned to the billing queue by agent:alice"]


def test_duplicate_event_key_is_stored_once(store: CaseStore, clock: FakeClock) -> None:
    case = store.create_case(**case_fields())
    first = store.add_message(case.id, "customer", "我要退款", intent="complain_refund", emotion="anger",
                              confidence=0.93, event_key="telegram:42")
    assert first is not None and first.confidence == 0.93
    assert store.add_message(case.id, "customer", "我要退款", event_key="telegram:42") is None
    assert len(store.messages(case.id)) == 1
    with pytest.raises(ValueError, match="unknown role"):
        store.add_message(case.id, "robot", "hi")


def test_first_agent_message_sets_first_response(store: CaseStore, clock: FakeClock) -> None:
    case = store.create_case(**case_fields())
    store.add_message(case.id, "bot", "稍等")
    assert store.get(case.id).first_response_at is None
    clock.advance(30)
    store.add_message(case.id, "agent", "您好，我是小王", author="alice")
    clock.advance(30)
    store.add_message(case.id, "agent", "已为您处理", author="alice")
    assert store.get(case.id).first_response_at == T0 + timedelta(seconds=30)


def test_resolve_moves_to_follow_up_and_schedules_follow_up_for_severe_only(store: CaseStore) -> None:
    severe = store.create_case(**case_fields())
    general = store.create_case(**case_fields(severity="general", priority=30))
    done = store.resolve(severe.id, "agent:alice", "refund issued")
    assert (done.state, done.queue_status, done.resolved_at) == ("follow_up", "returned", T0)
    store.resolve(general.id, "agent:alice")
    [task] = store.follow_ups()
    assert task.case_id == severe.id and task.due_at == T0 + timedelta(hours=24)
    store.resolve(severe.id, "agent:alice")  # again: no second task, no error
    assert len(store.follow_ups()) == 1
    store.transition(general.id, "closed", "agent:alice")
    with pytest.raises(CaseClosed):
        store.resolve(general.id, "agent:alice")


def test_rating_closes_the_case_and_bad_scores_are_refused(store: CaseStore) -> None:
    case = store.create_case(**case_fields())
    store.resolve(case.id, "agent:alice")
    for bad in (0, 6, 3.5, True):
        with pytest.raises(ValueError, match="1 to 5"):
            store.rate(case.id, bad, None)  # type: ignore[arg-type]
    assert store.rating(case.id) is None and store.get(case.id).state == "follow_up"
    rating = store.rate(case.id, 4, "  fast  ")
    assert (rating.score, rating.comment) == (4, "fast")
    closed = store.get(case.id)
    assert closed.state == "closed" and closed.closed_at == T0
    assert store.transitions(case.id)[-1].actor == "customer"
    assert store.rate(case.id, 2, None).id == rating.id
    assert store.rating(case.id) is not None and store.rating(case.id).score == 2  # type: ignore[union-attr]


def test_queued_cases_skip_closed_and_claimed(store: CaseStore) -> None:
    alice, _ = store.create_agent("alice", "agent")
    low = store.create_case(**case_fields(severity="general", priority=30))
    high = store.create_case(**case_fields())
    callback = store.create_case(**case_fields(severity="important", priority=60, queue_status="callback"))
    claimed = store.create_case(**case_fields())
    store.claim(claimed.id, alice.id)
    closed = store.create_case(**case_fields())
    store.transition(closed.id, "closed", "system")
    assert [c.id for c in store.queued_cases()] == [high.id, callback.id, low.id]
