// The trainers' page (/console/training.html): the review inbox (GET /training/inbox) grouped by
// similar text, a label per message (intent, emotion, severity) set with one key each, written
// with POST /training/labels or skipped with POST /training/skip, and the retrain job with its
// gate report (training_job.js). Trainers and supervisors sign in with the console's token
// (api.js TOKEN_KEY); everything from the server is inserted as text (dom.js).

import { Api, ApiError, TOKEN_KEY } from "./api.js";
import { $, fill, h, show } from "./dom.js";
import { cls, fmtClock, fmtPercent, sevChip } from "./format.js";
import { applyLabels, label, lang, loadSharedLabels, setLang, t, values } from "./i18n.js";
import "./i18n_stats.js";
import "./i18n_training.js";
import { notify } from "./notices.js";
import { Job } from "./training_job.js";

const ROLES = ["trainer", "supervisor"]; // who may review (the API says the same: trainer_of)
const PAGE = 50; // groups per request
const PICKS = 9; // intents on the number keys
const NOT_A_LABEL = "nlu_fallback"; // Rasa's FallbackClassifier: "not understood", never a label

const state = {
  api: null,
  me: null,
  groups: [],
  total: 0, // groups (the API pages by group)
  items: 0, // messages
  thresholds: {},
  intents: [], // every intent the API names (domain.yml), if it names them
  cursor: null, // the key of the current message
  drafts: new Map(), // key → {intent, emotion, severity}: the label as the trainer has it now
  busy: false,
  loads: 0,
  job: null,
};

// ---- the inbox --------------------------------------------------------------------------------

/** Every message on the page, in the order shown: [{item, group}]. */
function rows() {
  return state.groups.flatMap((group) => group.items.map((item) => ({ item, group })));
}

function find(key) {
  return rows().find((row) => row.item.key === key) || null;
}

function draftOf(item) {
  if (!state.drafts.has(item.key)) {
    const s = item.suggested || item.prediction || {};
    state.drafts.set(item.key, { intent: s.intent ?? null, emotion: s.emotion ?? null, severity: s.severity ?? null });
  }
  return state.drafts.get(item.key);
}

function edited(item) {
  const d = draftOf(item);
  const s = item.suggested || {};
  return d.intent !== (s.intent ?? null) || d.emotion !== (s.emotion ?? null) || d.severity !== (s.severity ?? null);
}

