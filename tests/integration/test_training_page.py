"""The trainers' page (handoff/console/training.html) in a real Chromium.

The first test is UI-only: the page and its scripts come from the real stack, but /me and the
training API (/training/…) are answered by Playwright's page.route with the JSON shapes of
docs/training.md, so what the page sends and what it shows can be checked message by message,
job state by job state. The other tests use the whole real stack: a trainer, an agent and a
supervisor made with the product's CLI, a customer's misunderstood message from the bot, the
label written into the review file.

Screenshots go to results/screenshots/trainer-*.png (trainer-inbox.png is the README's).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, Page, Route, expect

from tests.integration import test_console
from tests.integration.conftest import Agent, Customer, create_agent
from tests.integration.test_console import SHOTS, Console
from tools.stack import Stack

# A bound on the first inbox page, not a speed check: when the training data changed (the trainer
# loop's label, just before this file's tests), the first page in a handoff worker reads it again
# (about 3 s on an idle 2-core machine, docs/training.md "Grouping"), past Playwright's 5 s when
# the machine is busy (stop 42's rehearsal).
FIRST_LOAD_MS = 30_000

browser, open_console = test_console.browser, test_console.open_console  # the console tests' Chromium set-up
XSS = "<img src=x onerror=alert(1)>"
REVIEW_FILE = "nlu_data/review/2026-12-03.yml"


def item(key: str, text: str, reasons: list[str], intent: str, confidence: float, margin: float, emotion: str,
         severity: str, case: Optional[dict[str, Any]] = None, suggested: Optional[dict[str, Optional[str]]] = None,
         count: int = 1, language: str = "zh") -> dict[str, Any]:
    """An inbox item as GET /training/inbox gives it."""
    return {"key": key, "text": text, "count": count, "reasons": reasons,
            "prediction": {"intent": intent, "intent_confidence": confidence, "intent_margin": margin,
                           "emotion": emotion, "emotion_confidence": 0.61, "severity": severity},
            "model_id": "20261201-abc123", "language": language, "at": "2026-12-03T08:15:00+00:00",
            "conversation_id": f"rest:{key}", "case": case,
            "suggested": suggested or {"intent": intent, "emotion": emotion, "severity": severity}}


GROUPS: list[dict[str, Any]] = [
    {"group": "g1", "items": [
        item("k1", "快递三天了还没动静", ["low_confidence", "small_margin"], "query_shipping", 0.42, 0.05,
             "anxiety", "none", count=2),
        item("k2", "快递三天都没动静了", ["low_confidence"], "query_order_status", 0.51, 0.12, "anxiety", "none"),
        item("k3", f"快递好几天没动 {XSS}", ["fallback"], "out_of_scope", 0.30, 0.02, "neutral", "none"),
    ]},
    {"group": "g2", "items": [
        item("k4", "退款退了一半就没了，我要投诉到12315", ["label_changed", "low_rating"], "complain_refund", 0.88,
             0.70, "anger", "important",
             case={"id": "HD-20261203-0007", "category": "complain_refund", "severity": "important",
                   "final_category": "complain_billing", "final_severity": "severe", "rating": 1},
             suggested={"intent": "complain_billing", "emotion": "anger", "severity": "severe"}),
    ]},
    {"group": "g3", "items": [
        item("k5", "can a kid get a card at your place", ["fallback", "asked_for_person"], "nlu_fallback", 0.35,
             0.04, "neutral", "none", language="en",
             suggested={"intent": None, "emotion": "neutral", "severity": None}),
    ]},
]


def scores(zh: tuple[float, float, float], en: tuple[float, float, float]) -> dict[str, Any]:
    """Scores as tools/retrain.py reports them: per language, then overall."""
    metrics = ("intent_accuracy", "emotion_macro_f1", "severe_recall")
    languages = {"zh": dict(zip(metrics, zh, strict=True)), "en": dict(zip(metrics, en, strict=True))}
    return {"languages": languages, **{m: round((zh[i] + en[i]) / 2, 4) for i, m in enumerate(metrics)}}


SCORES_CURRENT = scores((0.951, 0.862, 0.94), (0.944, 0.851, 0.93))
SCORES_WORSE = scores((0.921, 0.860, 0.94), (0.946, 0.853, 0.90))
SCORES_BETTER = scores((0.957, 0.866, 0.94), (0.950, 0.851, 0.93))
MAX_DROP = {"intent_accuracy": 0.01, "emotion_macro_f1": 0.01, "severe_recall": 0.0}


def gate(current: dict[str, Any], candidate: dict[str, Any]) -> list[dict[str, Any]]:
    """The gate's rules as the report lists them (tools/retrain.py)."""
    rules = []
    places = [(language, current["languages"][language], candidate["languages"][language])
              for language in sorted(current["languages"])] + [("all", current, candidate)]
    for language, old, new in places:
        for metric, allowed in MAX_DROP.items():
            if language == "all" and metric != "severe_recall":
                continue
            rules.append({"rule": f"{metric} [{language}] drops by at most {allowed * 100:.0f} point",
                          "metric": metric, "language": language, "max_drop": allowed, "current": old[metric],
                          "candidate": new[metric], "passed": new[metric] >= old[metric] - allowed - 1e-9})
    return rules


