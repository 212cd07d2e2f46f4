"""The writer: due reports are written once (the periodic check may run on every worker, any number
of times), a missing PDF is made later without rewriting the page, and the page data comes
from the statistics over the real case store."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from handoff.clock import FakeClock
from handoff.reports.pdf import PdfUnavailable
from handoff.reports.schedule import Period, daily, weekly
from handoff.reports.writer import ReportWriter
from handoff.store import CaseStore
from tests.unit.handoff.reports.sample import page

MONDAY_0700 = datetime(2026, 11, 29, 23, 0, tzinfo=timezone.utc)  # Monday 30 November, 07:00 in Shanghai


class Sources:
    """Counts the statistics queries and the PDFs; `chromium` False: as if it were not installed."""

    def __init__(self) -> None:
        self.queries: list[Period] = []
        self.printed: list[str] = []
        self.chromium = True

    def data(self, period: Period) -> Mapping[str, Any]:
        self.queries.append(period)
        return page()

    def printer(self, html: Path, pdf: Path) -> None:
        if not self.chromium:
            raise PdfUnavailable("no Chromium to print PDF reports with")
        assert html.read_text(encoding="utf-8").startswith("<!doctype html>")
        pdf.write_bytes(b"%PDF-1.4 fake")
        self.printed.append(html.name)


def writer(folder: Path, sources: Sources) -> ReportWriter:
    return ReportWriter(None, folder, "Asia/Shanghai", data=sources.data, printer=sources.printer)


def test_on_monday_morning_yesterdays_and_last_weeks_reports_are_written_once(tmp_path: Path) -> None:
    sources = Sources()
    first = writer(tmp_path, sources).write_due(MONDAY_0700)
    assert sorted(p.name for p in first) == ["daily-2026-11-29.html", "daily-2026-11-29.pdf",
                                              "weekly-2026-11-23.html", "weekly-2026-11-23.pdf"]
    assert sources.queries == [daily(date(2026, 11, 29)), weekly(date(2026, 11, 23))]
    again = writer(tmp_path, sources)  # another worker, or the next check
    assert again.write_due(MONDAY_0700) == [] and again.write_due(MONDAY_0700) == []
    assert len(sources.queries) == 2 and len(sources.printed) == 2


def test_without_chromium_the_page_is_written_and_the_pdf_follows_once_chromium_is_there(tmp_path: Path) -> None:
    sources = Sources()
    sources.chromium = False
    reports = writer(tmp_path, sources)
    assert [p.name for p in reports.write(daily(date(2026, 11, 29)))] == ["daily-2026-11-29.html"]
    assert reports.pdf_missing and "Chromium" in reports.pdf_missing
    page_before = (tmp_path / "daily-2026-11-29.html").read_text(encoding="utf-8")
    assert reports.write(daily(date(2026, 11, 29))) == []  # checked again: nothing new to write
    sources.chromium = True
    assert [p.name for p in reports.write(daily(date(2026, 11, 29)))] == ["daily-2026-11-29.pdf"]
    assert reports.pdf_missing is None and len(sources.queries) == 1
    assert (tmp_path / "daily-2026-11-29.html").read_text(encoding="utf-8") == page_before


def test_a_report_asked_for_by_name_is_written_again(tmp_path: Path) -> None:
    sources = Sources()
    reports = writer(tmp_path, sources)
    reports.write(daily(date(2026, 11, 29)))
    assert len(reports.write(daily(date(2026, 11, 29)), force=True)) == 2
    assert len(sources.queries) == 2


def test_the_numbers_come_from_the_statistics_over_the_case_store(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 29, 3, 0, tzinfo=timezone.utc))  # 11:00 on Sunday in Shanghai
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}", clock=clock)
    store.create_schema()
    for n in range(3):
        store.create_case(conversation_id=f"web-{n}", channel="web", customer_id=f"c{n}", language="zh-Hans",
                          category="complain_refund", severity="important", emotion="anger", reasons=[],
                          priority=2, handoff=True, queue_status="queued")
    sources = Sources()
    reports = ReportWriter(store.engine, tmp_path / "reports", "Asia/Shanghai", printer=sources.printer)
    reports.write(daily(date(2026, 11, 29)))
    html = (tmp_path / "reports" / "daily-2026-11-29.html").read_text(encoding="utf-8")
    row = html.split("<td>工单 Cases</td>", 1)[1].split("</tr>", 1)[0]
    assert "<strong>3</strong>" in row
    assert "退款 refund" in html
