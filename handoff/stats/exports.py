"""Downloads of the statistics (GET /stats/export): the cases behind the page, or the aggregate
(one row per local day × category × severity × channel × language × team, with its count), as
CSV or XLSX. The same filters as the page select the same cases.

CSV is UTF-8 with a byte-order mark: without it Excel reads the file as the machine's legacy code
page and Chinese turns into mojibake. XLSX is written by openpyxl in write-only mode (rows are
streamed into the file, not held as cell objects).

Exports are bounded (MAX_ROWS): a download of a million rows helps nobody and would hold a
worker for minutes; the API refuses with a message to narrow the range or the filters.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable, Sequence

import sqlalchemy as sa
from openpyxl import Workbook

from handoff.stats import drill
from handoff.stats.filters import DIMENSIONS, StatsFilters
from handoff.stats.sql import CASES, bucket_instant, case_conditions, dialect_of, hour_bucket, local_day_bucket, reader

MAX_ROWS = 200_000
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
WHAT = ("cases", "aggregate")
AGGREGATE_COLUMNS = ("day", *DIMENSIONS, "count")


class TooManyRows(ValueError):
    """The export would exceed MAX_ROWS; the message says how many it would have."""


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    body: bytes


def aggregate_rows(connection: sa.engine.Connection, filters: StatsFilters) -> list[tuple[Any, ...]]:
    """(local day, category, severity, channel, language, team, count), sorted. When the zone's
    offset is the same over the whole range (no DST change in it, always so for Asia/Shanghai) the
    database groups by local day directly; otherwise by UTC hour, folded into local days here."""
    c = CASES.c
    dims = [c[name] for name in DIMENSIONS]
    dialect = dialect_of(connection)
    offsets = {filters.since.astimezone(filters.zone).utcoffset(),
               (filters.until - timedelta(seconds=1)).astimezone(filters.zone).utcoffset()}
    offset = next(iter(offsets)) if len(offsets) == 1 else None
    if offset is not None:
        day = local_day_bucket(dialect, c.created_at, int(offset.total_seconds() // 60)).label("day")
    else:
        day = hour_bucket(dialect, c.created_at).label("day")
    query = sa.select(day, *dims, sa.func.count()).where(*case_conditions(filters)).group_by(day, *dims)
    counts: Counter[tuple[str, ...]] = Counter()
    for row in connection.execute(query):
        local = str(row[0])[:10] if offset is not None else \
            bucket_instant(row[0]).astimezone(filters.zone).date().isoformat()
        counts[(local, *(str(v) for v in row[1:6]))] += int(row[6])
    return [(*key, n) for key, n in sorted(counts.items())]


def _table(what: str, engine: sa.engine.Engine, selection: drill.Selection) -> tuple[Sequence[str], list[Any]]:
    with reader(engine).connect() as connection:
        if what == "aggregate":
            rows: list[Any] = aggregate_rows(connection, selection.filters)
            if len(rows) > MAX_ROWS:
                raise TooManyRows(f"{len(rows)} rows; an export holds at most {MAX_ROWS}: narrow the range or filters")
            return AGGREGATE_COLUMNS, rows
        total = drill.count(connection, selection)
        if total > MAX_ROWS:
            raise TooManyRows(f"{total} cases; an export holds at most {MAX_ROWS}: narrow the range or filters")
        cases = drill.rows(connection, selection, limit=MAX_ROWS)
        return drill.COLUMNS, [tuple(case[name] for name in drill.COLUMNS) for case in cases]


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(engine: sa.engine.Engine, selection: drill.Selection, what: str, fmt: str) -> Export:
    """Raises ValueError for an unknown `what` or `fmt`, TooManyRows above MAX_ROWS."""
    if what not in WHAT:
        raise ValueError(f"what must be one of {', '.join(WHAT)}")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    columns, rows = _table(what, engine, selection)
    f = selection.filters
    body = to_csv(columns, rows) if fmt == "csv" else to_xlsx(columns, rows, what)
    return Export(f"{what}-{f.start.isoformat()}_{f.end.isoformat()}.{fmt}", FORMATS[fmt], body)
