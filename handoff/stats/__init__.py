"""Statistics for supervisors (docs/statistics.md): the page's figures, the cases behind them and
the exports, in SQLAlchemy Core over the case store's database (SQLite or PostgreSQL).

    filters = StatsFilters.parse({"from": "2026-11-26", "to": "2026-12-02"}, tz, today)
    page_data(engine, filters, tz)  # the JSON of GET /stats

The names are loaded on first use (PEP 562): handoff/models.py registers this package's rollup
tables (handoff.stats.models) while the archive's models may still be loading, and the page's
modules read the archive's tables, so importing them eagerly here would be a circular import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handoff.stats.drill import Selection, cases
    from handoff.stats.exports import Export, TooManyRows, export
    from handoff.stats.filters import DIMENSIONS, MAX_DAYS, FilterError, StatsFilters
    from handoff.stats.page import page_data

_WHERE = {"Selection": "drill", "cases": "drill", "Export": "exports", "TooManyRows": "exports", "export": "exports",
          "DIMENSIONS": "filters", "MAX_DAYS": "filters", "FilterError": "filters", "StatsFilters": "filters",
          "page_data": "page"}

__all__ = ["DIMENSIONS", "MAX_DAYS", "Export", "FilterError", "Selection", "StatsFilters", "TooManyRows", "cases",
           "export", "page_data"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'handoff.stats' has no attribute {name!r}")
    return getattr(import_module(f"handoff.stats.{_WHERE[name]}"), name)
