"""The supervisors' statistics page (handoff/console/stats.html) and the volume warnings (预警) in
the console's alerts panel, in a real Chromium against the real stack.

A week of closed cases is written into the stack's database through the store, dated 7 to 13
days ago (a past week no other test writes into), with a previous week before it; a complaint
through the bot makes today's case. The supervisor reads the figures the seed implies off the
ECharts instances, filters, clicks bars and cells to list their cases, downloads the exports
and reads them back, and switches the language. A spike warning written through the store is
acknowledged and closed with its review (复盘) in the console.

Screenshots go to results/screenshots/console-stats.png and console-warnings.png.
"""

from __future__ import annotations

import csv
import re
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Optional
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from core.vocabulary import CLOSED, SEVERITIES
from handoff.clock import FakeClock
from handoff.sla import SlaPolicy
from handoff.stats.rollup import forget
from handoff.store import CaseStore
from handoff.store.alerts import WarningFacts
from tests.integration import test_console
from tests.integration.conftest import Agent, Customer, create_agent
from tests.integration.test_console import Console
from tests.integration.test_handoff import case_id_in
from tools.stack import Stack

XSS = "<img src=x onerror=alert(1)>"
browser, open_console = test_console.browser, test_console.open_console  # the console tests' Chromium set-up
# The centre of a bar (its drawn rectangle) or of a heatmap cell, in page coordinates, after
# scrolling the chart into view: where a person would click.
BAR_CENTRE = """([id, seriesIndex, dataIndex]) => {
  const el = document.getElementById(id);
  el.scrollIntoView({block: "center"});
  const chart = echarts.getInstanceByDom(el);
  const rect = chart.getModel().getSeriesByIndex(seriesIndex).getData().getItemLayout(dataIndex);
  const box = el.getBoundingClientRect();
  return [box.left + rect.x + rect.width / 2, box.top + rect.y + rect.height / 2];
}"""
CELL_CENTRE = """([id, x, y]) => {
  const el = document.getElementById(id);
  el.scrollIntoView({block: "center"});
  const [px, py] = echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, [x, y]);
  const box = el.getBoundingClientRect();
  return [box.left + px, box.top + py];
}"""
OPTION = "id => JSON.parse(JSON.stringify(echarts.getInstanceByDom(document.getElementById(id)).getOption()))"


@dataclass(frozen=True)
class Seed:
    day: int  # days after the range's first day (negative: the previous period)
    hour: int  # local hour
    category: str
    severity: str
    channel: str
    language: str
    team: str
    first_response_s: int
    resolution_s: int
    rating: Optional[int]


SEEDS = [
    Seed(1, 9, "complain_refund", "general", "web", "zh", "billing", 60, 3600, 5),
    Seed(1, 10, "complain_refund", "general", "telegram", "zh", "billing", 120, 7200, 4),
    Seed(1, 11, "complain_refund", "important", "web", "en", "billing", 300, 7200, 2),
    Seed(3, 9, "complain_refund", "important", "web", "zh", "billing", 90, 5400, None),
    Seed(3, 16, "complain_refund", "severe", "rest", "zh", "billing", 30, 1800, 1),
    Seed(5, 10, "complain_refund", "general", "web", "zh", "billing", 45, 3600, 5),
    Seed(2, 15, "complain_delivery", "general", "telegram", "zh", "general", 200, 86400, 3),
    Seed(2, 15, "complain_delivery", "important", "web", "en", "general", 100, 43200, None),
    Seed(4, 20, "complain_delivery", "general", "web", "zh", "general", 60, 3600, 4),
    Seed(4, 21, "complain_delivery", "important", "web", "zh", "general", 60, 3600, None),
    Seed(5, 14, "complain_product_quality", "severe", "web", "zh", "general", 20, 900, 2),
    Seed(5, 14, "complain_product_quality", "severe", "telegram", "zh", "general", 25, 1200, None),
    # the previous week
    Seed(-6, 10, "complain_refund", "general", "web", "zh", "billing", 60, 3600, None),
    Seed(-3, 11, "complain_refund", "important", "web", "zh", "billing", 60, 3600, None),
    Seed(-5, 12, "complain_delivery", "general", "web", "zh", "general", 60, 3600, None),
    Seed(-4, 12, "complain_delivery", "general", "web", "zh", "general", 60, 3600, None),
    Seed(-2, 13, "complain_delivery", "general", "web", "zh", "general", 60, 3600, None),
]


