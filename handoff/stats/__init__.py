"""Statistics for supervisors (docs/statistics.md): the page's figures, the cases behind them and
the exports, in SQLAlchemy Core over the case store's database (SQLite or PostgreSQL).

    filters = StatsFilters.parse({"from": "2026-11-26", "to": "2026-12-02"}, tz, today)
    page_data(engine, filters, tz)  # the JSON of GET /stats
"""

from __future__ import annotations

from handoff.stats.drill import Selection, cases
from handoff.stats.exports import Export, TooManyRows, export
from handoff.stats.filters import DIMENSIONS, MAX_DAYS, FilterError, StatsFilters
from handoff.stats.page import page_data

__all__ = ["DIMENSIONS", "MAX_DAYS", "Export", "FilterError", "Selection", "StatsFilters", "TooManyRows", "cases",
           "export", "page_data"]
