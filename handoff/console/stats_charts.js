// The statistics page's charts: one builder per chart, from the page data of GET /stats to an
// ECharts option, plus what a click on a bar or cell drills down to (the filters of
// GET /stats/cases). Server strings reach ECharts as data, never as HTML: axis labels, legends
// and tooltips are drawn on the canvas (tooltip renderMode "richText"), so no markup is parsed.

import { label, t } from "./i18n.js";
import { fmtDuration, fmtPercent } from "./format.js";

/** Chinese must be readable in the canvas: fonts with CJK glyphs first (Linux, then Windows). */
export const FONT = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif';
export const SEVERITIES = ["severe", "important", "general", "none"];
const COLORS = { severe: "#d32f2f", important: "#ef6c00", general: "#1e88e5", none: "#9e9e9e" }; // console.css
const CURRENT = "#0b6bcb";
const PREVIOUS = "#b0bec5";

function base(extra) {
  return {
    animation: false, // drawn at once: screenshots and clicks see the final bars
    textStyle: { fontFamily: FONT },
    tooltip: { trigger: "item", renderMode: "richText", textStyle: { fontFamily: FONT } },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    ...extra,
  };
}

function empty(option, rows) {
  if (rows) return option;
  return { ...option, title: { text: t("noData"), left: "center", top: "middle", textStyle: { fontFamily: FONT, color: "#6a737d", fontSize: 13 } } };
}

/** Every day from `from` to `to` (YYYY-MM-DD, inclusive): days without cases are drawn as 0. */
export function daysBetween(from, to) {
  const days = [];
  if (!from || !to) return days;
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= end && days.length < 1000; at += 86400000) {
    days.push(new Date(at).toISOString().slice(0, 10));
  }
  return days;
}

/** Per-day counts by severity: `by_day_severity` rows ({day, severity, count}) when the API sends
 * them, else each `by_day` row's own `by_severity` map; null when there are none. */
function daySeverity(volume) {
  const table = {};
  let found = false;
  for (const row of volume.by_day_severity || []) {
    (table[row.day] ||= {})[row.severity] = row.count;
    found = true;
  }
  for (const row of volume.by_day || []) {
    if (row.by_severity && typeof row.by_severity === "object") {
      table[row.day] = { ...row.by_severity };
      found = true;
    }
  }
  return found ? table : null;
}

function byDay(data) {
  const volume = data.volume || {};
  const days = daysBetween(data.range?.from, data.range?.to);
  const counts = Object.fromEntries((volume.by_day || []).map((r) => [r.day, r.count]));
  for (const day of Object.keys(counts)) if (!days.includes(day)) days.push(day);
  days.sort();
  const split = daySeverity(volume);
  const series = split
    ? SEVERITIES.map((sev) => ({
      id: `severity:${sev}`, name: label("severity", sev), type: "bar", stack: "day", itemStyle: { color: COLORS[sev] },
      data: days.map((d) => split[d]?.[sev] || 0),
    }))
    : [{ id: "cases", name: t("seriesCases"), type: "bar", itemStyle: { color: CURRENT }, data: days.map((d) => counts[d] || 0) }];
  const option = base({
    legend: { top: 0, textStyle: { fontFamily: FONT } },
    xAxis: { type: "category", data: days, axisLabel: { formatter: (d) => d.slice(5) } },
    yAxis: { type: "value", minInterval: 1 },
    series,
  });
  const drill = (p) => ({ day: days[p.dataIndex], ...(split ? { severity: SEVERITIES[p.seriesIndex] } : {}) });
  return { option: empty(option, (volume.by_day || []).length), drill };
}

