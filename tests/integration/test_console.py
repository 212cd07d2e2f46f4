"""The agents' console (handoff/console/) in a real Chromium, against the real stack: customers on
Rasa's callback channel, agents and supervisors signed into the page with the tokens the CLI
printed. Each test reads as a shift at the desk: what the customer says, what the agent sees and
clicks, what the customer receives.

Screenshots go to results/screenshots/console-*.png.
"""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect, sync_playwright

from tests.integration.conftest import Agent, ChatCustomer, Inbox, create_agent
from tests.integration.test_handoff import case_id_in
from tools.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_DIR = ROOT / "handoff" / "console"
SHOTS = ROOT / "results" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
SEVERE_RED = "rgb(211, 47, 47)"  # --severe in console.css
XSS = "<img src=x onerror=alert(1)>"


class Console:
    """One agent's browser tab on the console, recording dialogs and script errors."""

    def __init__(self, browser: Browser, stack: Stack, locale: str = "zh-CN") -> None:
        self.stack = stack
        self.context = browser.new_context(locale=locale, viewport={"width": 1440, "height": 1000})
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def sign_in(self, agent: Agent, live: bool = True) -> "Console":
        self.page.goto(f"{self.stack.handoff_url}/console/index.html")
        self.page.fill("#token", agent.token)
        self.page.click("#sign-in")
        expect(self.page.locator("#me-name")).to_have_text(agent.name)
        if live:
            expect(self.page.locator("#live")).to_have_attribute("data-state", "open")
        return self

    def row(self, case_id: str) -> Locator:
        return self.page.locator(f'#queue-rows tr[data-case-id="{case_id}"]')

    def live_events(self) -> int:
        return int(self.page.evaluate("Number(document.body.dataset.liveEvents || 0)"))

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the console tests drive Debian's Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture()
def open_console(browser: Browser, stack: Stack) -> Iterator[Callable[..., Console]]:
    consoles: list[Console] = []

    def make(locale: str = "zh-CN") -> Console:
        console = Console(browser, stack, locale)
        consoles.append(console)
        return console

    yield make
    for console in consoles:
        console.context.close()


