"""The report page: the numbers of the page data, in Chinese and English, every value from the data
escaped, and nothing that would load or run anything."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import cast

import pytest

from core.labels import LABELS, bilingual
from handoff.reports.render import render
from handoff.reports.schedule import daily, weekly
from tests.unit.handoff.reports.sample import page

GENERATED = datetime(2026, 11, 30, 6, 0)
ATTACK = "<script>alert('x')</script>\"onload=\"x"


def test_the_page_shows_the_key_figures_with_the_previous_period_and_the_change() -> None:
    html = render(page(), weekly(date(2026, 11, 23)), GENERATED)
    assert "客服周报" in html and "Weekly service report" in html
    assert "2026-11-23 – 2026-11-29" in html and "2026-11-16 – 2026-11-22" in html and "Asia/Shanghai" in html
    row = re.search(r"<tr><td>工单 Cases</td>(.*?)</tr>", html)
    assert row is not None
    assert "<strong>120</strong>" in row.group(1) and ">90<" in row.group(1) and "+33.3%" in row.group(1)
    assert "42 s" in html and "1 h 0 min" in html and "1 d 0 h" in html  # first response, resolution, p90
    assert "90.0%" in html and "+5.0 pp" in html  # SLA hit rate, in percentage points
    assert "4.20" in html and "63.3%" in html  # CSAT average, response rate
    assert "退款 refund" in html and "物流配送 delivery" in html


def test_a_worse_figure_is_red_and_a_better_one_green() -> None:
    html = render(page(), weekly(date(2026, 11, 23)), GENERATED)
    assert "<span class='bad'>+33.3%</span>" in html  # more cases
    assert "<span class='good'>+5.0 pp</span>" in html  # a higher SLA hit rate
    assert "<span class='good'>-22.2%</span>" in html  # fewer breaches


def test_a_weekly_report_draws_its_seven_days_and_a_daily_one_its_hours() -> None:
    week = render(page(), weekly(date(2026, 11, 23)), GENERATED)
    assert "Cases by day" in week and "11-23 Mon" in week and "11-29 Sun" in week and ">39<" in week
    day = render(page(), daily(date(2026, 11, 29)), GENERATED)
    assert "客服日报" in day and "Cases by hour" in day and ">21<" in day and ">11<" in day


def test_every_value_from_the_data_is_escaped() -> None:
    data = page(ATTACK)
    data["volume"]["by"]["team"] = [{"key": ATTACK, "count": 1, "previous": 0}]
    data["range"]["tz"] = ATTACK
    html = render(data, weekly(date(2026, 11, 23)), GENERATED)
    assert "<script" not in html and "alert('x')" not in html and '"onload="' not in html
    assert html.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;onload=&quot;x") >= 3


def test_the_page_is_self_contained() -> None:
    html = render(page(), weekly(date(2026, 11, 23)), GENERATED)
    assert "<script" not in html and " src=" not in html and " href=" not in html and "@import" not in html
    assert " style=" not in html  # only the <style> block: the served page's policy allows no more
    assert html.count("<svg") == 6  # by day, by category, heatmap, two SLA bars, CSAT


def test_a_period_without_data_renders_dashes_not_errors() -> None:
    html = render({}, daily(date(2026, 11, 29)), GENERATED)
    assert "客服日报" in html and "—" in html


def test_categories_severities_and_channels_are_called_what_the_console_calls_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The report reads the one definition (core/labels.py), not a copy of it: a name changed
    there is the name in the next report."""
    data = page()
    data["volume"]["by"]["channel"] = [{"key": "telegram", "count": 100, "previous": 80}]
    html = render(data, weekly(date(2026, 11, 23)), GENERATED)
    assert bilingual("category", "complain_refund") in html and "退款 refund" in html
    assert "严重 severe" in html and "<td>Telegram</td>" in html
    categories = cast(dict[str, dict[str, str]], LABELS["category"])
    monkeypatch.setitem(categories, "complain_refund", {"zh": "退款纠纷", "en": "refund dispute"})
    renamed = render(data, weekly(date(2026, 11, 23)), GENERATED)
    assert "退款纠纷 refund dispute" in renamed and "退款 refund" not in renamed