class FakeTrainingApi:
    """UI-only: /me and the training API as Playwright route handlers, recording what the page
    sends. A job stays in the state the test gives it, so every step of it can be looked at."""

    def __init__(self, role: str = "trainer") -> None:
        self.role = role
        self.groups = json.loads(json.dumps(GROUPS))
        self.queries: list[dict[str, str]] = []
        self.labels: list[dict[str, Any]] = []
        self.skips: list[dict[str, Any]] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self.retrains = 0

    def install(self, page: Page) -> None:
        page.route(re.compile(r"^https?://[^/]+/(me|training/[^?]*)(\?.*)?$"), self.handle)

    def answer(self, route: Route, body: dict[str, Any], status: int = 200) -> None:
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    def handle(self, route: Route) -> None:
        request = route.request
        url = urlsplit(request.url)
        if request.headers.get("authorization") != "Bearer fake-trainer-token":
            self.answer(route, {"error": {"code": "unauthenticated", "message": "unknown or disabled API token"}}, 401)
        elif url.path == "/me":
            self.answer(route, {"name": "tess", "role": self.role, "team": None, "token_hash": None})
        elif url.path == "/training/inbox":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            self.queries.append(query)
            self.answer(route, self.inbox(query))
        elif url.path == "/training/labels":
            body = json.loads(request.post_data or "{}")
            self.labels.append(body)
            self.forget(body["keys"])
            self.answer(route, {"written": len(body["keys"]), "file": REVIEW_FILE})
        elif url.path == "/training/skip":
            body = json.loads(request.post_data or "{}")
            self.skips.append(body)
            self.forget(body["keys"])
            self.answer(route, {"skipped": len(body["keys"])})
        elif url.path == "/training/retrain":
            running = [j for j, d in self.jobs.items() if d["state"] in ("queued", "training", "evaluating")]
            if running:
                self.answer(route, {"error": {"code": "conflict", "message": "retraining job is still running"},
                                    "job": running[0]}, 409)
                return
            self.retrains += 1
            job = f"20261203T0{self.retrains}0000-abcdef"
            self.jobs[job] = {"job": job, "state": "queued", "progress": 0.0, "log_tail": "", "report": None}
            self.answer(route, {"job": job, "status": f"/training/jobs/{job}"}, 202)
        elif url.path.startswith("/training/jobs/") and url.path.rsplit("/", 1)[1] in self.jobs:
            self.answer(route, self.jobs[url.path.rsplit("/", 1)[1]])
        else:
            self.answer(route, {"error": {"code": "not_found", "message": url.path}}, 404)

    def inbox(self, query: dict[str, str]) -> dict[str, Any]:
        groups = [{"group": g["group"], "size": len(items), "items": items} for g in self.groups
                  if (items := [i for i in g["items"] if not query.get("reason") or query["reason"] in i["reasons"]])]
        if query.get("sort") == "newest":
            groups.reverse()
        return {"total": len(groups), "items_total": sum(len(g["items"]) for g in groups), "limit": 50, "offset": 0,
                "groups": groups, "thresholds": {"low_confidence": 0.6, "small_margin": 0.15, "low_rating": 2}}

    def forget(self, keys: list[str]) -> None:
        for group in self.groups:
            group["items"] = [i for i in group["items"] if i["key"] not in keys]

    def finish(self, job: str, current: dict[str, Any], candidate: dict[str, Any]) -> None:
        rules = gate(current, candidate)
        promoted = all(r["passed"] for r in rules)
        self.jobs[job] = {
            "job": job, "state": "promoted" if promoted else "blocked", "progress": 1.0, "error": None,
            "log_tail": "training…\nevaluating…\n" + ("promoted" if promoted else "blocked by the gate"),
            "report": {"current": {"version": "20261201T080000-aaaaaa", "scores": current},
                       "candidate": {"version": f"v-{job}" if promoted else None, "scores": candidate,
                                     "data_hash": "9f2c"},
                       "gate": rules, "passed": promoted, "promoted": promoted,
                       "version": f"v-{job}" if promoted else None}}


