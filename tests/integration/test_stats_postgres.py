"""POSTGRES: the statistics of tests/unit/handoff/stats on a real PostgreSQL 15 server, so the
SQL that differs between the dialects (hour buckets, durations, date arithmetic, integer ranks of
the percentiles) gives the same figures as on SQLite, and so does its rollup. Select with `-k postgres`."""

from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from handoff.stats import Selection, cases, export, page_data
from handoff.stats.rollup import refresh
from handoff.store import CaseStore
from tests.pg import start_postgres
from tests.unit.handoff.stats import scenario
from tests.unit.handoff.stats.test_rollup import same_figures


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.engine.Engine]:
    url, stop = start_postgres(Path(tmp_path_factory.mktemp("pg")))
    try:
        store = CaseStore(url)
        store.create_schema()
        scenario.write(store.engine)
        yield store.engine
        store.engine.dispose()
    finally:
        stop()


def test_postgres_gives_the_weeks_figures(engine: sa.engine.Engine) -> None:
    scenario.assert_week(page_data(engine, scenario.filters(), scenario.TZ, now=scenario.NOW))


def test_postgres_filters_drills_and_exports_like_sqlite(engine: sa.engine.Engine) -> None:
    page = page_data(engine, scenario.filters(category="complain_refund"), scenario.TZ, now=scenario.NOW)
    assert page["kpis"]["cases"] == {"current": 3, "previous": 1, "change": 2.0}
    cell = cases(engine, Selection.parse({"dow": "3", "hod": "13"}, scenario.filters()))
    assert [c["id"] for c in cell["cases"]] == ["C2", "C1"] and cell["cases"][1]["first_response_s"] == 60.0
    made = export(engine, Selection.parse({}, scenario.filters()), "aggregate", "csv")
    lines = made.body.decode("utf-8-sig").splitlines()
    assert "2026-11-26,complain_refund,general,rest,zh-Hans,general,1" in lines  # C7, local day
    assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:]) == 5


def test_postgres_rollup_gives_the_same_figures(engine: sa.engine.Engine) -> None:
    week = scenario.filters()
    november = scenario.filters(**{"from": "2026-11-01", "to": "2026-11-30"})
    raw = [page_data(engine, f, scenario.TZ, now=scenario.NOW) for f in (week, november)]
    done = refresh(engine, scenario.TZ, scenario.NOW, limit=None)
    assert done.months == 1 and done.left == 0
    rolled = [page_data(engine, f, scenario.TZ, now=scenario.NOW) for f in (week, november)]
    assert rolled[0]["sources"]["rolled_days"] == 7 and rolled[1]["sources"]["rolled_months"] == 1
    same_figures(rolled[0], raw[0])
    same_figures({**rolled[1], "volume": {**rolled[1]["volume"], "by_hour": raw[1]["volume"]["by_hour"],
                                          "by_hour_complete": True}}, raw[1])