/** The intents most often suggested or predicted on the page, most frequent first. */
function common() {
  const counts = new Map();
  for (const { item } of rows()) {
    for (const v of new Set([item.suggested?.intent, item.prediction?.intent])) {
      if (v) counts.set(v, (counts.get(v) || 0) + (item.count || 1));
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([v]) => v);
}

/** The intents on the number keys for this message: its suggestion, the model's guess, then the
 * page's most frequent intents, then the rest of the domain's. */
function picks(item) {
  const list = [];
  for (const v of [item.suggested?.intent, item.prediction?.intent, ...common(), ...state.intents]) {
    if (v && v !== NOT_A_LABEL && !list.includes(v) && (!state.intents.length || state.intents.includes(v))) list.push(v);
    if (list.length === PICKS) break;
  }
  return list;
}

function allIntents() {
  return [...new Set([...state.intents, ...common()])].filter((v) => v !== NOT_A_LABEL).sort();
}

async function load(more = false) {
  if (!state.api) return;
  const params = new URLSearchParams({ sort: $("#sort").value, limit: String(PAGE), offset: String(more ? state.groups.length : 0) });
  if ($("#reason").value) params.set("reason", $("#reason").value);
  const data = await state.api.get(`/training/inbox?${params}`);
  const groups = (data.groups || []).map((g) => ({ ...g, items: g.items || [] }));
  state.groups = more ? [...state.groups, ...groups] : groups;
  state.total = data.total ?? state.groups.length;
  state.items = data.items_total ?? rows().length;
  state.thresholds = data.thresholds || {};
  if (Array.isArray(data.intents)) state.intents = data.intents.map(String);
  if (!find(state.cursor)) state.cursor = rows()[0]?.item.key ?? null;
  renderInbox();
  state.loads += 1;
  document.body.dataset.loads = String(state.loads);
}

// ---- drawing ----------------------------------------------------------------------------------

function intentName(value) {
  if (!value) return h("span", { class: "muted" }, "—");
  const named = label("category", value);
  return h("span", { class: "intent-name" }, h("code", { class: "intent" }, value),
    named !== value ? h("span", { class: "muted small" }, ` ${named}`) : null);
}

function pct(value) {
  return typeof value === "number" ? fmtPercent(value, 0) : "";
}

function emoChip(name, confidence) {
  if (!name) return h("span", { class: "emo emo-none" }, "—");
  return h("span", { class: ["emo", `emo-${cls(name)}`], dataset: { emotion: name } },
    `${label("emotion", name)}${typeof confidence === "number" ? ` ${pct(confidence)}` : ""}`);
}

/** What a reason's threshold is, from the API's own numbers (handoff/training/thresholds.py). */
function reasonTitle(reason) {
  const th = state.thresholds;
  const rule = { low_confidence: ["confidence <", th.low_confidence], small_margin: ["margin <", th.small_margin],
    low_rating: ["rating ≤", th.low_rating] }[reason];
  return rule && rule[1] !== undefined ? `${rule[0]} ${rule[1]}` : reason;
}

function reasonChips(reasons) {
  return (reasons || []).map((r) => h("span", {
    class: ["chip", "reason-badge", `why-${cls(r)}`], dataset: { reason: r }, title: reasonTitle(r),
  }, label("reason", r)));
}

function prediction(item) {
  const p = item.prediction || {};
  return h("div", { class: "line prediction" },
    h("span", { class: "what" }, t("prediction")),
    intentName(p.intent),
    typeof p.intent_confidence === "number" ? h("span", { class: "conf", dataset: { confidence: p.intent_confidence } }, pct(p.intent_confidence)) : null,
    typeof p.intent_margin === "number" ? h("span", { class: "muted small" }, t("margin", { m: p.intent_margin.toFixed(2) })) : null,
    emoChip(p.emotion, p.emotion_confidence),
    p.severity ? sevChip(p.severity) : null,
    item.model_id ? h("span", { class: "muted small model" }, t("modelVersion", { id: item.model_id })) : null);
}

function caseLine(item) {
  const c = item.case;
  if (!c) return null;
  const bot = [label("category", c.category), label("severity", c.severity)].join(" · ");
  const agent = [label("category", c.final_category ?? c.category), label("severity", c.final_severity ?? c.severity)].join(" · ");
  const changed = (c.final_category && c.final_category !== c.category) || (c.final_severity && c.final_severity !== c.severity);
  const link = state.me?.role === "supervisor"
    ? h("a", { class: "case-link", href: `/console/index.html#case=${encodeURIComponent(c.id)}` }, c.id)
    : h("code", {}, c.id);
  return h("div", { class: "line case-line", dataset: { caseId: c.id } },
    h("span", { class: "what" }, t("caseInfo")), link,
    h("span", { class: "muted small" }, `${t("botLabel")}: ${bot}`),
    c.final_category || c.final_severity
      ? h("span", { class: ["agent-label", changed ? "changed" : ""] }, `${t("agentLabel")}: ${agent}`) : null,
    typeof c.rating === "number" ? h("span", { class: ["rating", c.rating <= 2 ? "low" : ""] }, t("ratingShort", { score: c.rating })) : null);
}

function editor(item) {
  const d = draftOf(item);
  const list = picks(item);
  // Any other intent: typed, with the known ones offered (the API checks it against domain.yml).
  const other = h("input", {
    type: "text", class: "other-intent", list: "intent-names", spellcheck: "false", maxlength: "64",
    placeholder: t("otherIntent"), value: list.includes(d.intent) ? "" : d.intent || "",
    onchange: (event) => {
      const value = event.currentTarget.value.trim();
      if (value) setDraft(item.key, { intent: value });
    },
  });
  return h("div", { class: "editor" },
    h("div", { class: "line picks-line" }, h("span", { class: "what" }, t("intentPick")),
      list.map((v, i) => h("button", {
        type: "button", class: ["pick-intent", "small", v === d.intent ? "chosen" : ""], dataset: { intent: v, n: i + 1 },
        onclick: () => setDraft(item.key, { intent: v }),
      }, h("kbd", {}, String(i + 1)), ` ${v}`)),
      other),
    h("div", { class: "line" },
      h("span", { class: "what" }, t("label")),
      intentName(d.intent),
      h("button", { type: "button", class: "small cycle-emotion", title: "e", onclick: () => cycle(item.key, "emotion") },
        h("kbd", {}, "e"), " ", emoChip(d.emotion)),
      h("button", { type: "button", class: "small cycle-severity", title: "s", onclick: () => cycle(item.key, "severity") },
        h("kbd", {}, "s"), " ", d.severity ? sevChip(d.severity) : "—"),
      h("span", { class: ["edited-mark", edited(item) ? "" : "invisible"] }, t(edited(item) ? "edited" : "suggestion")),
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "primary small accept", onclick: () => accept(item.key) }, h("kbd", {}, "a"), ` ${t("accept")}`),
      h("button", { type: "button", class: "small skip", onclick: () => skip(item.key) }, h("kbd", {}, "x"), ` ${t("skip")}`)));
}

