"""The statistics page's figures for a known week, on a SQLite file store."""

import sqlalchemy as sa

from handoff.stats import page_data
from tests.unit.handoff.stats.scenario import NOW, TZ, assert_week, filters


def test_the_week_gives_the_figures_a_supervisor_expects(engine: sa.engine.Engine) -> None:
    assert_week(page_data(engine, filters(), TZ, now=NOW))


def test_a_category_filter_narrows_every_figure_and_keeps_the_menus(engine: sa.engine.Engine) -> None:
    page = page_data(engine, filters(category="complain_refund"), TZ, now=NOW)
    assert page["filters"]["category"] == ["complain_refund"]
    assert page["kpis"]["cases"] == {"current": 3, "previous": 1, "change": 2.0}
    assert [row["key"] for row in page["volume"]["by"]["category"]] == ["complain_refund"]
    assert page["times"]["first_response"]["n"] == 2 and page["times"]["breaches"]["total"] == 1
    assert page["csat"]["responses"] == 2 and page["repeat_contact"]["repeat"] == 1
    # the menus still offer what else there is, and every severity
    assert page["options"]["category"] == ["complain_delivery", "complain_refund", "order_status"]
    assert page["options"]["severity"] == ["none", "general", "important", "severe"]
    assert page["bot"]["conversations"] == 3  # a conversation without a case has no category


def test_channel_and_language_filters_reach_the_bot_figures(engine: sa.engine.Engine) -> None:
    page = page_data(engine, filters(channel="socketio", language="en"), TZ, now=NOW)
    assert page["kpis"]["cases"]["current"] == 1  # C2
    assert page["bot"] == {"conversations": 1, "contained": 1, "containment_rate": 1.0, "turns": 1,
                           "fallbacks": 1, "fallback_rate": 1.0}


def test_an_empty_range_has_unknown_rates_not_zero(engine: sa.engine.Engine) -> None:
    page = page_data(engine, filters(**{"from": "2025-01-01", "to": "2025-01-07"}), TZ, now=NOW)
    assert page["kpis"]["cases"] == {"current": 0, "previous": 0, "change": None}
    assert page["times"]["first_response"] == {"p50_s": None, "p90_s": None, "n": 0}
    assert page["kpis"]["sla_hit_rate"]["current"] is None and page["csat"]["average"] is None


def test_the_page_never_carries_summaries_packages_or_contacts(engine: sa.engine.Engine) -> None:
    text = repr(page_data(engine, filters(), TZ, now=NOW))
    assert "13812345678" not in text and "摘要" not in text and "secret" not in text