def test_agent_works_a_severe_case_from_the_queue_to_the_rating(stack: Stack, inbox: Inbox, supervisor: Agent,
                                                                open_console: Callable[..., Console]) -> None:
    lin, ray = create_agent(stack, "console-lin"), create_agent(stack, "console-ray")
    one, two = open_console().sign_in(lin), open_console().sign_in(ray)
    expect(one.page.locator("#me-role")).to_have_text("坐席")
    expect(one.page.locator("#alerts-panel")).to_be_hidden()  # supervisors only

    # The customer complains; the case appears in the queue by itself (server-sent events).
    before = one.live_events()
    chat = ChatCustomer(stack, inbox, "console-fire")
    case_id = case_id_in(chat.say("充电宝冒烟起火，差点烧到孩子，我电话13812345678"))
    row = one.row(case_id)
    expect(row).to_be_visible(timeout=10_000)
    assert one.live_events() > before
    expect(row).to_have_attribute("data-severity", "severe")
    expect(row.locator(".sev")).to_have_css("background-color", SEVERE_RED)
    expect(row).to_contain_text("产品质量")
    rows: list[list[Any]] = one.page.locator("#queue-rows tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.caseId, Number(r.dataset.priority), Number(r.dataset.position)])")
    mine = [r[0] for r in rows].index(case_id)
    assert all(priority >= rows[mine][1] for _, priority, _ in rows[:mine])  # nothing lower ahead of it
    assert [r[2] for r in rows] == list(range(1, len(rows) + 1))
    # The first response is due in 4 s in this stack: the countdown turns into a red "超时".
    expect(row.locator(".sla")).to_contain_text("超时", timeout=10_000)
    expect(row.locator(".sla")).to_have_css("color", SEVERE_RED)
    one.shot("queue")

    # Two agents click "claim" at the same moment: one gets the case, the other the API's 409.
    expect(two.row(case_id)).to_be_visible()
    mark = chat.mark()
    one.row(case_id).locator("button.claim").evaluate("button => button.click()")
    two.row(case_id).locator("button.claim").evaluate("button => button.click()")
    holder = ""
    for _ in range(100):
        holder = supervisor.call("GET", f"/cases/{case_id}")["case"]["assigned_agent"] or ""
        if holder:
            break
        time.sleep(0.1)
    winner, loser = (one, two) if holder == "console-lin" else (two, one)
    agent = lin if winner is one else ray
    expect(loser.page.locator("#notices .notice.error")).to_contain_text(f"already claimed by {holder}")
    page = winner.page
    expect(page.locator("#case-id")).to_have_text(case_id)
    chat.receives(mark, lambda t: holder in t)  # "人工客服 … 已接入"

    # The handoff package: summary, reasons, masked phone, emotion trajectory, suggested replies.
    expect(page.locator("#case-severity")).to_have_attribute("data-severity", "severe")
    expect(page.locator("#case-summary")).to_contain_text("严重")
    expect(page.locator("#case-reasons .chip", has_text="risk:safety_health")).to_be_visible()
    expect(page.locator("#case-trajectory .emo")).to_have_count(1)
    expect(page.locator("#case-facts")).to_contain_text("console-fire")
    expect(page.locator("#case-facts")).to_contain_text("callback")
    first = page.locator("#thread .msg-customer.transcript").first
    expect(first).to_contain_text("138****5678")
    expect(first.locator(".intent")).to_contain_text("complain_product_quality")
    expect(first.locator(".emo")).to_be_visible()
    expect(page.locator("#case-entities")).to_contain_text("138****5678")
    assert "13812345678" not in page.content()
    suggestion = page.locator("#suggested button.pick").first
    expect(suggestion).to_be_visible()

    # A suggested reply fills the box; the agent writes their own and double-clicks send.
    suggestion.click()
    expect(page.locator("#reply-text")).to_have_value(suggestion.text_content() or "")
    keys: list[str] = []
    page.on("request", lambda r: keys.append(r.headers.get("idempotency-key", ""))
            if r.url.endswith("/reply") else None)
    reply = "您好，我是客服，孩子还好吗？请先停止使用充电宝，我们马上处理。"
    page.fill("#reply-text", reply)
    mark = chat.mark()
    page.locator("#reply-send").dblclick()
    chat.receives(mark, lambda t: "孩子还好吗" in t)
    time.sleep(1.0)
    assert sum("孩子还好吗" in str(m.get("text")) for m in inbox.since(chat.conversation_id, mark)) == 1
    assert keys and all(keys) and len(set(keys)) == 1
    expect(page.locator("#thread .msg-agent", has_text="孩子还好吗")).to_have_count(1)
    expect(page.locator("#reply-text")).to_have_value("")
    expect(page.locator("#sla-first")).to_contain_text("响应")
    stored = [m for m in agent.call("GET", f"/cases/{case_id}/messages")["messages"] if m["role"] == "agent"]
    assert len(stored) == 1

    # The customer writes again: the message shows up in the open case without a reload.
    assert chat.say("孩子没事，就是吓坏了，你们一定要给个说法") == []
    live = page.locator("#thread .msg-customer.live", has_text="孩子没事")
    expect(live).to_be_visible(timeout=10_000)
    expect(live.locator(".intent")).to_be_visible()

    # An internal note (never sent to the customer), a state change, then resolve.
    mark = chat.mark()
    page.fill("#note-text", "已联系仓库查批次")
    page.click("#note-add")
    expect(page.locator("#thread .msg-note", has_text="已联系仓库查批次")).to_be_visible()
    page.select_option("#state-select", "investigating")
    page.fill("#state-note", "查批次")
    page.click("#state-change")
    expect(page.locator("#case-state")).to_have_attribute("data-state", "investigating")
    expect(page.locator("#case-transitions")).to_contain_text("查批次")
    winner.shot("case")
    assert not any("仓库" in str(m.get("text")) for m in inbox.since(chat.conversation_id, mark))

    mark = chat.mark()
    page.fill("#resolve-note", "退款并补偿")
    page.click("#resolve")
    chat.receives(mark, lambda t: "1–5" in t or "打分" in t)
    expect(page.locator("#case-state")).to_have_attribute("data-state", "follow_up")
    expect(page.locator("#reply-panel")).to_be_hidden()
    expect(page.locator(f'#case-list li[data-case-id="{case_id}"]')).to_be_visible()
    winner.shot("resolved")
    assert one.errors == [] and two.errors == []