def training_page(console: Console) -> Page:
    page = console.page
    page.goto(f"{console.stack.handoff_url}/console/training.html")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    return page


def sign_in(page: Page, token: str, name: str) -> None:
    page.fill("#token", token)
    page.click("#sign-in")
    expect(page.locator("#me-name")).to_have_text(name)


def choose(page: Page, select: str, value: str) -> None:
    """Picks a sort or a filter and waits for the inbox the page asked for to be drawn."""
    loads = int(page.locator("body").get_attribute("data-loads") or 0)
    page.select_option(select, value)
    expect(page.locator("body")).to_have_attribute("data-loads", str(loads + 1))


def test_ui_only_trainer_reviews_labels_by_keyboard_and_retrains(open_console: Callable[..., Console]) -> None:
    """UI-ONLY (the training API mocked with page.route): every key and button, sort, filter, zh and
    en, and a retrain blocked by the gate, then one promoted."""
    console = open_console("zh-CN")
    fake = FakeTrainingApi()
    fake.install(console.page)
    page = training_page(console)
    expect(page.locator("#signin")).to_be_visible()
    sign_in(page, "fake-trainer-token", "tess")
    expect(page.locator("#me-role")).to_have_text("训练师")
    expect(page.locator("#back-link")).to_be_hidden()  # trainers have no console to go back to

    # Groups and items, with why each is there, the model's guess, the case and the agent's label.
    expect(page.locator("section.group")).to_have_count(3)
    expect(page.locator("article.item")).to_have_count(5)
    assert fake.queries[-1]["sort"] == "uncertainty"
    first = page.locator('article.item[data-key="k1"]')
    expect(first).to_have_class(re.compile(r"\bcurrent\b"))
    expect(first.locator(".text")).to_have_text("快递三天了还没动静")
    expect(first.locator(".count")).to_have_text("×2")
    expect(first.locator(".reason-badge")).to_have_text(["置信度低", "前两名接近"])
    expect(first.locator(".reason-badge").first).to_have_attribute("title", "confidence < 0.6")
    expect(first.locator(".prediction .intent").first).to_have_text("query_shipping")
    expect(first.locator(".prediction .conf")).to_have_text("42%")
    expect(first.locator(".prediction")).to_contain_text("差距 0.05")
    expect(first.locator(".prediction")).to_contain_text("模型 20261201-abc123")
    expect(page.locator("#waiting")).to_have_text("待审 5")
    refund = page.locator('article.item[data-key="k4"]')
    expect(refund.locator(".case-line")).to_contain_text("HD-20261203-0007")
    expect(refund.locator(".agent-label")).to_have_text("坐席标注: 扣费账单 · 严重")
    expect(refund.locator(".rating")).to_have_text("评分 1/5")
    expect(refund.locator(".edited-mark")).to_have_text("建议")
    expect(refund).to_have_attribute("data-intent", "complain_billing")  # the agent's label is the suggestion
    expect(page.locator('article.item[data-key="k3"] .text')).to_have_text(f"快递好几天没动 {XSS}")
    assert page.evaluate("document.querySelectorAll('#inbox img').length") == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "trainer-inbox-ui.png"), full_page=True)

    # Filter by reason and sort: the page asks the API and shows its answer.
    choose(page, "#reason", "fallback")
    expect(page.locator("article.item")).to_have_count(2)
    assert fake.queries[-1]["reason"] == "fallback"
    choose(page, "#sort", "newest")
    expect(page.locator("article.item").first).to_have_attribute("data-key", "k5")
    assert fake.queries[-1] == {"sort": "newest", "reason": "fallback", "limit": "50", "offset": "0"}
    choose(page, "#sort", "reason")
    assert fake.queries[-1]["sort"] == "reason"
    choose(page, "#reason", "")
    expect(page.locator("article.item")).to_have_count(5)
    assert "reason" not in fake.queries[-1]
    choose(page, "#sort", "uncertainty")
    expect(page.locator("article.item").first).to_have_attribute("data-key", "k1")
    first.click(position={"x": 4, "y": 4})  # back to the first message; the keys go to the page now
    expect(page.locator("body")).to_have_attribute("data-cursor", "k1")

    # ? shows the keys; Escape hides them.
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    expect(page.locator("#help dl.keys dt")).to_have_count(8)
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()

    # j/k move; 2 picks the second listed intent, e and s cycle emotion and severity; a accepts.
    page.keyboard.press("j")
    expect(page.locator("body")).to_have_attribute("data-cursor", "k2")
    page.keyboard.press("k")
    expect(page.locator("body")).to_have_attribute("data-cursor", "k1")
    second = first.locator("button.pick-intent").nth(1)
    expect(second.locator("kbd")).to_have_text("2")
    picked = (second.get_attribute("data-intent") or "")
    assert picked and picked != "query_shipping"
    page.keyboard.press("2")
    expect(first).to_have_attribute("data-intent", picked)
    page.keyboard.press("e")
    expect(first).to_have_attribute("data-emotion", "sadness")  # anxiety → sadness (core/vocabulary order)
    page.keyboard.press("s")
    expect(first).to_have_attribute("data-severity", "general")  # none → general
    expect(first.locator(".edited-mark")).to_have_text("已修改")
    page.keyboard.press("a")
    expect(first).to_have_count(0)
    assert fake.labels[-1] == {"keys": ["k1"], "intent": picked, "emotion": "sadness", "severity": "general"}
    expect(page.locator(".notice").first).to_contain_text(f"已写入 1 条到 {REVIEW_FILE}")
    expect(page.locator("body")).to_have_attribute("data-cursor", "k2")

    # Shift+A: the current message's label (its suggestion, here) for its whole group.
    page.keyboard.press("Shift+A")
    expect(page.locator('section.group[data-group="g1"]')).to_have_count(0)
    assert fake.labels[-1] == {"keys": ["k2", "k3"], "intent": "query_order_status", "emotion": "anxiety",
                               "severity": "none"}
    # x skips.
    expect(page.locator("body")).to_have_attribute("data-cursor", "k4")
    page.keyboard.press("x")
    expect(refund).to_have_count(0)
    assert fake.skips == [{"keys": ["k4"]}]

    # The same with buttons, in English.
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Trainer inbox")
    last = page.locator('article.item[data-key="k5"]')
    expect(last.locator(".reason-badge")).to_have_text(["fallback", "asked for a person"])
    expect(last.locator(".reason-badge").first).to_have_attribute("title", "fallback")
    last.locator("button.cycle-emotion").click()
    expect(last).to_have_attribute("data-emotion", "anger")  # neutral → anger, round the list
    expect(last.locator("button.pick-intent")).to_have_count(0)  # the bot's fallback is nothing to pick
    last.locator("button.accept").click()  # no intent yet: the page says so and sends nothing
    expect(page.locator(".notice.error").first).to_contain_text("pick one first")
    assert len(fake.labels) == 2
    last.locator("input.other-intent").fill("out_of_scope")
    last.locator("input.other-intent").press("Enter")
    expect(last).to_have_attribute("data-intent", "out_of_scope")
    last.locator("button.accept").click()
    expect(page.locator("#inbox-empty")).to_be_visible()
    assert fake.labels[-1] == {"keys": ["k5"], "intent": "out_of_scope", "emotion": "anger", "severity": None}

    # Retrain while another trainer's job runs: the page follows that job (409 names it); its
    # progress bar moves with it; the worse candidate is blocked, with the rules it failed.
    other = "20261203T065900-0d0d0d"
    fake.jobs[other] = {"job": other, "state": "queued", "progress": 0.0, "log_tail": "", "report": None}
    page.click("#retrain")
    expect(page.locator("#job")).to_have_attribute("data-job", other)
    expect(page.locator("#job")).to_have_attribute("data-state", "queued")
    expect(page.locator("#retrain")).to_be_disabled()
    fake.jobs[other].update(state="training", progress=0.4, log_tail="epoch 40/100")
    expect(page.locator("#job")).to_have_attribute("data-state", "training")
    expect(page.locator("#job-progress")).to_have_js_property("value", 0.4)
    expect(page.locator("#job-state")).to_have_text("training")
    expect(page.locator("#job-log")).to_have_text("epoch 40/100")
    fake.jobs[other].update(state="evaluating", progress=0.8)
    expect(page.locator("#job-progress")).to_have_js_property("value", 0.8)
    fake.finish(other, SCORES_CURRENT, SCORES_WORSE)
    expect(page.locator("#job-verdict")).to_have_text("Blocked: the candidate failed the gate; the current model stays")
    expect(page.locator("#job-progress")).to_be_hidden()
    expect(page.locator("#report-versions")).to_have_text("current version 20261201T080000-aaaaaa · candidate not kept")
    expect(page.locator("#score-rows tr")).to_have_count(9)  # 3 metrics × (zh, en, overall)
    zh_intent = page.locator('#score-rows tr[data-metric="zh.intent_accuracy"]')
    expect(zh_intent.locator("td")).to_have_text(["zh · intent accuracy", "95.1%", "92.1%", "-3.0 pt"])
    expect(page.locator('#score-rows tr[data-metric="severe_recall"] td').first).to_have_text("overall · severe recall")
    expect(page.locator("#gate-rows tr")).to_have_count(7)
    failed = page.locator('#gate-rows tr[data-passed="false"]')
    expect(failed.locator("td:first-child")).to_have_text([
        "en · severe recall: does not drop", "zh · intent accuracy: drops by at most 1 pt",
        "overall · severe recall: does not drop"])
    expect(failed.locator(".gate-result")).to_have_text(["failed"] * 3)
    expect(page.locator("#retrain")).to_be_enabled()

    # Our own job; a reload finds it again; the better candidate is promoted (shown in Chinese).
    page.click("#lang-switch")
    page.click("#retrain")
    mine = "20261203T010000-abcdef"
    expect(page.locator("#job")).to_have_attribute("data-job", mine)
    expect(page.locator("#job-verdict")).to_be_hidden()
    page.reload()
    expect(page.locator("#me-name")).to_have_text("tess")
    expect(page.locator("#job")).to_have_attribute("data-job", mine)
    fake.finish(mine, SCORES_CURRENT, SCORES_BETTER)
    expect(page.locator("#job-verdict")).to_have_text("已上线：新模型通过全部门槛")
    expect(page.locator("#job-state")).to_have_text("已上线")
    expect(page.locator('#gate-rows tr[data-passed="true"]')).to_have_count(7)
    expect(page.locator('#gate-rows tr td:first-child').first).to_have_text("en · 意图准确率: 下降不超过 1 个百分点")
    expect(page.locator('#score-rows tr[data-metric="en.intent_accuracy"] td.delta')).to_have_text("+0.6 pt")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "trainer-retrain.png"), full_page=True)
    assert console.errors == [] and console.dialogs == []


