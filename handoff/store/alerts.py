"""SLA breaches and the alerts they raise for supervisors; volume warnings (预警) as alerts, one
per episode (docs/warnings.md): opened, escalated and extended in place, closed by a 复盘 review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.vocabulary import CLOSED, WARNING_LEVELS, normalise_case_id  # 一般 / 重要 / 严重预警, rising
from handoff.models import AlertRow, CaseRow, SlaEventRow
from handoff.store.db import StoreBase, choice
from handoff.store.errors import AlertNotFound, AlreadyReviewed, StoreError
from handoff.store.views import AlertView, CaseView

BREACH_KINDS = ("first_response", "resolution")
WARNING_KINDS = ("volume_spike", "volume_drift", "severe_burst")
REVIEW_MAX_CHARS = 4000
# pg_advisory_xact_lock key: two workers' warning writes one after the other, so the check for an
# open episode and the insert of a new one cannot interleave (SQLite's BEGIN IMMEDIATE does that).
WARNINGS_LOCK = 0x68616E64_0003


@dataclass(frozen=True)
class WarningFacts:
    """What a volume warning says at one moment: written when its episode opens, and again (the
    level, the numbers, the deadline) when it escalates."""

    kind: str
    category: str
    level: str
    method: str
    observed: float
    expected: float
    threshold: float
    window_start: datetime
    window_end: datetime
    message: str
    details: dict[str, Any]
    owner: str
    due_at: datetime


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


class AlertRepository(StoreBase):
    def due_breaches(self, now: datetime) -> list[tuple[CaseView, str]]:
        """Open cases past a deadline not yet recorded. The first-response SLA counts only once a
        person was asked for (handoff); a case the bot just registered has nobody to answer it yet."""

        def recorded(kind: str) -> Any:
            return sa.exists().where(SlaEventRow.case_id == CaseRow.id, SlaEventRow.kind == kind)

        def work(s: Session) -> list[tuple[CaseView, str]]:
            first = s.execute(sa.select(CaseRow).where(
                CaseRow.state != CLOSED, CaseRow.handoff.is_(True), CaseRow.first_response_at.is_(None),
                CaseRow.first_response_due <= now, ~recorded("first_response"),
            )).scalars()
            found = [(self._view(s, r), "first_response") for r in first]
            late = s.execute(sa.select(CaseRow).where(
                CaseRow.state != CLOSED, CaseRow.resolved_at.is_(None), CaseRow.resolution_due <= now,
                ~recorded("resolution"),
            )).scalars()
            found += [(self._view(s, r), "resolution") for r in late]
            return sorted(found, key=lambda p: p[0].first_response_due if p[1] == "first_response"
                          else p[0].resolution_due)

        return self._read(work)

    def record_breach(self, case_id: str, kind: str, new_priority: int) -> AlertView:
        """Writes the breach once; when another process recorded it first, returns that alert instead."""
        choice("breach kind", kind, BREACH_KINDS)

        def work(s: Session) -> AlertView:
            row = self._row(s, case_id)
            now = self._touch(row)
            due = row.first_response_due if kind == "first_response" else row.resolution_due
            s.add(SlaEventRow(case_id=row.id, kind=kind, due_at=due, breached_at=now, priority_before=row.priority,
                              priority_after=new_priority))
            s.flush()
            row.breaches += 1
            row.priority = new_priority
            missed = "no agent response" if kind == "first_response" else "not resolved"
            alert = AlertRow(
                case_id=row.id, kind="sla_breach", level="severe" if row.severity == "severe" else "important",
                created_at=now, message=(
                    f"SLA breach: case {row.id} ({row.severity} {row.category}) {missed} within "
                    f"{_span(due - row.created_at)} (due {due:%Y-%m-%d %H:%M} UTC); priority now {new_priority}"
                ),
            )
            s.add(alert)
            s.flush()
            return AlertView.of(alert)

        try:
            return self._write(work)
        except IntegrityError:
            return self._read(lambda s: self._breach_alert(s, normalise_case_id(case_id), kind))

    @staticmethod
    def _breach_alert(s: Session, cid: str, kind: str) -> AlertView:
        # The breach's alert was written in the same transaction, with the same timestamp.
        breached_at = s.execute(sa.select(SlaEventRow.breached_at)
                                .where(SlaEventRow.case_id == cid, SlaEventRow.kind == kind)).scalar()
        alert = s.execute(sa.select(AlertRow).where(
            AlertRow.case_id == cid, AlertRow.kind == "sla_breach", AlertRow.created_at == breached_at,
        ).order_by(AlertRow.id).limit(1)).scalar()
        if alert is None:
            raise StoreError(f"the {kind} breach of case {cid} is recorded but its alert is missing")
        return AlertView.of(alert)

    def alerts(self, unacknowledged_only: bool = False) -> list[AlertView]:
        def work(s: Session) -> list[AlertView]:
            query = sa.select(AlertRow)
            if unacknowledged_only:
                query = query.where(AlertRow.acknowledged_at.is_(None))
            rows = s.execute(query.order_by(AlertRow.created_at.desc(), AlertRow.id.desc())).scalars()
            return [AlertView.of(r) for r in rows]

        return self._read(work)

    def acknowledge(self, alert_id: int, who: str) -> AlertView:
        """The first acknowledgement stands; a second one changes nothing."""

        def work(s: Session) -> AlertView:
            alert = self._alert_row(s, alert_id)
            if alert.acknowledged_at is None:
                alert.acknowledged_by, alert.acknowledged_at = who, self.clock.now()
            return AlertView.of(alert)

        return self._write(work)

    def review(self, alert_id: int, who: str, note: str) -> AlertView:
        """Closes the alert with its 复盘 (acknowledging it too, if nobody had). The first review
        stands: a second one raises AlreadyReviewed and changes nothing."""
        text = note.strip()
        if not text or len(text) > REVIEW_MAX_CHARS:
            raise ValueError(f"a review note is 1 to {REVIEW_MAX_CHARS} characters")

        def work(s: Session) -> AlertView:
            alert = self._alert_row(s, alert_id)
            if alert.reviewed_at is not None:
                raise AlreadyReviewed(f"alert {alert_id} was reviewed by {alert.reviewed_by} already")
            now = self.clock.now()
            if alert.acknowledged_at is None:
                alert.acknowledged_by, alert.acknowledged_at = who, now
            alert.reviewed_by, alert.reviewed_at, alert.review = who, now, text
            return AlertView.of(alert)

        return self._write(work)

    @staticmethod
    def _alert_row(s: Session, alert_id: int) -> Any:
        alert = s.get(AlertRow, alert_id)
        if alert is None:
            raise AlertNotFound(f"no alert with id {alert_id}")
        return alert

    # --- volume warnings: one alert per episode --------------------------------------------------

    def open_warnings(self, since: datetime) -> list[AlertView]:
        """Warnings whose episode may still be open: not reviewed, last signal at or after `since`
        (now minus the longest quiet period that ends an episode)."""

        def work(s: Session) -> list[AlertView]:
            rows = s.execute(sa.select(AlertRow).where(
                AlertRow.kind.in_(WARNING_KINDS), AlertRow.reviewed_at.is_(None), AlertRow.last_signal_at >= since,
            ).order_by(AlertRow.id)).scalars()
            return [AlertView.of(r) for r in rows]

        return self._read(work)

    def open_warning(self, facts: WarningFacts, since: Optional[datetime] = None,
                     still_open: Optional[Callable[[AlertView], bool]] = None) -> tuple[AlertView, bool]:
        """A new alert for a new episode, and True. When the category's latest unreviewed alert of
        that kind is still an open episode (its last signal at or after `since`, and `still_open`
        says so: the runner asks the episodes' rule of shop.warnings) — another worker's tick was
        first — that alert and False: one per episode."""
        choice("warning kind", facts.kind, WARNING_KINDS)
        choice("warning level", facts.level, WARNING_LEVELS)

        def work(s: Session) -> tuple[AlertView, bool]:
            self._serialise_warnings(s)
            latest = s.execute(sa.select(AlertRow).where(
                AlertRow.kind == facts.kind, AlertRow.category == facts.category, AlertRow.reviewed_at.is_(None),
            ).order_by(AlertRow.id.desc()).limit(1)).scalar()
            if latest is not None and (since is None or latest.last_signal_at >= since) and (
                    still_open is None or still_open(AlertView.of(latest))):
                return AlertView.of(latest), False
            now = self.clock.now()
            alert = AlertRow(
                case_id=None, kind=facts.kind, level=facts.level, message=facts.message, created_at=now,
                category=facts.category, method=facts.method, observed=facts.observed, expected=facts.expected,
                threshold=facts.threshold, window_start=facts.window_start, window_end=facts.window_end,
                last_signal_at=now, owner=facts.owner, due_at=facts.due_at, details=facts.details)
            s.add(alert)
            s.flush()
            return AlertView.of(alert), True

        return self._write(work)

    def escalate_warning(self, alert_id: int, facts: WarningFacts) -> Optional[AlertView]:
        """The same alert at a higher level, with the numbers that raised it and the deadline of
        that level (never later than the one it had). None when it is at that level already
        (another worker escalated it) or was reviewed meanwhile."""
        choice("warning level", facts.level, WARNING_LEVELS)

        def work(s: Session) -> Optional[AlertView]:
            self._serialise_warnings(s)
            alert = self._alert_row(s, alert_id)
            if alert.reviewed_at is not None or (
                    WARNING_LEVELS.index(facts.level) <= WARNING_LEVELS.index(alert.level)):
                return None
            now, before = self.clock.now(), alert.level
            alert.level, alert.method, alert.message = facts.level, facts.method, facts.message
            alert.observed, alert.expected, alert.threshold = facts.observed, facts.expected, facts.threshold
            alert.window_start, alert.window_end = facts.window_start, facts.window_end
            alert.details = {**(alert.details or {}), **facts.details,
                             "escalations": [*(alert.details or {}).get("escalations", []),
                                             {"at": now.isoformat(), "from": before, "to": facts.level}]}
            alert.last_signal_at = alert.escalated_at = now
            alert.due_at = min(alert.due_at, facts.due_at) if alert.due_at else facts.due_at
            return AlertView.of(alert)

        return self._write(work)

    def extend_warning(self, alert_id: int, at: datetime) -> None:
        """The episode goes on: a signal at `at` keeps it open for another quiet period."""

        def work(s: Session) -> None:
            alert = self._alert_row(s, alert_id)
            if alert.last_signal_at is None or alert.last_signal_at < at:
                alert.last_signal_at = at

        self._write(work)

    def _serialise_warnings(self, s: Session) -> None:
        if self._pg:
            s.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": WARNINGS_LOCK})