function byCategory(data) {
  const rows = [...(data.volume?.by?.category || [])].sort((a, b) => a.count - b.count); // largest on top
  const keys = rows.map((r) => r.key);
  const option = base({
    legend: { top: 0, textStyle: { fontFamily: FONT } },
    grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
    yAxis: { type: "category", data: keys, axisLabel: { formatter: (k) => label("category", k) } },
    xAxis: { type: "value", minInterval: 1 },
    series: [
      { id: "current", name: t("seriesCurrent"), type: "bar", itemStyle: { color: CURRENT }, data: rows.map((r) => r.count),
        label: { show: true, position: "right" } },
      { id: "previous", name: t("seriesPrevious"), type: "bar", itemStyle: { color: PREVIOUS }, data: rows.map((r) => r.previous ?? 0) },
    ],
  });
  return { option: empty(option, rows.length), drill: (p) => (p.seriesIndex === 0 ? { category: keys[p.dataIndex] } : null) };
}

function categorySeverity(data) {
  const rows = data.volume?.category_severity || [];
  const keys = [...new Set(rows.map((r) => r.category))].sort();
  const count = (cat, sev) => rows.find((r) => r.category === cat && r.severity === sev)?.count || 0;
  const option = base({
    legend: { top: 0, textStyle: { fontFamily: FONT } },
    xAxis: { type: "category", data: keys, axisLabel: { formatter: (k) => label("category", k), interval: 0, rotate: keys.length > 4 ? 30 : 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: SEVERITIES.map((sev) => ({
      id: `severity:${sev}`, name: label("severity", sev), type: "bar", stack: "sev", itemStyle: { color: COLORS[sev] },
      data: keys.map((k) => count(k, sev)),
    })),
  });
  return { option: empty(option, rows.length), drill: (p) => ({ category: keys[p.dataIndex], severity: SEVERITIES[p.seriesIndex] }) };
}

function byDimension(dimension, group) {
  return (data) => {
    const rows = data.volume?.by?.[dimension] || [];
    const keys = rows.map((r) => r.key);
    const name = (k) => (group ? label(group, k) : k === null || k === "" ? t("none") : String(k));
    const option = base({
      xAxis: { type: "category", data: keys, axisLabel: { formatter: name, interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ id: dimension, name: t("seriesCases"), type: "bar", itemStyle: { color: CURRENT }, barMaxWidth: 40,
        data: rows.map((r) => r.count), label: { show: true, position: "top" } }],
    });
    return { option: empty(option, rows.length), drill: (p) => ({ [dimension]: keys[p.dataIndex] }) };
  };
}

function times(data) {
  const first = data.times?.first_response || {};
  const resolution = data.times?.resolution || {};
  // Seconds on a log axis: a 30-second first response and a 2-day resolution are both readable.
  // A log axis has no 0 and its bars start at 1: shorter values are drawn at 1 s, their labels
  // say the real figure.
  const bar = (id, name, color, values) => ({
    id, name, type: "bar", itemStyle: { color },
    data: values.map((s) => (s === null || s === undefined ? null : Math.max(1, s))),
    label: { show: true, position: "right", formatter: (p) => fmtDuration(values[p.dataIndex]) },
  });
  const option = base({
    legend: { top: 0, textStyle: { fontFamily: FONT } },
    grid: { left: 8, right: 64, top: 32, bottom: 8, containLabel: true },
    yAxis: { type: "category", data: [t("firstResponseShort"), t("resolutionShort")] },
    xAxis: { type: "log", min: 1, axisLabel: { formatter: (v) => fmtDuration(v) } },
    series: [bar("p50", t("p50"), CURRENT, [first.p50_s, resolution.p50_s]),
      bar("p90", t("p90"), "#7b3fb0", [first.p90_s, resolution.p90_s])],
  });
  return { option: empty(option, (first.n || 0) + (resolution.n || 0)), drill: () => null };
}

function sla(data) {
  const s = data.times?.sla || {};
  const kinds = ["first_response", "resolution"];
  const option = base({
    legend: { top: 0, textStyle: { fontFamily: FONT } },
    grid: { left: 8, right: 56, top: 32, bottom: 8, containLabel: true },
    yAxis: { type: "category", data: [t("firstResponseShort"), t("resolutionShort")] },
    xAxis: { type: "value", minInterval: 1 },
    series: [
      { id: "met", name: t("seriesMet"), type: "bar", stack: "sla", itemStyle: { color: "#2e7d32" }, data: kinds.map((k) => s[k]?.met || 0) },
      { id: "missed", name: t("seriesMissed"), type: "bar", stack: "sla", itemStyle: { color: COLORS.severe },
        data: kinds.map((k) => s[k]?.missed || 0),
        label: { show: true, position: "right", formatter: (p) => fmtPercent(s[kinds[p.dataIndex]]?.rate) } },
    ],
  });
  const n = kinds.reduce((sum, k) => sum + (s[k]?.met || 0) + (s[k]?.missed || 0), 0);
  return { option: empty(option, n), drill: () => null };
}

function csat(data) {
  const dist = data.csat?.distribution || {};
  const scores = ["1", "2", "3", "4", "5"];
  const colors = ["#d32f2f", "#ef6c00", "#fbc02d", "#7cb342", "#2e7d32"];
  const option = base({
    xAxis: { type: "category", data: scores.map((s) => `${s}★`) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ id: "csat", name: t("seriesResponses"), type: "bar", barMaxWidth: 40, label: { show: true, position: "top" },
      data: scores.map((s, i) => ({ value: dist[s] || 0, itemStyle: { color: colors[i] } })) }],
  });
  return { option: empty(option, data.csat?.responses || 0), drill: () => null };
}

function bot(data) {
  const rates = [
    [t("repeatRate"), data.repeat_contact?.rate],
    [t("containmentRate"), data.bot?.containment_rate],
    [t("fallbackRate"), data.bot?.fallback_rate],
  ];
  const option = base({
    grid: { left: 8, right: 56, top: 16, bottom: 8, containLabel: true },
    yAxis: { type: "category", data: rates.map((r) => r[0]) },
    xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    series: [{ id: "rates", name: t("seriesRate"), type: "bar", itemStyle: { color: CURRENT },
      data: rates.map((r) => (r[1] === null || r[1] === undefined ? 0 : Math.round(r[1] * 1000) / 10)),
      label: { show: true, position: "right", formatter: (p) => fmtPercent(rates[p.dataIndex][1]) } }],
  });
  const n = (data.repeat_contact?.cases || 0) + (data.bot?.conversations || 0);
  return { option: empty(option, n), drill: () => null };
}

function heatmap(data) {
  const cells = data.heatmap?.cells || [];
  const max = cells.reduce((m, c) => Math.max(m, c[2] || 0), 0);
  const days = t("weekdays").split(",");
  const option = base({
    grid: { left: 8, right: 16, top: 8, bottom: 48, containLabel: true },
    xAxis: { type: "category", data: Array.from({ length: 24 }, (_, h) => String(h)), splitArea: { show: true } },
    yAxis: { type: "category", data: days, inverse: true, splitArea: { show: true } },
    visualMap: { min: 0, max: Math.max(1, max), calculable: false, orient: "horizontal", left: "center", bottom: 0,
      itemHeight: 120, textStyle: { fontFamily: FONT }, inRange: { color: ["#f1f6fd", "#0b6bcb", "#b71c1c"] } },
    series: [{ id: "heatmap", name: t("seriesCases"), type: "heatmap", data: cells.map(([dow, hod, n]) => [hod, dow, n]),
      label: { show: false } }],
  });
  return { option: empty(option, cells.length), drill: (p) => (Array.isArray(p.data) ? { dow: p.data[1], hod: p.data[0] } : null) };
}

/** The page's charts, in page order: element id → builder. */
export const CHARTS = {
  "chart-by-day": byDay,
  "chart-by-category": byCategory,
  "chart-category-severity": categorySeverity,
  "chart-channel": byDimension("channel", "channel"),
  "chart-language": byDimension("language", null),
  "chart-team": byDimension("team", null),
  "chart-times": times,
  "chart-sla": sla,
  "chart-csat": csat,
  "chart-bot": bot,
  "chart-heatmap": heatmap,
};
