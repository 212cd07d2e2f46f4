"""SLA breaches and the alerts they raise."""

from datetime import timedelta

import pytest

from core.vocabulary import priority
from handoff.clock import FakeClock
from handoff.store import CaseStore
from tests.unit.handoff.store.support import T0, case_fields


def test_breaches_are_found_once_and_raise_priority(store: CaseStore, clock: FakeClock) -> None:
    alice, _ = store.create_agent("alice", "agent")
    severe = store.create_case(**case_fields())
    answered = store.create_case(**case_fields())
    registered = store.create_case(**case_fields(severity="general", priority=30, handoff=False, queue_status="none"))
    store.add_message(answered.id, "agent", "在的", author="alice")
    clock.advance(59)
    assert store.due_breaches(clock.now()) == []
    clock.advance(2)
    due = store.due_breaches(clock.now())
    assert [(c.id, kind) for c, kind in due] == [(severe.id, "first_response")]

    new_priority = priority("severe", "anger", breached=1)
    alert = store.record_breach(severe.id, "first_response", new_priority)
    assert alert.level == "severe" and alert.kind == "sla_breach"
    assert severe.id in alert.message and "1 min" in alert.message
    case = store.get(severe.id)
    assert (case.breaches, case.priority) == (1, new_priority)
    assert store.due_breaches(clock.now()) == []
    assert store.record_breach(severe.id, "first_response", 999) == alert  # another sweeper was first
    assert store.get(severe.id).priority == new_priority and len(store.alerts()) == 1

    clock.advance(72 * 3600)
    late = {(c.id, kind) for c, kind in store.due_breaches(clock.now())}
    assert late == {(severe.id, "resolution"), (answered.id, "resolution"), (registered.id, "resolution")}
    general_alert = store.record_breach(registered.id, "resolution", 45)
    assert general_alert.level == "important" and "72 h" in general_alert.message
    store.claim(severe.id, alice.id)


def test_alerts_are_listed_and_acknowledged(store: CaseStore, clock: FakeClock) -> None:
    case, other = store.create_case(**case_fields()), store.create_case(**case_fields())
    clock.advance(120)
    breach = store.record_breach(case.id, "first_response", 135)
    later = store.record_breach(other.id, "first_response", 135)
    assert [a.id for a in store.alerts()] == [later.id, breach.id]
    acked = store.acknowledge(breach.id, "carol")
    assert acked.acknowledged_by == "carol" and acked.acknowledged_at == T0 + timedelta(seconds=120)
    assert store.acknowledge(breach.id, "dave").acknowledged_by == "carol"
    assert [a.id for a in store.alerts(unacknowledged_only=True)] == [later.id]
    with pytest.raises(ValueError, match="unknown breach kind"):
        store.record_breach(case.id, "lunch", 135)