@dataclass(frozen=True)
class Week:
    start: date
    end: date
    zone: ZoneInfo
    ids: dict[Seed, str]

    def day(self, seed: Seed) -> str:
        return (self.start + timedelta(days=seed.day)).isoformat()

    @property
    def current(self) -> list[Seed]:
        return [s for s in SEEDS if s.day >= 0]

    def ids_where(self, **match: Any) -> set[str]:
        return {self.ids[s] for s in self.current if all(getattr(s, k) == v for k, v in match.items())}


def seed_week(stack: Stack) -> Week:
    """Closed cases (answered, resolved, some rated) at their past hours, and a week of figures
    that are known exactly. Their SLA targets are four weeks: the stack's SLA ticker must not find
    a past deadline in the moment between writing a case and resolving it."""
    settings = stack.settings()
    zone = ZoneInfo(settings.handoff_tz)
    start = datetime.now(zone).date() - timedelta(days=13)
    clock = FakeClock(datetime.now(timezone.utc))
    store = CaseStore(settings.database_url, clock=clock,
                      sla=SlaPolicy.from_spec(",".join(f"{s}=2419200/2419200" for s in SEVERITIES)))
    ids: dict[Seed, str] = {}
    for n, seed in enumerate(SEEDS):
        created = datetime.combine(start + timedelta(days=seed.day), time(seed.hour, 7), zone).astimezone(timezone.utc)
        clock.set(created)
        case = store.create_case(
            conversation_id=f"{seed.channel}:stats-seed-{n}", channel=seed.channel, customer_id=f"stats-seed-{n}",
            language=seed.language, category=seed.category, severity=seed.severity, emotion=None, reasons=[],
            priority=1, handoff=True, queue_status="queued", summary=f"seeded {seed.category}", team=seed.team)
        clock.set(created + timedelta(seconds=seed.first_response_s))
        store.add_message(case.id, "agent", "您好，我来处理", author="stats-seed")
        clock.set(created + timedelta(seconds=seed.resolution_s))
        store.resolve(case.id, "stats-seed", to_state=CLOSED)
        if seed.rating is not None:
            store.rate(case.id, seed.rating)
        ids[seed] = case.id
    forget(store.engine, settings.handoff_tz)  # history written with a past clock: the rollup must look again
    store.engine.dispose()
    return Week(start, start + timedelta(days=6), zone, ids)


@pytest.fixture(scope="module")
def week(stack: Stack) -> Week:
    return seed_week(stack)


def option(page: Page, chart: str) -> dict[str, Any]:
    return dict(page.evaluate(OPTION, chart))


def day_totals(chart: dict[str, Any]) -> list[int]:
    """Cases per day of the daily chart, whose bars are stacked by severity."""
    return [sum(values) for values in zip(*(series["data"] for series in chart["series"]), strict=True)]


def click_bar(page: Page, chart: str, series: int, index: int) -> None:
    x, y = page.evaluate(BAR_CENTRE, [chart, series, index])
    page.mouse.click(x, y)


def loaded(page: Page, before: int) -> int:
    """Waits for the page's next answer of GET /stats to be drawn; returns the new count."""
    expect(page.locator("body")).to_have_attribute("data-loads", str(before + 1))
    return before + 1


def show_week(page: Page, week: Week, loads: int, category: str = "") -> int:
    page.fill("#f-from", week.start.isoformat())
    page.fill("#f-to", week.end.isoformat())
    page.select_option("#f-category", [category] if category else [])
    page.click("#apply")
    return loaded(page, loads)


