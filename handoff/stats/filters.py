"""What a supervisor asks the statistics for: a date range in the shop's time zone and optional
values of the five dimensions. One parser for the page, the drill-down, the exports and the
reports, so the three can never disagree about which cases a filter selects.

Dates are local days (HANDOFF_TZ), inclusive at both ends, because that is how people say a
period ("from the 26th to the 2nd"); the queries use the UTC instants of the first and the
after-last local midnight, so a day across a DST change is still exactly that local day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.vocabulary import SEVERITIES

DIMENSIONS: tuple[str, ...] = ("category", "severity", "channel", "language", "team")
MAX_DAYS = 366  # a year, leap or not; longer ranges are a report, not a page
DEFAULT_DAYS = 7
MAX_VALUES = 50  # values of one dimension in one filter
# Category, channel, language and team values as the store writes them (intent names, Rasa
# channel names, BCP 47 tags, team names): anything else cannot match a case, so it is refused.
VALUE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FilterError(ValueError):
    """A filter a person can fix: `field` names the query parameter, the message says how."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.field = name


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FilterError("tz", f"unknown time zone {tz!r}") from exc


def parse_day(name: str, raw: str) -> date:
    if not DAY.match(raw):
        raise FilterError(name, f"expected a date YYYY-MM-DD, got {raw[:40]!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise FilterError(name, f"{raw!r} is not a calendar date") from exc


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant a local day starts (00:00 exists in every zone the shop may run in)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def _values(name: str, raw: Optional[str]) -> tuple[str, ...]:
    if raw is None or not raw.strip():
        return ()
    values = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
    if len(values) > MAX_VALUES:
        raise FilterError(name, f"at most {MAX_VALUES} values")
    for value in values:
        if not VALUE.match(value):
            raise FilterError(name, f"{value[:40]!r} is not a {name} (letters, digits and _ . : - only)")
        if name == "severity" and value not in SEVERITIES:
            raise FilterError(name, f"unknown severity {value!r}; one of {', '.join(SEVERITIES)}")
    return values


@dataclass(frozen=True)
class StatsFilters:
    """`start`..`end` are local days, both included; an empty dimension means every value."""

    start: date
    end: date
    tz: str = "Asia/Shanghai"
    category: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", zone(self.tz))

    @classmethod
    def parse(cls, args: Mapping[str, str], tz: str, today: date) -> "StatsFilters":
        """From query parameters: `from`, `to` (YYYY-MM-DD, default the last 7 days ending `today`)
        and comma-separated `category`, `severity`, `channel`, `language`, `team`. Raises
        FilterError (a 400 for the API) for a bad date, from > to, a range over MAX_DAYS days or
        a value that no case can have. Other keys are ignored (the drill-down reads its own)."""
        zone(tz)
        end = parse_day("to", args["to"]) if args.get("to") else today
        start = parse_day("from", args["from"]) if args.get("from") else end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise FilterError("from", f"`from` {start} is after `to` {end}")
        if (end - start).days + 1 > MAX_DAYS:
            raise FilterError("to", f"the range is {(end - start).days + 1} days; at most {MAX_DAYS}")
        return cls(start, end, tz, **{name: _values(name, args.get(name)) for name in DIMENSIONS})

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def since(self) -> datetime:
        """First instant of the range, UTC (included)."""
        return local_midnight(self.start, self.zone)

    @property
    def until(self) -> datetime:
        """First instant after the range, UTC (excluded)."""
        return local_midnight(self.end + timedelta(days=1), self.zone)

    def previous(self) -> "StatsFilters":
        """The period of the same length just before, with the same dimension filters."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def values(self, name: str) -> tuple[str, ...]:
        return tuple(getattr(self, name))

    def dimensions(self) -> dict[str, list[str]]:
        return {name: list(self.values(name)) for name in DIMENSIONS}

    def range_dict(self) -> dict[str, object]:
        before = self.previous()
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "tz": self.tz,
                "previous": {"from": before.start.isoformat(), "to": before.end.isoformat()}}
