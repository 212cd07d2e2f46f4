"""The hourly complaint counts the detector reads: UTC hours and the sliding last hour."""

from __future__ import annotations

from datetime import timedelta

from handoff.clock import FakeClock
from handoff.store import CaseStore
from handoff.warnings import ComplaintCounts
from tests.unit.handoff.warnings.conftest import T0, complaint

HISTORY = timedelta(weeks=8)


def test_counts_by_utc_hour_and_over_the_last_sixty_minutes(store: CaseStore, clock: FakeClock) -> None:
    assert ComplaintCounts(store.engine, HISTORY).read(clock.now()).categories() == []
    clock.set(T0 + timedelta(hours=2, minutes=40))  # 12:40
    complaint(store, 0, severity="severe")
    complaint(store, 99, category="request_human")  # not a complaint
    clock.set(T0 + timedelta(hours=3, minutes=50))  # 13:50 ... 14:20, across the hour
    for n in range(1, 5):
        complaint(store, n, severity="severe" if n == 1 else "important")
        clock.advance(600)
    snapshot = ComplaintCounts(store.engine, HISTORY).read(clock.now())  # 14:30

    assert snapshot.categories() == ["complain_refund"]
    assert snapshot.first_data_at == T0 + timedelta(hours=2, minutes=40)
    hourly = snapshot.hourly["complain_refund"]
    assert hourly == {T0 + timedelta(hours=2): 1, T0 + timedelta(hours=3): 1}  # 14:00 is not complete
    assert snapshot.severe_hourly["complain_refund"] == {T0 + timedelta(hours=2): 1, T0 + timedelta(hours=3): 1}
    assert (snapshot.current["complain_refund"], snapshot.current_severe["complain_refund"]) == (4, 1)


def test_reading_again_later_equals_a_fresh_full_read(store: CaseStore, clock: FakeClock) -> None:
    kept = ComplaintCounts(store.engine, HISTORY)
    for n in range(40):
        complaint(store, n, category="complain_refund" if n % 3 else "complain_delivery")
        clock.advance(17 * 60)
        kept.read(clock.now())
    assert kept.read(clock.now()) == ComplaintCounts(store.engine, HISTORY).read(clock.now())