def test_html_from_customers_and_agents_is_shown_as_text(stack: Stack, inbox: Inbox, supervisor: Agent,
                                                         open_console: Callable[..., Console]) -> None:
    """Also with the live feed down: the console falls back to polling."""
    kai = create_agent(stack, "console-kai")
    console = open_console()
    console.page.route(re.compile(r"/events\?token="), lambda route: route.abort())
    page = console.sign_in(kai, live=False).page
    expect(page.locator("#live")).to_have_attribute("data-state", "polling")

    chat = ChatCustomer(stack, inbox, "console-xss")
    case_id = case_id_in(chat.say(f"充电宝冒烟起火了 {XSS}"))
    expect(console.row(case_id)).to_be_visible(timeout=15_000)
    console.row(case_id).locator("button.claim").click()
    expect(page.locator("#case-id")).to_have_text(case_id)

    assert chat.say(XSS) == []
    assert chat.say("<script>alert(2)</script> 5 &amp; 6 &lt;b&gt;") == []
    page.fill("#note-text", "<b>bold?</b><img src=x onerror=alert(3)>")
    page.click("#note-add")
    texts = page.locator("#thread .msg-text")
    expect(page.locator("#thread .msg-customer.live .msg-text", has_text="&amp;")).to_have_text(
        "<script>alert(2)</script> 5 &amp; 6 &lt;b&gt;", timeout=10_000)
    expect(page.locator("#thread .msg-customer.live .msg-text").filter(has_text="onerror")).to_have_text(XSS)
    expect(page.locator("#thread .msg-note .msg-text")).to_have_text("<b>bold?</b><img src=x onerror=alert(3)>")
    assert f"充电宝冒烟起火了 {XSS}" in texts.all_text_contents()  # the package's transcript
    page.reload()  # signed in again from the session: the whole case rendered from scratch
    expect(page.locator("#me-name")).to_have_text("console-kai")
    page.locator(f'#case-list li[data-case-id="{case_id}"] .case-link').click()
    expect(page.locator("#thread .msg-note .msg-text")).to_have_text("<b>bold?</b><img src=x onerror=alert(3)>")
    if "<img" in (page.locator("#case-summary").text_content() or ""):
        expect(page.locator("#case-summary")).to_contain_text(XSS)
    page.wait_for_timeout(1500)  # time for an injected onerror to fire, if there were one
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('#thread script, #thread b, #case-view img').length") == 0
    assert console.dialogs == []
    console.shot("xss")
    assert console.errors == []


