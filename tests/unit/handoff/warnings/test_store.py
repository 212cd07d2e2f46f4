"""The store's side of warnings: one open episode per category and kind, escalation in place."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Callable

from handoff.clock import FakeClock
from handoff.store import AlertView, CaseStore
from handoff.store.alerts import WarningFacts
from tests.unit.handoff.warnings.conftest import T0


def facts(level: str = "general", observed: float = 8.0) -> WarningFacts:
    return WarningFacts(kind="volume_spike", category="complain_refund", level=level, method="ears_c2",
                        observed=observed, expected=1.0, threshold=6.0, window_start=T0 - timedelta(hours=1),
                        window_end=T0, message=f"{level} complain_refund", details={"texts": {"en": "x"}},
                        owner="refund desk", due_at=T0 + timedelta(hours=24))


def recent(clock: FakeClock) -> Callable[[AlertView], bool]:
    """An episode is open while its last signal is less than 4 hours old (the runner asks shop.warnings)."""
    return lambda a: a.last_signal_at is not None and clock.now() - a.last_signal_at < timedelta(hours=4)


def test_a_second_open_of_the_same_episode_returns_the_first(store: CaseStore, clock: FakeClock) -> None:
    first, new = store.open_warning(facts(), still_open=recent(clock))
    again, new_again = store.open_warning(facts(observed=9.0), since=clock.now() - timedelta(hours=4))
    assert new and not new_again and again == first
    other_kind, new_kind = store.open_warning(replace(facts(), kind="severe_burst"), still_open=recent(clock))
    assert new_kind and other_kind.id != first.id
    assert [a.id for a in store.open_warnings(clock.now() - timedelta(hours=4))] == [first.id, other_kind.id]
    clock.advance(5 * 3600)  # quiet for longer than the episode lasts
    assert store.open_warnings(clock.now() - timedelta(hours=4)) == []
    _, reopened = store.open_warning(facts(), still_open=recent(clock))
    assert reopened


def test_escalation_raises_in_place_and_never_lowers(store: CaseStore, clock: FakeClock) -> None:
    opened, _ = store.open_warning(facts(), still_open=recent(clock))
    clock.advance(600)
    raised = store.escalate_warning(opened.id, replace(facts("important", 14.0), due_at=clock.now()
                                                       + timedelta(hours=2)))
    assert raised is not None and raised.id == opened.id
    assert (raised.level, raised.observed, raised.escalated_at) == ("important", 14.0, clock.now())
    assert raised.due_at == clock.now() + timedelta(hours=2) and raised.last_signal_at == clock.now()
    assert raised.details is not None and raised.details["escalations"][0]["from"] == "general"
    assert store.escalate_warning(opened.id, facts("important")) is None  # another worker was first
    assert store.escalate_warning(opened.id, facts("general")) is None
    late = replace(facts("severe"), due_at=clock.now() + timedelta(days=3))
    assert store.escalate_warning(opened.id, late).due_at == raised.due_at  # type: ignore[union-attr]
    store.extend_warning(opened.id, clock.now() + timedelta(minutes=1))
    store.extend_warning(opened.id, clock.now() - timedelta(hours=1))  # an older tick never moves it back
    assert store.alerts()[0].last_signal_at == clock.now() + timedelta(minutes=1)