function itemEl(item) {
  const d = draftOf(item);
  return h("article", {
    class: ["item", item.key === state.cursor ? "current" : ""],
    dataset: { key: item.key, intent: d.intent ?? "", emotion: d.emotion ?? "", severity: d.severity ?? "" },
    onclick: (event) => {
      if (!event.target.closest("button, select, a")) moveTo(item.key);
    },
  },
  h("div", { class: "item-head" },
    h("p", { class: "text" }, item.text),
    item.count > 1 ? h("span", { class: "count", title: String(item.count) }, t("times", { n: item.count })) : null,
    h("span", { class: "muted small" }, [item.language, fmtClock(item.at)].filter(Boolean).join(" · "))),
  h("div", { class: "chips reasons" }, reasonChips(item.reasons)),
  prediction(item),
  caseLine(item),
  editor(item));
}

function groupEl(group) {
  const n = group.items.length;
  return h("section", { class: "card group", dataset: { group: group.group, size: n } },
    h("div", { class: "card-head" },
      h("h2", {}, t("groupTitle", { group: group.group })),
      h("span", { class: "muted small" }, t("groupSize", { n: group.size ?? n })),
      h("span", { class: "spacer" }),
      n > 1 ? h("button", { type: "button", class: "small apply-group", onclick: () => applyGroup(group.group) },
        h("kbd", {}, "⇧A"), ` ${t("applyGroup", { n })}`) : null),
    group.items.map(itemEl));
}

function renderInbox() {
  fill($("#intent-names"), allIntents().map((v) => h("option", { value: v })));
  fill($("#inbox"), state.groups.filter((g) => g.items.length).map(groupEl));
  show($("#inbox-empty"), rows().length === 0);
  show($("#load-more"), state.total > state.groups.length);
  $("#waiting").textContent = t("waiting", { total: state.items });
  document.body.dataset.cursor = state.cursor || "";
}

/** Redraws one message in place (a label edit keeps the page where it is). */
function redraw(key) {
  const row = find(key);
  const old = document.querySelector(`article.item[data-key="${CSS.escape(key)}"]`);
  if (row && old) old.replaceWith(itemEl(row.item));
}

function renderReasons() {
  const select = $("#reason");
  const chosen = select.value;
  fill(select, h("option", { value: "" }, t("allReasons")), values("reason").map((r) => h("option", { value: r }, label("reason", r))));
  select.value = chosen;
}

// ---- moving and labelling ---------------------------------------------------------------------

function moveTo(key) {
  const before = state.cursor;
  state.cursor = key;
  for (const k of [before, key]) {
    const el = k && document.querySelector(`article.item[data-key="${CSS.escape(k)}"]`);
    if (el) el.classList.toggle("current", k === key);
  }
  document.body.dataset.cursor = key || "";
  const el = key && document.querySelector(`article.item[data-key="${CSS.escape(key)}"]`);
  if (el) el.scrollIntoView({ block: "nearest" });
}