def test_ui_only_agents_are_turned_away(open_console: Callable[..., Console]) -> None:
    """UI-ONLY: an agent's token opens no inbox (the API would answer 403 anyway)."""
    console = open_console("en-US")
    fake = FakeTrainingApi(role="agent")
    fake.install(console.page)
    page = training_page(console)
    sign_in(page, "fake-trainer-token", "tess")
    expect(page.locator("#gate-text")).to_have_text("The training page is for trainers and supervisors.")
    expect(page.locator("#app")).to_be_hidden()
    assert fake.queries == []


# ---- the real stack (passes once the training API of docs/training.md is running) -------------

def wait_for_items(page: Page, texts: list[str], timeout: float = 30) -> None:
    """Refreshes the inbox until a message with each of `texts` is listed (the archive is written
    as the bot's events arrive)."""
    deadline = time.monotonic() + timeout
    while True:
        listed = set(page.locator("article.item .text").all_text_contents())
        missing = [text for text in texts if text not in listed]
        if not missing:
            return
        assert time.monotonic() < deadline, f"{missing} never reached the inbox"
        loads = int(page.locator("body").get_attribute("data-loads") or 0)
        page.click("#refresh")
        expect(page.locator("body")).to_have_attribute("data-loads", str(loads + 1))


def message(page: Page, text: str) -> Locator:
    return page.locator("article.item", has=page.locator(".text", has_text=re.compile(f"^{re.escape(text)}$")))


