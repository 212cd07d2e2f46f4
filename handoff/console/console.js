// The agents' console: one page on the handoff service (same origin as the agent API).
// Plain ES2020 module, no build step, no framework. Everything that comes from customers or
// agents is inserted as text (dom.js); there is no HTML parsing of data anywhere.

import { renderAlerts as drawAlerts, forgetDraft, stillOpen } from "./alerts.js";
import { Api, ApiError, TOKEN_KEY, caseUrl, randomId } from "./api.js";
import { $, fill, h, redraw, show } from "./dom.js";
import { finalLabels, renderFinalLabels } from "./final_labels.js";
import { cls, fmtClock, fmtSpan, parseTime, sevChip } from "./format.js";
import { applyLabels, label, lang, loadSharedLabels, setLang, t } from "./i18n.js";
import "./i18n_training.js";
import { notify } from "./notices.js";

const MESSAGE_POLL_MS = 2000; // fallback for the live feed: new messages of the open case
const LIST_POLL_MS = 15000; // queue and lists while the live feed is up (also keeps us "online")
const LIST_POLL_OFFLINE_MS = 5000; // … and while it is down
const STATES = ["received", "investigating", "solution_proposed", "in_progress", "follow_up", "closed", "reopened"];
const WAITING = ["queued", "callback"];
const LIVE_EVENTS = ["queued", "claimed", "message", "transferred", "resolved", "alert", "callback"];

const state = {
  api: null,
  me: null,
  queue: [],
  agentsOnline: 0,
  cases: [],
  casesState: "",
  alerts: [],
  followUps: [],
  openId: null,
  open: null,
  seen: new Set(),
  lastMessageId: 0,
  drafts: new Map(),
  replyKey: null,
  replyKeyText: null,
  sending: false,
  polling: false,
  source: null,
  live: "closed",
  liveEvents: 0,
  timers: [],
  listTimer: null,
  listPeriod: 0,
};

// ---- small helpers ------------------------------------------------------------------------

const isSupervisor = () => state.me?.role === "supervisor";

function emoChip(name, confidence) {
  const pct = typeof confidence === "number" ? ` ${Math.round(confidence * 100)}%` : "";
  return h("span", { class: ["emo", `emo-${cls(name)}`], dataset: { emotion: name }, title: name },
    `${label("emotion", name)}${pct}`);
}

function caseLink(id) {
  return h("button", { type: "button", class: "link case-link", dataset: { caseId: id }, onclick: () => openCase(id) }, id);
}

/** A live countdown to `due` (updated every second by tick()). */
function countdown(due) {
  return h("span", { class: "sla", dataset: { due } });
}