function step(by) {
  const all = rows();
  if (!all.length) return;
  const at = all.findIndex((row) => row.item.key === state.cursor);
  const next = Math.min(all.length - 1, Math.max(0, (at < 0 ? 0 : at + by)));
  moveTo(all[next].item.key);
}

function setDraft(key, change) {
  const row = find(key);
  if (!row) return;
  Object.assign(draftOf(row.item), change);
  moveTo(key);
  redraw(key);
}

/** e and s: the next emotion or severity (the names of i18n.js and labels.json, in their order). */
function cycle(key, what) {
  const row = find(key);
  if (!row) return;
  const list = values(what);
  const now = list.indexOf(draftOf(row.item)[what]);
  setDraft(key, { [what]: list[(now + 1) % list.length] });
}

/** Takes answered messages off the page; the cursor goes to the message after them. */
function drop(keys) {
  const gone = new Set(keys);
  const all = rows();
  const at = all.findIndex((row) => row.item.key === state.cursor);
  const after = all.slice(Math.max(at, 0)).find((row) => !gone.has(row.item.key))
    || [...all].reverse().find((row) => !gone.has(row.item.key));
  for (const group of state.groups) group.items = group.items.filter((item) => !gone.has(item.key));
  const emptied = state.groups.filter((group) => !group.items.length).length;
  state.groups = state.groups.filter((group) => group.items.length);
  for (const key of keys) state.drafts.delete(key);
  state.total = Math.max(0, state.total - emptied);
  state.items = Math.max(0, state.items - keys.length);
  state.cursor = after ? after.item.key : null;
  renderInbox();
  moveTo(state.cursor);
  if (!rows().length && state.total > 0) setTimeout(() => guarded(null, () => load())); // the next page
}

async function guarded(button, work) {
  if (state.busy) return undefined;
  state.busy = true;
  if (button) button.disabled = true;
  try {
    return await work();
  } catch (exc) {
    showError(exc);
    return undefined;
  } finally {
    state.busy = false;
    if (button) button.disabled = false;
  }
}

async function write(keys, draft) {
  if (!draft.intent) {
    notify("error", t("pickIntentFirst")); // the bot's fallback: no intent to accept
    return;
  }
  await guarded(null, async () => {
    const data = await state.api.post("/training/labels", { keys, ...draft });
    notify("info", t("written", { n: data.written ?? keys.length, file: data.file || "" }));
    drop(keys);
  });
}

function accept(key = state.cursor) {
  const row = key && find(key);
  if (row) write([key], { ...draftOf(row.item) });
}

/** Shift+A: the current message's label for every message of its group on the page. */
function applyGroup(groupId) {
  const row = find(state.cursor);
  const group = state.groups.find((g) => g.group === groupId) || row?.group;
  if (!group) return;
  const source = row && row.group === group ? row.item : group.items[0];
  write(group.items.map((item) => item.key), { ...draftOf(source) });
}

async function skip(key = state.cursor) {
  if (!key || !find(key)) return;
  await guarded(null, async () => {
    const data = await state.api.post("/training/skip", { keys: [key] });
    notify("info", t("skipped", { n: data.skipped ?? 1 }));
    drop([key]);
  });
}

function toggleHelp(open = $("#help").hidden) {
  show($("#help"), open);
}

function onKey(event) {
  if (!state.api || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest?.("input, select, textarea")) return;
  const key = event.key;
  if (key === "?") toggleHelp();
  else if (key === "Escape") toggleHelp(false);
  else if (!$("#help").hidden) return;
  else if (key === "j") step(1);
  else if (key === "k") step(-1);
  else if (key === "A" && event.shiftKey) applyGroup(find(state.cursor)?.group.group);
  else if (key === "a") accept();
  else if (key === "x") skip();
  else if (key === "e") state.cursor && cycle(state.cursor, "emotion");
  else if (key === "s") state.cursor && cycle(state.cursor, "severity");
  else if (/^[1-9]$/.test(key)) {
    const row = find(state.cursor);
    const intent = row && picks(row.item)[Number(key) - 1];
    if (intent) setDraft(row.item.key, { intent });
  } else return;
  event.preventDefault();
}

