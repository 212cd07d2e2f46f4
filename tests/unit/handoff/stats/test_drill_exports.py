"""The cases behind a bar or a heatmap cell, and the downloads, read the page's filters."""

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from handoff.stats import FilterError, Selection, TooManyRows, cases, export
from handoff.stats import exports as exports_module
from tests.unit.handoff.stats.scenario import filters


def select(**args: str) -> Selection:
    return Selection.parse(args, filters(**{k: v for k, v in args.items() if k == "category"}))


def test_a_heatmap_cell_lists_its_cases_newest_first_without_contacts(engine: sa.engine.Engine) -> None:
    found = cases(engine, select(dow="3", hod="13"))
    assert found["total"] == 2 and [c["id"] for c in found["cases"]] == ["C2", "C1"]
    first = found["cases"][1]
    assert first == {"id": "C1", "created_at": "2026-11-26T13:00:00+08:00", "category": "complain_refund",
                     "severity": "severe", "channel": "rest", "language": "zh-Hans", "team": "billing",
                     "state": "follow_up", "handoff": True, "first_response_s": 60.0, "resolution_s": 3600.0,
                     "rating": 5}


def test_a_day_an_hour_and_paging(engine: sa.engine.Engine) -> None:
    assert [c["id"] for c in cases(engine, select(day="2026-11-26"))["cases"]] == ["C2", "C1", "C7"]
    assert cases(engine, select(hour="2026-11-26T13:00:00+08:00"))["total"] == 2
    page = cases(engine, select(limit="2", offset="2"))
    assert page["total"] == 5 and [c["id"] for c in page["cases"]] == ["C2", "C1"]
    assert cases(engine, select(day="2026-11-26", category="complain_delivery"))["total"] == 0


@pytest.mark.parametrize("args", [{"limit": "0"}, {"limit": "501"}, {"offset": "-1"}, {"dow": "7", "hod": "1"},
                                  {"dow": "1"}, {"hour": "13:00"}, {"hour": "2026-11-26T13:00:00"},
                                  {"day": "2026-02-30"}])
def test_a_bad_slice_is_refused(args: dict[str, str]) -> None:
    with pytest.raises(FilterError):
        select(**args)


def test_the_csv_has_a_bom_and_the_rows_of_the_drill_down(engine: sa.engine.Engine) -> None:
    made = export(engine, select(category="complain_refund"), "cases", "csv")
    assert made.filename == "cases-2026-11-26_2026-12-02.csv" and made.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(made.body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "created_at", "category"] and [r[0] for r in rows[1:]] == ["C2", "C1", "C7"]


def test_the_aggregate_xlsx_opens_with_one_row_per_local_day_and_combination(engine: sa.engine.Engine) -> None:
    made = export(engine, select(), "aggregate", "xlsx")
    sheet = load_workbook(io.BytesIO(made.body), read_only=True).active
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ("day", "category", "severity", "channel", "language", "team", "count")
    assert ("2026-11-26", "complain_refund", "general", "rest", "zh-Hans", "general", 1) in rows  # C7
    assert sum(r[6] for r in rows[1:]) == 5


def test_an_export_over_the_bound_is_refused(engine: sa.engine.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports_module, "MAX_ROWS", 3)
    with pytest.raises(TooManyRows, match="5 cases"):
        export(engine, select(), "cases", "csv")
