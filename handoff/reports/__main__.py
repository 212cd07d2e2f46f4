"""Write reports now and print their paths (`make report`; docs/reports.md).

    python -m handoff.reports                    # whatever is due and not on disk (as the service does)
    python -m handoff.reports --daily 2026-12-02 # that day's report, written again if it exists
    python -m handoff.reports --weekly 2026-12-02  # the Monday-to-Sunday week holding that day

Settings (core.settings): DATABASE_URL, HANDOFF_TZ, REPORTS_DIR, REPORT_DAILY_AT, and CHROMIUM
for the PDF (default: the `chromium` on PATH). Exit status 2 when a PDF could not be made (the
HTML is still written), 1 when Chromium failed to print it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Optional, Sequence

from core.settings import load
from handoff.reports.pdf import PdfFailed
from handoff.reports.schedule import daily, parse_daily_at, weekly
from handoff.reports.writer import ReportWriter
from handoff.store import CaseStore


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {raw!r}") from exc


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handoff.reports",
                                     description="Write daily and weekly reports (HTML and PDF) now.")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--daily", type=_day, metavar="DATE", help="the report of this local day")
    which.add_argument("--weekly", type=_day, metavar="DATE", help="the report of the Monday-Sunday week of DATE")
    which.add_argument("--due", action="store_true", help="the reports that are due and missing (the default)")
    args = parser.parse_args(argv)
    settings = load()
    store = CaseStore(settings.database_url)
    store.create_schema()
    writer = ReportWriter(store.engine, settings.reports_dir, settings.handoff_tz,
                          parse_daily_at(settings.report_daily_at))
    try:
        if args.daily or args.weekly:
            written = writer.write(daily(args.daily) if args.daily else weekly(args.weekly), force=True)
        else:
            written = writer.write_due()
            if not written:
                print(f"nothing due: the latest reports are in {settings.reports_dir}", file=sys.stderr)
    except PdfFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    if writer.pdf_missing:
        print(f"no PDF: {writer.pdf_missing}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
