"""The statistics' rollup: every ended local day's figures per combination of the five
dimensions (and the bot's per channel × language), and every ended month's as the sum of its
days, in the tables of handoff/stats/models.py. Why: a year's page summed from a million cases
took 10–20 s; from about 12 months and the odd days around them it is a few hundred rows per
combination (docs/statistics.md, "Speed").

Trust. A rolled period is read only while nothing behind it has changed:
- `refresh` (the background job, every ROLLUP_TICK seconds, one worker at a time) looks for cases
  changed since its last look (`updated_at`, new ratings, new cases of older conversations), marks
  their days and months dirty and rolls again what is dirty, missing, or had an SLA fall due;
- the page itself looks for changes since the job's last look (`changed_days`), so a case
  answered a second ago on a rolled day is still counted exactly: that day is read from the cases.
Today (and a day until ROLL_AFTER past its end, for late archive writes) is always read from the
cases. The rollup is kept for one zone, the shop's (HANDOFF_TZ); a page in another zone reads the
cases.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Optional
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa

from handoff.archive.models import ConversationRow
from handoff.models import RatingRow
from handoff.stats import raw
from handoff.stats.cells import BUCKETS, MONTH_DAYS, Key, bucket, decode_sum, encode, encode_pending
from handoff.stats.filters import local_midnight
from handoff.stats.models import COUNT_COLUMNS, DIMENSION_COLUMNS, StatsBotRow, StatsPeriodRow, StatsRollupRow
from handoff.stats.sql import CASES

log = logging.getLogger(__name__)

ROLLUP = StatsRollupRow.__table__
BOT = StatsBotRow.__table__
PERIODS = StatsPeriodRow.__table__
WATERMARK = "~watermark"
ROLL_AFTER = timedelta(minutes=15)  # a day is rolled this long after it ended: late archive writes land first
MARGIN = timedelta(seconds=10)  # a change committed this long after its updated_at is still seen
DAY, MONTH = "day", "month"


@dataclass(frozen=True)
class State:
    computed_at: datetime
    dirty: bool

    @property
    def trusted(self) -> bool:
        return not self.dirty


def month_key(day: date) -> str:
    return day.strftime("%Y-%m")


def month_days(first: date) -> list[date]:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def states(connection: sa.engine.Connection, tz: str) -> dict[str, State]:
    """Every rolled period of the zone, and the watermark (a few hundred rows a year)."""
    p = PERIODS.c
    return {str(row.period): State(row.computed_at, bool(row.dirty))
            for row in connection.execute(sa.select(p.period, p.computed_at, p.dirty).where(p.tz == tz))}


def changed_days(connection: sa.engine.Connection, zone: ZoneInfo, since: datetime, lo: datetime,
                 hi: datetime) -> set[date]:
    """Local days in [lo, hi) whose figures changed after `since`: a case of the day was
    updated, one was rated, or a case was opened for a conversation that began that day (the day
    contained it). Each read is bounded by `since` alone, on its own index (updated_at,
    ratings.at, created_at), and the range is applied in Python: the rows changed since the last
    pass are few, where a range condition in SQL lets the planner scan a year by created_at."""
    c, ratings, conversations = CASES.c, RatingRow.__table__, ConversationRow.__table__
    after = sa.bindparam(None, since, type_=c.updated_at.type)
    instants: list[datetime] = []
    instants += connection.execute(sa.select(c.created_at).where(c.updated_at > after)).scalars().all()
    instants += connection.execute(sa.select(c.created_at).select_from(ratings.join(CASES, c.id == ratings.c.case_id))
                                   .where(ratings.c.at > after)).scalars().all()
    instants += connection.execute(sa.select(conversations.c.first_seen)
                                   .select_from(CASES.join(conversations, conversations.c.id == c.conversation_id))
                                   .where(c.created_at > after)).scalars().all()
    return {moment.astimezone(zone).date() for moment in instants if lo <= moment < hi}


def _upsert_state(connection: sa.engine.Connection, tz: str, period: str, computed_at: datetime) -> None:
    p = PERIODS.c
    connection.execute(sa.delete(PERIODS).where(p.tz == tz, p.period == period))
    connection.execute(sa.insert(PERIODS).values(tz=tz, period=period, computed_at=computed_at, dirty=False))


def roll_day(connection: sa.engine.Connection, tz: str, day: date, now: datetime) -> int:
    """Replaces the day's rows with its figures as of `now`; returns its cases."""
    zone = ZoneInfo(tz)
    since, until = local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)
    counts: dict[Key, np.ndarray] = {}
    durations: dict[Key, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    hours: dict[Key, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    pending: dict[Key, list[tuple[int, datetime]]] = defaultdict(list)
    outcomes = raw.outcomes(connection, since, until, now)
    for o in outcomes:
        vector = np.array(raw.counts_of(o), dtype=np.int64)
        counts[o.key] = counts[o.key] + vector if o.key in counts else vector
        if o.first_response_s is not None:
            durations[o.key][bucket(o.first_response_s)] += 1
        if o.resolution_s is not None:
            durations[o.key][BUCKETS + bucket(o.resolution_s)] += 1
        hours[o.key][o.created.astimezone(zone).hour] += 1
        pending[o.key] += o.pending
    start = day.isoformat()
    connection.execute(sa.delete(ROLLUP).where(ROLLUP.c.tz == tz, ROLLUP.c.span == DAY, ROLLUP.c.start == start))
    connection.execute(sa.delete(BOT).where(BOT.c.tz == tz, BOT.c.start == start))
    _insert(connection, tz, DAY, start, counts, {k: encode(v) for k, v in durations.items()},
            {k: encode(v) for k, v in hours.items()}, {k: encode_pending(v) for k, v in pending.items()})
    bots = raw.bot(connection, since, until)
    if bots:
        connection.execute(sa.insert(BOT), [
            {"tz": tz, "start": start, "channel": channel, "language": language, "conversations": int(v[0]),
             "contained": int(v[1]), "turns": int(v[2]), "fallbacks": int(v[3])}
            for (channel, language), v in bots.items()])
    _upsert_state(connection, tz, start, now)
    return len(outcomes)


def roll_month(connection: sa.engine.Connection, tz: str, first: date, now: datetime) -> None:
    """The month's rows as the sum of its rolled days' (every day must be trusted)."""
    r = ROLLUP.c
    last = month_days(first)[-1]
    rows = connection.execute(sa.select(r.start, *(r[n] for n in DIMENSION_COLUMNS), *(r[n] for n in COUNT_COLUMNS),
                                        r.durations, r.times, r.pending)
                              .where(r.tz == tz, r.span == DAY, r.start >= first.isoformat(),
                                     r.start <= last.isoformat())).all()
    counts: dict[Key, np.ndarray] = {}
    blobs: dict[Key, list[bytes]] = defaultdict(list)
    pending: dict[Key, list[bytes]] = defaultdict(list)
    times: dict[Key, np.ndarray] = {}
    width = len(DIMENSION_COLUMNS)
    for row in rows:
        key: Key = tuple(str(v) for v in row[1:1 + width])  # type: ignore[assignment]
        vector = np.array(row[1 + width:1 + width + len(COUNT_COLUMNS)], dtype=np.int64)
        counts[key] = counts[key] + vector if key in counts else vector
        blobs[key].append(bytes(row.durations))
        pending[key].append(bytes(row.pending))
        day = date.fromisoformat(str(row.start))
        hours = decode_sum([bytes(row.times)], 24)
        month = times.setdefault(key, np.zeros(MONTH_DAYS + 168, dtype=np.int64))
        month[day.day - 1] += int(hours.sum())
        month[MONTH_DAYS + 24 * day.weekday():MONTH_DAYS + 24 * day.weekday() + 24] += hours
    start = first.isoformat()
    connection.execute(sa.delete(ROLLUP).where(r.tz == tz, r.span == MONTH, r.start == start))
    _insert(connection, tz, MONTH, start, counts,
            {k: encode(_dense_to_dict(decode_sum(v, 2 * BUCKETS))) for k, v in blobs.items()},
            {k: encode(_dense_to_dict(v)) for k, v in times.items()}, {k: b"".join(v) for k, v in pending.items()})
    _upsert_state(connection, tz, month_key(first), now)


def _insert(connection: sa.engine.Connection, tz: str, span: str, start: str, counts: dict[Key, np.ndarray],
            durations: dict[Key, bytes], times: dict[Key, bytes], pending: dict[Key, bytes]) -> None:
    if counts:
        connection.execute(sa.insert(ROLLUP), [
            {"tz": tz, "span": span, "start": start, **dict(zip(DIMENSION_COLUMNS, key, strict=True)),
             **{name: int(v) for name, v in zip(COUNT_COLUMNS, vector, strict=True)},
             "durations": durations.get(key, b""), "times": times.get(key, b""), "pending": pending.get(key, b"")}
            for key, vector in counts.items()])


def _dense_to_dict(vector: np.ndarray) -> dict[int, int]:
    return {int(i): int(vector[i]) for i in np.nonzero(vector)[0]}


@dataclass(frozen=True)
class Refresh:
    days: int
    months: int
    cases: int
    left: int  # days still to roll (the next tick goes on)


def _first_day(connection: sa.engine.Connection, zone: ZoneInfo) -> Optional[date]:
    firsts = [connection.execute(sa.select(sa.func.min(CASES.c.created_at))).scalar(),
              connection.execute(sa.select(sa.func.min(ConversationRow.__table__.c.first_seen))).scalar()]
    known = [f for f in firsts if f is not None]  # func.min keeps UtcDateTime: aware UTC
    return min(known).astimezone(zone).date() if known else None


def last_rollable(now: datetime, zone: ZoneInfo) -> date:
    """The latest local day that ended at least ROLL_AFTER ago."""
    return (now - ROLL_AFTER).astimezone(zone).date() - timedelta(days=1)


def refresh(engine: sa.engine.Engine, tz: str, now: datetime, *, limit: Optional[int] = 62) -> Refresh:
    """One pass of the job: marks what changed, rolls up to `limit` days (newest first, each in
    its own short transaction) and every month whose days are all trusted."""
    zone = ZoneInfo(tz)
    with engine.begin() as connection:
        known = states(connection, tz)
        mark = known.get(WATERMARK)
        last = last_rollable(now, zone)
        if mark is not None:
            changed = changed_days(connection, zone, mark.computed_at, datetime(1970, 1, 1, tzinfo=zone),
                                   local_midnight(last + timedelta(days=1), zone))
            periods = sorted({d.isoformat() for d in changed} | {month_key(d) for d in changed})
            if periods:
                connection.execute(sa.update(PERIODS).where(PERIODS.c.tz == tz, PERIODS.c.period.in_(periods))
                                   .values(dirty=True))
        _upsert_state(connection, tz, WATERMARK, now - MARGIN)
        first = _first_day(connection, zone)
        known = states(connection, tz)
    todo: list[date] = []
    if first is not None and first <= last:
        begin = first.replace(day=1)  # the empty days before the first case too: its month can be summed
        every = [begin + timedelta(days=i) for i in range((last - begin).days + 1)]
        todo = [d for d in reversed(every) if d.isoformat() not in known or not known[d.isoformat()].trusted]
    rolled, cases = todo[:limit] if limit is not None else todo, 0
    for day in rolled:
        with engine.begin() as connection:
            cases += roll_day(connection, tz, day, now)
    months = 0
    if first is not None:
        with engine.begin() as connection:
            known = states(connection, tz)
        month = first.replace(day=1)
        while month_days(month)[-1] <= last:
            days = {d.isoformat(): known[d.isoformat()] for d in month_days(month) if d.isoformat() in known}
            whole = len(days) == len(month_days(month)) and all(s.trusted for s in days.values())
            current = known.get(month_key(month))
            stale = current is None or not current.trusted or \
                any(s.computed_at > current.computed_at for s in days.values())
            if whole and stale:
                with engine.begin() as connection:
                    roll_month(connection, tz, month, now)
                months += 1
            month = month_days(month)[-1] + timedelta(days=1)
    if rolled or months:
        log.info("statistics rollup (%s): %d days (%d cases) and %d months rolled, %d days left", tz, len(rolled),
                 cases, months, len(todo) - len(rolled))
    return Refresh(len(rolled), months, cases, len(todo) - len(rolled))


def iter_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days → [(first, last)] of consecutive runs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def rows_query(tz: str, months: list[date], days: list[date], *columns: Any) -> Any:
    r = ROLLUP.c
    scopes = []
    if months:
        scopes.append(sa.and_(r.span == MONTH, r.start.in_([m.isoformat() for m in months])))
    if days:
        scopes.append(sa.and_(r.span == DAY, r.start.in_([d.isoformat() for d in days])))
    return sa.select(*columns).where(r.tz == tz, sa.or_(*scopes) if scopes else sa.false())


def forget(engine: sa.engine.Engine, tz: str) -> None:
    """Drops everything rolled in the zone: until the next passes roll it again, pages read the
    cases. For writes whose `updated_at` is not the time they were written, which the change
    look cannot see: an import of history, a test's fake clock."""
    with engine.begin() as connection:
        for table in (PERIODS, ROLLUP, BOT):
            connection.execute(sa.delete(table).where(table.c.tz == tz))


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m handoff.stats.rollup [--forget] [--all]`: one pass now (--all: every day, not
    62), after forgetting everything if asked (after importing history)."""
    import argparse

    from core.settings import load
    from handoff.store import CaseStore

    parser = argparse.ArgumentParser(description=(main.__doc__ or "").split("\n")[0])
    parser.add_argument("--forget", action="store_true", help="drop the rollup first (after an import of history)")
    parser.add_argument("--all", action="store_true", help="roll every day now, not at most 62")
    args = parser.parse_args(argv)
    settings = load()
    engine = CaseStore(settings.database_url).engine
    if args.forget:
        forget(engine, settings.handoff_tz)
    done = refresh(engine, settings.handoff_tz, datetime.now(ZoneInfo("UTC")), limit=None if args.all else 62)
    print(f"rolled {done.days} days ({done.cases} cases) and {done.months} months; {done.left} days left")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
