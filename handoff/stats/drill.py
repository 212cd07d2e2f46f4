"""The cases behind a bar or a cell of the statistics page (GET /stats/cases) and the per-case
export: the page's filters, narrowed to a local day, an hour or a heatmap cell.

A heatmap cell (Mondays, 09:00) is a set of local hours spread over the range; it becomes the
list of their UTC intervals (at most 53 for a year), computed in Python so it stays right across
DST changes, and the query is an OR of ranges on the created_at index.

Rows carry only the reporting columns: never the summary, the handoff package or a callback
contact, which belong to the agents who serve the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional

import sqlalchemy as sa

from handoff.models import RatingRow
from handoff.stats.filters import FilterError, StatsFilters, local_midnight, parse_day
from handoff.stats.sql import CASES, dimension_conditions, in_range, reader

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
MAX_OFFSET = 10_000_000
HOUR = timedelta(hours=1)
COLUMNS = ("id", "created_at", "category", "severity", "channel", "language", "team", "state", "handoff",
           "first_response_s", "resolution_s", "rating")


def _integer(args: Mapping[str, str], name: str, default: Optional[int], low: int, high: int) -> Optional[int]:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise FilterError(name, f"expected a whole number from {low} to {high}, got {raw[:20]!r}")
    return int(raw)


@dataclass(frozen=True)
class Selection:
    """The filters plus a narrower slice: a local `day`, an `hour` (UTC start), or a heatmap cell."""

    filters: StatsFilters
    day: Optional[str] = None
    hour: Optional[datetime] = None
    dow: Optional[int] = None
    hod: Optional[int] = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    @classmethod
    def parse(cls, args: Mapping[str, str], filters: StatsFilters) -> "Selection":
        day = parse_day("day", args["day"]).isoformat() if args.get("day") else None
        hour = _hour(args["hour"]) if args.get("hour") else None
        dow, hod = _integer(args, "dow", None, 0, 6), _integer(args, "hod", None, 0, 23)
        if (dow is None) != (hod is None):
            raise FilterError("dow" if dow is None else "hod", "a heatmap cell needs both `dow` and `hod`")
        limit = _integer(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _integer(args, "offset", 0, 0, MAX_OFFSET)
        return cls(filters, day, hour, dow, hod, limit or DEFAULT_LIMIT, offset or 0)

    def intervals(self) -> list[tuple[datetime, datetime]]:
        """The UTC intervals the selection covers (within the filters' range)."""
        f = self.filters
        spans = [(f.since, f.until)]
        if self.day is not None:
            start = datetime.fromisoformat(self.day).date()
            spans = [(local_midnight(start, f.zone), local_midnight(start + timedelta(days=1), f.zone))]
        if self.hour is not None:
            spans = [(self.hour, self.hour + HOUR)]
        if self.dow is not None:
            spans = []
            moment = f.since
            while moment < f.until:  # every UTC hour of the range whose local hour is the cell's
                local = moment.astimezone(f.zone)
                if local.weekday() == self.dow and local.hour == self.hod:
                    spans.append((moment, moment + HOUR))
                moment += HOUR
        return [(max(a, f.since), min(b, f.until)) for a, b in spans if max(a, f.since) < min(b, f.until)]


def _hour(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FilterError("hour", f"expected an ISO hour such as 2026-11-26T13:00:00+08:00, got {raw[:40]!r}") \
            from exc
    if moment.tzinfo is None:
        raise FilterError("hour", "give the hour with its offset, e.g. 2026-11-26T13:00:00+08:00")
    return moment.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _where(selection: Selection) -> list[Any]:
    """The spans (already within the range) and the dimension filters. Not the range itself as
    well: beside 52 one-hour spans of a heatmap cell, SQLite's planner takes the year's range on
    created_at and scans it (10 s at 1 M cases) instead of the 52 short ranges."""
    spans = selection.intervals()
    conditions = dimension_conditions(selection.filters)
    if not spans:
        return [*conditions, sa.false()]
    return [*conditions, sa.or_(*(sa.and_(*in_range(CASES.c.created_at, a, b)) for a, b in spans))]


def _seconds(later: Optional[datetime], earlier: datetime) -> Optional[float]:
    return None if later is None else round((later - earlier).total_seconds(), 3)


def row_dict(row: Any, zone: Any) -> dict[str, Any]:
    resolved = row.resolved_at or row.closed_at
    return {"id": row.id, "created_at": row.created_at.astimezone(zone).isoformat(), "category": row.category,
            "severity": row.severity, "channel": row.channel, "language": row.language, "team": row.team,
            "state": row.state, "handoff": bool(row.handoff),
            "first_response_s": _seconds(row.first_response_at, row.created_at),
            "resolution_s": _seconds(resolved, row.created_at), "rating": row.score}


def _select(selection: Selection) -> Any:
    c, ratings = CASES.c, RatingRow.__table__
    return (sa.select(c.id, c.created_at, c.category, c.severity, c.channel, c.language, c.team, c.state,
                      c.handoff, c.first_response_at, c.resolved_at, c.closed_at, ratings.c.score)
            .select_from(CASES.outerjoin(ratings, ratings.c.case_id == c.id)).where(*_where(selection)))


def count(connection: sa.engine.Connection, selection: Selection) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(CASES)
                                  .where(*_where(selection))).scalar_one())


def rows(connection: sa.engine.Connection, selection: Selection, limit: Optional[int] = None) -> list[dict[str, Any]]:
    """Newest first; `limit` None: the selection's own limit and offset."""
    query = _select(selection).order_by(CASES.c.created_at.desc(), CASES.c.id.desc())
    query = query.limit(limit) if limit is not None else query.limit(selection.limit).offset(selection.offset)
    return [row_dict(row, selection.filters.zone) for row in connection.execute(query)]


def cases(engine: sa.engine.Engine, selection: Selection) -> dict[str, Any]:
    """{"total": N, "cases": [...]} — the page of the drill-down."""
    with reader(engine).connect() as connection:
        return {"total": count(connection, selection), "cases": rows(connection, selection)}
