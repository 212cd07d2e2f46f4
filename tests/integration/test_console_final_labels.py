"""The agent's final labels in the console (docs/handoff.md, "Final labels"): resolving shows the
bot's category and severity pre-selected, named in the agent's language; the agent corrects the
severity, resolves, and the case carries their label next to the bot's.

Screenshot: results/screenshots/console-final-labels.png.
"""

from __future__ import annotations

from typing import Callable

from playwright.sync_api import expect

from tests.integration import test_console
from tests.integration.conftest import Agent, ChatCustomer, Inbox, create_agent
from tests.integration.test_console import Console
from tests.integration.test_handoff import case_id_in
from tools.stack import Stack

# The console tests' Chromium and tabs (pytest finds fixtures by their name in the module).
browser, open_console = test_console.browser, test_console.open_console


def selected_text(console: Console, select: str) -> str:
    return str(console.page.locator(select).evaluate("s => s.options[s.selectedIndex].textContent"))


def test_an_agent_corrects_the_severity_while_resolving(stack: Stack, inbox: Inbox, supervisor: Agent,
                                                        open_console: Callable[..., Console]) -> None:
    mei = create_agent(stack, "console-mei")
    console = open_console().sign_in(mei)
    page = console.page
    chat = ChatCustomer(stack, inbox, "console-labels")
    case_id = case_id_in(chat.say("充电宝冒烟起火，差点烧到孩子"))
    expect(console.row(case_id)).to_be_visible(timeout=15_000)
    console.row(case_id).locator("button.claim").click()
    expect(page.locator("#case-id")).to_have_text(case_id)
    bot = mei.call("GET", f"/cases/{case_id}")["case"]
    assert bot["severity"] == "severe" and bot["final_severity"] is None

    # Pre-filled with the bot's labels, named from the shared labels (core/labels.py), in Chinese.
    expect(page.locator("#resolve-category")).to_have_value(bot["category"])
    expect(page.locator("#resolve-severity")).to_have_value("severe")
    assert selected_text(console, "#resolve-severity") == "严重"
    assert page.locator("#resolve-severity option").all_text_contents() == ["无", "一般", "重要", "严重"]

    # The agent picks 重要; switching to English keeps the pick and renames the options.
    page.select_option("#resolve-severity", "important")
    page.click("#lang-switch")
    expect(page.locator("#resolve-severity")).to_have_value("important")
    assert selected_text(console, "#resolve-severity") == "important"
    expect(page.get_by_text("Final severity")).to_be_visible()
    console.shot("final-labels")

    mark = chat.mark()
    page.click("#resolve")
    chat.receives(mark, lambda t: "1–5" in t or "rate" in t or "打分" in t)
    expect(page.locator("#case-state")).to_have_attribute("data-state", "follow_up")
    expect(page.locator("#resolve-severity")).to_be_disabled()
    case = supervisor.call("GET", f"/cases/{case_id}")["case"]
    assert (case["final_severity"], case["final_category"], case["labelled_by"]) == (
        "important", bot["category"], "console-mei")
    assert case["severity"] == "severe"  # the bot's label stays for the statistics
    assert console.errors == []
