"""The reports folder: listed newest first with only the names it writes, files replaced whole or
not at all, and no name from outside ever reaching another path."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from handoff.reports.schedule import daily, weekly
from handoff.reports.store import BadName, ReportFolder


def test_the_listing_is_newest_first_with_each_reports_files_and_period(tmp_path: Path) -> None:
    folder = ReportFolder(tmp_path)
    for period in (daily(date(2026, 11, 28)), daily(date(2026, 11, 29)), weekly(date(2026, 11, 23))):
        folder.write_text(period, "html", "<p>report</p>")
    folder.write_text(daily(date(2026, 11, 29)), "pdf", "%PDF-1.4")
    listing = folder.listing()
    assert [r["name"] for r in listing] == ["weekly-2026-11-23", "daily-2026-11-29", "daily-2026-11-28"]
    assert listing[0]["period"] == "weekly" and (listing[0]["from"], listing[0]["to"]) == ("2026-11-23", "2026-11-29")
    assert listing[1]["files"] == {"html": "/reports/daily-2026-11-29.html", "pdf": "/reports/daily-2026-11-29.pdf"}
    assert listing[2]["files"] == {"html": "/reports/daily-2026-11-28.html"}
    assert listing[1]["created_at"].endswith("+00:00")


def test_the_listing_ignores_temporary_files_and_names_it_never_writes(tmp_path: Path) -> None:
    for junk in (".tmp-daily-2026-11-29.abc123.html", "daily-2026-11-29.html.part", "notes.txt",
                 "daily-2026-13-01.html", "weekly-2026-12-01.html", "daily-2026-11-29.HTML", "daily-2026-11-29.exe"):
        (tmp_path / junk).write_text("x")
    (tmp_path / "daily-2026-11-30.html").mkdir()  # a directory by a report's name is not a report
    assert ReportFolder(tmp_path).listing() == []
    assert ReportFolder(tmp_path / "not-yet-created").listing() == []


def test_a_failed_write_leaves_the_previous_report_whole_and_no_file_behind(tmp_path: Path) -> None:
    folder = ReportFolder(tmp_path)
    period = daily(date(2026, 11, 29))
    folder.write_text(period, "html", "<p>the good report</p>")

    def crash_halfway(path: Path) -> None:
        path.write_text("<p>half a rep")
        raise OSError("disk full")

    with pytest.raises(OSError):
        folder.write(period, "html", crash_halfway)
    assert folder.path(period, "html").read_text() == "<p>the good report</p>"
    assert os.listdir(tmp_path) == ["daily-2026-11-29.html"]


def test_a_report_being_written_is_invisible_until_it_is_complete(tmp_path: Path) -> None:
    folder = ReportFolder(tmp_path)
    seen: list[list[str]] = []

    def produce(path: Path) -> None:
        path.write_text("<p>partial</p>")
        seen.append([r["name"] for r in folder.listing()])

    folder.write(weekly(date(2026, 11, 23)), "html", produce)
    assert seen == [[]]
    assert [r["name"] for r in folder.listing()] == ["weekly-2026-11-23"]


def test_a_file_is_found_only_by_a_report_name(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    folder = ReportFolder(reports)
    folder.write_text(daily(date(2026, 11, 29)), "pdf", "%PDF-1.4")
    (tmp_path / "secret.txt").write_text("token")
    found = folder.file("daily-2026-11-29.pdf")
    assert found is not None and found.kind == "pdf" and found.media_type == "application/pdf"
    assert folder.file("daily-2026-11-28.pdf") is None
    for name in ("../secret.txt", "..", "daily-2026-11-29.pdf/../../secret.txt", "/etc/passwd",
                 "daily-2026-11-29.pdf\n", "daily-2026-11-29.pdf\x00", ".tmp-daily-2026-11-29.x.pdf", "x" * 5000):
        with pytest.raises(BadName):
            folder.file(name)
