// The console's own words, in Chinese and English. Data (messages, names, summaries) is never
// translated or interpreted here: it is shown as text, as it came.

const LABELS = {
  zh: {
    title: "客服工作台",
    signInTitle: "登录",
    tokenLabel: "API 令牌",
    tokenHint: "令牌由管理员生成：",
    signIn: "登录",
    signOut: "退出",
    roleAgent: "坐席",
    roleSupervisor: "主管",
    langSwitch: "EN",
    liveOpen: "实时",
    liveConnecting: "连接中…",
    livePolling: "实时连接中断，轮询中",
    queueTitle: "排队中",
    nextCase: "接下一个",
    queueEmpty: "队列为空",
    agentsOnline: "在线坐席 {n}",
    colPos: "#",
    colCase: "工单",
    colSeverity: "等级",
    colCategory: "类别",
    colEmotion: "情绪",
    colPriority: "优先级",
    colWaiting: "已等待",
    colSla: "首次响应",
    claim: "接单",
    casesTitle: "我的工单",
    casesTitleAll: "全部工单",
    casesEmpty: "暂无工单",
    stateFilter: "状态",
    allStates: "全部",
    alertsTitle: "预警与超时",
    openOnly: "只看未确认",
    alertsEmpty: "暂无预警",
    ack: "确认",
    acked: "已由 {who} 确认",
    followUpsTitle: "回访任务",
    followUpsEmpty: "暂无回访任务",
    due: "到期",
    done: "已完成",
    casePlaceholder: "在左侧选择一个工单",
    customer: "客户",
    channel: "渠道",
    language: "语言",
    assigned: "处理人",
    unassigned: "未分配",
    team: "团队",
    priority: "优先级",
    queueStatus: "队列",
    created: "创建",
    summary: "摘要",
    reasons: "定级依据",
    trajectory: "情绪轨迹",
    sla: "SLA 时限",
    firstResponse: "首次响应",
    resolution: "解决",
    answeredAt: "已于 {at} 响应",
    resolvedAt: "已于 {at} 解决",
    breached: "超时",
    entities: "实体",
    slots: "表单槽位",
    earlier: "历史工单",
    none: "无",
    transcript: "对话记录",
    afterHandoff: "转人工后",
    truncated: "（更早的 {n} 条消息未显示）",
    intent: "意图",
    replyTitle: "回复客户",
    suggested: "建议回复",
    canned: "常用话术",
    replyPlaceholder: "输入回复，Ctrl+Enter 发送",
    send: "发送",
    sent: "已发送给客户",
    duplicate: "这条回复已发送过，未重复发送",
    noteTitle: "内部备注（客户看不到）",
    notePlaceholder: "只有同事能看到的备注",
    addNote: "添加备注",
    noteAdded: "备注已保存",
    stateTitle: "流转状态",
    optionalNote: "说明（可选）",
    changeState: "更新状态",
    stateChanged: "状态已更新为 {state}",
    transferTitle: "转交",
    reassignTitle: "改派（主管）",
    transferAgent: "坐席用户名",
    transferTeam: "或退回团队队列",
    transfer: "转交",
    transferred: "工单已转交",
    resolveTitle: "解决并交回机器人",
    resolve: "解决",
    finalLabelsHint: "请核对类别和严重程度（已预填机器人的判断）",
    finalCategory: "最终类别",
    finalSeverity: "最终严重程度",
    resolved: "已解决，机器人将请客户评价",
    handBackFailed: "已解决，但未能交回机器人（见系统消息）",
    history: "流转记录",
    rating: "客户评分 {score}/5",
    claimed: "已接单 {id}",
    nextNone: "没有可接的工单",
    writeFirst: "请先输入内容",
    transferWho: "请填写坐席用户名或团队",
    network: "无法连接服务",
    signedOut: "令牌无效或已停用，请重新登录",
    dismiss: "关闭",
  },
  en: {
    title: "Agents' console",
    signInTitle: "Sign in",
    tokenLabel: "API token",
    tokenHint: "Your administrator creates the token:",
    signIn: "Sign in",
    signOut: "Sign out",
    roleAgent: "agent",
    roleSupervisor: "supervisor",
    langSwitch: "中文",
    liveOpen: "live",
    liveConnecting: "connecting…",
    livePolling: "live feed down, polling",
    queueTitle: "Queue",
    nextCase: "Next case",
    queueEmpty: "Nobody is waiting",
    agentsOnline: "{n} agents online",
    colPos: "#",
    colCase: "Case",
    colSeverity: "Severity",
    colCategory: "Category",
    colEmotion: "Emotion",
    colPriority: "Priority",
    colWaiting: "Waiting",
    colSla: "1st response",
    claim: "Claim",
    casesTitle: "My cases",
    casesTitleAll: "All cases",
    casesEmpty: "No cases",
    stateFilter: "State",
    allStates: "all",
    alertsTitle: "Alerts",
    openOnly: "Open only",
    alertsEmpty: "No alerts",
    ack: "Acknowledge",
    acked: "acknowledged by {who}",
    followUpsTitle: "Follow-ups",
    followUpsEmpty: "No follow-ups",
    due: "due",
    done: "done",
    casePlaceholder: "Pick a case on the left",
    customer: "Customer",
    channel: "Channel",
    language: "Language",
    assigned: "Assigned to",
    unassigned: "unassigned",
    team: "Team",
    priority: "Priority",
    queueStatus: "Queue",
    created: "Created",
    summary: "Summary",
    reasons: "Severity reasons",
    trajectory: "Emotion trajectory",
    sla: "SLA deadlines",
    firstResponse: "First response",
    resolution: "Resolution",
    answeredAt: "answered at {at}",
    resolvedAt: "resolved at {at}",
    breached: "breached",
    entities: "Entities",
    slots: "Slots",
    earlier: "Earlier cases",
    none: "none",
    transcript: "Transcript",
    afterHandoff: "After the handoff",
    truncated: "({n} earlier messages not shown)",
    intent: "intent",
    replyTitle: "Reply to the customer",
    suggested: "Suggested replies",
    canned: "Canned answers",
    replyPlaceholder: "Type a reply; Ctrl+Enter sends",
    send: "Send",
    sent: "Sent to the customer",
    duplicate: "This reply was already sent; not delivered twice",
    noteTitle: "Internal note (the customer never sees it)",
    notePlaceholder: "Only colleagues see this",
    addNote: "Add note",
    noteAdded: "Note saved",
    stateTitle: "Case state",
    optionalNote: "Note (optional)",
    changeState: "Update state",
    stateChanged: "State is now {state}",
    transferTitle: "Transfer",
    reassignTitle: "Reassign (supervisor)",
    transferAgent: "Agent name",
    transferTeam: "or back to a team's queue",
    transfer: "Transfer",
    transferred: "Case transferred",
    resolveTitle: "Resolve and hand back to the bot",
    resolve: "Resolve",
    finalLabelsHint: "Check the category and severity (pre-filled with the bot's)",
    finalCategory: "Final category",
    finalSeverity: "Final severity",
    resolved: "Resolved: the bot asks the customer for a rating",
    handBackFailed: "Resolved, but the hand-back to the bot failed (see the system message)",
    history: "History",
    rating: "Customer rating {score}/5",
    claimed: "Claimed {id}",
    nextNone: "No case is waiting for you",
    writeFirst: "Write something first",
    transferWho: "Give an agent name or a team",
    network: "Cannot reach the service",
    signedOut: "Unknown or disabled token: sign in again",
    dismiss: "Dismiss",
  },
};

