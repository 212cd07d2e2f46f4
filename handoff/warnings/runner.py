"""The warning runner: every tick, the complaint counts of each category go through the detector
(shop.warnings.detect) and the episodes (shop.warnings.next_step), and the outcome is written
to the alerts supervisors see (GET /alerts): a new episode opens an alert with its numbers, owner
and response deadline; a higher level escalates that same alert; a later signal extends it.

The handoff service runs one tick every WARNINGS_TICK seconds in one worker at a time
(handoff/api/tasks.py). Two ticks that race anyway (a lock that expired early, two machines)
write no second alert: the store checks for the open episode inside the transaction that would
insert one (handoff/store/alerts.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping, Optional

from core.labels import label
from core.vocabulary import WARNING_LEVELS
from handoff.clock import Clock, SystemClock
from handoff.store import AlertView, CaseStore
from handoff.store.alerts import WarningFacts
from handoff.warnings.counts import ComplaintCounts, Snapshot
from shop.warnings import CategoryHistory, Episode, Signal, WarningSettings, detect, next_step
from shop.warnings.detector import history_hours

log = logging.getLogger("handoff.warnings")
Publish = Callable[[str, Mapping[str, Any]], Any]

RANK = WARNING_LEVELS


def history_span(settings: WarningSettings) -> timedelta:
    """How far back the counts reach: as far as the detector reads (shop.warnings.detector)."""
    return timedelta(hours=history_hours(settings))


def _count(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def sentences(signal: Signal) -> dict[str, str]:
    """The warning in one line per language, with the numbers behind it; the level and the
    category are called what the console and the reports call them (core/labels.py)."""
    zh_level, en_level = label("warning_level", signal.level, "zh"), label("warning_level", signal.level, "en")
    zh_category, en_category = label("category", signal.category, "zh"), label("category", signal.category, "en")
    n, e, t = _count(signal.observed), f"{signal.expected:.1f}", f"{signal.threshold:.1f}"
    hours = round((signal.window_end - signal.window_start) / timedelta(hours=1), 1)
    en_span, zh_span = ("the last hour", "最近一小时") if hours == 1 else (
        f"the last {hours:g} h", f"最近 {hours:g} 小时")
    if signal.kind == "severe_burst":
        en = f"{n} severe complaints in {en_span}, expected {e}, threshold {t}"
        zh = f"{zh_span}严重投诉 {n} 件，预期 {e}，阈值 {t}"
    elif signal.kind == "volume_drift":
        en = f"complaints drifting up: {n} a day, expected {e}, threshold {t}"
        zh = f"投诉量持续攀升：每天 {n} 件，预期 {e}，阈值 {t}"
    else:
        en = f"{n} complaints in {en_span}, expected {e}, threshold {t}"
        zh = f"{zh_span}投诉 {n} 件，预期 {e}，阈值 {t}"
    return {"zh": f"{zh_level} {zh_category}：{zh}",
            "en": f"{en_level[:1].upper()}{en_level[1:]}, {en_category}: {en}",
            "message": f"{zh_level} {signal.category}: {en}"}


def strongest(signals: list[Signal]) -> dict[str, Signal]:
    """Per kind, the signal of the highest level (then the largest count over its threshold)."""
    best: dict[str, Signal] = {}
    for signal in signals:
        held = best.get(signal.kind)
        if held is None or (RANK.index(signal.level), signal.observed - signal.threshold) > (
                RANK.index(held.level), held.observed - held.threshold):
            best[signal.kind] = signal
    return best


class WarningRunner:
    """One per process; `tick()` is the whole job of one period."""

    def __init__(self, store: CaseStore, settings: WarningSettings, clock: Optional[Clock] = None,
                 publish: Optional[Publish] = None) -> None:
        self.store, self.settings = store, settings
        self.clock = clock or SystemClock()
        self.publish = publish
        self.counts = ComplaintCounts(store.engine, history_span(settings))

    def tick(self) -> list[AlertView]:
        """Counts, detects and writes; returns the alerts opened or escalated by this tick."""
        now = self.clock.now()
        snapshot = self.counts.read(now)
        longest_quiet = timedelta(hours=max(self.settings.quiet_hours, self.settings.drift_quiet_hours))
        open_alerts = {(a.category, a.kind): a for a in self.store.open_warnings(now - longest_quiet)
                       if self._still_open(a, now)}
        changed: list[AlertView] = []
        for category in sorted(set(snapshot.categories()) | {c for c, _ in open_alerts if c}):
            signals = strongest(self._detect(snapshot, category, now))
            for kind in sorted(set(signals) | {k for c, k in open_alerts if c == category}):
                alert = self._apply(open_alerts.get((category, kind)), signals.get(kind), now)
                if alert is not None:
                    changed.append(alert)
        return changed

    def _still_open(self, alert: AlertView, now: datetime) -> bool:
        """Whether the alert's episode goes on: not reviewed, and not closed by the quiet rule of
        shop.warnings.episodes (which differs by kind)."""
        episode = self._episode(alert)
        return (alert.reviewed_at is None and episode is not None
                and next_step(episode, None, now, self.settings).action != "close")

    @staticmethod
    def _episode(alert: Optional[AlertView]) -> Optional[Episode]:
        if alert is None or not alert.category or alert.last_signal_at is None:
            return None
        return Episode(alert.category, alert.kind, alert.level, alert.created_at, alert.last_signal_at)

    def _detect(self, snapshot: Snapshot, category: str, now: datetime) -> list[Signal]:
        history = CategoryHistory(category, snapshot.hourly.get(category, {}), snapshot.severe_hourly.get(category, {}),
                                  snapshot.first_data_at)
        return detect(history, now, snapshot.current.get(category, 0), snapshot.current_severe.get(category, 0),
                      self.settings)

    def _apply(self, alert: Optional[AlertView], signal: Optional[Signal], now: datetime) -> Optional[AlertView]:
        step = next_step(self._episode(alert), signal, now, self.settings)
        if step.action == "open" and signal is not None:
            opened, new = self.store.open_warning(self._facts(signal, now),
                                                  still_open=lambda a: self._still_open(a, now))
            if not new:  # another worker's tick opened the episode a moment ago
                return None
            log.warning("warning opened: %s", opened.message)
            self._announce(opened, "opened")
            return opened
        if step.action == "escalate" and signal is not None and alert is not None:
            raised = self.store.escalate_warning(alert.id, self._facts(signal, now))
            if raised is None:
                return None
            log.warning("warning escalated: %s", raised.message)
            self._announce(raised, "escalated")
            return raised
        if step.action == "extend" and alert is not None:
            self.store.extend_warning(alert.id, now)
        return None  # "close" needs no write: an alert without a signal for quiet_hours is no longer open

    def _facts(self, signal: Signal, now: datetime) -> WarningFacts:
        texts = sentences(signal)
        details = {"texts": {"zh": texts["zh"], "en": texts["en"]}, "detail": signal.detail}
        return WarningFacts(
            kind=signal.kind, category=signal.category, level=signal.level, method=signal.method,
            observed=float(signal.observed), expected=float(signal.expected), threshold=float(signal.threshold),
            window_start=signal.window_start, window_end=signal.window_end, message=texts["message"],
            details=details, owner=self.settings.owner_for(signal.category),
            due_at=now + self.settings.deadline_for(signal.level))

    def _announce(self, alert: AlertView, what: str) -> None:
        """To the consoles' live feed (supervisors only: no case id), as an SLA alert is."""
        if self.publish is None:
            return
        try:
            self.publish("alert", {"alert": alert.id, "kind": alert.kind, "level": alert.level,
                                   "category": alert.category, "warning": what})
        except Exception:  # the alert is stored; a console that missed the news sees it on its next load
            log.exception("could not announce warning %s", alert.id)
