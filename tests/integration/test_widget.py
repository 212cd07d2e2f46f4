"""The customer's web widget (connectors/web/) in a real Chromium, against the real stack.

The page is the widget's demo shop page, served by the handoff service at /widget/; the widget
talks to Rasa's socket.io channel (connectors/socketio.py) on the stack's Rasa port, and an agent
works on the handoff API. Screenshots go to results/screenshots/widget-*.png.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.integration.conftest import SHOP_SITE_PORT, create_agent
from tools.stack import Stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "results" / "screenshots"
CASE_ID = re.compile(r"C-\d{8}-\d{4,}")
REPLY_TIMEOUT = 30_000  # ms: a reply from Rasa (a loaded 2-core machine may be slow)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield chromium
        chromium.close()


class Widget:
    """One customer's browser tab with the demo shop page and the chat widget."""

    def __init__(self, browser: Browser, stack: Stack, *, locale: str = "zh-CN",
                 viewport: dict[str, int] = DESKTOP) -> None:
        self.stack = stack
        self.context = browser.new_context(locale=locale, viewport=viewport)  # type: ignore[arg-type]
        self.page: Page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, lang: str = "") -> "Widget":
        query = f"?rasa={quote(self.stack.rasa_url, safe=':/')}" + (f"&lang={lang}" if lang else "")
        self.page.goto(f"{self.stack.handoff_url}/widget/index.html{query}")
        self.launcher.click()
        expect(self.panel).to_be_visible()
        return self

    @property
    def launcher(self) -> Locator:
        return self.page.locator(".shopchat-launcher")

    @property
    def panel(self) -> Locator:
        return self.page.locator(".shopchat-panel")

    @property
    def status(self) -> Locator:
        return self.page.locator(".shopchat-status")

    def say(self, text: str) -> None:
        box = self.page.locator("#shopchat-input")
        box.fill(text)
        box.press("Enter")
        expect(self.messages("user").last).to_have_text(re.compile(re.escape(text) + r"$"))

    def messages(self, sender: str) -> Locator:
        return self.page.locator(f'.shopchat-log [data-sender="{sender}"]')

    def receives(self, sender: str, text: str, timeout: float = REPLY_TIMEOUT) -> Locator:
        found = self.messages(sender).filter(has_text=text).last
        expect(found).to_be_visible(timeout=timeout)
        return found

    def bot_texts(self) -> list[str]:
        return self.page.locator('.shopchat-log [data-sender="bot"] .shopchat-bubble').all_inner_texts()

    def session(self) -> str:
        return str(self.page.evaluate("window.ShopChat.session()"))

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"widget-{name}.png"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def widget_factory(browser: Browser, stack: Stack) -> Iterator[Callable[..., Widget]]:
    opened: list[Widget] = []

    def make(**kwargs: Any) -> Widget:
        w = Widget(browser, stack, **kwargs)
        opened.append(w)
        return w

    yield make
    for w in opened:
        assert not w.errors, f"JavaScript errors on the page: {w.errors}"
        w.close()


def tracker_user_texts(stack: Stack, conversation: str) -> list[str]:
    url = f"{stack.rasa_url}/conversations/{quote(conversation)}/tracker?token={stack.auth_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        events = json.loads(response.read())["events"]
    return [str(e.get("text")) for e in events if e.get("event") == "user"]


