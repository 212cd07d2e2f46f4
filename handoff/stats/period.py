"""One period's figures as a `Tally`: whole months and days from the rollup where it can be
trusted (handoff/stats/rollup.py), every other day from the cases (handoff/stats/raw.py), and the
SLA breaches recorded in the period (always from their own small table).

The split is decided per call: a day is read from the rollup only if it was rolled in this
period's zone, nothing of it changed since (the job's marks and the page's own look since the
job's last one), and no SLA of its cases has fallen due since it was rolled; a month only if all
its days are and it was summed after them. Everything else is read as it is, so the figures are
the cases' own whichever way they were read (percentiles aside: see handoff/stats/cells.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from handoff.stats import raw, rollup
from handoff.stats.cells import BUCKETS, MONTH_DAYS, Key, Tally, bucket, decode_sum, fallen_due
from handoff.stats.filters import DIMENSIONS, StatsFilters, local_midnight
from handoff.stats.models import COUNT_COLUMNS, DIMENSION_COLUMNS
from handoff.stats.times import breaches


def plan(connection: sa.engine.Connection, filters: StatsFilters, now: datetime) -> tuple[list[date], list[date]]:
    """(months, days) of the range the rollup can serve."""
    tz, zone = filters.tz, filters.zone
    known = rollup.states(connection, tz)
    mark = known.get(rollup.WATERMARK)
    if mark is None:
        return [], []
    last = min(filters.end, rollup.last_rollable(now, zone))
    if last < filters.start:
        return [], []
    changed = rollup.changed_days(connection, zone, mark.computed_at, filters.since,
                                  local_midnight(last + timedelta(days=1), zone))
    span = [filters.start + timedelta(days=i) for i in range((last - filters.start).days + 1)]
    good = {d for d in span if d not in changed and (s := known.get(d.isoformat())) is not None and s.trusted}
    months: list[date] = []
    month = filters.start.replace(day=1)
    while month <= last:
        days = rollup.month_days(month)
        summed = known.get(rollup.month_key(month))
        if (days[0] >= filters.start and days[-1] <= last and all(d in good for d in days) and summed is not None
                and summed.trusted and all(known[d.isoformat()].computed_at <= summed.computed_at for d in days)):
            months.append(month)
            good -= set(days)
        month = days[-1] + timedelta(days=1)
    return months, sorted(good)


def add_outcomes(tally: Tally, outcomes: list[raw.Outcome]) -> None:
    zone = tally.filters.zone
    for o in outcomes:
        tally.add_counts(o.key, raw.counts_of(o))
        if not tally.selects(o.key):
            continue
        if o.first_response_s is not None:
            tally.durations[bucket(o.first_response_s)] += 1
            if tally.exact_first is not None:
                tally.exact_first.append(o.first_response_s)
        if o.resolution_s is not None:
            tally.durations[BUCKETS + bucket(o.resolution_s)] += 1
            if tally.exact_resolution is not None:
                tally.exact_resolution.append(o.resolution_s)
        local = o.created.astimezone(zone)
        tally.days[local.date()] += 1
        tally.day_severity[(local.date(), o.key[1])] += 1
        tally.week[24 * local.weekday() + local.hour] += 1
        tally.hours[local.replace(minute=0, second=0, microsecond=0)] += 1


def add_bot(tally: Tally, counts: dict[tuple[str, str], np.ndarray]) -> None:
    channels, languages = tally.filters.values("channel"), tally.filters.values("language")
    for (channel, language), vector in counts.items():
        if (not channels or channel in channels) and (not languages or language in languages):
            tally.bot += vector


def add_rolled(connection: sa.engine.Connection, tally: Tally, months: list[date], days: list[date],
               now: datetime) -> None:
    r = rollup.ROLLUP.c
    tz = tally.filters.tz
    dims = [r[n] for n in DIMENSION_COLUMNS]
    sums = [sa.func.sum(r[n]) for n in COUNT_COLUMNS]
    for row in connection.execute(rollup.rows_query(tz, months, days, *dims, *sums).group_by(*dims)).all():
        key: Key = tuple(str(v) for v in row[:len(dims)])  # type: ignore[assignment]
        tally.add_counts(key, (int(v or 0) for v in row[len(dims):]))
    chosen = [r[name].in_(tally.filters.values(name)) for name in DIMENSIONS if tally.filters.values(name)]
    durations: list[bytes] = []
    times: dict[tuple[str, str, str], list[bytes]] = {}
    pending: list[bytes] = []
    for span, start, severity, blob, when, due in connection.execute(
            rollup.rows_query(tz, months, days, r.span, r.start, r.severity, r.durations, r.times, r.pending)
            .where(*chosen)).all():  # one fetchall: thousands of rows, the per-row fetch cost counts
        durations.append(bytes(blob))
        pending.append(bytes(due))
        times.setdefault((str(span), str(start), str(severity)), []).append(bytes(when))
    if durations:
        tally.add_histogram(decode_sum(durations, 2 * BUCKETS))
    tally.late += fallen_due(pending, now)
    for (span, start, severity), blobs in times.items():
        first = date.fromisoformat(start)
        if span == rollup.MONTH:
            tally.add_month_times(first, severity, decode_sum(blobs, MONTH_DAYS + 168))
        else:
            tally.add_day_hours(first, severity, decode_sum(blobs, 24))
    every_day = [d.isoformat() for d in days] + [d.isoformat() for m in months for d in rollup.month_days(m)]
    if every_day:
        b = rollup.BOT.c
        query = (sa.select(b.channel, b.language, sa.func.sum(b.conversations), sa.func.sum(b.contained),
                           sa.func.sum(b.turns), sa.func.sum(b.fallbacks))
                 .where(b.tz == tz, b.start.in_(every_day)).group_by(b.channel, b.language))
        add_bot(tally, {(str(row[0]), str(row[1])): np.array([int(v or 0) for v in row[2:]], dtype=np.int64)
                        for row in connection.execute(query)})
    tally.sources["rolled_months"] += len(months)
    tally.sources["rolled_days"] += len(days) + sum(len(rollup.month_days(m)) for m in months)


def measure(connection: sa.engine.Connection, filters: StatsFilters, now: datetime) -> tuple[Tally, dict[str, Any]]:
    """The period's tally and its recorded SLA breaches."""
    tally = Tally(filters)
    months, days = plan(connection, filters, now)
    served = set(days) | {d for m in months for d in rollup.month_days(m)}
    every = [filters.start + timedelta(days=i) for i in range(filters.days)]
    for first, last in rollup.iter_runs(d for d in every if d not in served):
        since, until = local_midnight(first, filters.zone), local_midnight(last + timedelta(days=1), filters.zone)
        add_outcomes(tally, raw.outcomes(connection, since, until, now))
        add_bot(tally, raw.bot(connection, since, until))
        tally.sources["raw_days"] += (last - first).days + 1
    if months or days:
        add_rolled(connection, tally, months, days, now)
    return tally, breaches(connection, filters)
