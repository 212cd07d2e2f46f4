"""The statistics page's data (GET /stats, docs/statistics.md): every figure of the range and of
the period of the same length just before it, in one JSON-ready dict.

Each period is a handful of grouped queries (volume.py, times.py, quality.py); everything a chart
needs beyond them (days, hours-of-week, per-dimension counts, changes) is folded in Python from
their small results.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa

from core.vocabulary import SEVERITIES
from handoff.stats import quality, times, volume
from handoff.stats.filters import DIMENSIONS, StatsFilters
from handoff.stats.sql import reader


@dataclass(frozen=True)
class Period:
    """The raw results of one period's queries."""

    filters: StatsFilters
    mix: list[volume.Combination]
    hours: dict[datetime, int]
    first_response: dict[str, Any]
    resolution: dict[str, Any]
    sla: dict[str, Any]
    breaches: dict[str, int]
    csat: dict[str, Any]
    repeat: dict[str, Any]
    bot: dict[str, Any]

    @property
    def selected(self) -> list[volume.Combination]:
        return [c for c in self.mix if c.matches(self.filters)]

    @property
    def cases(self) -> int:
        return sum(c.count for c in self.selected)

    @property
    def handoffs(self) -> int:
        return sum(c.count for c in self.selected if c.handoff)

    @property
    def sla_hit_rate(self) -> Optional[float]:
        met = sum(self.sla[k]["met"] for k in times.SLA_KINDS)
        decided = met + sum(self.sla[k]["missed"] for k in times.SLA_KINDS)
        return times.ratio(met, decided)


def measure(connection: sa.engine.Connection, filters: StatsFilters, now: datetime) -> Period:
    sla = times.sla(connection, filters, now)
    return Period(
        filters=filters, mix=volume.mix(connection, filters), hours=volume.hourly(connection, filters),
        first_response=times.percentiles(connection, filters, "first_response"),
        resolution=times.percentiles(connection, filters, "resolution"), sla=sla,
        breaches=times.breaches(connection, filters), csat=quality.csat(connection, filters, sla["eligible"]),
        repeat=quality.repeat_contact(connection, filters), bot=quality.bot(connection, filters))


def page_data(engine: sa.engine.Engine, filters: StatsFilters, tz: Optional[str] = None, *,
              now: Optional[datetime] = None) -> dict[str, Any]:
    """The page's JSON (the shape is in docs/statistics.md). `tz` overrides the filters' zone;
    `now` decides which SLAs are due (default: the current time)."""
    if tz and tz != filters.tz:
        filters = replace(filters, tz=tz)
    moment = now or datetime.now(timezone.utc)
    with reader(engine).connect() as connection:
        current = measure(connection, filters, moment)
        previous = measure(connection, filters.previous(), moment)
    return render(current, previous)


def change(current: Optional[float], previous: Optional[float]) -> dict[str, Any]:
    """{"current", "previous", "change"}: change is relative (0.333 = +33.3 %), None when the
    previous value is unknown or 0 (no honest percentage exists)."""
    relative = round((current - previous) / previous, 4) if current is not None and previous else None
    return {"current": current, "previous": previous, "change": relative}


def kpis(current: Period, previous: Period) -> dict[str, Any]:
    def pair(get: Any) -> dict[str, Any]:
        return change(get(current), get(previous))

    return {
        "cases": pair(lambda p: p.cases), "handoffs": pair(lambda p: p.handoffs),
        "breaches": pair(lambda p: p.breaches["total"]),
        "first_response_p50_s": pair(lambda p: p.first_response["p50_s"]),
        "resolution_p50_s": pair(lambda p: p.resolution["p50_s"]),
        "sla_hit_rate": pair(lambda p: p.sla_hit_rate), "csat_average": pair(lambda p: p.csat["average"]),
        "repeat_contact_rate": pair(lambda p: p.repeat["rate"]),
        "containment_rate": pair(lambda p: p.bot["containment_rate"]),
    }


def options(current: Period, previous: Period) -> dict[str, list[str]]:
    """What the filter menus offer: the values seen in either period (whatever the filters), the
    values chosen, and every severity."""
    found: dict[str, set[str]] = {name: set(current.filters.values(name)) for name in DIMENSIONS}
    for combination in current.mix + previous.mix:
        for name in DIMENSIONS:
            found[name].add(combination.key(name))
    found["severity"] |= set(SEVERITIES)
    return {name: sorted(values, key=SEVERITIES.index) if name == "severity" else sorted(values)
            for name, values in found.items()}


def by_dimensions(current: Period, previous: Period) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name in DIMENSIONS:
        now, before = volume.by_dimension(current.selected, name), volume.by_dimension(previous.selected, name)
        keys = sorted(set(now) | set(before), key=lambda k: (-now.get(k, 0), -before.get(k, 0), k))
        out[name] = [{"key": k, "count": now.get(k, 0), "previous": before.get(k, 0)} for k in keys]
    return out


def render(current: Period, previous: Period) -> dict[str, Any]:
    f = current.filters
    matrix: dict[tuple[str, str], int] = {}
    for c in current.selected:
        matrix[(c.category, c.severity)] = matrix.get((c.category, c.severity), 0) + c.count
    sla = {kind: current.sla[kind] for kind in times.SLA_KINDS}
    return {
        "range": f.range_dict(), "filters": f.dimensions(), "options": options(current, previous),
        "kpis": kpis(current, previous),
        "volume": {
            "total": current.cases,
            "by_day": volume.local_days(current.hours, f), "by_hour": volume.local_hours(current.hours, f.zone),
            "by": by_dimensions(current, previous),
            "category_severity": [{"category": cat, "severity": sev, "count": n} for (cat, sev), n in
                                  sorted(matrix.items(), key=lambda kv: (kv[0][0], SEVERITIES.index(kv[0][1])
                                                                          if kv[0][1] in SEVERITIES else 9))]},
        "times": {"first_response": current.first_response, "resolution": current.resolution, "sla": sla,
                  "breaches": current.breaches},
        "csat": current.csat, "repeat_contact": current.repeat, "bot": current.bot,
        "heatmap": {"cells": volume.heatmap(current.hours, f.zone)},
    }
