"""Complaint counts per category, for the warning runner: cases per UTC hour over the baseline's
history, and the sliding last 60 minutes, from one GROUP BY over handoff_cases per tick.

A complaint is a case whose category starts with `complain_` (the bot files every complaint
intent under its own name; `request_human` and other cases are not complaints). Hours are UTC
hours: the baseline compares an hour with the same hour of earlier weeks, and UTC has no daylight
saving jumps; people see the hours in HANDOFF_TZ elsewhere.

Only the first read covers the whole history. A complete hour never changes afterwards (a case
is written with the time it was created), so later reads cover only the hours since the previous
read and the hour before the current one (a case whose transaction began just before the hour
turned may commit just after): a tick stays cheap at a million cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import sqlalchemy as sa

from handoff.models import CaseRow

COMPLAINT_PREFIX = "complain_"
WINDOW = timedelta(minutes=60)  # the sliding window compared with the baseline
HOUR = timedelta(hours=1)
HOUR_FORMAT = "%Y-%m-%d %H"  # what both dialects' hour expressions below produce


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _hour_of(engine: sa.engine.Engine) -> Any:
    """The UTC hour of a case's created_at as text 'YYYY-MM-DD HH', in the database's own dialect
    (SQLite stores naive UTC text; PostgreSQL a timestamptz)."""
    if engine.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", CaseRow.created_at), "YYYY-MM-DD HH24")
    return sa.func.strftime(HOUR_FORMAT, CaseRow.created_at)


@dataclass(frozen=True)
class Snapshot:
    """The counts at one moment: per category, complete past hours and the last 60 minutes."""

    now: datetime
    hourly: dict[str, dict[datetime, int]]  # category → UTC hour start → complaint cases (hours before now's)
    severe_hourly: dict[str, dict[datetime, int]]
    current: dict[str, int]  # category → complaint cases created in (now - 60 min, now]
    current_severe: dict[str, int]
    first_data_at: Optional[datetime]  # the shop's earliest case: the baseline's cold start

    def categories(self) -> list[str]:
        """Categories with any complaint in the history window or the last 60 minutes."""
        return sorted({c for c, hours in self.hourly.items() if any(hours.values())}
                      | {c for c, n in self.current.items() if n})


class ComplaintCounts:
    """The counts of one process, kept between ticks so only recent hours are read again."""

    def __init__(self, engine: sa.engine.Engine, history: timedelta) -> None:
        self.engine, self.history = engine, history
        self._hour = _hour_of(engine)
        self._hours: dict[tuple[str, datetime], tuple[int, int]] = {}  # (category, hour) → (cases, severe)
        self._last: Optional[datetime] = None
        self._first: Optional[datetime] = None

    def read(self, now: datetime) -> Snapshot:
        oldest = floor_hour(now - self.history)
        start = oldest if self._last is None or self._last < oldest else min(
            floor_hour(self._last), floor_hour(now) - HOUR)
        recent = now - WINDOW
        severe = sa.case((CaseRow.severity == "severe", 1), else_=0)
        in_window = sa.case((CaseRow.created_at > recent, 1), else_=0)
        severe_in_window = sa.case((sa.and_(CaseRow.created_at > recent, CaseRow.severity == "severe"), 1), else_=0)
        hour = self._hour.label("hour")
        query = (sa.select(CaseRow.category, hour, sa.func.count(), sa.func.sum(severe), sa.func.sum(in_window),
                           sa.func.sum(severe_in_window))
                 .where(CaseRow.category.startswith(COMPLAINT_PREFIX, autoescape=True),
                        CaseRow.created_at >= start, CaseRow.created_at <= now)
                 .group_by(CaseRow.category, hour))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
            if self._first is None:
                self._first = connection.execute(sa.select(sa.func.min(CaseRow.created_at))).scalar()
        for key in [k for k in self._hours if k[1] >= start or k[1] < oldest]:
            del self._hours[key]
        current: dict[str, int] = {}
        current_severe: dict[str, int] = {}
        for category, text, cases, severe_cases, last_hour, severe_last_hour in rows:
            at = datetime.strptime(str(text), HOUR_FORMAT).replace(tzinfo=timezone.utc)
            self._hours[(str(category), at)] = (int(cases), int(severe_cases or 0))
            current[str(category)] = current.get(str(category), 0) + int(last_hour or 0)
            current_severe[str(category)] = current_severe.get(str(category), 0) + int(severe_last_hour or 0)
        self._last = now
        first = self._first.astimezone(timezone.utc) if self._first else None  # aware UTC from UtcDateTime
        # Quiet hours are left out (0): the detector tells them from hours without data (before
        # the shop's first case) by `first_data_at`.
        this_hour = floor_hour(now)
        hourly: dict[str, dict[datetime, int]] = {}
        severe_hourly: dict[str, dict[datetime, int]] = {}
        for (category, at), (cases, severe_cases) in self._hours.items():
            if at < this_hour:
                hourly.setdefault(category, {})[at] = cases
                severe_hourly.setdefault(category, {})[at] = severe_cases
        return Snapshot(now, hourly, severe_hourly, current, current_severe, first)
