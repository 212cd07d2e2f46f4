"""A report as one self-contained HTML page from the statistics' page data (handoff.stats, the
same JSON as `GET /stats`): inline CSS, inline SVG charts (handoff/reports/charts.py), no script,
no external file, so the page is the same in a browser, in a mail attachment and as Chromium's
PDF (handoff/reports/pdf.py).

Labels are in Chinese and English side by side: one file serves every reader, and a report
printed once is never "in the wrong language". Categories, severities and channels are called
what the console calls them (core/labels.py). Every value from the data is escaped.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable, Mapping, Optional, Sequence

from core.labels import LABELS, bilingual
from handoff.reports import charts
from handoff.reports.charts import CURRENT, MISSED, esc
from handoff.reports.schedule import DAILY, Period

TITLES = {"daily": ("客服日报", "Daily service report"), "weekly": ("客服周报", "Weekly service report")}
WEEKDAYS = (("一", "Mon"), ("二", "Tue"), ("三", "Wed"), ("四", "Thu"), ("五", "Fri"), ("六", "Sat"), ("日", "Sun"))
DIMENSIONS = (("severity", "严重程度", "Severity"), ("channel", "渠道", "Channel"),
              ("language", "语言", "Language"), ("team", "团队", "Team"))
CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       color: #222; margin: 0 auto; max-width: 720px; font-size: 12px; line-height: 1.45; }
h1 { font-size: 20px; margin: 8px 0 2px; }
h2 { font-size: 14px; margin: 18px 0 6px; border-bottom: 1px solid #ccd; padding-bottom: 2px; }
p { margin: 2px 0; }
.muted { color: #666; }
section { break-inside: avoid; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #e3e7ee; padding: 3px 6px; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: #b02a2a; } .good { color: #1d7a3a; }
.grid { display: flex; flex-wrap: wrap; gap: 0 16px; } .grid > div { flex: 1 1 300px; }
.key { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px; }
.key.current { background: #3366cc; } .key.previous { background: #b8c4d9; }
svg { display: block; margin: 4px 0; }
"""


