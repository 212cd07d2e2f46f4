"""Which reports exist and which are due: a daily report per local day, a weekly one per Monday to
Sunday, both in the shop's time zone (HANDOFF_TZ), because supervisors read "yesterday" as their
own yesterday, not UTC's.

A report is due once its period is over and the day's report hour (REPORT_DAILY_AT, default
06:00 local) has passed, so the night's late ratings and resolutions are in it. Only the latest
period of each kind is due: a service that was down over a weekend catches up with the latest
daily and the latest weekly report; older ones are written on request (`python -m
handoff.reports --daily DATE`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

DAILY, WEEKLY = "daily", "weekly"
PERIODS = (DAILY, WEEKLY)
DEFAULT_DAILY_AT = "06:00"
# A report's base name: its period and its first day (a weekly report starts on a Monday).
NAME = re.compile(r"(daily|weekly)-([0-9]{4}-[0-9]{2}-[0-9]{2})")  # ASCII digits, whole name


@dataclass(frozen=True, order=True)
class Period:
    """The days one report covers, both inclusive, as local dates."""

    kind: str
    start: date
    end: date

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.start.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def daily(day: date) -> Period:
    return Period(DAILY, day, day)


def weekly(day: date) -> Period:
    """The Monday-to-Sunday week that holds `day`."""
    monday = day - timedelta(days=day.weekday())
    return Period(WEEKLY, monday, monday + timedelta(days=6))


def period_of(name: str) -> Optional[Period]:
    """The period a base name stands for; None unless it is exactly one this module writes (an
    existing date; a weekly one on a Monday), so a name from outside can never become a path
    of anything else."""
    found = NAME.fullmatch(name)
    if found is None:
        return None
    try:
        start = date.fromisoformat(found.group(2))
    except ValueError:
        return None
    period = daily(start) if found.group(1) == DAILY else weekly(start)
    return period if period.start == start else None


def parse_daily_at(spec: str) -> time:
    """REPORT_DAILY_AT as a local time of day ("06:00")."""
    try:
        return time.fromisoformat(spec.strip())
    except ValueError as exc:
        raise ValueError(f"REPORT_DAILY_AT must look like 06:00, not {spec!r}") from exc


def ready_day(now: datetime, tz: str, daily_at: time) -> date:
    """The last local day whose report hour has come: today after `daily_at`, else yesterday.
    Comparing local wall times (not adding hours to midnight) keeps a day of 23 or 25 hours right."""
    local = now.astimezone(ZoneInfo(tz))
    return local.date() if local.time().replace(tzinfo=None) >= daily_at else local.date() - timedelta(days=1)


def due(now: datetime, tz: str, daily_at: time) -> list[Period]:
    """The latest daily and the latest weekly report that may be written at `now` (aware)."""
    today = ready_day(now, tz, daily_at)
    last_sunday = today - timedelta(days=today.weekday() + 1)
    return [daily(today - timedelta(days=1)), weekly(last_sunday)]
