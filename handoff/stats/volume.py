"""How many cases, of what kind, when: two grouped reads of handoff_cases, both answered from
the index ix_handoff_cases_stats (created_at, category, severity, channel, language, team,
handoff) without touching the table.

- `mix`: counts per combination of the five dimensions (and handoff) over the range, *without*
  the dimension filters. A shop has at most a few thousand combinations, so Python then gives the
  filtered counts per dimension, the category × severity matrix, the totals and the choices the
  filter menus offer (the values seen in the range), all from one scan.
- `hourly`: counts per UTC hour *with* the filters; days, hours and the heatmap are folded from
  it in the shop's zone (handoff.stats.sql explains why in Python).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from handoff.stats.filters import DIMENSIONS, StatsFilters
from handoff.stats.sql import CASES, bucket_instant, case_conditions, dialect_of, hour_bucket


@dataclass(frozen=True)
class Combination:
    category: str
    severity: str
    channel: str
    language: str
    team: str
    handoff: bool
    count: int

    def key(self, name: str) -> str:
        return str(getattr(self, name))

    def matches(self, filters: StatsFilters) -> bool:
        return all(not filters.values(n) or self.key(n) in filters.values(n) for n in DIMENSIONS)


def mix(connection: sa.engine.Connection, filters: StatsFilters) -> list[Combination]:
    c = CASES.c
    columns = [c[name] for name in DIMENSIONS] + [c.handoff]
    rows = connection.execute(sa.select(*columns, sa.func.count().label("n"))
                              .where(*case_conditions(filters, dimensions=False)).group_by(*columns))
    return [Combination(str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), bool(row[5]), int(row[6]))
            for row in rows]


def hourly(connection: sa.engine.Connection, filters: StatsFilters) -> dict[datetime, int]:
    """UTC hour start → cases created in it (only hours with cases)."""
    bucket = hour_bucket(dialect_of(connection), CASES.c.created_at).label("hour")
    rows = connection.execute(sa.select(bucket, sa.func.count()).where(*case_conditions(filters))
                              .group_by(bucket))
    return {bucket_instant(hour): int(n) for hour, n in rows}


def by_dimension(combinations: Iterable[Combination], name: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for combination in combinations:
        counts[combination.key(name)] += combination.count
    return counts


def local_days(hours: dict[datetime, int], filters: StatsFilters) -> list[dict[str, object]]:
    """Every day of the range, with 0 for days without cases (a chart's axis has no gaps)."""
    counts: Counter[str] = Counter()
    for hour, n in hours.items():
        counts[hour.astimezone(filters.zone).date().isoformat()] += n
    days = [(filters.start.toordinal() + i) for i in range(filters.days)]
    return [{"day": (d := filters.start.fromordinal(ordinal).isoformat()), "count": counts.get(d, 0)}
            for ordinal in days]


def local_hours(hours: dict[datetime, int], zone: ZoneInfo) -> list[dict[str, object]]:
    """The hours with cases, as local ISO times with their offset (2026-11-26T13:00:00+08:00)."""
    return [{"hour": hour.astimezone(zone).isoformat(), "count": n} for hour, n in sorted(hours.items())]


def heatmap(hours: dict[datetime, int], zone: ZoneInfo) -> list[list[int]]:
    """[day of week 0=Monday, local hour 0..23, cases] for all 168 cells of the week."""
    cells: Counter[tuple[int, int]] = Counter()
    for hour, n in hours.items():
        local = hour.astimezone(zone)
        cells[(local.weekday(), local.hour)] += n
    return [[dow, hod, cells.get((dow, hod), 0)] for dow in range(7) for hod in range(24)]
