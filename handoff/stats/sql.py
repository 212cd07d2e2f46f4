"""The few expressions SQLite and PostgreSQL spell differently, and the one WHERE clause every
statistic of cases shares. Everything else in handoff/stats is plain SQLAlchemy Core that both
dialects run unchanged.

Hours are bucketed in UTC inside the database and turned into local days and hours-of-week in
Python (`local_hour`): every zone offset the shop may run in is whole or half hours, and a UTC
hour maps to exactly one local hour even on the night DST changes, which a bucket computed in
local time by the database would get wrong on SQLite (it has no time zones).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from handoff.models import CaseRow
from handoff.stats.filters import DIMENSIONS, StatsFilters

CASES: sa.Table = CaseRow.__table__


def hour_bucket(dialect: str, column: Any) -> Any:
    """The UTC hour a timestamp falls in. SQLite stores UtcDateTime as naive UTC text
    'YYYY-MM-DD HH:MM:SS.ffffff', so the first 13 characters are the hour (cheaper than
    strftime on a million rows); PostgreSQL truncates the timestamptz seen in UTC."""
    if dialect == "sqlite":
        return sa.func.substr(column, 1, 13)
    return sa.func.date_trunc("hour", sa.func.timezone("UTC", column))


def bucket_instant(value: Any) -> datetime:
    """A bucket as `hour_bucket` returns it → the aware UTC start of that hour."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return datetime.strptime(str(value)[:13], "%Y-%m-%d %H").replace(tzinfo=timezone.utc)


def local_day_bucket(dialect: str, column: Any, offset_minutes: int) -> Any:
    """The local date of a timestamp in a zone of one fixed offset ('YYYY-MM-DD' text on SQLite,
    a date on PostgreSQL; str() of either is the ISO date)."""
    if dialect == "sqlite":
        return sa.func.substr(sa.func.datetime(column, f"{int(offset_minutes):+d} minutes"), 1, 10)
    shifted = sa.func.timezone("UTC", column) + sa.text(f"interval '{int(offset_minutes)} minutes'")
    return sa.cast(shifted, sa.Date)


def in_range(column: Any, since: datetime, until: datetime) -> list[Any]:
    """Half-open [since, until): the index on the column is used as a range."""
    return [column >= sa.bindparam(None, since, type_=column.type),
            column < sa.bindparam(None, until, type_=column.type)]


def case_conditions(filters: StatsFilters, table: sa.Table = CASES, *, dimensions: bool = True) -> list[Any]:
    """Cases created within the filters' range (and of the chosen dimension values)."""
    conditions = in_range(table.c.created_at, filters.since, filters.until)
    return conditions + dimension_conditions(filters, table) if dimensions else conditions


def dimension_conditions(filters: StatsFilters, table: sa.Table = CASES) -> list[Any]:
    """The chosen values of the five dimensions (none chosen: no condition)."""
    return [table.c[name].in_(filters.values(name)) for name in DIMENSIONS if filters.values(name)]


def dialect_of(connection: sa.engine.Connection) -> str:
    return str(connection.dialect.name)


_READERS: dict[str, sa.engine.Engine] = {}


def reader(engine: sa.engine.Engine) -> sa.engine.Engine:
    """The engine the statistics read through. The store's SQLite engine starts every transaction
    with BEGIN IMMEDIATE (it takes the write lock up front, see handoff/store/db.py); a year's
    statistics must not hold that lock for a second while the bot writes cases, so on a SQLite
    file they read through a second engine whose transactions are plain deferred BEGINs: in WAL
    mode a reader sees one consistent snapshot and never blocks a writer. PostgreSQL (and an
    in-memory SQLite, which only its own connection can see) use the engine as it is."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return engine
    key = str(url)
    if key not in _READERS:
        _READERS[key] = sa.create_engine(url, future=True,
                                         connect_args={"check_same_thread": False, "timeout": 15})
    return _READERS[key]
