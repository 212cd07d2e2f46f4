// The supervisors' statistics page (/console/stats.html): filters, KPI tiles against the previous
// period, charts (ECharts, vendor/echarts.min.js), drill-down from a bar or cell to its cases,
// CSV/XLSX exports and the daily/weekly reports. Signed in with the console's token (same tab).
// Everything from the server is inserted as text (dom.js) or given to ECharts as data.

import { Api, ApiError, TOKEN_KEY } from "./api.js";
import { $, fill, h, show } from "./dom.js";
import { fmtClock, fmtDuration, fmtNumber, fmtPercent, sevChip } from "./format.js";
import { applyLabels, label, lang, loadSharedLabels, setLang, t } from "./i18n.js";
import "./i18n_stats.js";
import { notify } from "./notices.js";
import { CHARTS, FONT } from "./stats_charts.js";

const DIMENSIONS = [
  // filter name, the label of its heading, the i18n group of its values (null: shown as they are)
  ["category", "colCategory", "category"],
  ["severity", "colSeverity", "severity"],
  ["channel", "colChannel", "channel"],
  ["language", "colLanguage", null],
  ["team", "colTeam", null],
];
// KPI tiles: key in `kpis`, label, format, and whether a rise is good news.
const KPIS = [
  ["cases", "kpiCases", "count", false],
  ["handoffs", "kpiHandoffs", "count", false],
  ["breaches", "kpiBreaches", "count", false],
  ["first_response_p50_s", "kpiFirstResponse", "duration", false],
  ["resolution_p50_s", "kpiResolution", "duration", false],
  ["sla_hit_rate", "kpiSlaHitRate", "percent", true],
  ["csat_average", "kpiCsat", "score", true],
  ["repeat_contact_rate", "kpiRepeat", "percent", false],
  ["containment_rate", "kpiContainment", "percent", true],
];
const DRILL_LIMIT = 100;
const REPORT_FILE = /^\/reports\/[A-Za-z0-9._-]+$/; // only the API's own report files get the token

const state = { api: null, me: null, data: null, params: null, drill: null, reports: [], charts: new Map(), loads: 0 };

// ---- filters ----------------------------------------------------------------------------------

/** The filters as the API takes them: from, to, and comma-separated values per dimension. */
function filterParams() {
  const params = new URLSearchParams();
  for (const name of ["from", "to"]) {
    const value = $(`#f-${name}`).value;
    if (value) params.set(name, value);
  }
  for (const [name] of DIMENSIONS) {
    const picked = [...$(`#f-${name}`).selectedOptions].map((o) => o.value);
    if (picked.length) params.set(name, picked.join(","));
  }
  return params;
}

/** The filters of the figures on the page (edits not yet applied do not count). */
function shown() {
  return new URLSearchParams(state.params || "");
}

function valueName(group, value) {
  if (group) return label(group, value);
  return value === null || value === undefined || value === "" ? t("none") : String(value);
}

function renderFilters() {
  const data = state.data;
  if (!data) return;
  for (const [name, , group] of DIMENSIONS) {
    const select = $(`#f-${name}`);
    const chosen = new Set((data.filters?.[name] || []).map(String));
    const options = [...new Set([...(data.options?.[name] || []), ...chosen].map(String))];
    fill(select, options.map((v) => h("option", { value: v, selected: chosen.has(v) }, valueName(group, v))));
    for (const option of select.options) option.selected = chosen.has(option.value);
  }
  if (data.range) {
    $("#f-from").value = data.range.from || "";
    $("#f-to").value = data.range.to || "";
    const prev = data.range.previous || {};
    $("#range").textContent = t("rangeLabel", { from: data.range.from, to: data.range.to, tz: data.range.tz || "",
      pfrom: prev.from || "—", pto: prev.to || "—" });
  }
}

// ---- KPI tiles --------------------------------------------------------------------------------

function kpiValue(kind, value) {
  if (value === null || value === undefined) return "—";
  if (kind === "duration") return fmtDuration(value);
  if (kind === "percent") return fmtPercent(value);
  if (kind === "score") return Number(value).toFixed(2);
  return fmtNumber(value);
}

function renderKpis() {
  const kpis = state.data?.kpis || {};
  fill($("#kpis"), KPIS.map(([key, name, kind, riseIsGood]) => {
    const k = kpis[key] || {};
    const change = typeof k.change === "number" && Number.isFinite(k.change) ? k.change : null;
    const trend = change === null ? "none" : change > 0 ? "up" : change < 0 ? "down" : "flat";
    const good = trend === "up" ? riseIsGood : trend === "down" ? !riseIsGood : null;
    const arrow = { up: "▲", down: "▼", flat: "＝", none: "" }[trend];
    return h("div", { class: "kpi card", dataset: { kpi: key, current: k.current ?? "" } },
      h("div", { class: "kpi-label" }, t(name)),
      h("div", { class: "kpi-value" }, kpiValue(kind, k.current)),
      h("div", { class: "kpi-change", dataset: { trend, good: good === null ? "" : String(good) } },
        change === null ? "—" : change === 0 ? t("noChange") : `${arrow} ${change > 0 ? "+" : ""}${(change * 100).toFixed(1)}%`),
      h("div", { class: "kpi-previous muted small" }, t("previousValue", { value: kpiValue(kind, k.previous) })));
  }));
}