def render(data: Mapping[str, Any], period: Period, generated: datetime) -> str:
    """The report of `period` from its page data; `generated`: when (local time) it was made."""
    zh, en = TITLES[period.kind]
    dates = _span(period.start, period.end)
    previous = data.get("range", {}).get("previous") or {}
    tz = data.get("range", {}).get("tz", "")
    parts = [
        f"<header><h1>{zh} · {en}</h1>",
        f"<p><strong>{esc(dates)}</strong> <span class='muted'>({esc(tz)})</span></p>",
        f"<p class='muted'>上期 Previous period: {esc(_span_text(previous))} · "
        f"生成于 Generated {esc(generated.strftime('%Y-%m-%d %H:%M'))}</p></header>",
        _section("关键指标", "Key figures", _kpis(data.get("kpis", {}))),
        _volume(data.get("volume", {}), period),
        _categories(data.get("volume", {}).get("by", {}).get("category", [])),
        _section("构成", "Breakdown", _breakdown(data.get("volume", {}).get("by", {}))),
        _section("时段热力图", "Hour-of-week heatmap",
                 charts.heatmap(data.get("heatmap", {}).get("cells", []), [f"周{z} {e}" for z, e in WEEKDAYS],
                                "hour-of-week heatmap")),
        _section("处理时长与 SLA", "Handling time and SLA", _times(data.get("times", {}))),
        _section("满意度", "Satisfaction (CSAT)", _csat(data.get("csat", {}))),
        _section("重复联系与机器人", "Repeat contact and the bot", _bot(data)),
    ]
    return ("<!doctype html>\n<html lang='zh-Hans'><head><meta charset='utf-8'>"
            f"<title>{zh} {en} {esc(dates)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def _section(zh: str, en: str, body: str) -> str:
    return f"<section><h2>{zh} · {en}</h2>{body}</section>"


# --- key figures ------------------------------------------------------------------------------

# key, zh, en, kind of number; BETTER_UP: a rise is good news (green), for the others bad news (red)
KPIS: tuple[tuple[str, str, str, str], ...] = (
    ("cases", "工单", "Cases", "count"), ("handoffs", "转人工", "Handoffs to a person", "count"),
    ("breaches", "SLA 超时", "SLA breaches", "count"),
    ("first_response_p50_s", "首次响应中位数", "First response, median", "duration"),
    ("resolution_p50_s", "解决时长中位数", "Resolution, median", "duration"),
    ("sla_hit_rate", "SLA 达成率", "SLA hit rate", "rate"), ("csat_average", "满意度均分", "CSAT average", "score"),
    ("repeat_contact_rate", "重复联系率", "Repeat-contact rate", "rate"),
    ("containment_rate", "机器人独立解决率", "Bot containment", "rate"),
)
BETTER_UP = ("sla_hit_rate", "csat_average", "containment_rate")


def _kpis(kpis: Mapping[str, Any]) -> str:
    rows = ["<table><tr><th>指标 Metric</th><th class='n'>本期 This period</th><th class='n'>上期 Previous</th>"
            "<th class='n'>变化 Change</th></tr>"]
    for key, zh, en, kind in KPIS:
        figure = kpis.get(key) or {}
        current, previous = _num(figure.get("current")), _num(figure.get("previous"))
        rows.append(f"<tr><td>{zh} {en}</td><td class='n'><strong>{FORMATS[kind](current)}</strong></td>"
                    f"<td class='n'>{FORMATS[kind](previous)}</td>"
                    f"<td class='n'>{_change(current, previous, kind, key in BETTER_UP)}</td></tr>")
    return "".join(rows) + "</table>"


def _change(current: Optional[float], previous: Optional[float], kind: str, better_up: bool) -> str:
    """Rates change in percentage points; counts, times and scores relative to the previous period."""
    if current is None or previous is None:
        return "—"
    if kind == "rate":
        delta = (current - previous) * 100
        text = f"{delta:+.1f} pp"
    elif previous == 0:
        return "—" if current == 0 else "new"
    else:
        delta = (current - previous) / previous * 100
        text = f"{delta:+.1f}%"
    good = delta > 0 if better_up else delta < 0
    return f"<span class='{'' if delta == 0 else 'good' if good else 'bad'}'>{text}</span>"


def _count(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _duration(value: Optional[float]) -> str:
    if value is None:
        return "—"
    seconds = int(round(value))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def _rate(value: Optional[float]) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _score(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.2f}"


FORMATS: dict[str, Callable[[Optional[float]], str]] = {"count": _count, "duration": _duration, "rate": _rate,
                                                        "score": _score}


# --- volume ---------------------------------------------------------------------------------------

def _volume(volume: Mapping[str, Any], period: Period) -> str:
    if period.kind == DAILY:  # one day: its 24 hours
        hours = [0] * 24
        for item in volume.get("by_hour", []):
            try:
                hours[datetime.fromisoformat(str(item.get("hour"))).hour] += int(item.get("count") or 0)
            except ValueError:
                continue
        chart = charts.columns([(f"{h:02d}", n) for h, n in enumerate(hours)], "cases by hour", every=2)
        return _section("每小时工单", "Cases by hour", chart)
    by_day = {str(item.get("day")): int(item.get("count") or 0) for item in volume.get("by_day", [])}
    days = [date.fromordinal(period.start.toordinal() + n) for n in range(period.days)]
    items = [(f"{d:%m-%d} {WEEKDAYS[d.weekday()][1]}", by_day.get(d.isoformat(), 0)) for d in days]
    return _section("每日工单", "Cases by day", charts.columns(items, "cases by day"))


def _categories(items: Sequence[Mapping[str, Any]]) -> str:
    bars = [(bilingual("category", str(i.get("key"))), int(i.get("count") or 0),
             None if i.get("previous") is None else int(i["previous"])) for i in items[:15]]
    legend = ("<p class='muted'><span class='key current'></span>本期 this period"
              "<span class='key previous'></span>上期 previous period (in brackets)</p>")
    return _section("投诉类别", "Cases by category", charts.rows(bars, "cases by category") + legend)


def _breakdown(by: Mapping[str, Any]) -> str:
    tables = []
    for key, zh, en in DIMENSIONS:
        lines = "".join(f"<tr><td>{esc(_name(key, i.get('key')))}</td>"
                        f"<td class='n'>{_count(_num(i.get('count')))}</td>"
                        f"<td class='n'>{_count(_num(i.get('previous')))}</td></tr>" for i in by.get(key, []))
        tables.append(f"<div><table><tr><th>{zh} {en}</th><th class='n'>本期</th><th class='n'>上期</th></tr>"
                      f"{lines or '<tr><td>—</td><td></td><td></td></tr>'}</table></div>")
    return f"<div class='grid'>{''.join(tables)}</div>"


# --- handling time, SLA, satisfaction, bot --------------------------------------------------------

def _times(times: Mapping[str, Any]) -> str:
    table = ["<table><tr><th></th><th class='n'>中位数 p50</th><th class='n'>p90</th><th class='n'>工单 n</th></tr>"]
    for key, zh, en in (("first_response", "首次响应", "First response"), ("resolution", "解决", "Resolution")):
        t = times.get(key) or {}
        table.append(f"<tr><td>{zh} {en}</td><td class='n'>{_duration(_num(t.get('p50_s')))}</td>"
                     f"<td class='n'>{_duration(_num(t.get('p90_s')))}</td>"
                     f"<td class='n'>{_count(_num(t.get('n')))}</td></tr>")
    table.append("</table>")
    for key, zh, en in (("first_response", "首次响应 SLA", "First-response SLA"),
                        ("resolution", "解决 SLA", "Resolution SLA")):
        s = (times.get("sla") or {}).get(key) or {}
        met, missed = int(s.get("met") or 0), int(s.get("missed") or 0)
        table.append(f"<p>{zh} {en}: <strong>{_rate(_num(s.get('rate')))}</strong> "
                     f"<span class='muted'>(达成 met {met}, 超时 missed {missed})</span></p>")
        table.append(charts.split_bar([("met", met, CURRENT), ("missed", missed, MISSED)], f"{en} hit rate"))
    breaches = times.get("breaches") or {}
    table.append(f"<p>超时事件 Breaches: <strong>{_count(_num(breaches.get('total')))}</strong></p>")
    return "".join(table)


def _csat(csat: Mapping[str, Any]) -> str:
    distribution = csat.get("distribution") or {}
    chart = charts.columns([(f"{s}★", int(distribution.get(str(s)) or 0)) for s in range(1, 6)],
                           "CSAT distribution", width=360, height=150)
    return (f"<div class='grid'><div>{chart}</div><div><table>"
            f"<tr><td>均分 Average</td><td class='n'><strong>{_score(_num(csat.get('average')))}</strong></td></tr>"
            f"<tr><td>评价数 Responses</td><td class='n'>{_count(_num(csat.get('responses')))}</td></tr>"
            f"<tr><td>可评价 Eligible</td><td class='n'>{_count(_num(csat.get('eligible')))}</td></tr>"
            f"<tr><td>回复率 Response rate</td><td class='n'>{_rate(_num(csat.get('response_rate')))}</td></tr>"
            "</table></div></div>")


def _bot(data: Mapping[str, Any]) -> str:
    repeat, bot = data.get("repeat_contact") or {}, data.get("bot") or {}
    rows = (("重复联系 Repeat contacts", _count(_num(repeat.get("repeat")))),
            (f"重复联系率 Repeat-contact rate ({esc(repeat.get('window_days', 7))} d)",
             _rate(_num(repeat.get("rate")))),
            ("机器人会话 Bot conversations", _count(_num(bot.get("conversations")))),
            ("独立解决 Contained by the bot", _count(_num(bot.get("contained")))),
            ("独立解决率 Containment rate", _rate(_num(bot.get("containment_rate")))),
            ("未理解率 Fallback rate", _rate(_num(bot.get("fallback_rate")))))
    return "<table>" + "".join(f"<tr><td>{a}</td><td class='n'>{b}</td></tr>" for a, b in rows) + "</table>"


# --- helpers --------------------------------------------------------------------------------------

def _name(dimension: str, key: Any) -> str:
    """"严重 severe" for a value with shared names; the value itself otherwise (languages, teams)."""
    return bilingual(dimension, str(key)) if dimension in LABELS else str(key)


def _num(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _span(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} – {end.isoformat()}"


def _span_text(previous: Mapping[str, Any]) -> str:
    start, end = str(previous.get("from", "")), str(previous.get("to", ""))
    return start if start == end else f"{start} – {end}"
