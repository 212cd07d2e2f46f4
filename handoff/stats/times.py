"""The SLA vocabulary the statistics share, and the recorded breaches of a period.

Definitions (the same as the SLA clock of handoff/store/alerts.py, so the numbers agree with the
breach alerts supervisors already get; computed per case in handoff/stats/raw.py):
- first response = first agent message − created_at, for handoff cases (nobody is asked to
  answer a case the bot only registered);
- resolution = (resolved_at, else closed_at) − created_at, for every case;
- an SLA is *decided* once the case met it or its due time has passed (`now`); it is met when
  the response/resolution came at or before the due time. Undecided cases count nowhere.
"""

from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from handoff.models import SlaEventRow
from handoff.stats.filters import DIMENSIONS, StatsFilters
from handoff.stats.sql import CASES, in_range

QUANTILES = (0.5, 0.9)
SLA_KINDS = ("first_response", "resolution")


def breaches(connection: sa.engine.Connection, filters: StatsFilters) -> dict[str, int]:
    """SLA breaches recorded in the range (handoff_sla_events.breached_at), of cases matching
    the dimension filters. The filters compare `coalesce(column, '')`, not the column: with a
    bare `category IN (…)` SQLite's planner walks every case of the category through its index
    and probes the events (270 ms for a week of 1 M cases) instead of taking the week's events by
    breached_at and their cases by primary key (30 ms); PostgreSQL plans both the same."""
    events = SlaEventRow.__table__
    chosen = [sa.func.coalesce(CASES.c[name], "").in_(filters.values(name))
              for name in DIMENSIONS if filters.values(name)]
    query = (sa.select(events.c.kind, sa.func.count())
             .select_from(events.join(CASES, CASES.c.id == events.c.case_id))
             .where(*in_range(events.c.breached_at, filters.since, filters.until), *chosen)
             .group_by(events.c.kind))
    counts = {str(kind): int(n) for kind, n in connection.execute(query)}
    return {"total": sum(counts.values()), **{kind: counts.get(kind, 0) for kind in SLA_KINDS}}


def ratio(part: float, whole: float, digits: int = 4) -> Optional[float]:
    """part / whole, or None when there is nothing to divide (a rate of nothing is unknown, not 0)."""
    return round(part / whole, digits) if whole else None