// ---- charts -----------------------------------------------------------------------------------

function chartFor(id) {
  let entry = state.charts.get(id);
  if (!entry) {
    const instance = window.echarts.init($(`#${id}`), null, { renderer: "canvas" });
    entry = { instance, drill: () => null };
    instance.on("click", (params) => {
      const filters = entry.drill(params);
      if (filters && Object.values(filters).every((v) => v !== undefined && v !== null)) drillDown(filters);
    });
    state.charts.set(id, entry);
  }
  return entry;
}

function renderCharts() {
  const data = state.data;
  if (!data) return;
  for (const [id, build] of Object.entries(CHARTS)) {
    const entry = chartFor(id);
    const { option, drill } = build(data);
    entry.drill = drill;
    entry.instance.setOption({ ...option, textStyle: { fontFamily: FONT } }, { notMerge: true });
  }
  const c = data.csat || {};
  $("#note-csat").textContent = t("csatSummary", { average: c.average === null || c.average === undefined ? "—" : Number(c.average).toFixed(2),
    rate: fmtPercent(c.response_rate), responses: fmtNumber(c.responses ?? 0), eligible: fmtNumber(c.eligible ?? 0) });
  const b = data.bot || {};
  $("#note-bot").textContent = t("botSummary", { conversations: fmtNumber(b.conversations ?? 0),
    contained: fmtNumber(b.contained ?? 0), fallbacks: fmtNumber(b.fallbacks ?? 0), turns: fmtNumber(b.turns ?? 0) });
  const br = data.times?.breaches || {};
  $("#note-sla").textContent = t("slaSummary", { total: fmtNumber(br.total ?? 0), first: fmtNumber(br.first_response ?? 0),
    resolution: fmtNumber(br.resolution ?? 0) });
}

// ---- drill-down -------------------------------------------------------------------------------

function describe(filters) {
  const days = t("weekdays").split(",");
  return Object.entries(filters).map(([key, value]) => {
    if (key === "dow") return null;
    if (key === "hod") return `${days[filters.dow] ?? filters.dow} ${String(value).padStart(2, "0")}:00`;
    if (key === "category") return label("category", value);
    if (key === "severity" || key === "channel") return label(key, value);
    return String(value);
  }).filter(Boolean);
}

async function drillDown(filters) {
  const params = shown();
  for (const [key, value] of Object.entries(filters)) params.set(key, String(value));
  params.set("limit", String(DRILL_LIMIT));
  const panel = $("#drill");
  show(panel, true);
  panel.dataset.state = "loading";
  try {
    const data = await state.api.get(`/stats/cases?${params}`);
    state.drill = { filters, total: data.total ?? 0, cases: data.cases || [] };
    renderDrill();
    panel.scrollIntoView({ block: "nearest" });
  } catch (exc) {
    showError(exc);
  } finally {
    panel.dataset.state = "ready";
  }
}

/** The shop's zone (HANDOFF_TZ), in which the page's days and hours are counted. */
function zoneOf() {
  return state.data?.range?.tz || undefined;
}

function seconds(value) {
  return value === null || value === undefined ? "—" : fmtDuration(value);
}

function renderDrill() {
  const drill = state.drill;
  show($("#drill"), Boolean(drill));
  if (!drill) return;
  const panel = $("#drill");
  panel.dataset.total = String(drill.total);
  fill($("#drill-what"), describe(drill.filters).map((text) => h("span", { class: "chip" }, text)));
  $("#drill-count").textContent = drill.cases.length < drill.total
    ? t("drillShown", { total: drill.total, shown: drill.cases.length }) : t("drillTotal", { total: drill.total });
  fill($("#drill-rows"), drill.cases.map((c) => h("tr", { dataset: { caseId: c.id, category: c.category, severity: c.severity } },
    h("td", {}, h("a", { class: "case-link", href: `/console/index.html#case=${encodeURIComponent(c.id)}` }, c.id)),
    h("td", {}, fmtClock(c.created_at, zoneOf())),
    h("td", {}, label("category", c.category)),
    h("td", {}, sevChip(c.severity)),
    h("td", {}, c.channel ? label("channel", c.channel) : ""),
    h("td", {}, c.language ?? ""),
    h("td", {}, c.team ?? ""),
    h("td", {}, label("state", c.state)),
    h("td", {}, c.handoff ? t("yes") : t("no")),
    h("td", { class: "num" }, seconds(c.first_response_s)),
    h("td", { class: "num" }, seconds(c.resolution_s)),
    h("td", { class: "num" }, c.rating ?? "—"))));
}

