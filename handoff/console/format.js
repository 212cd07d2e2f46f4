// How the console writes times, numbers and severities, shared by the console, its alerts panel
// and the statistics page (one definition each).

import { h } from "./dom.js";
import { label, lang } from "./i18n.js";

/** A value made safe for a class name. */
export const cls = (value) => String(value ?? "none").replace(/[^A-Za-z0-9_-]/g, "") || "none";

/** API datetimes are ISO 8601 in UTC; one without a zone is UTC too. */
export function parseTime(iso) {
  if (!iso) return NaN;
  const text = String(iso);
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}

/** A moment as MM/DD hh:mm:ss, in the browser's zone or in `timeZone` (the statistics page uses
 * the shop's HANDOFF_TZ, the zone its days and hours are counted in). */
export function fmtClock(iso, timeZone = undefined) {
  const ms = parseTime(iso);
  if (Number.isNaN(ms)) return "";
  const options = { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
  const locale = lang() === "en" ? "en-GB" : "zh-CN";
  try {
    return new Date(ms).toLocaleString(locale, { ...options, timeZone });
  } catch {
    return new Date(ms).toLocaleString(locale, options); // a zone this browser does not know
  }
}

/** A span of milliseconds as [d ]h:mm:ss (countdowns and waiting times). */
export function fmtSpan(ms) {
  let s = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(s / 86400);
  s %= 86400;
  const hours = Math.floor(s / 3600);
  s %= 3600;
  const p = (n) => String(n).padStart(2, "0");
  const clock = `${p(Math.floor(s / 60))}:${p(s % 60)}`;
  if (days) return `${days}d ${p(hours)}:${clock}`;
  return hours ? `${hours}:${clock}` : clock;
}

/** A duration in seconds in its largest sensible unit: 42 s, 5.2 min, 3.1 h, 2.0 d. */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return "—";
  const s = Number(seconds);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

/** A count or a measured number: integers as they are, others with at most two decimals. */
export function fmtNumber(value) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
  const n = Number(value);
  return Number.isInteger(n) ? n.toLocaleString("en-US") : String(Math.round(n * 100) / 100);
}

/** A rate of 0..1 as a percentage. */
export function fmtPercent(rate, digits = 1) {
  if (rate === null || rate === undefined || Number.isNaN(Number(rate))) return "—";
  return `${(Number(rate) * 100).toFixed(digits)}%`;
}

export function sevChip(level) {
  return h("span", { class: ["sev", `sev-${cls(level)}`], dataset: { severity: level ?? "none" } },
    label("severity", level || "none"));
}
