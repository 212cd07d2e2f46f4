"""The rollup gives the page the cases' own figures, and stops being read the moment they change."""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from handoff.models import CaseRow, RatingRow
from handoff.stats import page_data
from handoff.stats.rollup import forget, refresh
from tests.unit.handoff.stats.scenario import NOW, TZ, assert_week, filters


def same_figures(rolled: dict[str, Any], raw: dict[str, Any]) -> None:
    """Everything equal, except that percentiles over rolled days are bucket estimates (≤ 5 %)."""
    for kind in ("first_response", "resolution"):
        for q in ("p50_s", "p90_s"):
            exact, estimate = raw["times"][kind][q], rolled["times"][kind][q]
            assert (exact is None) == (estimate is None)
            if exact is not None:
                assert abs(estimate - exact) <= 0.05 * exact + 1, (kind, q, estimate, exact)
    def plain(page: dict[str, Any]) -> dict[str, Any]:
        times = {k: v for k, v in page["times"].items() if k not in ("first_response", "resolution", "percentiles")}
        counts = {k: page["times"][k]["n"] for k in ("first_response", "resolution")}
        return {**{k: v for k, v in page.items() if k not in ("times", "sources", "kpis")}, "times": times,
                "n": counts, "kpis": {k: v for k, v in page["kpis"].items() if not k.endswith("_p50_s")}}
    assert plain(rolled) == plain(raw)


def test_rolled_days_give_the_same_week(engine: sa.engine.Engine) -> None:
    raw = page_data(engine, filters(), TZ, now=NOW)
    done = refresh(engine, TZ, NOW, limit=None)
    assert done.days >= 7 and done.left == 0
    rolled = page_data(engine, filters(), TZ, now=NOW)
    assert rolled["sources"]["rolled_days"] == 7 and rolled["sources"]["raw_days"] == 0
    assert rolled["times"]["percentiles"] == "estimated" and raw["times"]["percentiles"] == "exact"
    same_figures(rolled, raw)
    assert rolled["volume"]["by_hour"] == raw["volume"]["by_hour"]


def test_a_whole_month_is_read_from_its_sum(engine: sa.engine.Engine) -> None:
    november = filters(**{"from": "2026-11-01", "to": "2026-11-30", "category": "complain_refund"})
    raw = page_data(engine, november, TZ, now=NOW)
    done = refresh(engine, TZ, NOW, limit=None)
    assert done.months == 1  # December has not ended
    rolled = page_data(engine, november, TZ, now=NOW)
    assert rolled["sources"] == {"rolled_days": 30, "rolled_months": 1, "raw_days": 0}
    same_figures({**rolled, "volume": {**rolled["volume"], "by_hour": raw["volume"]["by_hour"],
                                       "by_hour_complete": True}}, raw)
    assert rolled["volume"]["by_hour_complete"] is False  # a month keeps days and hours of the week, not hours


def test_a_case_changed_after_the_roll_is_counted_at_once(engine: sa.engine.Engine) -> None:
    refresh(engine, TZ, NOW, limit=None)
    later = NOW + timedelta(minutes=1)
    cases = CaseRow.__table__
    with engine.begin() as connection:  # C3 (the 28th in Shanghai), resolved and rated now
        connection.execute(sa.update(cases).where(cases.c.id == "C3")
                           .values(resolved_at=later, updated_at=later, state="resolved"))
        connection.execute(sa.insert(RatingRow.__table__).values(case_id="C3", score=4, comment="", at=later))
    moment = later + timedelta(seconds=5)
    page = page_data(engine, filters(), TZ, now=moment)
    assert page["csat"]["responses"] == 3 and page["csat"]["eligible"] == 4
    assert page["sources"]["raw_days"] == 1  # the 28th, read from its cases
    assert refresh(engine, TZ, moment + timedelta(minutes=1)).days == 1  # the job rolls it again
    again = page_data(engine, filters(), TZ, now=moment + timedelta(minutes=1))
    assert again["sources"]["raw_days"] == 0
    assert again["csat"] == page["csat"] and again["times"]["sla"] == page["times"]["sla"]


def test_an_sla_falling_due_after_the_roll_is_counted(engine: sa.engine.Engine) -> None:
    refresh(engine, TZ, NOW, limit=None)
    late = NOW + timedelta(days=30)  # C7's resolution (due 30 days after it) has now been missed
    rolled = page_data(engine, filters(), TZ, now=late)
    assert rolled["sources"]["raw_days"] == 0  # its due time is in the rollup: no need to read the cases
    assert rolled["times"]["sla"]["resolution"]["missed"] == 3
    forget(engine, TZ)
    assert page_data(engine, filters(), TZ, now=late)["times"]["sla"] == rolled["times"]["sla"]


def test_the_week_is_still_the_week_after_a_roll(engine: sa.engine.Engine) -> None:
    refresh(engine, TZ, NOW, limit=None)
    page = page_data(engine, filters(), TZ, now=NOW)
    page["times"]["first_response"] = {"p50_s": 180.0, "p90_s": 276.0, "n": 2}  # estimates checked above
    page["times"]["resolution"] = {"p50_s": 3600.0, "p90_s": 69840.0, "n": 3}
    assert_week(page)
