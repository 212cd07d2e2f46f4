"""A wave of complaints becomes one warning per episode: opened with its numbers, owner and
deadline, kept (and maybe escalated) while the wave lasts, a new one after the quiet hours, and
closed by a 复盘 review."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from handoff.clock import FakeClock
from handoff.store import AlertNotFound, AlertView, AlreadyReviewed, CaseStore
from handoff.warnings import WarningRunner
from shop.warnings import CategoryHistory, Signal, WarningSettings
from tests.unit.handoff.warnings.conftest import complaint

SETTINGS = WarningSettings()
TICK = 15.0  # seconds, as the service's default WARNINGS_TICK


def burst(store: CaseStore, clock: FakeClock, runner: WarningRunner, count: int, first: int = 0,
          every: float = 30.0) -> None:
    """`count` complaints from as many customers, one every `every` seconds, with the service's ticks."""
    for n in range(first, first + count):
        complaint(store, n)
        for _ in range(int(every // TICK)):
            clock.advance(TICK)
            runner.tick()


def quiet(clock: FakeClock, runner: WarningRunner, hours: float) -> None:
    """Time passes without a complaint; the runner keeps checking (every 5 minutes here)."""
    for _ in range(int(hours * 12)):
        clock.advance(300)
        runner.tick()


def spikes(store: CaseStore) -> list[AlertView]:
    return [a for a in store.alerts() if a.kind == "volume_spike"]


def test_twenty_complaints_in_ten_minutes_on_a_fresh_store_raise_one_volume_spike(
        store: CaseStore, clock: FakeClock, runner: WarningRunner,
        published: list[tuple[str, dict[str, Any]]]) -> None:
    burst(store, clock, runner, 20)  # one every 30 s: ten minutes

    [alert] = spikes(store)
    assert alert.case_id is None and alert.category == "complain_refund" and alert.status == "open"
    assert alert.level in ("general", "important", "severe") and alert.method in ("farrington", "ears_c2")
    assert alert.observed is not None and alert.threshold is not None and alert.expected is not None
    assert alert.observed >= alert.threshold > alert.expected
    assert alert.owner == "supervisor on duty"
    assert alert.due_at is not None and alert.due_at <= clock.now() + SETTINGS.deadline_for(alert.level)
    assert alert.window_start is not None and alert.window_end is not None
    assert alert.window_end - alert.window_start <= timedelta(hours=2)
    assert alert.message.startswith(("一般预警", "重要预警", "严重预警")) and "complain_refund" in alert.message
    assert "complaints in the last" in alert.message
    assert alert.details is not None and "投诉" in alert.details["texts"]["zh"]
    assert alert.details["texts"]["en"].startswith(("General warning", "Important warning", "Severe warning"))
    assert alert.to_dict()["due_at"] == alert.due_at.isoformat()
    news = [payload for kind, payload in published if kind == "alert" and payload["alert"] == alert.id]
    assert news[0]["warning"] == "opened" and news[0]["kind"] == "volume_spike"
    assert all(n["warning"] == "escalated" for n in news[1:])
    assert (alert.escalated_at is not None) == (len(news) > 1)


def test_more_complaints_in_the_same_wave_keep_one_warning(store: CaseStore, clock: FakeClock,
                                                           runner: WarningRunner) -> None:
    burst(store, clock, runner, 20)
    [first] = spikes(store)
    burst(store, clock, runner, 30, first=20, every=60.0)  # the wave goes on for half an hour

    [alert] = spikes(store)
    assert alert.id == first.id and alert.created_at == first.created_at
    assert alert.last_signal_at is not None and first.last_signal_at is not None
    assert alert.last_signal_at > first.last_signal_at
    levels = ("general", "important", "severe")
    assert levels.index(alert.level) >= levels.index(first.level)


def test_a_new_wave_after_the_quiet_hours_is_a_second_warning(store: CaseStore, clock: FakeClock,
                                                              runner: WarningRunner) -> None:
    burst(store, clock, runner, 20)
    quiet(clock, runner, SETTINGS.quiet_hours + 8)  # the episode ends; the burst leaves the recent baseline
    assert len(spikes(store)) == 1
    burst(store, clock, runner, 20, first=100)

    later, earlier = spikes(store)
    assert later.id != earlier.id and later.created_at > earlier.created_at
    assert earlier.last_signal_at is not None
    assert later.created_at - earlier.last_signal_at >= timedelta(hours=SETTINGS.quiet_hours)


def test_a_review_closes_the_warning_and_the_first_review_stands(store: CaseStore, clock: FakeClock,
                                                                 runner: WarningRunner) -> None:
    burst(store, clock, runner, 20)
    [alert] = spikes(store)
    reviewed = store.review(alert.id, "sam", "  复盘: 退款接口超时，已修复并补发  ")
    assert reviewed.status == "reviewed" and reviewed.review == "复盘: 退款接口超时，已修复并补发"
    assert reviewed.reviewed_by == reviewed.acknowledged_by == "sam" and reviewed.reviewed_at == clock.now()
    with pytest.raises(AlreadyReviewed):
        store.review(alert.id, "tom", "again")
    with pytest.raises(ValueError):
        store.review(alert.id, "tom", "   ")
    with pytest.raises(AlertNotFound):
        store.review(alert.id + 100, "tom", "复盘")
    assert store.alerts()[0].review == "复盘: 退款接口超时，已修复并补发"
    # The wave goes on after the review: that is news, so a new warning.
    burst(store, clock, runner, 10, first=20)
    assert [a.status for a in spikes(store)] == ["open", "reviewed"]


def test_complaints_are_complain_categories_only(store: CaseStore, clock: FakeClock, runner: WarningRunner) -> None:
    for n in range(30):
        complaint(store, n, category="request_human")
        clock.advance(20)
        runner.tick()
    assert store.alerts() == []


def test_two_runners_racing_write_one_warning(store: CaseStore, clock: FakeClock, runner: WarningRunner) -> None:
    """Two workers (each with its own counts) ticking at the same moment: one alert."""
    other = WarningRunner(store, SETTINGS, clock=clock)
    for n in range(20):
        complaint(store, n)
        clock.advance(30)
        runner.tick()
        other.tick()
    assert len(spikes(store)) == 1


def test_a_drift_stays_one_episode_through_its_longer_quiet_period(
        store: CaseStore, clock: FakeClock, runner: WarningRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """The episodes' own rule decides when a warning is over: a drift's quiet period is
    drift_quiet_hours (48), not quiet_hours (4). The detector is faked: a drift is days of data."""
    drifting = [True]

    def detect(history: CategoryHistory, now: datetime, *_: Any) -> list[Signal]:
        if not drifting[0]:
            return []
        return [Signal(history.category, "volume_drift", "general", "ewma", 60.0, 40.0, 55.0,
                       now - timedelta(days=14), now, "drift")]

    monkeypatch.setattr("handoff.warnings.runner.detect", detect)
    complaint(store, 0)
    clock.advance(60)
    [opened] = runner.tick()
    drifting[0] = False
    quiet(clock, runner, SETTINGS.quiet_hours + 2)
    drifting[0] = True
    assert runner.tick() == []  # 6 quiet hours: the same drift goes on
    [alert] = [a for a in store.alerts() if a.kind == "volume_drift"]
    assert alert.id == opened.id and alert.last_signal_at == clock.now()
    assert "drifting up" in alert.message and alert.level == "general"
    drifting[0] = False
    quiet(clock, runner, SETTINGS.drift_quiet_hours + 1)
    drifting[0] = True
    [second] = runner.tick()
    assert second.id != opened.id and second.kind == "volume_drift"
