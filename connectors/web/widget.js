/*!
 * Shop chat widget: the customer's side of the shop assistant, on Rasa's socket.io channel.
 * No build step, no dependencies but the Socket.IO client in vendor/ (loaded when the page has
 * none). Embed with
 *   <script src="http://HOST:8000/widget/widget.js" data-rasa="http://HOST:5005" data-lang="zh" defer></script>
 * Options (data-* on the script tag) and limits: docs/widget.md.
 *
 * Everything a customer or an agent wrote is put on the page as text (textContent, text nodes),
 * never as HTML.
 */
(function () {
  "use strict";

  if (window.ShopChat && window.ShopChat.version) {
    return; // embedded twice: the first copy stays
  }

  var VERSION = "1.0.0";
  var MAX_LOG = 200; // messages kept in localStorage per conversation
  var MAX_TEXT = 4000; // characters a customer may send in one message

  // ---------------------------------------------------------------- configuration

  var script = document.currentScript || findScript();
  var data = (script && script.dataset) || {};
  var scriptUrl = script && script.src ? script.src : window.location.href;
  var baseUrl = new URL(".", scriptUrl).href; // the folder widget.js was loaded from

  function findScript() {
    var all = document.querySelectorAll("script[src*='widget.js']");
    return all.length ? all[all.length - 1] : null;
  }

  function httpUrl(value) {
    if (!value) return null;
    try {
      var url = new URL(value, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url : null;
    } catch (e) {
      return null;
    }
  }

  function defaultRasa() {
    var proto = window.location.protocol === "https:" ? "https:" : "http:";
    return proto + "//" + (window.location.hostname || "localhost") + ":5005";
  }

  var rasa = httpUrl(data.rasa) || httpUrl(defaultRasa());
  var rasaUrl = rasa.origin + rasa.pathname.replace(/\/+$/, "");
  var config = {
    rasa: rasaUrl,
    path: data.socketioPath || "/socket.io",
    lang: pickLanguage(data.lang),
    title: data.title || "",
    open: data.open === "true" || data.open === "",
    css: data.css === undefined ? new URL("widget.css", baseUrl).href : data.css,
    storageKey: (data.storageKey || "shopchat") + ":" + rasaUrl,
    socketio: data.socketioSrc || new URL("vendor/socket.io.min.js", baseUrl).href,
  };

  function pickLanguage(wanted) {
    var candidates = wanted ? [wanted] : (navigator.languages || [navigator.language || "en"]);
    for (var i = 0; i < candidates.length; i++) {
      var tag = String(candidates[i] || "").toLowerCase();
      if (/^zh-(hant|tw|hk|mo)/.test(tag)) return "zh-Hant";
      if (/^zh/.test(tag)) return "zh-Hans";
      if (/^en/.test(tag)) return "en";
    }
    return wanted ? "en" : "zh-Hans";
  }

  // ---------------------------------------------------------------- texts

  var TEXTS = {
    "zh-Hans": {
      title: "在线客服",
      subtitle: "智能客服 · 可随时转人工",
      launcher: "在线客服",
      closeChat: "收起对话",
      newChat: "新对话",
      newChatHint: "清除本机上的对话记录并开始新的对话",
      log: "对话记录",
      inputLabel: "输入您的消息",
      placeholder: "请输入您的问题…",
      send: "发送",
      human: "转人工",
      humanText: "转人工",
      bot: "智能客服",
      agent: function (name) { return "客服 " + name; },
      you: "我",
      welcome: "您好！我是智能客服，可以帮您查询订单和退款进度，解答配送、退换货、发票、支付等问题。需要人工服务时，点击“转人工”即可。",
      quickReplies: "快捷回复",
      rate: "为本次服务打分（5 星为非常满意）",
      star: function (n) { return n + " 星"; },
      rated: function (n) { return "评分：" + n + " 星"; },
      waiting: "排队中…正在等待人工客服接入",
      waitingAt: function (n, wait) { return "排队中…前面还有 " + n + " 位客户，预计等待 " + wait; },
      caseId: function (id) { return "投诉单 " + id; },
      withAgent: function (name) { return "客服 " + name + " 正在为您服务"; },
      connecting: "正在连接客服…",
      offline: "连接已断开，正在重新连接…（您的消息会在连接后发出）",
      tooLong: function (n) { return "消息太长，请分几条发送（每条最多 " + n + " 字）。"; },
      unread: function (n) { return n + " 条新消息"; },
    },
    "zh-Hant": {
      title: "線上客服",
      subtitle: "智慧客服 · 可隨時轉真人",
      launcher: "線上客服",
      closeChat: "收起對話",
      newChat: "新對話",
      newChatHint: "清除本機上的對話紀錄並開始新的對話",
      log: "對話紀錄",
      inputLabel: "輸入您的訊息",
      placeholder: "請輸入您的問題…",
      send: "傳送",
      human: "轉人工",
      humanText: "轉人工",
      bot: "智慧客服",
      agent: function (name) { return "客服 " + name; },
      you: "我",
      welcome: "您好！我是智慧客服，可以幫您查詢訂單和退款進度，解答配送、退換貨、發票、付款等問題。需要真人服務時，點選「轉人工」即可。",
      quickReplies: "快速回覆",
      rate: "為本次服務評分（5 星為非常滿意）",
      star: function (n) { return n + " 星"; },
      rated: function (n) { return "評分：" + n + " 星"; },
      waiting: "排隊中…正在等待真人客服接入",
      waitingAt: function (n, wait) { return "排隊中…前面還有 " + n + " 位客戶，預計等待 " + wait; },
      caseId: function (id) { return "投訴單 " + id; },
      withAgent: function (name) { return "客服 " + name + " 正在為您服務"; },
      connecting: "正在連線客服…",
      offline: "連線已中斷，正在重新連線…（您的訊息會在連線後送出）",
      tooLong: function (n) { return "訊息太長，請分幾則傳送（每則最多 " + n + " 字）。"; },
      unread: function (n) { return n + " 則新訊息"; },
    },
    en: {
      title: "Customer service",
      subtitle: "Assistant · a person whenever you need one",
      launcher: "Chat with us",
      closeChat: "Minimise the chat",
      newChat: "New chat",
      newChatHint: "Clear this conversation from this device and start a new one",
      log: "Conversation",
      inputLabel: "Your message",
      placeholder: "Type your question…",
      send: "Send",
      human: "Talk to a person",
      humanText: "talk to a person",
      bot: "Assistant",
      agent: function (name) { return "Agent " + name; },
      you: "You",
      welcome: "Hello! I'm the shop's assistant. I can check orders and refunds and answer questions about delivery, returns, invoices and payment. Press \"Talk to a person\" whenever you'd like a member of our team.",
      quickReplies: "Quick replies",
      rate: "Rate our service (5 stars = very satisfied)",
      star: function (n) { return n + (n === 1 ? " star" : " stars"); },
      rated: function (n) { return "Rating: " + n + (n === 1 ? " star" : " stars"); },
      waiting: "Waiting for an agent…",
      waitingAt: function (n, wait) { return "Waiting for an agent… " + n + " ahead of you, about " + wait; },
      caseId: function (id) { return "Case " + id; },
      withAgent: function (name) { return "You're chatting with " + name; },
      connecting: "Connecting…",
      offline: "Connection lost, reconnecting… (your messages will be sent once we're back)",
      tooLong: function (n) { return "That message is too long; please split it (at most " + n + " characters each)."; },
      unread: function (n) { return n + (n === 1 ? " new message" : " new messages"); },
    },
  };
  var T = TEXTS[config.lang];

  // What the bot's handoff message says (nlu_data/knowledge/handoff.yml: handoff_queued,
  // handoff_wait_unknown, handed_back), in every script it writes.
  var CASE_RE = /C-\d{8}-\d{4,}/;
  var HANDOFF_RE = /转接人工|轉接人工|transferring you to a member of our team/i;
  var POSITION_RE = [
    /前面[还還]有\s*(\d+)\s*位客[户戶][，,]\s*[预預][计計]等待\s*([^，,。；;]+)/,
    /There (?:are|is) (\d+) customers? ahead of you and the expected wait is ([^.;]+)/i,
  ];
  var HANDED_BACK_RE = /智能客服继续为您服务|智慧客服繼續為您服務|智能客服繼續為您服務|and I'm back/i;

  // ---------------------------------------------------------------- state (localStorage)

  var storage = (function () {
    try {
      var probe = "__shopchat__";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null; // private mode or blocked: the conversation lasts as long as the page
    }
  })();

  function load(name, fallback) {
    if (!storage) return fallback;
    try {
      var raw = storage.getItem(config.storageKey + ":" + name);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function save(name, value) {
    if (!storage) return;
    try {
      if (value === null || value === undefined) storage.removeItem(config.storageKey + ":" + name);
      else storage.setItem(config.storageKey + ":" + name, JSON.stringify(value));
    } catch (e) {
      /* quota: keep going in memory */
    }
  }

  // The conversation id and the token that proves it are both made by the server
  // (connectors/web_session.py): the widget keeps them and shows the token when it comes back.
  // Without a valid token the server starts a new conversation; an id alone proves nothing.
  var state = {
    session: load("session", null),
    token: load("token", null),
    log: load("log", []),
    status: load("status", null), // {kind: "waiting"|"agent", caseId, position, wait, agent}
    open: !!load("open", false),
    unread: 0,
  };
  if (!Array.isArray(state.log)) state.log = [];
  var socket = null;
  var conn = "idle"; // idle | connecting | online (session confirmed) | offline
  var outbox = []; // messages typed before the session was confirmed
  var els = {};

  function persist() {
    if (state.log.length > MAX_LOG) state.log = state.log.slice(-MAX_LOG);
    save("session", state.session);
    save("token", state.token);
    save("log", state.log);
    save("status", state.status);
  }

  // ---------------------------------------------------------------- DOM helpers

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Text with web links made clickable (http and https only) and case ids kept on one line;
  // every piece is a text node or an element whose text is set with textContent.
  function appendText(parent, text) {
    var re = /\bhttps?:\/\/[^\s<>"'）)，。]+|C-\d{8}-\d{4,}/g;
    var last = 0;
    var match;
    while ((match = re.exec(text)) !== null) {
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[0].charAt(0) === "C") {
        parent.appendChild(el("span", "shopchat-nowrap", match[0]));
      } else {
        var link = el("a", "shopchat-link", match[0]);
        link.href = match[0];
        link.target = "_blank";
        link.rel = "noopener noreferrer nofollow";
        parent.appendChild(link);
      }
      last = match.index + match[0].length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // Icons are inline SVG paths (no icon font, no emoji: they need fonts a machine may lack).
  var ICON_CHAT = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 " +
    "3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z";
  var ICON_PERSON = "M12 2a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm0 12c5 0 9 2.5 9 6v2H3v-2c0-3.5 4-6 9-6z";

  function icon(path) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "shopchat-icon");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", path);
    svg.appendChild(shape);
    return svg;
  }

  function button(className, label, onClick) {
    var b = el("button", className, label);
    b.type = "button";
    if (onClick) b.addEventListener("click", onClick);
    return b;
  }

  // ---------------------------------------------------------------- building the widget

  function loadCss() {
    if (!config.css || config.css === "none" || document.querySelector("link[data-shopchat]")) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = config.css;
    link.setAttribute("data-shopchat", "");
    document.head.appendChild(link);
  }

  function build() {
    var root = el("div", "shopchat");
    root.lang = config.lang;
    root.setAttribute("data-shopchat-root", "");

    var launcher = button("shopchat-launcher", "", toggle);
    launcher.setAttribute("aria-controls", "shopchat-panel");
    launcher.appendChild(icon(ICON_CHAT));
    launcher.appendChild(el("span", "shopchat-launcher-label", T.launcher));
    var badge = el("span", "shopchat-badge");
    badge.setAttribute("aria-hidden", "true");
    badge.hidden = true;
    launcher.appendChild(badge);

    var panel = el("section", "shopchat-panel");
    panel.id = "shopchat-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", config.title || T.title);
    panel.hidden = true;

    var header = el("header", "shopchat-header");
    var heading = el("div", "shopchat-heading");
    heading.appendChild(el("h2", "shopchat-title", config.title || T.title));
    heading.appendChild(el("p", "shopchat-subtitle", T.subtitle));
    header.appendChild(heading);
    var reset = button("shopchat-newchat", T.newChat, resetConversation);
    reset.title = T.newChatHint;
    header.appendChild(reset);
    var close = button("shopchat-close", "×", closePanel);
    close.setAttribute("aria-label", T.closeChat);
    header.appendChild(close);

    var status = el("div", "shopchat-status");
    status.setAttribute("role", "status");
    status.hidden = true;

    var log = el("div", "shopchat-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", T.log);
    log.tabIndex = 0;

    var form = el("form", "shopchat-form");
    form.setAttribute("novalidate", "");
    var human = button("shopchat-human", "", function () { send(T.humanText); });
    human.appendChild(icon(ICON_PERSON));
    human.appendChild(document.createTextNode(T.human));
    var label = el("label", "shopchat-visually-hidden", T.inputLabel);
    label.htmlFor = "shopchat-input";
    var input = el("textarea", "shopchat-input");
    input.id = "shopchat-input";
    input.rows = 1;
    input.placeholder = T.placeholder;
    input.maxLength = MAX_TEXT;
    input.setAttribute("autocomplete", "off");
    input.setAttribute("enterkeyhint", "send");
    var submit = el("button", "shopchat-send", T.send);
    submit.type = "submit";
    form.appendChild(human);
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(submit);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      if (text.length > MAX_TEXT) {
        showStatus(T.tooLong(MAX_TEXT), "error");
        return;
      }
      input.value = "";
      send(text);
      input.focus();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { // IME composition keeps Enter
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : submit.click();
      }
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") closePanel();
    });

    panel.appendChild(header);
    panel.appendChild(status);
    panel.appendChild(log);
    panel.appendChild(form);
    root.appendChild(panel);
    root.appendChild(launcher);
    document.body.appendChild(root);

    els = { root: root, launcher: launcher, badge: badge, panel: panel, status: status, log: log, input: input };
  }

  // ---------------------------------------------------------------- rendering

  function isRating(buttons) {
    if (!buttons || buttons.length !== 5) return false;
    var payloads = buttons.map(function (b) { return String(b.payload).trim(); }).sort().join(",");
    return payloads === "1,2,3,4,5";
  }

  function renderAll() {
    els.log.textContent = "";
    var welcome = el("div", "shopchat-msg shopchat-msg--bot shopchat-msg--welcome");
    welcome.setAttribute("data-sender", "welcome");
    welcome.appendChild(el("div", "shopchat-who", T.bot));
    welcome.appendChild(el("div", "shopchat-bubble", T.welcome));
    els.log.appendChild(welcome);
    state.log.forEach(function (entry) { els.log.appendChild(renderEntry(entry)); });
    renderStatus();
    scrollDown();
  }

  function renderEntry(entry) {
    var who = entry.who === "user" || entry.who === "agent" ? entry.who : "bot";
    var node = el("div", "shopchat-msg shopchat-msg--" + who);
    node.setAttribute("data-sender", who);
    if (who === "agent") node.setAttribute("data-agent", entry.agent || "");
    var name = who === "user" ? T.you : who === "agent" ? T.agent(entry.agent || "") : T.bot;
    var whoEl = el("div", who === "user" ? "shopchat-who shopchat-visually-hidden" : "shopchat-who", name);
    node.appendChild(whoEl);
    if (entry.text) {
      var bubble = el("div", "shopchat-bubble");
      appendText(bubble, String(entry.text));
      node.appendChild(bubble);
    }
    if (entry.image) {
      var url = httpUrl(entry.image);
      if (url) {
        var img = el("img", "shopchat-image");
        img.src = url.href;
        img.alt = "";
        img.loading = "lazy";
        node.appendChild(img);
      }
    }
    var buttons = entry.buttons || [];
    if (buttons.length) {
      if (isRating(buttons)) node.appendChild(renderRating(entry));
      else if (!entry.answered) node.appendChild(renderChips(entry));
    }
    return node;
  }

  function renderChips(entry) {
    var group = el("div", "shopchat-chips");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", T.quickReplies);
    entry.buttons.forEach(function (b) {
      var chip = button("shopchat-chip", b.title, function () { choose(entry, b.payload, b.title); });
      chip.setAttribute("data-payload", b.payload);
      group.appendChild(chip);
    });
    return group;
  }

  function renderRating(entry) {
    var group = el("div", "shopchat-rating");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", T.rate);
    var chosen = Number(entry.chosen) || 0;
    var stars = [];
    function light(n) {
      stars.forEach(function (s, i) { s.classList.toggle("shopchat-star--lit", i < n); });
    }
    for (var n = 1; n <= 5; n++) {
      (function (score) {
        var star = button("shopchat-star", "★", function () {
          choose(entry, String(score), "★".repeat(score) + " (" + score + ")", score);
        });
        star.setAttribute("data-score", String(score));
        star.setAttribute("aria-label", T.star(score));
        if (entry.answered) {
          star.disabled = true;
          star.setAttribute("aria-pressed", String(score === chosen));
        } else {
          star.addEventListener("mouseenter", function () { light(score); });
          star.addEventListener("focus", function () { light(score); });
          star.addEventListener("mouseleave", function () { light(chosen); });
          star.addEventListener("blur", function () { light(chosen); });
        }
        stars.push(star);
        group.appendChild(star);
      })(n);
    }
    light(chosen);
    if (entry.answered && chosen) group.appendChild(el("span", "shopchat-rated", T.rated(chosen)));
    return group;
  }

  function appendEntry(entry) {
    state.log.push(entry);
    persist();
    els.log.appendChild(renderEntry(entry));
    scrollDown();
    if (!state.open && entry.who !== "user") {
      state.unread += 1;
      renderBadge();
    }
  }

  function scrollDown() {
    els.log.scrollTop = els.log.scrollHeight;
  }

  function renderBadge() {
    els.badge.hidden = state.unread === 0;
    els.badge.textContent = state.unread ? String(state.unread) : "";
    if (state.unread) els.launcher.setAttribute("aria-label", T.launcher + " (" + T.unread(state.unread) + ")");
    else els.launcher.removeAttribute("aria-label");
  }

  function showStatus(text, kind) {
    els.status.textContent = text || "";
    els.status.hidden = !text;
    els.status.setAttribute("data-kind", kind || "");
  }

  function renderStatus() {
    if (!els.status) return;
    if (conn === "connecting" || conn === "offline") {
      showStatus(conn === "offline" ? T.offline : T.connecting, "connection");
      return;
    }
    var s = state.status;
    if (s && s.kind === "waiting") {
      var line = s.position !== undefined && s.position !== null ? T.waitingAt(s.position, s.wait) : T.waiting;
      showStatus((s.caseId ? T.caseId(s.caseId) + " · " : "") + line, "waiting");
    } else if (s && s.kind === "agent") {
      showStatus(T.withAgent(s.agent || ""), "agent");
    } else {
      showStatus("", "");
    }
  }

  // ---------------------------------------------------------------- conversation

  function markAnswered() {
    var changed = false;
    state.log.forEach(function (entry) {
      if (entry.buttons && entry.buttons.length && !entry.answered) {
        entry.answered = true;
        changed = true;
      }
    });
    return changed;
  }

  function choose(entry, payload, title, score) {
    if (entry.answered) return;
    if (score) entry.chosen = score;
    send(payload, title);
  }

  function send(payload, shown) {
    payload = String(payload || "").trim();
    if (!payload) return;
    if (markAnswered()) {
      persist();
      renderAll();
    }
    appendEntry({ who: "user", text: shown || payload, t: Date.now() });
    announce("shopchat:send", { message: payload });
    outbox.push(payload);
    connect();
    flush();
  }

  function flush() {
    if (!socket || conn !== "online") return;
    while (outbox.length) {
      socket.emit("user_uttered", { message: outbox.shift() }); // the server knows whose socket this is
    }
  }

  function onBotMessage(message) {
    if (!message || typeof message !== "object") return;
    var who = message.sender === "agent" ? "agent" : "bot";
    var text = typeof message.text === "string" ? message.text : "";
    var raw = Array.isArray(message.quick_replies) ? message.quick_replies
      : Array.isArray(message.buttons) ? message.buttons : [];
    var buttons = raw.filter(function (b) { return b && b.title !== undefined && b.title !== null; })
      .map(function (b) {
        return { title: String(b.title), payload: String(b.payload !== undefined && b.payload !== null ? b.payload : b.title) };
      });
    var attachment = message.attachment;
    var image = attachment && attachment.type === "image" && attachment.payload ? attachment.payload.src : null;
    if (!text && !buttons.length && !image) return;
    var entry = { who: who, text: text, t: Date.now() };
    if (who === "agent") entry.agent = typeof message.agent === "string" ? message.agent : "";
    if (buttons.length) entry.buttons = buttons;
    if (image) entry.image = String(image);
    followHandoff(entry);
    appendEntry(entry);
    renderStatus();
    announce("shopchat:message", message);
  }

  // The page may listen: window.addEventListener("shopchat:message", e => e.detail) gets every
  // message as the channel sent it ({text, sender, agent, quick_replies, ...}).
  function announce(name, detail) {
    try {
      window.dispatchEvent(new CustomEvent(name, { detail: detail }));
    } catch (e) {
      /* a listener's error is not the widget's */
    }
  }

  // The status line: waiting in the queue (from the bot's handoff message) until an agent writes,
  // then who is helping, until the bot takes the customer back.
  function followHandoff(entry) {
    var s = state.status;
    if (entry.who === "agent") {
      state.status = { kind: "agent", agent: entry.agent, caseId: s && s.caseId };
    } else if (HANDOFF_RE.test(entry.text)) {
      var found = CASE_RE.exec(entry.text);
      var next = { kind: "waiting", caseId: found ? found[0] : null, position: null, wait: null };
      for (var i = 0; i < POSITION_RE.length; i++) {
        var m = POSITION_RE[i].exec(entry.text);
        if (m) {
          next.position = Number(m[1]);
          next.wait = m[2].trim();
          break;
        }
      }
      state.status = next;
    } else if (s && (s.kind === "agent" || isRating(entry.buttons) || HANDED_BACK_RE.test(entry.text))) {
      state.status = null; // the bot speaks again: the person has handed the customer back
    }
    save("status", state.status);
  }

  // ---------------------------------------------------------------- connection

  function withSocketIo(callback) {
    if (typeof window.io === "function") {
      callback(window.io);
      return;
    }
    var existing = document.querySelector("script[data-shopchat-socketio]");
    var tag = existing || document.createElement("script");
    tag.addEventListener("load", function () { callback(window.io); });
    tag.addEventListener("error", function () {
      conn = "offline";
      renderStatus();
    });
    if (!existing) {
      tag.src = config.socketio;
      tag.async = true;
      tag.setAttribute("data-shopchat-socketio", "");
      document.head.appendChild(tag);
    }
  }

  function connect() {
    if (socket) return;
    socket = {}; // a placeholder until the client is loaded, so this runs once
    conn = "connecting";
    renderStatus();
    withSocketIo(function (io) {
      socket = io(config.rasa, { path: config.path, transports: ["websocket"] });
      socket.on("connect", function () {
        socket.emit("session_request", { session_id: state.session, token: state.token, lang: config.lang });
      });
      socket.on("session_confirm", function (session) {
        var id = session && typeof session === "object" ? session.session_id : session;
        var token = session && typeof session === "object" ? session.token : null;
        if (id && id !== state.session) {
          if (state.session) state.status = null; // a new conversation: the old queue or agent is not its
          state.session = String(id);
        }
        if (typeof token === "string") state.token = token;
        persist();
        conn = "online";
        renderStatus();
        flush();
      });
      socket.on("session_error", function () {
        // a message reached the server before its session (e.g. a server restart between them):
        // ask again; what was typed meanwhile waits in the outbox
        conn = "connecting";
        renderStatus();
        socket.emit("session_request", { session_id: state.session, token: state.token, lang: config.lang });
      });
      socket.on("bot_uttered", onBotMessage);
      socket.on("disconnect", function () {
        conn = "offline"; // socket.io reconnects by itself, and "connect" asks for the session again
        renderStatus();
      });
      socket.on("connect_error", function () {
        conn = "offline";
        renderStatus();
      });
    });
  }

  function resetConversation() {
    if (socket && socket.disconnect) {
      socket.off(); // the old connection's events no longer concern this conversation
      socket.disconnect();
    }
    socket = null;
    conn = "idle";
    outbox = [];
    state.session = null;
    state.token = null;
    state.log = [];
    state.status = null;
    persist();
    renderAll();
    connect();
    els.input.focus();
  }

  // ---------------------------------------------------------------- open / close

  function openPanel() {
    state.open = true;
    save("open", true);
    els.panel.hidden = false;
    els.root.classList.add("shopchat--open");
    els.launcher.setAttribute("aria-expanded", "true");
    state.unread = 0;
    renderBadge();
    connect();
    scrollDown();
    els.input.focus();
  }

  function closePanel() {
    state.open = false;
    save("open", false);
    els.panel.hidden = true;
    els.root.classList.remove("shopchat--open");
    els.launcher.setAttribute("aria-expanded", "false");
    els.launcher.focus();
  }

  function toggle() {
    if (state.open) closePanel();
    else openPanel();
  }

  function start() {
    loadCss();
    build();
    renderAll();
    els.launcher.setAttribute("aria-expanded", "false");
    if (state.open || config.open) openPanel();
    else if (state.session) connect(); // an ongoing conversation: agents' messages arrive while closed
  }

  window.ShopChat = {
    version: VERSION,
    config: config,
    open: function () { openPanel(); },
    close: function () { closePanel(); },
    send: function (text) { send(text); },
    reset: function () { resetConversation(); },
    session: function () { return state.session; },
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