// ---- signing in, errors, language ---------------------------------------------------------------

function showError(exc) {
  if (exc instanceof ApiError) {
    notify("error", exc.status === 0 ? `${t("network")}: ${exc.message}` : exc.message, exc.code);
    if (exc.status === 401) signOut();
    return;
  }
  console.error(exc);
  notify("error", String(exc));
}

function roleName(role) {
  return t({ supervisor: "roleSupervisor", trainer: "roleTrainer" }[role] || "roleAgent");
}

function gate(key) {
  const text = $("#gate-text");
  text.dataset.key = key || "";
  text.textContent = key ? t(key) : "";
  show(text, Boolean(key));
}

async function signIn(token) {
  const api = new Api(token);
  const me = await api.get("/me");
  sessionStorage.setItem(TOKEN_KEY, token);
  state.me = me;
  $("#me-name").textContent = me.name;
  $("#me-role").dataset.role = me.role;
  show($("#me"), true);
  show($("#sign-out"), true);
  relabel();
  if (!ROLES.includes(me.role)) {
    gate("needTrainer");
    return;
  }
  gate(null);
  state.api = api;
  document.body.dataset.role = me.role;
  show($("#signin"), false);
  show($("#app"), true);
  for (const el of document.querySelectorAll(".supervisor-only")) show(el, me.role === "supervisor");
  state.job = new Job(api, showError);
  state.job.resume();
  await guarded(null, () => load());
}

function signOut() {
  state.job?.stop();
  Object.assign(state, { api: null, me: null, groups: [], total: 0, items: 0, cursor: null, drafts: new Map(), job: null });
  sessionStorage.removeItem(TOKEN_KEY);
  fill($("#inbox"));
  show($("#app"), false);
  show($("#me"), false);
  show($("#sign-out"), false);
  show($("#signin"), true);
  delete document.body.dataset.role;
  $("#token").focus();
}

function relabel() {
  applyLabels();
  $("#lang-switch").textContent = t("langSwitch");
  if (state.me) $("#me-role").textContent = roleName(state.me.role);
  if ($("#gate-text").dataset.key) gate($("#gate-text").dataset.key);
  renderReasons();
  if (state.api) renderInbox();
  state.job?.render();
}

function wire() {
  $("#signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("#token").value.trim();
    if (!token) return;
    $("#sign-in").disabled = true;
    try {
      await signIn(token);
      $("#token").value = "";
    } catch (exc) {
      notify("error", exc instanceof ApiError && exc.status !== 0 ? exc.message : `${t("network")}: ${exc.message}`, exc.code);
    } finally {
      $("#sign-in").disabled = false;
    }
  });
  $("#sign-out").addEventListener("click", signOut);
  $("#lang-switch").addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    relabel();
  });
  for (const id of ["#sort", "#reason"]) $(id).addEventListener("change", () => guarded(null, () => load()));
  $("#refresh").addEventListener("click", (event) => guarded(event.currentTarget, () => load()));
  $("#load-more").addEventListener("click", (event) => guarded(event.currentTarget, () => load(true)));
  $("#retrain").addEventListener("click", (event) => state.job?.start(event.currentTarget));
  $("#keys").addEventListener("click", () => toggleHelp());
  $("#help-close").addEventListener("click", () => toggleHelp(false));
  $("#help").addEventListener("click", (event) => event.target === event.currentTarget && toggleHelp(false));
  document.addEventListener("keydown", onKey);
}

async function start() {
  setLang(lang());
  wire();
  await loadSharedLabels();
  relabel();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    try {
      await signIn(token);
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 401) sessionStorage.removeItem(TOKEN_KEY);
      else showError(exc);
    }
  }
  if (!state.api) show($("#signin"), true);
  document.body.dataset.ready = "1";
}

start();
