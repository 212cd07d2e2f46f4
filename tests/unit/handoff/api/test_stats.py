"""GET /stats, /stats/cases and /stats/export: supervisors only, filters refused with a clear
400, and the figures and downloads a supervisor gets (the scenario of tests/unit/handoff/stats)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.unit.handoff.api.conftest import Api
from tests.unit.handoff.stats import scenario

WEEK = "from=2026-11-26&to=2026-12-02"


@pytest.fixture()
def stats_api(api: Api) -> Api:
    scenario.write(api.desk.store.engine)
    api.agent("sam", "supervisor")
    api.agent("alice")
    return api


@pytest.mark.parametrize("path", ["/stats", "/stats/cases", "/stats/export?format=xlsx"])
async def test_only_supervisors_see_statistics(stats_api: Api, path: str) -> None:
    async with stats_api.client() as nobody, stats_api.client("alice") as alice:
        assert (await nobody.get(path)).status_code == 401
        refused = await alice.get(path)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("query", [
    "from=2026-02-30", "from=yesterday", "from=2026-12-02&to=2026-11-01", "from=2025-01-01&to=2026-12-02",
    "category=complain_refund;drop", "category=%E9%80%80%E6%AC%BE", "severity=urgent", "team=" + "x" * 3000,
    "limit=0", "limit=501", "limit=ten", "offset=-3", "dow=9&hod=1", "hour=noon",
])
async def test_a_bad_filter_is_a_400_naming_it(stats_api: Api, query: str) -> None:
    async with stats_api.client("sam") as sam:
        for path in ("/stats", "/stats/cases", "/stats/export"):
            answer = await sam.get(f"{path}?{query}")
            name = query.split("=")[0]
            if (path == "/stats" and name in ("limit", "offset", "dow", "hour")) or (
                    path == "/stats/export" and name in ("limit", "offset")):
                assert answer.status_code == 200  # the page has no slices; a download no paging
                continue
            assert answer.status_code == 400, (path, query)
            assert answer.json()["error"]["code"] == "bad_request" and answer.json()["error"]["message"]


async def test_a_supervisor_gets_the_week_and_drills_into_a_cell(stats_api: Api) -> None:
    async with stats_api.client("sam") as sam:
        page = (await sam.get(f"/stats?{WEEK}")).json()
        assert page["kpis"]["cases"]["current"] == 5 and page["volume"]["by_day"][0]["count"] == 3
        assert page["range"]["tz"] == "Asia/Shanghai"
        refund = (await sam.get(f"/stats?{WEEK}&category=complain_refund&category=order_status")).json()
        assert refund["filters"]["category"] == ["complain_refund", "order_status"]
        assert refund["kpis"]["cases"]["current"] == 4
        cell = (await sam.get(f"/stats/cases?{WEEK}&dow=3&hod=13")).json()
        assert cell["total"] == 2 and {c["id"] for c in cell["cases"]} == {"C1", "C2"}
        assert "13812345678" not in (await sam.get(f"/stats/cases?{WEEK}")).text


async def test_the_exports_download_as_attachments(stats_api: Api) -> None:
    async with stats_api.client("sam") as sam:
        sheet = await sam.get(f"/stats/export?{WEEK}&format=xlsx&what=aggregate")
        assert sheet.status_code == 200
        assert sheet.headers["content-disposition"] == 'attachment; filename="aggregate-2026-11-26_2026-12-02.xlsx"'
        rows = list(load_workbook(io.BytesIO(sheet.content), read_only=True).active.iter_rows(values_only=True))
        assert sum(row[6] for row in rows[1:]) == 5
        table = await sam.get(f"/stats/export?{WEEK}&format=csv")
        assert table.headers["content-type"].startswith("text/csv") and table.content.startswith(b"\xef\xbb\xbf")
        assert table.content.decode("utf-8-sig").count("\r\n") == 6  # the header and five cases
        for bad in ("format=pdf", "what=everything"):
            assert (await sam.get(f"/stats/export?{WEEK}&{bad}")).status_code == 400
