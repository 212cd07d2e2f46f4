// The retrain panel of the trainers' page: POST /training/retrain starts the background job, GET
// /training/jobs/<id> is polled for its state and progress until it ends, and the gate's report
// is shown side by side: the current model's scores against the candidate's, each gate rule
// passed or failed, and whether the candidate was promoted or blocked. The job's id is kept in
// the tab (sessionStorage) so that a reload finds the running job again.

import { $, fill, h, show } from "./dom.js";
import { cls, fmtNumber } from "./format.js";
import { label, t } from "./i18n.js";
import { notify } from "./notices.js";

const JOB_KEY = "training.job";
const POLL_MS = 1000;
const DONE = ["promoted", "blocked", "failed"];

/** The scores of one side of the report ({version, scores} from tools/retrain.py, or the bare
 * scores) as [[path, value]]: per language first (["zh", "intent_accuracy"]), then overall
 * (["intent_accuracy"]). A metric without a score (null) is kept: "—" shows the gap. */
function leaves(value, path = []) {
  if (path.length === 0 && value && typeof value === "object" && "scores" in value) return leaves(value.scores);
  if (value === null || typeof value === "number") return [[path, value]];
  if (typeof value !== "object") return [];
  const entries = Object.entries(value);
  const inner = (key) => (path.length === 0 && key === "languages" ? path : [...path, key]);
  return [...entries.filter(([, v]) => v && typeof v === "object"), ...entries.filter(([, v]) => !v || typeof v !== "object")]
    .flatMap(([key, v]) => leaves(v, inner(key)));
}

/** A score: rates (0..1) as percentages, anything else as a number. */
function score(value) {
  if (typeof value !== "number") return "—";
  return value >= 0 && value <= 1 ? `${(value * 100).toFixed(1)}%` : fmtNumber(value);
}

/** candidate − current, in percentage points for rates. */
function change(current, candidate) {
  if (typeof current !== "number" || typeof candidate !== "number") return { text: "—", sign: "none" };
  const rates = current >= 0 && current <= 1 && candidate >= 0 && candidate <= 1;
  const d = rates ? (candidate - current) * 100 : candidate - current;
  const sign = Math.abs(d) < 1e-9 ? "flat" : d > 0 ? "up" : "down";
  return { text: `${d > 0 ? "+" : ""}${rates ? `${d.toFixed(1)} pt` : fmtNumber(d)}`, sign };
}

function metricName(path) {
  const names = path.map((part) => label("metric", part));
  return (path.length === 1 ? [t("overall"), ...names] : names).join(" · ");
}

/** A gate rule in the page's language when the report names its metric, else its own text. */
function ruleName(rule) {
  if (!rule.metric) return String(rule.rule ?? "");
  const where = rule.language && rule.language !== "all" ? rule.language : t("overall");
  const limit = typeof rule.max_drop === "number" && rule.max_drop > 0
    ? t("ruleMaxDrop", { pt: +(rule.max_drop * 100).toFixed(1) }) : t("ruleNoDrop");
  // The paired test of tools/paired.py: a larger drop passes when the changed rows show no loss.
  const test = rule.paired ? ` (McNemar: −${rule.paired.lost} / +${rule.paired.gained}, p ${rule.paired.p})` : "";
  return `${where} · ${label("metric", rule.metric)}: ${limit}${test}`;
}

export class Job {
  constructor(api, onError) {
    this.api = api;
    this.onError = onError;
    this.id = null;
    this.data = null;
    this.timer = null;
  }

  async start(button) {
    button.disabled = true;
    try {
      const data = await this.api.post("/training/retrain", {});
      notify("info", t("retrainStarted", { id: data.job }));
      this.follow(String(data.job)); // the button stays off while the job runs (render)
    } catch (exc) {
      button.disabled = false;
      if (exc?.status === 409 && exc.body?.job) {
        notify("info", t("retrainRunning", { id: exc.body.job })); // someone's job runs: watch it
        this.follow(String(exc.body.job));
      } else {
        this.onError(exc);
      }
    }
  }

  /** The job this tab started before a reload, if any. */
  resume() {
    const id = sessionStorage.getItem(JOB_KEY);
    if (id) this.follow(id);
  }