def stats_page(open_console: Callable[..., Console], agent: Agent, locale: str = "zh-CN") -> tuple[Console, list[str]]:
    """Signed in on the console, then to the statistics page by the header's link (same tab: the
    token goes with it). Returns the console and the browser's console errors (CSP refusals)."""
    console = open_console(locale).sign_in(agent)
    problems: list[str] = []
    console.page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    console.page.click("#stats-link")
    expect(console.page).to_have_url(re.compile(r"/console/stats\.html$"))
    expect(console.page.locator("body")).to_have_attribute("data-ready", "1")
    return console, problems


def test_supervisor_reads_filters_and_drills_into_the_statistics(
        stack: Stack, supervisor: Agent, week: Week, open_console: Callable[..., Console], tmp_path: Path) -> None:
    today = case_id_in(Customer(stack, "stats-today").say("充电宝冒烟起火，差点烧到孩子"))
    boss = create_agent(stack, "stats-boss", "supervisor")
    console, problems = stats_page(open_console, boss)
    page = console.page

    # The default range (the last 7 days) has today's complaint in today's bar.
    loads = loaded(page, 0)
    expect(page.locator("#kpis .kpi")).to_have_count(9)
    days = option(page, "chart-by-day")
    assert days["xAxis"][0]["data"][-1] == datetime.now(week.zone).date().isoformat()
    assert day_totals(days)[-1] >= 1
    assert page.evaluate("typeof echarts.version") == "string"

    # The seeded week: every chart shows exactly its figures.
    loads = show_week(page, week, loads)
    current = week.current
    expect(page.locator('#kpis [data-kpi="cases"] .kpi-value')).to_have_text(str(len(current)))
    expect(page.locator('#kpis [data-kpi="cases"] .kpi-previous')).to_have_text("上期 5")
    expect(page.locator('#kpis [data-kpi="cases"] .kpi-change')).to_have_text("▲ +140.0%")
    expect(page.locator("#range")).to_contain_text(f"{week.start.isoformat()} 至 {week.end.isoformat()}")
    days = option(page, "chart-by-day")
    per_day = Counter(week.day(s) for s in current)
    assert dict(zip(days["xAxis"][0]["data"], day_totals(days), strict=True)) == {
        (week.start + timedelta(days=d)).isoformat(): per_day.get((week.start + timedelta(days=d)).isoformat(), 0)
        for d in range(7)}
    severe = next(series for series in days["series"] if series["id"] == "severity:severe")["data"]
    assert severe == [sum(1 for s in current if s.day == d and s.severity == "severe") for d in range(7)]  # stacked
    categories = option(page, "chart-by-category")
    keys = categories["yAxis"][0]["data"]
    assert dict(zip(keys, categories["series"][0]["data"], strict=True)) == Counter(s.category for s in current)
    assert dict(zip(keys, categories["series"][1]["data"], strict=True)) == {
        "complain_refund": 2, "complain_delivery": 3, "complain_product_quality": 0}
    matrix = option(page, "chart-category-severity")
    drawn = {(cat, serie["id"].split(":")[1]): n for serie in matrix["series"]
             for cat, n in zip(matrix["xAxis"][0]["data"], serie["data"], strict=True) if n}
    assert drawn == Counter((s.category, s.severity) for s in current)
    channels = option(page, "chart-channel")
    assert dict(zip(channels["xAxis"][0]["data"], channels["series"][0]["data"], strict=True)) == Counter(
        s.channel for s in current)
    csat = option(page, "chart-csat")
    ratings = Counter(s.rating for s in current if s.rating)
    assert [d["value"] for d in csat["series"][0]["data"]] == [ratings.get(score, 0) for score in range(1, 6)]
    heat = option(page, "chart-heatmap")
    cells = {(hod, dow): n for hod, dow, n in heat["series"][0]["data"] if n}
    quality = [s for s in current if s.category == "complain_product_quality"]
    dow = (week.start + timedelta(days=quality[0].day)).weekday()
    assert cells[(14, dow)] == 2 and sum(cells.values()) == len(current)
    sla = option(page, "chart-sla")
    assert sum(sla["series"][0]["data"]) + sum(sla["series"][1]["data"]) > 0

    # A filter changes them: refunds only.
    loads = show_week(page, week, loads, "complain_refund")
    refunds = [s for s in current if s.category == "complain_refund"]
    expect(page.locator('#kpis [data-kpi="cases"] .kpi-value')).to_have_text(str(len(refunds)))
    assert sum(day_totals(option(page, "chart-by-day"))) == len(refunds)
    assert option(page, "chart-by-category")["yAxis"][0]["data"] == ["complain_refund"]

    # A range the API refuses: its message, and the figures shown stay as they were.
    page.fill("#f-from", week.end.isoformat())
    page.fill("#f-to", week.start.isoformat())
    page.click("#apply")
    expect(page.locator("#notices .notice.error")).to_contain_text(f"`from` {week.end.isoformat()} is after `to`")
    expect(page.locator('#kpis [data-kpi="cases"] .kpi-value')).to_have_text(str(len(refunds)))

    # Drill-down: a click on the delivery bar lists the delivery cases; on a day, that day's.
    loads = show_week(page, week, loads)
    keys = option(page, "chart-by-category")["yAxis"][0]["data"]
    click_bar(page, "chart-by-category", 0, keys.index("complain_delivery"))
    rows = page.locator("#drill-rows tr")
    expect(rows).to_have_count(4)
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.caseId)")) == week.ids_where(category="complain_delivery")
    expect(page.locator("#drill-what")).to_contain_text("物流配送")
    expect(page.locator("#drill-count")).to_have_text("共 4 条")

    busiest = week.start + timedelta(days=1)
    stacks = [series["id"] for series in option(page, "chart-by-day")["series"]]  # the day's bar, by severity
    click_bar(page, "chart-by-day", stacks.index("severity:general"), 1)
    expect(page.locator("#drill-what")).to_contain_text(busiest.isoformat())
    expect(rows).to_have_count(2)
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.caseId)")) == week.ids_where(day=1, severity="general")

    matrix_keys = option(page, "chart-category-severity")["xAxis"][0]["data"]
    click_bar(page, "chart-category-severity", 1, matrix_keys.index("complain_refund"))  # series 1: important
    expect(page.locator("#drill-what")).to_contain_text("重要")  # the new drill-down is drawn (the last had 2 rows too)
    expect(rows).to_have_count(2)
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.caseId)")) == week.ids_where(
        category="complain_refund", severity="important")

    x, y = page.evaluate(CELL_CENTRE, ["chart-heatmap", 14, dow])
    page.mouse.click(x, y)
    expect(page.locator("#drill-what")).to_contain_text("14:00")  # drawn (the matrix drill before it has two rows too)
    expect(rows).to_have_count(2)
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.caseId)")) == week.ids_where(
        category="complain_product_quality")
    expect(rows.first.locator("td").nth(1)).to_contain_text("14:07")  # in the shop's zone, as the cell
    page.mouse.move(0, 0)  # no tooltip in the picture
    console.shot("stats")

    # Exports: downloaded with the token, named by the server, and readable.
    with page.expect_download() as got:
        page.click('button.export[data-what="cases"][data-format="xlsx"]')
    download = got.value
    assert download.suggested_filename == f"cases-{week.start.isoformat()}_{week.end.isoformat()}.xlsx"
    saved = tmp_path / download.suggested_filename  # as the browser saved it, under the server's name
    download.save_as(saved)
    sheet = load_workbook(saved, read_only=True).worksheets[0]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    header, body = table[0], table[1:]
    assert {r[header.index("id")] for r in body} == set(week.ids_where())
    assert Counter(r[header.index("category")] for r in body) == Counter(s.category for s in current)

    with page.expect_download() as got:
        page.click('button.export[data-what="aggregate"][data-format="csv"]')
    raw = Path(got.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese
    aggregate = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert sum(int(r["count"]) for r in aggregate) == len(current)
    assert {r["day"] for r in aggregate} == {week.day(s) for s in current}

    with page.expect_download() as got:
        page.click("#drill button.drill-export[data-format='csv']")  # the heatmap cell's cases
    assert got.value.suggested_filename.endswith(".csv")
    cell = list(csv.DictReader(Path(got.value.path()).read_text(encoding="utf-8-sig").splitlines()))
    assert {r["id"] for r in cell} == week.ids_where(category="complain_product_quality")

    # zh → en: labels change, the data stays.
    expect(page.locator("h1")).to_have_text("统计与报表")
    expect(page.locator('#kpis [data-kpi="cases"] .kpi-label')).to_have_text("工单数")
    assert option(page, "chart-by-category")["series"][1]["name"] == "上期"
    # the names shared with the reports (core/labels.py, GET /console/labels.json)
    expect(page.locator('#f-category option[value="complain_refund"]')).to_have_text("退款")
    expect(page.locator('#f-channel option[value="telegram"]')).to_have_text("Telegram")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Statistics and reports")
    expect(page.locator('#kpis [data-kpi="cases"] .kpi-label')).to_have_text("Cases")
    expect(page.locator('#f-category option[value="complain_refund"]')).to_have_text("refund")
    expect(page.locator("#drill-count")).to_have_text("2 cases")
    assert option(page, "chart-by-category")["series"][1]["name"] == "previous period"
    assert option(page, "chart-heatmap")["yAxis"][0]["data"][0] == "Mon"
    assert page.title() == "Statistics and reports"

    # A case id opens the case in the console (same tab, still signed in).
    first = rows.first.get_attribute("data-case-id")
    rows.first.locator("a.case-link").click()
    expect(page.locator("#case-id")).to_have_text(first or "")
    assert today  # today's case is in the default range checked above
    assert console.errors == [] and console.dialogs == []
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems


def test_the_statistics_page_is_for_supervisors(stack: Stack, open_console: Callable[..., Console]) -> None:
    agent = create_agent(stack, "stats-agent")
    console = open_console("en-US").sign_in(agent)
    page = console.page
    expect(page.locator("#stats-link")).to_be_hidden()
    page.goto(f"{stack.handoff_url}/console/stats.html")
    expect(page.locator("#gate-text")).to_have_text("The statistics page is for supervisors.")
    expect(page.locator("#stats")).to_be_hidden()
    page.evaluate("sessionStorage.clear()")
    page.reload()
    expect(page.locator("#gate-text")).to_contain_text("Sign in on the console first")
    # Served with the console's policy: scripts from this service only, no inline code.
    with urllib.request.urlopen(f"{stack.handoff_url}/console/stats.html", timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    with urllib.request.urlopen(f"{stack.handoff_url}/console/vendor/echarts.min.js", timeout=10) as response:
        assert "javascript" in response.headers["Content-Type"] and len(response.read()) > 500_000
    assert console.errors == []


def open_warning(store: CaseStore, hours: int, **facts: Any) -> int:
    """A volume warning written as the warning runner writes one, over the last `hours`; a new
    alert even if the runner opened one for that category already."""
    now = datetime.now(timezone.utc)
    alert, opened = store.open_warning(WarningFacts(window_start=now - timedelta(hours=hours), window_end=now, **facts),
                                       still_open=lambda _latest: False)
    assert opened
    return alert.id


@pytest.fixture()
def spike(stack: Stack) -> Iterator[int]:
    """A severe spike warning about billing complaints."""
    store = CaseStore(stack.settings().database_url)
    alert_id = open_warning(
        store, 1, kind="volume_spike", category="complain_billing", level="severe", method="ears_c2", observed=21,
        expected=2.4, threshold=7.35, message=f"complain_billing: 21 complaints in the last hour, 2.4 expected {XSS}",
        details={"note": XSS}, owner="值班主管 Wang", due_at=datetime.now(timezone.utc) + timedelta(minutes=30))
    store.engine.dispose()
    yield alert_id


@pytest.fixture()
def drift(stack: Stack) -> Iterator[int]:
    """A second warning beside the spike, reviewed (closed) again when the test is done."""
    store = CaseStore(stack.settings().database_url)
    alert_id = open_warning(
        store, 6, kind="volume_drift", category="complain_delivery", level="important", method="cusum", observed=9,
        expected=5.0, threshold=8.0, message="complain_delivery: 9 complaints in six hours, 5 expected", details={},
        owner="值班主管 Li", due_at=datetime.now(timezone.utc) + timedelta(hours=2))
    yield alert_id
    store.review(alert_id, "warn-boss", "复盘：测试结束")
    store.engine.dispose()


def test_a_spike_warning_is_acknowledged_and_reviewed(stack: Stack, supervisor: Agent, spike: int, drift: int,
                                                      open_console: Callable[..., Console]) -> None:
    boss = create_agent(stack, "warn-boss", "supervisor")
    console = open_console().sign_in(boss)
    page = console.page
    item = page.locator(f'#alert-list li[data-alert-id="{spike}"]')
    expect(item).to_be_visible()
    expect(item).to_have_attribute("data-kind", "volume_spike")
    expect(item.locator(".warn-level")).to_have_text("严重预警")
    expect(item.locator(".warn-level")).to_have_attribute("data-severity", "severe")
    expect(item).to_contain_text("投诉激增")
    expect(item.locator(".warn-category")).to_have_text("扣费账单")
    expect(item.locator(".warn-observed")).to_have_text("实际 21")
    expect(item.locator(".warn-expected")).to_have_text("预期 2.4")
    expect(item.locator(".warn-threshold")).to_have_text("阈值 7.35")
    expect(item.locator(".warn-owner")).to_have_text("负责人 值班主管 Wang")
    expect(item.locator(".warn-due")).to_contain_text("响应期限")
    expect(item.locator(".alert-status")).to_have_text("待处理")
    expect(item.locator(".alert-message")).to_contain_text(XSS)  # as text
    assert page.evaluate("document.querySelectorAll('#alert-list img').length") == 0
    item.scroll_into_view_if_needed()
    page.locator("#alerts-panel").screenshot(path=str(console_shots() / "console-warnings.png"))

    # Acknowledged: still listed (the review is owed), now "已确认".
    other = page.locator(f'#alert-list li[data-alert-id="{drift}"]')
    expect(other.locator(".alert-status")).to_have_text("待处理")
    # A mark on every item, lost by an item drawn again.
    page.locator("#alert-list li").evaluate_all("items => items.forEach(i => { i.dataset.mark = 'still here' })")
    item.locator("button.ack").click()
    expect(item.locator(".acked-by")).to_have_text("已由 warn-boss 确认")
    expect(item.locator(".alert-status")).to_have_text("已确认")
    # The list was refreshed: the warning that did not change is the same element, not redrawn
    # under the supervisor's pointer; the acknowledged one was.
    expect(other).to_have_attribute("data-mark", "still here")
    expect(item).not_to_have_attribute("data-mark", "still here")
    item.locator("button.review").click()  # an empty review is refused in the page
    expect(page.locator("#notices .notice.error")).to_contain_text("请先输入内容")

    # The review (复盘) closes it: gone from "open only", kept with its note in the full list.
    item.locator("textarea.review-note").fill("复盘：扣费系统重复扣款，已退款并修复")
    item.locator("button.review").click()
    expect(page.locator("#notices .notice.info")).to_contain_text("复盘已保存")
    expect(item).to_have_count(0)
    stored = next(a for a in boss.call("GET", "/alerts")["alerts"] if a["id"] == spike)
    assert stored["status"] == "reviewed" and stored["reviewed_by"] == "warn-boss"
    assert stored["review"] == "复盘：扣费系统重复扣款，已退款并修复"
    page.uncheck("#alerts-open-only")
    expect(item.locator(".review-text")).to_have_text("复盘：扣费系统重复扣款，已退款并修复")
    expect(item.locator(".alert-status")).to_have_text("已复盘")
    page.click("#lang-switch")
    expect(item.locator(".warn-level")).to_have_text("severe warning (严重预警)")
    expect(item.locator(".warn-category")).to_have_text("billing")
    expect(item.locator(".alert-status")).to_have_text("reviewed")
    expect(item.locator(".reviewed-by")).to_contain_text("reviewed by warn-boss")
    assert console.errors == [] and console.dialogs == []


def console_shots() -> Path:
    path = Path(__file__).resolve().parents[2] / "results" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
