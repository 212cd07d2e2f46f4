// The supervisors' alerts panel (预警与超时): SLA breaches of single cases, and volume warnings
// (预警) about a whole category, which carry their numbers (observed, expected, threshold), an
// owner and a response deadline, and are closed by a review (复盘). Every value from the server
// is inserted as text (dom.js).

import { h, redraw, show, $ } from "./dom.js";
import { label, lang, t } from "./i18n.js";
import "./i18n_stats.js";
import { cls, fmtClock, fmtNumber, sevChip } from "./format.js";

export const VOLUME_KINDS = ["volume_spike", "volume_drift", "severe_burst"];

export const isWarning = (alert) => VOLUME_KINDS.includes(alert.kind);

/** The API's status; derived from the timestamps for an answer that has none. */
export function statusOf(alert) {
  if (alert.status) return alert.status;
  if (alert.reviewed_at) return "reviewed";
  return alert.acknowledged_at ? "acknowledged" : "open";
}

/** What "open only" keeps: an SLA alert until someone acknowledges it; a warning until its
 * review closes it (acknowledging says "seen", the 复盘 is still owed). */
export function stillOpen(alert) {
  const status = statusOf(alert);
  return isWarning(alert) ? status !== "reviewed" : status === "open";
}

// Review notes being written survive the list being redrawn (live events, polling).
const drafts = new Map();

export function forgetDraft(alertId) {
  drafts.delete(String(alertId));
}

function levelChip(level) {
  return h("span", { class: ["sev", "warn-level", `sev-${cls(level)}`], dataset: { severity: level ?? "none", level } },
    label("warning_level", level));
}

function numbers(a) {
  const facts = [
    ["observed", t("warnObserved", { observed: fmtNumber(a.observed) })],
    ["expected", t("warnExpected", { expected: fmtNumber(a.expected) })],
    ["threshold", t("warnThreshold", { threshold: fmtNumber(a.threshold) })],
  ];
  if (a.window_start && a.window_end) {
    facts.push(["window", t("warnWindow", { from: fmtClock(a.window_start), to: fmtClock(a.window_end) })]);
  }
  if (a.method) facts.push(["method", t("warnMethod", { method: a.method })]);
  return h("div", { class: "warn-numbers" }, facts.map(([name, text]) => h("span", { class: `warn-${name}` }, text)));
}

function duty(a, status) {
  return h("div", { class: "warn-duty" },
    h("span", { class: "warn-owner" }, t("warnOwner", { owner: a.owner || t("none") })),
    a.due_at ? h("span", { class: "warn-due" }, t("warnDue", { at: fmtClock(a.due_at) })) : null,
    a.due_at && status !== "reviewed" ? h("span", { class: "sla", dataset: { due: a.due_at } }) : null);
}

function reviewBox(a, review) {
  const id = String(a.id);
  const box = h("textarea", {
    class: "review-note", rows: 2, maxlength: 4000, placeholder: t("reviewPlaceholder"), dataset: { alertId: id },
    oninput: (event) => drafts.set(id, event.currentTarget.value),
  });
  box.value = drafts.get(id) || "";
  return h("div", { class: "review-box" }, box,
    h("button", { type: "button", class: "review small", onclick: (event) => review(a.id, box.value, event.currentTarget) },
      t("reviewButton")));
}

function item(a, actions) {
  const warning = isWarning(a);
  const status = statusOf(a);
  return h("li", {
    class: ["alert-item", `sev-row-${cls(a.level)}`, a.acknowledged_at ? "acked" : "", warning ? "warning" : ""],
    dataset: { alertId: a.id, caseId: a.case_id, kind: a.kind, status, category: a.category },
  },
  h("div", { class: "alert-head" }, warning ? levelChip(a.level) : sevChip(a.level), h("strong", {}, label("alert", a.kind)),
    warning && a.category ? h("span", { class: "warn-category" }, label("category", a.category)) : null,
    a.case_id ? actions.caseLink(a.case_id) : null,
    h("span", { class: "alert-status", dataset: { status } }, label("alertStatus", status)),
    h("time", { class: "muted small" }, fmtClock(a.created_at))),
  a.message ? h("div", { class: "alert-message" }, a.message) : null,
  warning ? [numbers(a), duty(a, status)] : null,
  a.acknowledged_at
    ? h("div", { class: "muted small acked-by" }, t("acked", { who: a.acknowledged_by || "" }))
    : h("button", { type: "button", class: "ack small", onclick: (event) => actions.acknowledge(a.id, event.currentTarget) },
      t("ack")),
  status === "reviewed"
    ? h("div", { class: "review-done small" },
      h("span", { class: "muted reviewed-by" }, t("reviewed", { who: a.reviewed_by || "", at: fmtClock(a.reviewed_at) })),
      h("div", { class: "review-text" }, a.review || ""))
    : warning ? reviewBox(a, actions.review) : null);
}

/**
 * Draws the alerts. `actions`: caseLink(id) → element, acknowledge(id, button), review(id, note, button).
 * A review note that has the focus keeps it (and its caret) across the redraw.
 */
export function renderAlerts(alerts, actions) {
  const focused = document.activeElement?.classList?.contains("review-note") ? document.activeElement : null;
  const keep = focused ? { id: focused.dataset.alertId, start: focused.selectionStart, end: focused.selectionEnd } : null;
  redraw($("#alert-list"), alerts, (a) => a.id, (a) => item(a, actions), lang());
  show($("#alerts-empty"), alerts.length === 0);
  if (keep) {
    const again = $(`#alert-list textarea.review-note[data-alert-id="${CSS.escape(keep.id)}"]`);
    if (again) {
      again.focus();
      again.setSelectionRange(keep.start, keep.end);
    }
  }
}
