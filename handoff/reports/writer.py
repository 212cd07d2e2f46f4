"""Writes a report's HTML and PDF into the reports folder: from the statistics' page data, the same
numbers as the console's statistics page for that range (handoff.stats).

Idempotent: a report whose files are on disk is not written again, so the periodic check
(handoff/api/tasks.py) may run as often as it likes, on every worker, after any restart. A
report asked for by name (`python -m handoff.reports --daily DATE`) is written again, because
a person asking wants today's numbers (late ratings, reopened cases).
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from handoff.reports.pdf import PdfUnavailable, html_to_pdf
from handoff.reports.render import render
from handoff.reports.schedule import DEFAULT_DAILY_AT, Period, due, parse_daily_at
from handoff.reports.store import ReportFolder
from handoff.stats import StatsFilters, page_data

log = logging.getLogger("handoff.reports")
PageData = Callable[[Period], Mapping[str, Any]]
Printer = Callable[[Path, Path], None]


class ReportWriter:
    def __init__(self, engine: Optional[sa.engine.Engine], folder: Path, tz: str,
                 daily_at: time = parse_daily_at(DEFAULT_DAILY_AT), *, data: Optional[PageData] = None,
                 printer: Printer = html_to_pdf) -> None:
        """`data` and `printer` replace the statistics query and Chromium (tests)."""
        self.engine, self.folder, self.tz, self.daily_at = engine, ReportFolder(folder), tz, daily_at
        self.data: PageData = data or self._page_data
        self.printer = printer
        self.pdf_missing: Optional[str] = None  # why the last PDF could not be made, if it could not

    def _page_data(self, period: Period) -> Mapping[str, Any]:
        if self.engine is None:
            raise RuntimeError("a ReportWriter without an engine needs `data`")
        return page_data(self.engine, StatsFilters(period.start, period.end, self.tz), self.tz)

    def write(self, period: Period, *, force: bool = False) -> list[Path]:
        """The report's files that were (re)written; none if it was complete already. Without
        Chromium the HTML is still written and `pdf_missing` says why there is no PDF."""
        written: list[Path] = []
        if force or not self.folder.has(period, "html"):
            generated = datetime.now(timezone.utc).astimezone(ZoneInfo(self.tz))
            written.append(self.folder.write_text(period, "html", render(self.data(period), period, generated)))
        if written or not self.folder.has(period, "pdf"):
            html = self.folder.path(period, "html")
            try:
                written.append(self.folder.write(period, "pdf", lambda pdf: self.printer(html, pdf)))
                self.pdf_missing = None
            except PdfUnavailable as exc:
                if self.pdf_missing is None:  # said once, not at every check
                    log.warning("reports are written as HTML only: %s", exc)
                self.pdf_missing = str(exc)
        for path in written:
            log.info("report written: %s", path)
        return written

    def write_due(self, now: Optional[datetime] = None) -> list[Path]:
        """The latest daily and weekly reports, if their time has come and they are not on disk."""
        moment = now or datetime.now(timezone.utc)
        return [path for period in due(moment, self.tz, self.daily_at) for path in self.write(period)]
