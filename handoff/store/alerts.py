"""SLA breaches and the alerts they raise for supervisors."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.vocabulary import CLOSED, normalise_case_id
from handoff.models import AlertRow, CaseRow, SlaEventRow
from handoff.store.db import StoreBase, choice
from handoff.store.errors import StoreError
from handoff.store.views import AlertView, CaseView

BREACH_KINDS = ("first_response", "resolution")


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
            alert = s.get(AlertRow, alert_id)
            if alert is None:
                raise StoreError(f"no alert with id {alert_id}")
            if alert.acknowledged_at is None:
                alert.acknowledged_by, alert.acknowledged_at = who, self.clock.now()
            return AlertView.of(alert)

        return self._write(work)
