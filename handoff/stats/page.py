"""The statistics page's data (GET /stats, docs/statistics.md): every figure of the range and of
the period of the same length just before it, in one JSON-ready dict.

Each period is one `Tally` (handoff/stats/period.py: the rollup where it can be trusted, the cases
elsewhere); this module only turns two tallies into the figures, the changes and the chart series.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

import numpy as np

from core.vocabulary import SEVERITIES
from handoff.stats.cells import BUCKETS, Tally, estimate, exact
from handoff.stats.filters import DIMENSIONS, StatsFilters
from handoff.stats.period import measure
from handoff.stats.raw import REPEAT_WINDOW_DAYS
from handoff.stats.sql import reader
from handoff.stats.times import QUANTILES, SLA_KINDS, ratio

SCORES = (1, 2, 3, 4, 5)


class Figures:
    """The figures of one period, read off its tally."""

    def __init__(self, tally: Tally, breaches: dict[str, Any]) -> None:
        self.tally, self.filters, self.breaches = tally, tally.filters, breaches
        self.cases = tally.total("cases")
        self.handoffs = tally.total("handoffs")
        self.first_response = self._times("fr_n", tally.exact_first, tally.durations[:BUCKETS])
        self.resolution = self._times("res_n", tally.exact_resolution, tally.durations[BUCKETS:])
        self.sla = {kind: self._sla(prefix, int(tally.late[i]))
                    for i, (kind, prefix) in enumerate(zip(SLA_KINDS, ("fr", "res"), strict=True))}
        met = sum(self.sla[k]["met"] for k in SLA_KINDS)
        self.sla_hit_rate = ratio(met, met + sum(self.sla[k]["missed"] for k in SLA_KINDS))
        counts = {s: tally.total(f"r{s}") for s in SCORES}
        responses, eligible = sum(counts.values()), tally.total("eligible")
        self.csat = {"distribution": {str(s): counts[s] for s in SCORES},
                     "average": ratio(sum(s * n for s, n in counts.items()), responses, 3), "responses": responses,
                     "eligible": eligible, "response_rate": ratio(responses, eligible)}
        repeats = tally.total("repeats")
        self.repeat = {"cases": self.cases, "repeat": repeats, "rate": ratio(repeats, self.cases),
                       "window_days": REPEAT_WINDOW_DAYS}
        started, contained, turns, fallbacks = (int(v) for v in tally.bot)
        self.bot = {"conversations": started, "contained": contained, "containment_rate": ratio(contained, started),
                    "turns": turns, "fallbacks": fallbacks, "fallback_rate": ratio(fallbacks, turns)}

    def _times(self, count: str, values: Optional[list[float]], histogram: np.ndarray) -> dict[str, Any]:
        def quantile(q: float) -> Optional[float]:
            return exact(values, q) if values is not None else estimate(histogram, q)

        return {**{f"p{round(q * 100)}_s": quantile(q) for q in QUANTILES}, "n": self.tally.total(count)}

    def _sla(self, prefix: str, late: int) -> dict[str, Any]:
        met, missed = self.tally.total(f"{prefix}_met"), self.tally.total(f"{prefix}_missed") + late
        return {"met": met, "missed": missed, "rate": ratio(met, met + missed)}

    def by_dimension(self, name: str) -> dict[str, int]:
        i = DIMENSIONS.index(name)
        out: dict[str, int] = {}
        for key, vector in self.tally.counts.items():
            if self.tally.selects(key):
                out[key[i]] = out.get(key[i], 0) + int(vector[0])
        return out


def page_data(engine: Any, filters: StatsFilters, tz: Optional[str] = None, *,
              now: Optional[datetime] = None) -> dict[str, Any]:
    """The page's JSON (the shape is in docs/statistics.md). `tz` overrides the filters' zone;
    `now` decides which SLAs are due (default: the current time)."""
    if tz and tz != filters.tz:
        filters = replace(filters, tz=tz)
    moment = now or datetime.now(timezone.utc)
    with reader(engine).connect() as connection:
        current = Figures(*measure(connection, filters, moment))
        previous = Figures(*measure(connection, filters.previous(), moment))
    return render(current, previous)


def change(current: Optional[float], previous: Optional[float]) -> dict[str, Any]:
    """{"current", "previous", "change"}: change is relative (0.333 = +33.3 %), None when the
    previous value is unknown or 0 (no honest percentage exists)."""
    relative = round((current - previous) / previous, 4) if current is not None and previous else None
    return {"current": current, "previous": previous, "change": relative}


def kpis(current: Figures, previous: Figures) -> dict[str, Any]:
    def pair(get: Callable[[Figures], Any]) -> dict[str, Any]:
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


def options(current: Figures, previous: Figures) -> dict[str, list[str]]:
    """What the filter menus offer: the values seen in either period (whatever the filters), the
    values chosen, and every severity."""
    found: dict[str, set[str]] = {name: set(current.filters.values(name)) for name in DIMENSIONS}
    for key in list(current.tally.counts) + list(previous.tally.counts):
        for i, name in enumerate(DIMENSIONS):
            found[name].add(key[i])
    found["severity"] |= set(SEVERITIES)
    return {name: sorted(values, key=_severity_order) if name == "severity" else sorted(values)
            for name, values in found.items()}


def _severity_order(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def by_dimensions(current: Figures, previous: Figures) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name in DIMENSIONS:
        now, before = current.by_dimension(name), previous.by_dimension(name)
        keys = sorted(set(now) | set(before), key=lambda k: (-now.get(k, 0), -before.get(k, 0), k))
        out[name] = [{"key": k, "count": now.get(k, 0), "previous": before.get(k, 0)} for k in keys]
    return out


def volume(figures: Figures) -> dict[str, Any]:
    tally, f = figures.tally, figures.filters
    days = [f.start + timedelta(days=i) for i in range(f.days)]
    matrix: dict[tuple[str, str], int] = {}
    for key, vector in tally.counts.items():
        if tally.selects(key):
            matrix[(key[0], key[1])] = matrix.get((key[0], key[1]), 0) + int(vector[0])
    severities = sorted({s for _d, s in tally.day_severity}, key=_severity_order)
    return {
        "total": figures.cases,
        "by_day": [{"day": d.isoformat(), "count": tally.days.get(d, 0)} for d in days],
        "by_day_severity": [{"day": d.isoformat(), "severity": s, "count": tally.day_severity.get((d, s), 0)}
                            for d in days for s in severities],
        "by_hour": [{"hour": hour.isoformat(), "count": n} for hour, n in sorted(tally.hours.items()) if n],
        "by_hour_complete": tally.hours_complete,
        "category_severity": [{"category": cat, "severity": sev, "count": n} for (cat, sev), n in
                              sorted(matrix.items(), key=lambda kv: (kv[0][0], _severity_order(kv[0][1])))],
    }


def render(current: Figures, previous: Figures) -> dict[str, Any]:
    week = current.tally.week
    return {
        "range": current.filters.range_dict(), "filters": current.filters.dimensions(),
        "options": options(current, previous), "kpis": kpis(current, previous),
        "volume": {**volume(current), "by": by_dimensions(current, previous)},
        "times": {"first_response": current.first_response, "resolution": current.resolution, "sla": current.sla,
                  "breaches": current.breaches,
                  "percentiles": "exact" if current.tally.exact_first is not None else "estimated"},
        "csat": current.csat, "repeat_contact": current.repeat, "bot": current.bot,
        "heatmap": {"cells": [[dow, hod, int(week[24 * dow + hod])] for dow in range(7) for hod in range(24)]},
        "sources": {"rolled_days": current.tally.sources["rolled_days"],
                    "rolled_months": current.tally.sources["rolled_months"],
                    "raw_days": current.tally.sources["raw_days"]},
    }