def eventually(check: Callable[[], Any], timeout: float = 20, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


def test_widget_files_are_served(stack: Stack) -> None:
    """The handoff service serves the folder as UTF-8, and /widget/ is the demo page."""
    for path, kind in (("/widget/index.html", "text/html"), ("/widget/widget.js", "javascript"),
                       ("/widget/widget.css", "text/css"), ("/widget/vendor/socket.io.min.js", "javascript"),
                       ("/widget/", "text/html")):
        with urllib.request.urlopen(f"{stack.handoff_url}{path}", timeout=10) as response:
            content_type = response.headers["Content-Type"]
            assert response.status == 200 and kind in content_type, (path, content_type)
            assert "charset=utf-8" in content_type.lower().replace(" ", ""), (path, content_type)
            if path == "/widget/":
                assert b"widget.js" in response.read()
    # Without the slash the page's relative links (widget.js) would miss the folder: redirected.
    with urllib.request.urlopen(f"{stack.handoff_url}/widget?lang=en", timeout=10) as response:
        assert response.url == f"{stack.handoff_url}/widget/?lang=en"


@pytest.fixture()
def shop_site(stack: Stack) -> Iterator[str]:
    """Another web site (its own origin) whose page carries the one-line snippet: /utf-8 or /gbk."""
    snippet = (f'<script src="{stack.handoff_url}/widget/widget.js" data-rasa="{stack.rasa_url}" '
               'data-lang="zh" defer></script>')

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            charset = self.path.strip("/")  # many Chinese shops still write GBK pages
            if charset not in ("utf-8", "gbk"):
                self.send_error(404)
                return
            page = (f"<!doctype html><html><head><meta charset={charset}><title>小店</title></head>"
                    f"<body><h1>小店 A shop</h1>{snippet}</body></html>").encode(charset)
            self.send_response(200)
            self.send_header("Content-Type", f"text/html; charset={charset}")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    # 127.0.0.1, not a made-up public name: Chromium's Local Network Access refuses a public page
    # loading from a loopback address, which is what a shop on the internet never does.
    server = ThreadingHTTPServer(("127.0.0.1", SHOP_SITE_PORT), Shop)  # an origin the stack allows
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
def test_embedded_in_a_shop_site(widget_factory: Callable[..., Widget], stack: Stack, shop_site: str,
                                 charset: str) -> None:
    """The one-line snippet on another site: CSS and the socket.io client come from the script's folder,
    and widget.js is read as UTF-8 whatever the page's own encoding."""
    w = widget_factory(locale="en-US")
    w.page.goto(shop_site + charset)
    assert w.page.evaluate("document.characterSet").lower() == charset
    w.launcher.click()
    expect(w.panel).to_be_visible()
    assert w.page.evaluate("getComputedStyle(document.querySelector('.shopchat')).position") == "fixed"
    expect(w.page.get_by_role("button", name="转人工")).to_be_visible()  # data-lang="zh" over the English browser
    w.say("订单 20251103887 到哪了")
    w.receives("bot", "运输中")
    assert w.page.evaluate("window.ShopChat.config.rasa") == stack.rasa_url


def test_order_status_in_chinese(widget_factory: Callable[..., Widget]) -> None:
    """(a) The browser speaks Chinese: a Chinese UI; the order's status comes back over socket.io."""
    w = widget_factory(locale="zh-CN").open()
    expect(w.page.get_by_role("button", name="转人工")).to_be_visible()
    expect(w.page.get_by_label("输入您的消息")).to_be_visible()
    w.say("订单 20251103887 到哪了")
    w.receives("bot", "运输中")
    assert any("20251103887" in t for t in w.bot_texts())
    w.shot("order-zh")


def test_reload_keeps_the_conversation(widget_factory: Callable[..., Widget], stack: Stack) -> None:
    """(b) The session id and the messages survive a reload; the conversation goes on from there."""
    w = widget_factory(locale="zh-CN").open()
    w.say("我的订单到哪了")
    w.receives("bot", "订单号")
    session = w.session()
    before = w.page.locator(".shopchat-log [data-sender]").all_inner_texts()

    w.page.reload()
    expect(w.panel).to_be_visible()  # it was open, so it opens again
    assert w.page.locator(".shopchat-log [data-sender]").all_inner_texts() == before
    assert w.session() == session

    w.say("20251103887")  # a bare number: only the same conversation knows it is the order asked for
    w.receives("bot", "运输中")
    assert tracker_user_texts(stack, session)[-2:] == ["我的订单到哪了", "20251103887"]
    w.shot("reload")


def test_english_ui(widget_factory: Callable[..., Widget]) -> None:
    """(c) `data-lang="en"` (here through the demo page's ?lang=en) on a Chinese browser."""
    w = widget_factory(locale="zh-CN").open(lang="en")
    expect(w.page.get_by_role("heading", name="Customer service")).to_be_visible()
    expect(w.page.get_by_label("Your message")).to_be_visible()
    expect(w.page.get_by_role("button", name="Send")).to_be_visible()
    w.say("where is order 20251103887?")
    w.receives("bot", "in transit")
    w.shot("en")
    answered = w.messages("bot").count()
    w.page.get_by_role("button", name="Talk to a person").click()
    expect(w.messages("user").last).to_have_text(re.compile("talk to a person$"))
    expect(w.messages("bot").nth(answered)).to_be_visible(timeout=REPLY_TIMEOUT)  # answered, whatever the route


def test_html_typed_by_the_customer_shows_literally(widget_factory: Callable[..., Widget]) -> None:
    """(d) Markup is text: it shows as typed, no element is made of it, no script runs."""
    payload = "<img src=x onerror=alert(1)>"
    w = widget_factory(locale="zh-CN").open()
    w.say(payload)
    bubble = w.messages("user").last.locator(".shopchat-bubble")
    expect(bubble).to_have_text(payload)
    assert bubble.locator("img").count() == 0
    expect(w.messages("bot").first).to_be_visible(timeout=REPLY_TIMEOUT)
    w.page.wait_for_timeout(500)
    w.page.reload()  # re-rendered from localStorage: still text
    expect(w.messages("user").last.locator(".shopchat-bubble")).to_have_text(payload)
    assert w.page.locator(".shopchat-log img").count() == 0
    w.page.wait_for_timeout(500)
    w.shot("html-literal")
    assert w.dialogs == []


def test_agent_takes_over_and_the_customer_rates(widget_factory: Callable[..., Widget], stack: Stack) -> None:
    """(e) Severe complaint → queue → an agent claims and replies → resolves → the customer rates 5."""
    wendy = create_agent(stack, "wendy")
    wendy.call("GET", "/queue")  # signs in: someone is online, so the customer is handed over
    w = widget_factory(locale="zh-CN", viewport=PHONE).open()
    w.page.evaluate("window.received = []; addEventListener('shopchat:message', e => received.push(e.detail))")

    w.say("充电宝冒烟起火，差点烧到孩子")
    queued = w.receives("bot", "前面还有")
    found = CASE_ID.search(queued.inner_text())
    assert found, queued.inner_text()
    case_id = found.group(0)
    assert "预计等待" in queued.inner_text()
    expect(w.status).to_contain_text("排队中")
    expect(w.status).to_contain_text(case_id)
    w.shot("queue")

    wendy.call("POST", f"/cases/{case_id}/claim")
    w.receives("agent", "已接入")
    reply = "您好，我是 wendy。孩子还好吗？<b>请先</b>拔掉电源"
    wendy.call("POST", f"/cases/{case_id}/reply", {"text": reply})
    said = w.receives("agent", "孩子还好吗")
    expect(said.locator(".shopchat-who")).to_have_text("客服 wendy")
    expect(said.locator(".shopchat-bubble")).to_have_text(reply)  # an agent's markup is text too
    expect(w.status).to_contain_text("客服 wendy")
    expect(w.status).not_to_contain_text("排队中")
    assert w.messages("agent").count() == 2
    w.shot("agent")
    received = w.page.evaluate("window.received")  # as the socket.io channel sent them
    assert {(m["sender"], m.get("agent")) for m in received} == {("bot", None), ("agent", "wendy")}, received
    assert [m["text"] for m in received if m["sender"] == "agent"][-1] == reply

    wendy.call("POST", f"/cases/{case_id}/resolve", {"note": "已安排退款和上门取件"})
    stars = w.page.locator(".shopchat-rating .shopchat-star")
    expect(stars).to_have_count(5, timeout=REPLY_TIMEOUT)
    expect(w.page.get_by_role("button", name="5 星")).to_be_visible()
    w.shot("rating")
    bot_before = w.messages("bot").count()
    w.page.get_by_role("button", name="5 星").click()
    expect(w.messages("bot").nth(bot_before)).to_be_visible(timeout=REPLY_TIMEOUT)  # asks for a comment
    expect(stars).to_have_count(5)
    expect(w.page.locator(".shopchat-rated")).to_contain_text("5")
    asked = next(m for m in w.page.evaluate("window.received") if m.get("quick_replies"))
    assert [q["payload"] for q in asked["quick_replies"]] == ["5", "4", "3", "2", "1"] and asked["sender"] == "bot"

    w.say("处理很及时，谢谢")
    w.receives("bot", "感谢")

    def rating() -> Any:
        return wendy.call("GET", f"/cases/{case_id}")["case"].get("rating")

    stored = eventually(lambda: (rating() or {}).get("score") == 5 and rating())
    assert stored and stored["score"] == 5 and stored["comment"] == "处理很及时，谢谢", stored
    w.shot("rated")
    assert w.dialogs == []
