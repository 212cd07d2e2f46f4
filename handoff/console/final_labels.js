// The agent's final labels on resolve (docs/handoff.md, "Final labels"): two selects, category
// and severity, pre-filled with the bot's values, sent with the resolve. The bot's labels stay on
// the case for the statistics; the agent's go next to them, and the trainers' inbox looks at the
// cases where the two differ. Option names come from the shared labels (labels.json, core/labels.py).

import { $, fill, h } from "./dom.js";
import { label, labelValues } from "./i18n.js";

const FIELDS = [
  { select: "#resolve-category", group: "category", final: "final_category", bot: "category" },
  { select: "#resolve-severity", group: "severity", final: "final_severity", bot: "severity" },
];

/**
 * Draws the selects for case `c`. The case is redrawn on every refresh and language switch, so an
 * agent's pick on the same case is kept; another case starts from its final label, else the bot's.
 */
export function renderFinalLabels(c, enabled) {
  for (const field of FIELDS) {
    const select = $(field.select);
    const picked = select.dataset.case === c.id && select.value ? select.value : null;
    const value = picked || c[field.final] || c[field.bot];
    // every known value, and this case's own even if the names could not be loaded
    const values = [...new Set([...labelValues(field.group), c[field.bot], value].filter(Boolean))];
    fill(select, values.map((v) => h("option", { value: v }, label(field.group, v))));
    select.value = value;
    select.dataset.case = c.id;
    select.disabled = !enabled;
  }
}

/** What the resolve request says about the labels: {final_category, final_severity}. */
export function finalLabels() {
  return Object.fromEntries(FIELDS.map((field) => [field.final, $(field.select).value || null]));
}