// Label groups for the API's fixed values; an unknown value is shown as it is. The names the
// reports share (category, severity, channel, warning_level) are not here: loadSharedLabels()
// adds them from the service, which has them from their one definition, core/labels.py.
const GROUPS = {
  zh: {
    emotion: { anger: "愤怒", anxiety: "焦虑", sadness: "失望", joy: "满意", surprise: "惊讶", neutral: "平静" },
    state: {
      received: "已受理", investigating: "调查中", solution_proposed: "已提方案", in_progress: "实施中",
      follow_up: "回访", closed: "已关闭", reopened: "重新打开",
    },
    queue: { none: "未排队", queued: "排队中", claimed: "处理中", callback: "待回电", returned: "已交回机器人" },
    role: {
      customer: "客户", bot: "机器人", agent: "客服", note: "内部备注", system: "系统",
    },
    alert: { sla_breach: "SLA 超时", spike: "投诉激增" },
  },
  en: {
    emotion: { anger: "anger", anxiety: "anxiety", sadness: "sadness", joy: "joy", surprise: "surprise", neutral: "neutral" },
    state: {
      received: "received", investigating: "investigating", solution_proposed: "solution proposed",
      in_progress: "in progress", follow_up: "follow-up", closed: "closed", reopened: "reopened",
    },
    queue: { none: "not queued", queued: "queued", claimed: "claimed", callback: "callback", returned: "back with the bot" },
    role: {
      customer: "Customer", bot: "Bot", agent: "Agent", note: "Internal note", system: "System",
    },
    alert: { sla_breach: "SLA breach", spike: "complaint spike" },
  },
};

