"""How fast people answered and solved: first-response and resolution time (median and p90),
the SLA hit rate and the recorded breaches, for the cases created in the range.

Definitions (the same as the SLA clock of handoff/store/alerts.py, so the numbers agree with
the breach alerts supervisors already get):
- first response = first agent message − created_at, for handoff cases (nobody is asked to
  answer a case the bot only registered);
- resolution = (resolved_at, else closed_at) − created_at, for every case;
- an SLA is *decided* once the case met it or its due time has passed (`now`); it is met when
  the response/resolution came at or before the due time. Undecided cases count nowhere.

Percentiles are exact and interpolated like PostgreSQL's percentile_cont: one sorted window
over the durations in SQL (row_number) returns just the two neighbours of each rank, on both
dialects, instead of shipping every duration to Python.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa

from handoff.models import SlaEventRow
from handoff.stats.filters import StatsFilters
from handoff.stats.sql import CASES, case_conditions, dialect_of, dimension_conditions, in_range, seconds_between

QUANTILES = (0.5, 0.9)
SLA_KINDS = ("first_response", "resolution")


def _done(kind: str) -> Any:
    c = CASES.c
    return c.first_response_at if kind == "first_response" else sa.func.coalesce(c.resolved_at, c.closed_at)


def _due(kind: str) -> Any:
    return CASES.c.first_response_due if kind == "first_response" else CASES.c.resolution_due


def _population(kind: str) -> list[Any]:
    return [CASES.c.handoff.is_(True)] if kind == "first_response" else []


def percentiles(connection: sa.engine.Connection, filters: StatsFilters, kind: str) -> dict[str, Any]:
    """{"p50_s", "p90_s", "n"} of the durations of `kind`; None percentiles without any."""
    duration = seconds_between(dialect_of(connection), _done(kind), CASES.c.created_at).label("d")
    ranked = (sa.select(duration, sa.func.row_number().over(order_by=duration).label("rn"),
                        sa.func.count().over().label("n"))
              .where(*case_conditions(filters), *_population(kind), _done(kind).is_not(None))
              .subquery())
    wanted: list[Any] = []
    for q in QUANTILES:  # the ranks either side of 1 + q·(n − 1); integer division truncates in both
        lower = (ranked.c.n - 1) * round(q * 100) / 100 + 1
        wanted += [ranked.c.rn == lower, ranked.c.rn == lower + 1]
    rows = connection.execute(sa.select(ranked.c.rn, ranked.c.n, ranked.c.d).where(sa.or_(*wanted))).all()
    by_rank = {int(rn): float(d) for rn, _n, d in rows}
    n = int(rows[0][1]) if rows else 0
    out: dict[str, Any] = {f"p{round(q * 100)}_s": _interpolate(by_rank, n, q) for q in QUANTILES}
    return {**out, "n": n}


def _interpolate(by_rank: dict[int, float], n: int, q: float) -> Optional[float]:
    if n == 0:
        return None
    position = 1 + q * (n - 1)
    lower = math.floor(position)
    low = by_rank[lower]
    high = by_rank.get(lower + 1, low)
    return round(low + (position - lower) * (high - low), 3)


def sla(connection: sa.engine.Connection, filters: StatsFilters, now: datetime) -> dict[str, Any]:
    """Met / missed / rate per SLA, and `eligible`: cases resolved or closed (the ones asked
    for a rating), from one pass over the range."""
    moment = sa.bindparam(None, now, type_=CASES.c.created_at.type)
    columns: list[Any] = []
    for kind in SLA_KINDS:
        done, due = _done(kind), _due(kind)
        scope = sa.and_(*_population(kind)) if _population(kind) else sa.true()
        met = sa.and_(scope, done.is_not(None), done <= due)
        missed = sa.and_(scope, sa.or_(sa.and_(done.is_not(None), done > due),
                                       sa.and_(done.is_(None), due <= moment)))
        columns += [sa.func.sum(sa.case((met, 1), else_=0)), sa.func.sum(sa.case((missed, 1), else_=0))]
    columns.append(sa.func.sum(sa.case((_done("resolution").is_not(None), 1), else_=0)))
    row = connection.execute(sa.select(*columns).where(*case_conditions(filters))).one()
    values = [int(v or 0) for v in row]
    out: dict[str, Any] = {}
    for i, kind in enumerate(SLA_KINDS):
        met, missed = values[2 * i], values[2 * i + 1]
        out[kind] = {"met": met, "missed": missed, "rate": ratio(met, met + missed)}
    out["eligible"] = values[-1]
    return out


def breaches(connection: sa.engine.Connection, filters: StatsFilters) -> dict[str, int]:
    """SLA breaches recorded in the range (handoff_sla_events.breached_at), of cases matching
    the dimension filters."""
    events = SlaEventRow.__table__
    query = (sa.select(events.c.kind, sa.func.count())
             .select_from(events.join(CASES, CASES.c.id == events.c.case_id))
             .where(*in_range(events.c.breached_at, filters.since, filters.until),
                    *dimension_conditions(filters))
             .group_by(events.c.kind))
    counts = {str(kind): int(n) for kind, n in connection.execute(query)}
    return {"total": sum(counts.values()), **{kind: counts.get(kind, 0) for kind in SLA_KINDS}}


def ratio(part: float, whole: float, digits: int = 4) -> Optional[float]:
    """part / whole, or None when there is nothing to divide (a rate of nothing is unknown, not 0)."""
    return round(part / whole, digits) if whole else None