// ---- exports and reports ------------------------------------------------------------------------

/** An export of the page's filters, or of the cases listed in the drill-down (its bar or cell too). */
async function exportFile(button, drilled = false) {
  const params = shown();
  if (drilled && state.drill) for (const [key, value] of Object.entries(state.drill.filters)) params.set(key, String(value));
  params.set("format", button.dataset.format);
  params.set("what", button.dataset.what || "cases");
  await download(button, `/stats/export?${params}`);
}

async function download(button, path) {
  button.disabled = true;
  try {
    const name = await state.api.download(path);
    notify("info", t("downloaded", { name }));
  } catch (exc) {
    showError(exc);
  } finally {
    button.disabled = false;
  }
}

async function loadReports() {
  try {
    const data = await state.api.get("/reports");
    state.reports = data.reports || [];
  } catch (exc) {
    state.reports = [];
    if (!(exc instanceof ApiError && exc.status === 404)) showError(exc);
  }
  renderReports();
}

function renderReports() {
  fill($("#report-rows"), state.reports.map((r) => h("tr", { dataset: { report: r.name, period: r.period } },
    h("td", {}, r.name),
    h("td", {}, label("period", r.period)),
    h("td", {}, r.from === r.to ? r.from : `${r.from} – ${r.to}`),
    h("td", {}, fmtClock(r.created_at, zoneOf())),
    h("td", { class: "files" }, Object.entries(r.files || {}).filter(([, path]) => REPORT_FILE.test(String(path)))
      .map(([kind, path]) => h("button", {
        type: "button", class: "small report-file", dataset: { kind }, onclick: (event) => download(event.currentTarget, path),
      }, kind.toUpperCase()))))));
  show($("#reports-empty"), state.reports.length === 0);
}

// ---- loading, signing in, language ------------------------------------------------------------

function showError(exc) {
  if (exc instanceof ApiError) {
    notify("error", exc.status === 0 ? `${t("network")}: ${exc.message}` : exc.message, exc.code);
    if (exc.status === 401) gate("needSignIn");
    return;
  }
  console.error(exc);
  notify("error", String(exc));
}

async function load(params = filterParams()) {
  const button = $("#apply");
  button.disabled = true;
  try {
    state.data = await state.api.get(`/stats?${params}`);
    state.params = params;
    state.drill = null;
    renderAll();
    state.loads += 1;
    document.body.dataset.loads = String(state.loads);
  } catch (exc) {
    showError(exc);
  } finally {
    button.disabled = false;
  }
}

function renderAll() {
  renderFilters();
  renderKpis();
  renderCharts();
  renderDrill();
  renderReports();
}

function gate(key) {
  show($("#stats"), false);
  show($("#gate"), true);
  $("#gate-text").dataset.key = key;
  $("#gate-text").textContent = t(key);
}

function relabel() {
  applyLabels();
  $("#lang-switch").textContent = t("langSwitch");
  if (state.me) $("#me-role").textContent = t(state.me.role === "supervisor" ? "roleSupervisor" : "roleAgent");
  if ($("#gate-text").dataset.key) $("#gate-text").textContent = t($("#gate-text").dataset.key);
  if (state.data) renderAll();
}

function wire() {
  $("#lang-switch").addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    relabel();
  });
  $("#filters").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  $("#reset").addEventListener("click", () => load(new URLSearchParams()));
  $("#drill-close").addEventListener("click", () => {
    state.drill = null;
    renderDrill();
  });
  for (const button of document.querySelectorAll("button.export")) {
    button.addEventListener("click", (event) => exportFile(event.currentTarget));
  }
  for (const button of document.querySelectorAll("button.drill-export")) {
    button.addEventListener("click", (event) => exportFile(event.currentTarget, true));
  }
  window.addEventListener("resize", () => {
    for (const { instance } of state.charts.values()) instance.resize();
  });
}

async function start() {
  setLang(lang());
  wire();
  await loadSharedLabels();
  relabel();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    gate("needSignIn");
  } else {
    const api = new Api(token);
    try {
      state.me = await api.get("/me");
      $("#me-name").textContent = state.me.name;
      $("#me-role").dataset.role = state.me.role;
      show($("#me"), true);
      relabel();
      if (state.me.role !== "supervisor") {
        gate("supervisorsOnly");
      } else {
        state.api = api;
        show($("#stats"), true);
        await Promise.all([load(), loadReports()]);
      }
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 401) gate("needSignIn");
      else showError(exc);
    }
  }
  document.body.dataset.ready = "1";
}

start();