  follow(id) {
    this.stop();
    this.id = id;
    this.data = { state: "queued", progress: 0 };
    sessionStorage.setItem(JOB_KEY, id);
    this.render();
    this.poll();
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  close() {
    this.stop();
    this.id = null;
    this.data = null;
    sessionStorage.removeItem(JOB_KEY);
    this.render();
  }

  async poll() {
    const id = this.id;
    if (!id) return;
    try {
      const data = await this.api.get(`/training/jobs/${encodeURIComponent(id)}`);
      if (id !== this.id) return;
      this.data = data;
      this.render();
      if (DONE.includes(data.state)) return;
    } catch (exc) {
      if (exc?.status === 404) {
        this.close(); // a job of an earlier service run, or another's
        return;
      }
      this.onError(exc);
      if (exc?.status === 401) return;
    }
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  render() {
    const panel = $("#job");
    const data = this.data;
    show(panel, Boolean(this.id && data));
    $("#job-close").onclick = () => this.close();
    if (!this.id || !data) {
      $("#retrain").disabled = false;
      return;
    }
    const running = !DONE.includes(data.state);
    panel.dataset.state = data.state || "";
    panel.dataset.job = this.id;
    $("#retrain").disabled = running;
    $("#job-id").textContent = t("jobState", { id: this.id });
    const badge = $("#job-state");
    badge.dataset.state = data.state || "";
    badge.textContent = label("job", data.state);
    const progress = $("#job-progress");
    progress.value = typeof data.progress === "number" ? Math.min(1, Math.max(0, data.progress)) : 0;
    progress.textContent = `${Math.round(progress.value * 100)}%`;
    show(progress, running);
    $("#job-log").textContent = Array.isArray(data.log_tail) ? data.log_tail.join("\n") : (data.log_tail || "");
    const verdict = $("#job-verdict");
    const key = { promoted: "verdictPromoted", blocked: "verdictBlocked", failed: "verdictFailed" }[data.state];
    verdict.dataset.state = data.state || "";
    verdict.textContent = key ? [t(key), data.state === "failed" ? data.error : ""].filter(Boolean).join(": ") : "";
    show(verdict, Boolean(key));
    this.renderReport(data.report);
  }

  renderReport(report) {
    show($("#job-report"), Boolean(report));
    if (!report) return;
    const version = (side) => (side && typeof side === "object" && "version" in side ? side.version : undefined);
    const [was, now] = [version(report.current), version(report.candidate)];
    $("#report-versions").textContent = was === undefined ? ""
      : t("reportVersions", { current: was ?? "—", candidate: now ?? t(report.promoted ? "none" : "notKept") });
    const current = new Map(leaves(report.current).map(([path, v]) => [path.join("\u0000"), [path, v]]));
    const candidate = new Map(leaves(report.candidate).map(([path, v]) => [path.join("\u0000"), [path, v]]));
    const keys = [...new Set([...current.keys(), ...candidate.keys()])];
    fill($("#score-rows"), keys.map((key) => {
      const path = (current.get(key) || candidate.get(key))[0];
      const [a, b] = [current.get(key)?.[1], candidate.get(key)?.[1]];
      const d = change(a, b);
      return h("tr", { dataset: { metric: path.join(".") } },
        h("td", {}, metricName(path)),
        h("td", { class: "num current" }, score(a)),
        h("td", { class: "num candidate" }, score(b)),
        h("td", { class: ["num", "delta", `delta-${d.sign}`] }, d.text));
    }));
    fill($("#gate-rows"), (report.gate || []).map((rule) => h("tr", { class: ["gate-row", rule.passed ? "ok" : "no"], dataset: { passed: String(Boolean(rule.passed)) } },
      h("td", { title: String(rule.rule ?? "") }, ruleName(rule)),
      h("td", { class: "num" }, score(rule.current)),
      h("td", { class: "num" }, score(rule.candidate)),
      h("td", {}, h("span", { class: ["gate-result", cls(rule.passed ? "passed" : "failed")] }, t(rule.passed ? "passed" : "failed"))))));
  }
}