function valueText(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function keyValues(dl, data) {
  const entries = Object.entries(data || {});
  fill(dl, entries.length ? entries.map(([k, v]) => [h("dt", {}, k), h("dd", {}, valueText(v))])
    : h("dd", { class: "muted" }, t("none")));
}

// ---- notices (API errors and confirmations) --------------------------------------------------

function showError(exc) {
  if (exc instanceof ApiError) {
    if (exc.status === 401 && state.api) {
      signOut();
      notify("error", `${t("signedOut")} (${exc.message})`, exc.code);
      return;
    }
    notify("error", exc.status === 0 ? `${t("network")}: ${exc.message}` : exc.message, exc.code);
    return;
  }
  console.error(exc);
  notify("error", String(exc));
}

async function guarded(button, work) {
  if (button) button.disabled = true;
  try {
    return await work();
  } catch (exc) {
    showError(exc);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// ---- refreshes --------------------------------------------------------------------------------

const pending = new Map();

/** Coalesces refreshes: a burst of live events costs one request per list. */
function schedule(what, delay = 120) {
  if (pending.has(what) || !state.api) return;
  pending.set(what, setTimeout(async () => {
    pending.delete(what);
    try {
      await LOADERS[what]();
    } catch (exc) {
      showError(exc);
    }
  }, delay));
}

const LOADERS = {
  queue: loadQueue,
  cases: loadCases,
  case: refreshCase,
  alerts: loadAlerts,
  followUps: loadFollowUps,
};

function refreshLists() {
  schedule("queue", 0);
  schedule("cases", 0);
  if (isSupervisor()) {
    schedule("alerts", 0);
    schedule("followUps", 0);
  }
}

async function loadQueue() {
  const data = await state.api.get("/queue");
  state.queue = data.cases || [];
  state.agentsOnline = data.agents_online ?? 0;
  renderQueue();
}

async function loadCases() {
  const query = state.casesState ? `?state=${encodeURIComponent(state.casesState)}` : "";
  const data = await state.api.get(`/cases${query}`);
  state.cases = data.cases || [];
  renderCases();
}

/** All alerts, filtered here: "open only" keeps a volume warning until its review closes it, which
 * the API's `?open=true` (not yet acknowledged) would not. */
async function loadAlerts() {
  if (!isSupervisor()) return;
  const data = await state.api.get("/alerts");
  const alerts = data.alerts || [];
  state.alerts = $("#alerts-open-only").checked ? alerts.filter(stillOpen) : alerts;
  renderAlerts();
}

async function loadFollowUps() {
  if (!isSupervisor()) return;
  const data = await state.api.get("/follow-ups");
  state.followUps = data.follow_ups || [];
  renderFollowUps();
}

// ---- the live feed (server-sent events) with polling as the fallback -------------------------

function setLive(value) {
  state.live = value;
  const el = $("#live");
  el.dataset.state = value;
  el.textContent = t({ open: "liveOpen", connecting: "liveConnecting" }[value] || "livePolling");
  show(el, Boolean(state.api));
  restartListPoll();
}

function connectLive() {
  closeLive();
  if (!state.api) return;
  const source = new EventSource(state.api.eventsUrl());
  state.source = source;
  setLive("connecting");
  source.onopen = () => {
    setLive("open");
    refreshLists(); // whatever happened while we were not listening
    if (state.openId) schedule("case", 0);
  };
  source.onerror = () => {
    if (state.source !== source) return;
    setLive("polling");
    if (source.readyState === EventSource.CLOSED) {
      // The browser gave up (e.g. the service answered with an error): try again later.
      state.timers.push(setTimeout(() => state.source === source && connectLive(), 5000));
    }
  };
  for (const kind of LIVE_EVENTS) source.addEventListener(kind, (event) => onLive(kind, event));
}

function closeLive() {
  if (state.source) {
    const source = state.source;
    state.source = null;
    source.close();
  }
}

function onLive(kind, event) {
  let note;
  try {
    note = JSON.parse(event.data);
  } catch {
    return;
  }
  state.liveEvents += 1;
  document.body.dataset.liveEvents = String(state.liveEvents);
  document.body.dataset.lastEvent = kind;
  const caseId = note?.payload?.case_id;
  const mine = caseId && caseId === state.openId;
  if (kind === "message") {
    if (mine) pollMessages();
    return;
  }
  schedule("queue");
  schedule("cases");
  if (mine) schedule("case");
  if (isSupervisor()) {
    if (kind === "alert") schedule("alerts");
    if (kind === "resolved") schedule("followUps");
  }
}

function restartListPoll() {
  const period = state.api ? (state.live === "open" ? LIST_POLL_MS : LIST_POLL_OFFLINE_MS) : 0;
  if (period === state.listPeriod) return; // the feed retrying every few seconds must not reset the clock
  if (state.listTimer) clearInterval(state.listTimer);
  state.listTimer = period ? setInterval(refreshLists, period) : null;
  state.listPeriod = period;
}

async function pollMessages() {
  if (!state.openId || state.polling || !state.api) return;
  state.polling = true;
  const id = state.openId;
  try {
    const data = await state.api.get(caseUrl(id, `/messages?after=${state.lastMessageId}`));
    if (id === state.openId && data.messages?.length) appendMessages(data.messages, true);
  } catch (exc) {
    showError(exc);
  } finally {
    state.polling = false;
  }
}

/** Every second: countdowns to SLA deadlines and waiting times. */
function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll("[data-due]")) {
    const due = parseTime(el.dataset.due);
    if (Number.isNaN(due)) continue;
    const left = due - now;
    const late = left < 0;
    el.classList.toggle("breached", late);
    el.classList.toggle("soon", !late && left < 60000);
    el.textContent = late ? `${t("breached")} +${fmtSpan(-left)}` : fmtSpan(left);
  }
  for (const el of document.querySelectorAll("[data-since]")) {
    const since = parseTime(el.dataset.since);
    if (!Number.isNaN(since)) el.textContent = fmtSpan(now - since);
  }
}

// ---- lists --------------------------------------------------------------------------------

function renderQueue() {
  redraw($("#queue-rows"), state.queue, (row) => row.id, (row) => h("tr", {
    class: ["queue-row", `sev-row-${cls(row.severity)}`],
    dataset: { caseId: row.id, position: row.position, priority: row.priority, severity: row.severity },
  },
  h("td", { class: "pos" }, row.position),
  h("td", { class: "case-cell" }, caseLink(row.id),
    h("span", { class: "muted small where" }, `${row.channel ? label("channel", row.channel) : ""} · ${row.language || ""}`),
    row.queue_status === "callback" ? h("span", { class: "tag" }, label("queue", "callback")) : null),
  h("td", {}, sevChip(row.severity)),
  h("td", {}, label("category", row.category)),
  h("td", {}, row.emotion ? emoChip(row.emotion) : "—"),
  h("td", { class: "num priority" }, row.priority),
  h("td", { class: "waiting", dataset: { since: row.created_at } }),
  h("td", {}, countdown(row.first_response_due)),
  h("td", {}, h("button", {
    type: "button", class: "claim primary small", dataset: { caseId: row.id },
    onclick: (event) => claim(row.id, event.currentTarget),
  }, t("claim")))), lang());
  show($("#queue-empty"), state.queue.length === 0);
  $("#agents-online").textContent = t("agentsOnline", { n: state.agentsOnline });
  tick();
}

function renderCases() {
  $("#cases-title").textContent = t(isSupervisor() ? "casesTitleAll" : "casesTitle");
  redraw($("#case-list"), state.cases, (c) => c.id, (c) => h("li", {
    class: ["case-item", c.id === state.openId ? "current" : ""], dataset: { caseId: c.id, state: c.state },
  },
  h("div", { class: "case-item-head" }, caseLink(c.id), sevChip(c.severity),
    h("span", { class: "state-badge", dataset: { state: c.state } }, label("state", c.state)),
    h("span", { class: "muted small" }, label("category", c.category)),
    c.assigned_agent ? h("span", { class: "muted small" }, `· ${c.assigned_agent}`) : null),
  c.summary ? h("div", { class: "case-item-summary" }, c.summary) : null), [lang(), state.openId]);
  show($("#cases-empty"), state.cases.length === 0);
}

function renderAlerts() {
  drawAlerts(state.alerts, { caseLink, acknowledge, review: reviewAlert });
}

function renderFollowUps() {
  redraw($("#followup-list"), state.followUps, (f) => f.id, (f) => h("li", {
    class: ["followup-item", f.done_at ? "done" : ""], dataset: { followUpId: f.id, caseId: f.case_id },
  },
  caseLink(f.case_id), " ", h("span", { class: "muted small" }, `${t("due")} `), countdown(f.due_at),
  f.note ? h("div", { class: "small" }, f.note) : null), lang());
  show($("#followups-empty"), state.followUps.length === 0);
  tick();
}

function renderStateFilter() {
  const select = $("#cases-state");
  fill(select, [h("option", { value: "" }, t("allStates")),
    ...STATES.map((s) => h("option", { value: s }, label("state", s)))]);
  select.value = state.casesState;
}

// ---- the open case ----------------------------------------------------------------------------

function setOpen(data) {
  if (state.openId !== data.id) {
    if (state.openId) state.drafts.set(state.openId, $("#reply-text").value);
    $("#reply-text").value = state.drafts.get(data.id) || "";
    state.replyKey = null;
    state.seen = new Set();
    state.lastMessageId = 0;
    $("#thread").dataset.fresh = "1";
  }
  state.openId = data.id;
  state.open = data;
  renderCase();
  renderCases();
}

async function openCase(id) {
  await guarded(null, async () => {
    const data = await state.api.get(caseUrl(id));
    setOpen(data.case);
  });
}

async function refreshCase() {
  if (!state.openId) return;
  const id = state.openId;
  const data = await state.api.get(caseUrl(id));
  if (state.openId === id) setOpen(data.case);
}

function renderCase() {
  const c = state.open;
  show($("#case-placeholder"), !c);
  show($("#case-body"), Boolean(c));
  if (!c) return;
  const pkg = c.package || {};
  const customer = pkg.customer || {};
  const mine = c.assigned_agent && c.assigned_agent === state.me.name;
  const canAct = isSupervisor() || mine;

  $("#case-body").dataset.caseId = c.id;
  $("#case-id").textContent = c.id;
  const sev = $("#case-severity");
  sev.className = `sev sev-${cls(c.severity)}`;
  sev.dataset.severity = c.severity;
  sev.textContent = label("severity", c.severity);
  const badge = $("#case-state");
  badge.dataset.state = c.state;
  badge.textContent = label("state", c.state);
  $("#case-category").textContent = label("category", c.category);
  show($("#case-claim"), WAITING.includes(c.queue_status) && !c.assigned_agent && c.state !== "closed");

  const facts = [
    [t("customer"), customer.id || c.customer_id], [t("channel"), label("channel", customer.channel || c.channel)],
    [t("language"), customer.language || c.language], [t("assigned"), c.assigned_agent || t("unassigned")],
    [t("team"), c.team], [t("priority"), c.priority], [t("queueStatus"), label("queue", c.queue_status)],
    [t("created"), fmtClock(c.created_at)],
  ];
  fill($("#case-facts"), facts.map(([k, v]) => h("div", { class: "fact" }, h("dt", {}, k), h("dd", {}, valueText(v)))));

  $("#case-summary").textContent = pkg.summary || c.summary || t("none");
  const reasons = pkg.severity?.reasons || c.reasons || [];
  fill($("#case-reasons"), reasons.length
    ? reasons.map((r) => h("span", { class: ["chip", "reason", `reason-${cls(String(r).split(":")[0])}`] }, r))
    : h("span", { class: "muted" }, t("none")));

  const trajectory = pkg.emotion_trajectory || [];
  const steps = [];
  trajectory.forEach((p, i) => {
    if (i) steps.push(h("span", { class: "arrow" }, "→"));
    const chip = emoChip(p.emotion, p.confidence);
    chip.title = `${p.emotion}${typeof p.confidence === "number" ? ` ${p.confidence.toFixed(2)}` : ""} · ${fmtClock(p.at)}`;
    steps.push(chip);
  });
  fill($("#case-trajectory"), steps.length ? steps : h("span", { class: "muted" }, t("none")));

  const sla = pkg.sla || {};
  fill($("#case-sla"),
    h("div", { class: "fact" }, h("dt", {}, t("firstResponse")), h("dd", { id: "sla-first" },
      c.first_response_at ? t("answeredAt", { at: fmtClock(c.first_response_at) })
        : countdown(c.first_response_due || sla.first_response_due))),
    h("div", { class: "fact" }, h("dt", {}, t("resolution")), h("dd", { id: "sla-resolution" },
      c.resolved_at ? t("resolvedAt", { at: fmtClock(c.resolved_at) })
        : countdown(c.resolution_due || sla.resolution_due))));

  keyValues($("#case-entities"), pkg.entities);
  keyValues($("#case-slots"), pkg.slots);
  const earlier = pkg.earlier_cases || [];
  fill($("#case-earlier"), earlier.length ? earlier.map((e) => h("li", {}, caseLink(e.id), " ", sevChip(e.severity),
    h("span", { class: "muted small" }, ` ${label("category", e.category)} · ${label("state", e.state)} · ${fmtClock(e.created_at)}`)))
    : h("li", { class: "muted" }, t("none")));

  renderThread();

  const picks = (list) => (list || []).map((text) => h("li", {}, h("button", {
    type: "button", class: "pick", title: text, onclick: () => useReply(text),
  }, text)));
  fill($("#suggested"), picks(pkg.suggested_replies));
  fill($("#canned"), picks(pkg.canned_replies));

  const open = c.state !== "closed";
  show($("#case-actions"), canAct);
  show($("#reply-panel"), canAct && c.queue_status === "claimed" && !c.resolved_at && open);
  const allowed = [...(c.allowed_states || [])].sort((a, b) => STATES.indexOf(a) - STATES.indexOf(b));
  fill($("#state-select"), allowed.map((s) => h("option", { value: s }, label("state", s))));
  $("#state-change").disabled = allowed.length === 0;
  $("#transfer-title").textContent = t(isSupervisor() && !mine ? "reassignTitle" : "transferTitle");
  $("#resolve").disabled = !open || Boolean(c.resolved_at);
  renderFinalLabels(c, !$("#resolve").disabled);

  fill($("#case-transitions"), (c.transitions || []).map((tr) => h("li", {}, h("time", { class: "muted small" }, fmtClock(tr.at)),
    ` ${tr.from_state ? `${label("state", tr.from_state)} → ` : ""}${label("state", tr.to_state)} · ${tr.actor}`,
    tr.note ? h("span", { class: "transition-note" }, ` — ${tr.note}`) : null)));
  $("#case-rating").textContent = c.rating
    ? `${t("rating", { score: c.rating.score })}${c.rating.comment ? ` · ${c.rating.comment}` : ""}` : "";
  updateCount();
  tick();
}

function messageNode(m, where) {
  const role = m.role || "system";
  const author = m.author || m.agent || "";
  let who = label("role", role);
  if ((role === "agent" || role === "note") && author) who = `${who} · ${author}`;
  const meta = [];
  if (role === "customer") {
    if (m.intent) meta.push(h("span", { class: "intent" }, `${t("intent")}: ${m.intent}`));
    if (m.emotion) meta.push(emoChip(m.emotion, m.emotion_confidence ?? m.confidence));
  }
  return h("div", { class: ["msg", `msg-${cls(role)}`, where], dataset: { id: m.id, role } },
    h("div", { class: "msg-head" }, h("span", { class: "who" }, who), h("time", { datetime: m.at || "" }, fmtClock(m.at)),
      ...meta),
    h("div", { class: "msg-text" }, m.text ?? ""));
}

function renderThread() {
  const c = state.open;
  const pkg = c.package || {};
  const thread = $("#thread");
  const fresh = thread.dataset.fresh === "1";
  const atBottom = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 60;
  const nodes = [];
  if (pkg.transcript_truncated) nodes.push(h("p", { class: "muted small" }, t("truncated", { n: pkg.transcript_truncated })));
  for (const m of pkg.transcript || []) nodes.push(messageNode(m, "transcript"));
  nodes.push(h("div", { class: "divider" }, h("span", {}, t("afterHandoff"))));
  state.seen = new Set();
  state.lastMessageId = 0; // this list is complete: polling goes on from its newest message
  for (const m of c.messages || []) {
    nodes.push(messageNode(m, "live"));
    state.seen.add(m.id);
    state.lastMessageId = Math.max(state.lastMessageId, m.id);
  }
  fill(thread, nodes);
  thread.dataset.fresh = "0";
  if (fresh || atBottom) thread.scrollTop = thread.scrollHeight;
}

/**
 * Adds live messages in id order. Only a poll's answer (complete after `lastMessageId`) moves
 * `lastMessageId` on: a reply or note we just stored may be newer than customer messages the
 * poll has not fetched yet, and those must still come.
 */
function appendMessages(messages, complete = false) {
  const thread = $("#thread");
  let added = false;
  for (const m of messages) {
    if (complete) state.lastMessageId = Math.max(state.lastMessageId, m.id);
    if (state.seen.has(m.id)) continue;
    state.seen.add(m.id);
    const node = messageNode(m, "live");
    const later = [...thread.querySelectorAll(".msg.live")].find((el) => Number(el.dataset.id) > m.id);
    if (later) thread.insertBefore(node, later);
    else thread.append(node);
    added = true;
  }
  if (added) thread.scrollTop = thread.scrollHeight;
}

// ---- agent actions ----------------------------------------------------------------------------

async function claim(id, button) {
  await guarded(button, async () => {
    try {
      const data = await state.api.post(caseUrl(id, "/claim"));
      notify("info", t("claimed", { id: data.case.id }));
      setOpen(data.case);
    } finally {
      schedule("queue", 0);
      schedule("cases", 0);
    }
  });
}

async function claimNext(button) {
  await guarded(button, async () => {
    const data = await state.api.post("/queue/next");
    if (!data.case) {
      notify("info", t("nextNone"));
    } else {
      notify("info", t("claimed", { id: data.case.id }));
      await openCase(data.case.id);
    }
    schedule("queue", 0);
    schedule("cases", 0);
  });
}

function useReply(text) {
  const box = $("#reply-text");
  box.value = text;
  state.replyKey = null;
  updateCount();
  box.focus();
}

function updateCount() {
  $("#reply-count").textContent = `${$("#reply-text").value.length}/4000`;
}

async function sendReply() {
  if (state.sending || !state.openId) return; // a double click sends once
  const box = $("#reply-text");
  const text = box.value;
  if (!text.trim()) {
    notify("error", t("writeFirst"));
    return;
  }
  // One key per message: a retry of the same text (after a timeout, say) is delivered once.
  if (!state.replyKey || state.replyKeyText !== text) {
    state.replyKey = randomId();
    state.replyKeyText = text;
  }
  const id = state.openId;
  const button = $("#reply-send");
  state.sending = true;
  button.disabled = true;
  try {
    const data = await state.api.post(caseUrl(id, "/reply"), { text }, { "Idempotency-Key": state.replyKey });
    state.replyKey = null;
    if (data.duplicate) notify("info", t("duplicate"));
    else notify("info", t("sent"));
    if (state.openId === id) {
      if (box.value === text) box.value = "";
      if (data.message) appendMessages([data.message]);
      updateCount();
      schedule("case");
    }
  } catch (exc) {
    // stored, not delivered (502), or the customer can no longer be reached (409, WeChat's 48 hours)
    if (exc instanceof ApiError && (exc.status === 502 || exc.code === "customer_unreachable")) state.replyKey = null;
    showError(exc);
    schedule("case");
  } finally {
    state.sending = false;
    button.disabled = false;
  }
}

async function addNote(button) {
  const input = $("#note-text");
  if (!input.value.trim()) {
    notify("error", t("writeFirst"));
    return;
  }
  const id = state.openId;
  await guarded(button, async () => {
    const data = await state.api.post(caseUrl(id, "/notes"), { text: input.value });
    input.value = "";
    notify("info", t("noteAdded"));
    if (data.note && state.openId === id) appendMessages([data.note]);
  });
}

async function changeState(button) {
  const target = $("#state-select").value;
  if (!target) return;
  const note = $("#state-note");
  await guarded(button, async () => {
    await state.api.post(caseUrl(state.openId, "/state"), { state: target, note: note.value });
    note.value = "";
    notify("info", t("stateChanged", { state: label("state", target) }));
    await refreshCase();
    schedule("cases", 0);
  });
}

async function transfer(button) {
  const agent = $("#transfer-agent").value.trim();
  const team = $("#transfer-team").value.trim();
  if (!agent && !team) {
    notify("error", t("transferWho"));
    return;
  }
  const body = { note: $("#transfer-note").value, ...(agent ? { agent } : { team }) };
  await guarded(button, async () => {
    await state.api.post(caseUrl(state.openId, "/transfer"), body);
    for (const sel of ["#transfer-agent", "#transfer-team", "#transfer-note"]) $(sel).value = "";
    notify("info", t("transferred"));
    await refreshCase();
    schedule("queue", 0);
    schedule("cases", 0);
  });
}

async function resolveCase(button) {
  const note = $("#resolve-note");
  await guarded(button, async () => {
    const data = await state.api.post(caseUrl(state.openId, "/resolve"), { note: note.value, ...finalLabels() });
    note.value = "";
    notify(data.handed_back ? "info" : "error", t(data.handed_back ? "resolved" : "handBackFailed"));
    await refreshCase();
    schedule("cases", 0);
  });
}

async function acknowledge(alertId, button) {
  await guarded(button, async () => {
    await state.api.post(`/alerts/${encodeURIComponent(alertId)}/ack`);
    await loadAlerts();
  });
}

/** 复盘: the review note closes a volume warning (and acknowledges it, if nobody had). */
async function reviewAlert(alertId, note, button) {
  if (!note.trim()) {
    notify("error", t("writeFirst"));
    return;
  }
  await guarded(button, async () => {
    await state.api.post(`/alerts/${encodeURIComponent(alertId)}/review`, { note });
    forgetDraft(alertId);
    notify("info", t("reviewSaved"));
    await loadAlerts();
  });
}

// ---- signing in and out -----------------------------------------------------------------------

async function signIn(token) {
  const api = new Api(token);
  const me = await api.get("/me");
  if (me.role === "trainer") {
    // Trainers do not work cases: their page is the training inbox, signed in with this token.
    sessionStorage.setItem(TOKEN_KEY, token);
    window.location.assign("/console/training.html");
    return;
  }
  state.api = api;
  state.me = me;
  sessionStorage.setItem(TOKEN_KEY, token);
  enterApp();
}

function enterApp() {
  show($("#signin"), false);
  show($("#app"), true);
  show($("#me"), true);
  show($("#sign-out"), true);
  $("#me-name").textContent = state.me.name;
  renderRole();
  for (const el of document.querySelectorAll(".supervisor-only")) show(el, isSupervisor());
  document.body.dataset.role = state.me.role;
  renderStateFilter();
  renderCase();
  state.timers.push(setInterval(tick, 1000), setInterval(pollMessages, MESSAGE_POLL_MS));
  connectLive();
  refreshLists();
  openFromAddress();
}

/** `#case=ID` in the address (links from the statistics page) opens that case. */
function openFromAddress() {
  const found = /^#case=(.+)$/.exec(window.location.hash);
  if (!found || !state.api) return;
  let id = "";
  try {
    id = decodeURIComponent(found[1]);
  } catch {
    return;
  }
  if (id && id !== state.openId) openCase(id);
}

function renderRole() {
  if (!state.me) return;
  const role = $("#me-role");
  role.dataset.role = state.me.role;
  role.textContent = t(state.me.role === "supervisor" ? "roleSupervisor" : "roleAgent");
}

function signOut() {
  closeLive();
  for (const timer of state.timers) {
    clearInterval(timer);
    clearTimeout(timer);
  }
  for (const timer of pending.values()) clearTimeout(timer);
  pending.clear();
  state.timers = [];
  if (state.listTimer) clearInterval(state.listTimer);
  Object.assign(state, {
    api: null, me: null, queue: [], cases: [], alerts: [], followUps: [], openId: null, open: null,
    listTimer: null, listPeriod: 0, replyKey: null, drafts: new Map(),
  });
  sessionStorage.removeItem(TOKEN_KEY);
  fill($("#notices")); // the previous session's messages
  $("#reply-text").value = "";
  fill($("#queue-rows"));
  fill($("#case-list"));
  fill($("#alert-list"));
  fill($("#followup-list"));
  show($("#app"), false);
  show($("#me"), false);
  show($("#sign-out"), false);
  show($("#live"), false);
  for (const el of document.querySelectorAll(".supervisor-only")) show(el, false);
  show($("#signin"), true);
  delete document.body.dataset.role;
  $("#token").focus();
}

function switchLanguage() {
  setLang(lang() === "zh" ? "en" : "zh");
  relabel();
}

function relabel() {
  applyLabels();
  $("#lang-switch").textContent = t("langSwitch");
  if (!state.api) return;
  setLive(state.live);
  renderRole();
  renderStateFilter();
  renderQueue();
  renderCases();
  if (isSupervisor()) {
    renderAlerts();
    renderFollowUps();
  }
  renderCase();
}

function wire() {
  $("#signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("#token");
    const token = input.value.trim();
    if (!token) return;
    const button = $("#sign-in");
    button.disabled = true;
    try {
      await signIn(token);
      input.value = "";
    } catch (exc) {
      notify("error", exc instanceof ApiError && exc.status !== 0 ? exc.message : `${t("network")}: ${exc.message}`,
        exc.code);
    } finally {
      button.disabled = false;
    }
  });
  $("#sign-out").addEventListener("click", () => signOut());
  $("#lang-switch").addEventListener("click", switchLanguage);
  $("#next-case").addEventListener("click", (event) => claimNext(event.currentTarget));
  $("#case-claim").addEventListener("click", (event) => state.openId && claim(state.openId, event.currentTarget));
  $("#reply-send").addEventListener("click", sendReply);
  $("#reply-text").addEventListener("input", () => {
    state.replyKey = null;
    updateCount();
  });
  $("#reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      sendReply();
    }
  });
  $("#note-add").addEventListener("click", (event) => addNote(event.currentTarget));
  $("#state-change").addEventListener("click", (event) => changeState(event.currentTarget));
  $("#transfer-send").addEventListener("click", (event) => transfer(event.currentTarget));
  $("#resolve").addEventListener("click", (event) => resolveCase(event.currentTarget));
  $("#cases-state").addEventListener("change", (event) => {
    state.casesState = event.currentTarget.value;
    schedule("cases", 0);
  });
  $("#alerts-open-only").addEventListener("change", () => schedule("alerts", 0));
  window.addEventListener("hashchange", openFromAddress);
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
      sessionStorage.removeItem(TOKEN_KEY);
      if (!(exc instanceof ApiError && exc.status === 401)) showError(exc);
    }
  }
  document.body.dataset.ready = "1";
}

start();