def test_supervisor_sees_alerts_acknowledges_and_reassigns(stack: Stack, inbox: Inbox, supervisor: Agent,
                                                           open_console: Callable[..., Console]) -> None:
    boss = create_agent(stack, "console-boss", "supervisor")
    mia, ned = create_agent(stack, "console-mia"), create_agent(stack, "console-ned")
    console = open_console("en-US").sign_in(boss)
    page = console.page
    expect(page.locator("#me-role")).to_have_text("supervisor")
    expect(page.locator("#alerts-panel")).to_be_visible()
    expect(page.locator("#followups-panel")).to_be_visible()
    expect(page.locator("#cases-title")).to_have_text("All cases")

    # An unclaimed severe case misses its 4-second first response: an alert arrives live.
    chat = ChatCustomer(stack, inbox, "console-sla")
    case_id = case_id_in(chat.say("外卖里吃出钢丝，孩子嘴都划破了"))
    alert = page.locator(f'#alert-list li[data-case-id="{case_id}"]').first
    expect(alert).to_be_visible(timeout=20_000)
    expect(alert).to_contain_text("SLA breach")
    expect(alert.locator(".sev")).to_have_attribute("data-severity", "severe")
    expect(console.row(case_id).locator(".sla")).to_contain_text("breached")
    console.shot("supervisor")

    mia.call("POST", f"/cases/{case_id}/claim")
    alert.locator(".case-link").click()
    expect(page.locator("#case-id")).to_have_text(case_id)
    expect(page.locator("#case-facts")).to_contain_text("console-mia")
    alert.locator("button.ack").click()
    expect(page.locator(f'#alert-list li[data-case-id="{case_id}"]')).to_have_count(0)  # open alerts only
    acked = [a for a in boss.call("GET", "/alerts")["alerts"] if a["case_id"] == case_id]
    assert acked and acked[0]["acknowledged_by"] == "console-boss"
    page.uncheck("#alerts-open-only")
    expect(page.locator(f'#alert-list li[data-case-id="{case_id}"] .acked-by').first).to_have_text(
        "acknowledged by console-boss")

    # Reassign mia's case to ned, as a supervisor.
    expect(page.locator("#transfer-title")).to_have_text("Reassign (supervisor)")
    page.fill("#transfer-agent", "console-ned")
    page.fill("#transfer-note", "mia is off shift")
    page.click("#transfer-send")
    expect(page.locator("#case-facts")).to_contain_text("console-ned")
    assert boss.call("GET", f"/cases/{case_id}")["case"]["assigned_agent"] == "console-ned"
    assert ned.call("GET", "/cases")["cases"][0]["id"] == case_id
    page.fill("#transfer-agent", "nobody-by-that-name")
    page.click("#transfer-send")
    expect(page.locator("#notices .notice.error")).to_contain_text("no agent named 'nobody-by-that-name'")

    # The language switch: every label in Chinese, the data as it was.
    page.click("#lang-switch")
    expect(page.locator("#cases-title")).to_have_text("全部工单")
    expect(page.locator("#me-role")).to_have_text("主管")
    expect(page.locator("#case-id")).to_have_text(case_id)

    # "接下一个" claims the best waiting case, or says that nobody is waiting.
    page.click("#next-case")
    expect(page.locator("#notices .notice.info", has_text="没有可接的工单")
           .or_(page.locator("#case-facts", has_text="console-boss"))).to_be_visible()

    # Signing out forgets the token; a wrong token is refused with the API's message.
    page.click("#sign-out")
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    page.fill("#token", "not-a-token")
    page.click("#sign-in")
    expect(page.locator("#notices .notice.error")).to_contain_text("unknown or disabled API token")
    expect(page.locator("#app")).to_be_hidden()
    assert console.errors == [] and console.dialogs == []


def test_the_console_is_served_at_its_folder_url(stack: Stack) -> None:
    for path in ("/console/index.html", "/console/"):
        with urllib.request.urlopen(f"{stack.handoff_url}{path}", timeout=10) as response:
            assert response.status == 200 and b'id="signin"' in response.read(), path
    with urllib.request.urlopen(f"{stack.handoff_url}/console/console.js", timeout=10) as response:
        assert "javascript" in response.headers.get("Content-Type", "")


def test_the_console_never_parses_data_as_html() -> None:
    """Data reaches the page only as text: no HTML-parsing sink in the console's scripts."""
    sinks = re.compile(r"\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|createContextualFragment"
                       r"|DOMParser|\beval\(|new Function\(")
    scripts = sorted(CONSOLE_DIR.glob("*.js"))
    assert scripts
    for script in scripts:
        found = sinks.search(script.read_text(encoding="utf-8"))
        assert found is None, f"{script.name}: {found.group(0) if found else ''}"