const STORAGE_KEY = "console.lang";

function initialLanguage() {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === "zh" || stored === "en") return stored;
  return (navigator.language || "zh").toLowerCase().startsWith("en") ? "en" : "zh";
}

let current = initialLanguage();

export function lang() {
  return current;
}

export function setLang(value) {
  current = value === "en" ? "en" : "zh";
  localStorage.setItem(STORAGE_KEY, current);
  document.documentElement.lang = current === "en" ? "en" : "zh-CN";
}

/** A UI label with {placeholders} filled (values are inserted as text by the caller). */
export function t(key, vars = {}) {
  const text = LABELS[current][key] ?? LABELS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** The label of an API value (severity, emotion, state, …), or the value itself. */
export function label(group, value) {
  if (value === null || value === undefined || value === "") return t("none");
  return GROUPS[current][group]?.[value] ?? String(value);
}

/** The values a label group names, in their order (emotions here, severities from labels.json):
 * the trainers' page cycles through them, so it lists no value of its own. */
export function values(group) {
  return Object.keys(GROUPS[current][group] || GROUPS.zh[group] || {});
}

/** The values of a label group in their defined order (categories, severities: from labels.json). */
export function labelValues(group) {
  return Object.keys(GROUPS[current][group] || {});
}

/**
 * Adds the names the console shares with the reports and the summaries (categories, severities,
 * channels, warning levels) from `labels.json`, served by the handoff service from core/labels.py
 * next to the page: {group: {value: {zh, en}}}. The pages await it before they draw; when it
 * cannot be read they still work and show those values as their keys. Returns whether it loaded.
 */
export async function loadSharedLabels() {
  let shared;
  try {
    const response = await fetch("labels.json", { cache: "no-cache" });
    if (!response.ok) return false;
    shared = await response.json();
  } catch {
    return false;
  }
  const groups = {};
  for (const language of Object.keys(GROUPS)) {
    groups[language] = {};
    for (const [group, values] of Object.entries(shared || {})) {
      groups[language][group] = Object.fromEntries(Object.entries(values || {})
        .filter(([, names]) => typeof names?.[language] === "string")
        .map(([value, names]) => [value, names[language]]));
    }
  }
  addLabels({}, groups);
  return true;
}

/**
 * Adds words to the dictionaries: {zh: {key: text}, en: {…}} labels and {zh: {group: {value: text}}}
 * value groups. Each page or panel keeps its own words in its own file (i18n_stats.js) and adds
 * them when it is imported; a key it defines again replaces this file's.
 */
export function addLabels(labels, groups = {}) {
  for (const language of Object.keys(LABELS)) {
    Object.assign(LABELS[language], labels[language] || {});
    for (const [name, values] of Object.entries(groups[language] || {})) {
      GROUPS[language][name] = { ...(GROUPS[language][name] || {}), ...values };
    }
  }
}

/** Sets every element's fixed label (data-i18n → textContent, data-i18n-placeholder → placeholder);
 * the tab's title is the label named by <body data-title-key>, else "title". */
export function applyLabels(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  document.title = t(document.body?.dataset.titleKey || "title");
}