def review_file(page: Page) -> Path:
    """The review file the last confirmation names (relative to the repository, or absolute)."""
    notice = page.locator(".notice:not(.error)").first
    expect(notice).to_contain_text(".yml")
    written = re.search(r"(\S+\.yml)", notice.text_content() or "")
    assert written, notice.text_content()
    path = Path(written.group(1))
    assert "nlu_data" not in str(path)  # the stack's own folder (conftest), never the repository's data
    return path if path.is_absolute() else Path(__file__).resolve().parents[2] / path


# What customers say that the bot does not understand well. UNSURE and COURIER are followed by a
# request for a person, so they are in the inbox whatever a fresh training makes of their words
# (asked_for_person; an earlier version counted on the model being unsure of them, and a CI
# training was not). The others are there by the NLU's own doubts on every model trained from
# this data (low confidence, a small top-2 margin, or Rasa's fallback); the two "what about" ones
# group together.
UNSURE = "can you recommend a good dentist near my office"  # out of scope
ASK_EN, ASK_ZH = "can i please talk to a real person, it's urgent", "我要找真人客服"
BLUE, RED = "what about the blue thing", "what about the red one"
HAGGLE, COURIER, COLOUR = "你们这个能不能便宜点", "快递小哥态度还行吧就是有点慢", "还有别的颜色吗"


