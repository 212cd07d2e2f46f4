"""GET /reports and /reports/<file>: supervisors list and open the written reports; agents,
strangers and made-up file names get nothing, least of all a file outside the reports folder."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from handoff.api.app import create_app
from handoff.api.tasks import PeriodLock, report_checks
from handoff.desk import Desk
from handoff.reports.schedule import daily, weekly
from handoff.reports.store import ReportFolder
from handoff.reports.writer import ReportWriter
from tests.unit.handoff.api.conftest import Api, FakeRasa, app_name

PAGE = "<!doctype html><html><body><p>客服日报</p></body></html>"


@pytest.fixture()
def reports_api(desk: Desk, redis_url: str, tmp_path: Path) -> Api:
    folder = ReportFolder(tmp_path / "reports")
    folder.write_text(daily(date(2026, 11, 29)), "html", PAGE)
    folder.write_text(daily(date(2026, 11, 29)), "pdf", "%PDF-1.4 report")
    folder.write_text(weekly(date(2026, 11, 23)), "html", PAGE)
    (tmp_path / "secret.txt").write_text("not for you")
    (folder.root / ".tmp-daily-2026-11-30.abc.html").write_text("half")
    app = create_app(desk, FakeRasa(), redis_url=redis_url, background=False, name=app_name(),
                     reports_dir=folder.root)
    api = Api(app, desk, FakeRasa())
    api.agent("boss", role="supervisor")
    api.agent("alice")
    return api


async def test_a_supervisor_lists_the_reports_newest_first(reports_api: Api) -> None:
    async with reports_api.client("boss") as boss:
        answer = await boss.get("/reports")
    assert answer.status_code == 200
    reports = answer.json()["reports"]
    assert [r["name"] for r in reports] == ["weekly-2026-11-23", "daily-2026-11-29"]
    assert reports[1] == {**reports[1], "period": "daily", "from": "2026-11-29", "to": "2026-11-29",
                          "files": {"html": "/reports/daily-2026-11-29.html", "pdf": "/reports/daily-2026-11-29.pdf"}}


async def test_the_page_opens_under_a_policy_that_runs_and_loads_nothing(reports_api: Api) -> None:
    async with reports_api.client("boss") as boss:
        answer = await boss.get("/reports/daily-2026-11-29.html")
    assert answer.status_code == 200 and answer.text == PAGE
    assert answer.headers["content-type"].startswith("text/html")
    assert "attachment" not in answer.headers.get("content-disposition", "")
    csp = answer.headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'none'", "frame-ancestors 'none'", "sandbox"):
        assert directive in csp
    assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["cache-control"] == "no-store"


async def test_the_pdf_downloads(reports_api: Api) -> None:
    async with reports_api.client("boss") as boss:
        answer = await boss.get("/reports/daily-2026-11-29.pdf")
    assert answer.status_code == 200 and answer.content == b"%PDF-1.4 report"
    assert answer.headers["content-type"] == "application/pdf"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment") and "daily-2026-11-29.pdf" in disposition


@pytest.mark.parametrize("path", ["/reports", "/reports/daily-2026-11-29.html", "/reports/daily-2026-11-29.pdf"])
async def test_an_agent_gets_403_and_a_stranger_401(reports_api: Api, path: str) -> None:
    async with reports_api.client("alice") as alice:
        refused = await alice.get(path)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    async with reports_api.client() as stranger:
        unknown = await stranger.get(path)
        forged = await stranger.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert unknown.status_code == 401 and forged.status_code == 401
    assert "客服" not in unknown.text and "PDF" not in forged.text


@pytest.mark.parametrize("path", [
    "/reports/..%2Fsecret.txt", "/reports/%2e%2e%2fsecret.txt", "/reports/..%2F..%2Fetc%2Fpasswd",
    "/reports/..", "/reports/secret.txt", "/reports/daily-2026-11-29.exe", "/reports/daily-2026-02-30.html",
    "/reports/.tmp-daily-2026-11-30.abc.html", "/reports/daily-2026-11-29.html%00", "/reports/" + "x" * 3000,
    "/reports/daily-2026-11-29.html%0A", "/reports/%D9%A2%D9%A0%D9%A2%D9%A6"])
async def test_a_name_that_is_not_a_report_gets_a_json_refusal_never_a_file(reports_api: Api, path: str) -> None:
    async with reports_api.client("boss") as boss:
        answer = await boss.get(path)
    assert answer.status_code in (400, 404), answer.text
    assert answer.json()["error"]["code"] in ("bad_request", "not_found")
    assert "not for you" not in answer.text and "half" not in answer.text


async def test_the_ways_of_writing_dot_dot_slash_etc_passwd_are_refused(reports_api: Api) -> None:
    async with reports_api.client("boss") as boss:
        encoded = await boss.get("/reports/..%2Fetc%2Fpasswd")  # decoded, it has a slash: no route
        plain = await boss.get("/reports/../etc/passwd")  # the client resolves it to /etc/passwd: no route
        dots = await boss.get("/reports/%2E%2E")
        backslash = await boss.get("/reports/..%5Cetc%5Cpasswd")
    assert encoded.status_code == 404 and plain.status_code == 404
    assert dots.status_code == 400 and backslash.status_code == 400
    assert "is not a report file name" in backslash.json()["error"]["message"]


async def test_a_report_not_written_yet_is_404(reports_api: Api) -> None:
    async with reports_api.client("boss") as boss:
        answer = await boss.get("/reports/weekly-2026-11-23.pdf")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


async def test_of_three_workers_checking_at_once_one_writes_the_due_reports(tmp_path: Path, redis_url: str) -> None:
    queries: list[Any] = []

    def data(period: Any) -> dict[str, Any]:
        queries.append(period)
        return {}

    def printer(html: Path, pdf: Path) -> None:
        pdf.write_bytes(b"%PDF-1.4")

    stop = asyncio.Event()
    connections = [aioredis.Redis.from_url(redis_url) for _ in range(3)]
    try:
        workers = [asyncio.create_task(report_checks(
            ReportWriter(None, tmp_path, "Asia/Shanghai", data=data, printer=printer), 1.0, stop,
            PeriodLock(c, "reports-test", 1.0), first_after=0)) for c in connections]
        while sum(len(r["files"]) for r in ReportFolder(tmp_path).listing()) < 4:  # two pages, two PDFs
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), timeout=5)
    finally:
        for c in connections:
            await c.close()
    assert [p.kind for p in queries] == ["daily", "weekly"]
    assert [r["period"] for r in ReportFolder(tmp_path).listing()] in (["daily", "weekly"], ["weekly", "daily"])