def test_trainer_labels_misunderstood_messages_in_the_browser(stack: Stack, supervisor: Agent,
                                                              open_console: Callable[..., Console]) -> None:
    """REAL STACK: a trainer made with the CLI signs in on the console and lands on the inbox, finds
    what the bot did not understand, labels one message by typing its intent and pressing a, a
    group with Shift+A, and skips one with x; the review file has the labels, with provenance."""
    tess = create_agent(stack, "trainer-tess", "trainer")
    for n in (1, 2):  # the same words twice: one item, counted twice
        unsure_customer = Customer(stack, f"trainer-page-{n}")
        unsure_customer.say(UNSURE)
        unsure_customer.say(ASK_EN)
    for n, text in enumerate([BLUE, RED, HAGGLE, COURIER, COLOUR]):
        customer = Customer(stack, f"trainer-page-{n + 3}")
        customer.say(text)
        if text == COURIER:
            customer.say(ASK_ZH)
    console = open_console("zh-CN")
    console.sign_in(tess, live=False)  # the console sends a trainer to the training page
    page = console.page
    expect(page).to_have_url(re.compile(r"/console/training\.html$"))
    expect(page.locator("#me-role")).to_have_text("训练师")
    expect(page.locator("body")).to_have_attribute("data-loads", "1", timeout=FIRST_LOAD_MS)
    choose(page, "#sort", "newest")  # other tests' conversations may fill the first page otherwise
    wait_for_items(page, [UNSURE, BLUE, RED, HAGGLE, COURIER, COLOUR])
    unsure = message(page, UNSURE)
    expect(unsure.locator(".count")).to_have_text("×2")
    expect(unsure.locator(".reason-badge").first).to_be_visible()
    expect(message(page, COURIER).locator(".case-line")).to_be_visible()  # a mild complaint: it opened a case
    expect(message(page, COLOUR).locator('.reason-badge[data-reason="fallback"]')).to_have_text("未听懂")
    blue = message(page, BLUE)
    group = page.locator("section.group", has=blue)
    expect(group.locator("article.item")).to_have_count(2)  # BLUE and RED: similar texts, one group
    expect(group).to_contain_text(RED)
    page.locator("article.item").first.click(position={"x": 4, "y": 4})  # a trainer starts at the top
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "trainer-inbox.png"), full_page=True)

    # One message: its intent typed (no listed guess fits), then a.
    unsure.click(position={"x": 4, "y": 4})
    key = unsure.get_attribute("data-key") or ""
    expect(page.locator("body")).to_have_attribute("data-cursor", key)
    unsure.locator("input.other-intent").fill("out_of_scope")
    unsure.locator("input.other-intent").press("Enter")
    expect(unsure).to_have_attribute("data-intent", "out_of_scope")
    unsure.click(position={"x": 4, "y": 4})  # back to the page: the keys are the trainer's again
    page.keyboard.press("a")
    expect(page.locator(f'article.item[data-key="{key}"]')).to_have_count(0)
    written = review_file(page)
    content = written.read_text(encoding="utf-8")
    assert UNSURE in content and "intent: out_of_scope" in content and "source: review" in content
    assert "reviewer: \"trainer-tess\"" in content

    # A group: the label of its first message, for both.
    blue.click(position={"x": 4, "y": 4})
    blue.locator("input.other-intent").fill("out_of_scope")
    blue.locator("input.other-intent").press("Enter")
    blue.click(position={"x": 4, "y": 4})
    page.keyboard.press("Shift+A")
    expect(message(page, BLUE)).to_have_count(0)
    expect(message(page, RED)).to_have_count(0)
    expect(page.locator(".notice:not(.error)").first).to_contain_text("已写入 2 条")
    content = review_file(page).read_text(encoding="utf-8")
    assert BLUE in content and RED in content

    # Skipped: gone, also after a reload, and in no file.
    haggle = message(page, HAGGLE)
    haggle.click(position={"x": 4, "y": 4})
    page.keyboard.press("x")
    expect(haggle).to_have_count(0)
    expect(page.locator(".notice:not(.error)").first).to_contain_text("已跳过 1 条")
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-loads", "1", timeout=FIRST_LOAD_MS)
    expect(message(page, COURIER)).to_have_count(1)
    expect(message(page, HAGGLE)).to_have_count(0)
    expect(message(page, UNSURE)).to_have_count(0)
    assert HAGGLE not in written.read_text(encoding="utf-8")
    assert console.errors == []


def test_console_links_supervisors_to_the_training_page(stack: Stack, supervisor: Agent,
                                                       open_console: Callable[..., Console]) -> None:
    """REAL STACK: supervisors get the header link; agents get neither the link nor the inbox."""
    boss = create_agent(stack, "trainer-page-boss", "supervisor")
    console = open_console("en-US").sign_in(boss)
    page = console.page
    expect(page.locator("#training-link")).to_have_text("Training")
    page.click("#training-link")
    expect(page).to_have_url(re.compile(r"/console/training\.html$"))
    expect(page.locator("#me-role")).to_have_text("supervisor")
    expect(page.locator("#back-link")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-loads", "1", timeout=FIRST_LOAD_MS)

    agent = open_console("en-US").sign_in(create_agent(stack, "trainer-page-agent"))
    expect(agent.page.locator("#training-link")).to_be_hidden()
    agent.page.goto(f"{stack.handoff_url}/console/training.html")
    expect(agent.page.locator("#gate-text")).to_have_text("The training page is for trainers and supervisors.")
    assert console.errors == [] and agent.errors == []
