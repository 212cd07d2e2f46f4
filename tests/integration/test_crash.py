"""The crash test: during a claimed handoff, Rasa, the action server and the handoff service are
SIGKILLed in turn, as an OOM kill or a power cut would do it. Each time the customer keeps
writing, and afterwards:

- the process is back by itself (supervisord);
- every message the customer wrote while it was down or restarting is in the case transcript,
  none lost and none twice (Rasa's SQL tracker store, the Redis event stream, the idempotent
  transcript);
- the bot never spoke while the agent owned the conversation (the paused state survived);
- the agent's next reply reaches the customer on the callback (REST) channel and in the widget
  (socket.io);
- `case_id` and the paused state are intact;

and the conversation archive holds every turn with its intent, emotion and severity.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, TypeVar
from urllib.parse import quote

import pytest

from core.settings import load
from handoff.archive import Archive, ConversationHistory
from tests.integration.conftest import Agent, ChatCustomer, Inbox, create_agent, start_stack
from tests.integration.widget_client import Browser
from tools.stack import Stack

T = TypeVar("T")
RESTART_TIMEOUT_S = 240.0
COMPLAINT = "充电宝冒烟起火，差点烧到孩子，订单20251103887，你们必须给个说法"


def eventually(check: Callable[[], Optional[T]], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:.0f} s")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[Stack]:
    s = start_stack(tmp_path_factory.mktemp("var-crash"), inbox)
    yield s
    s.stop()


def tracker(stack: Stack, sender: str) -> dict[str, Any]:
    url = f"{stack.rasa_url}/conversations/{quote(sender)}/tracker?token={stack.auth_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return dict(json.loads(response.read()))


def ready(stack: Stack) -> bool:
    try:
        with urllib.request.urlopen(f"{stack.handoff_url}/ready", timeout=10) as response:
            return bool(json.loads(response.read())["ready"])
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return False


def write_until_accepted(chat: ChatCustomer, text: str) -> None:
    """A customer whose message was refused (Rasa down) sends it again, as the widget does; what
    was accepted once must then be in the transcript once."""
    deadline = time.monotonic() + RESTART_TIMEOUT_S
    while True:
        try:
            chat.say(text)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            if time.monotonic() > deadline:
                raise AssertionError(f"Rasa never accepted {text!r}") from exc
            time.sleep(0.5)


def customer_texts(agent: Agent, case_id: str) -> list[str]:
    messages = agent.call("GET", f"/cases/{case_id}/messages")["messages"]
    return [m["text"] for m in messages if m["role"] == "customer"]


def transcript_with(agent: Agent, case_id: str, written: list[str]) -> Optional[list[str]]:
    texts = customer_texts(agent, case_id)
    return texts if all(w in texts for w in written) else None


def archived_with(archive: Archive, sender: str, written: list[str]) -> Optional[ConversationHistory]:
    history = archive.conversation(sender)
    return history if history is not None and all(w in [t.text for t in history.turns] for w in written) else None


def bot_spoke_after(stack: Stack, sender: str, claimed_at: float) -> list[str]:
    """Bot messages after the claim that no agent wrote."""
    return [str(e.get("text")) for e in tracker(stack, sender)["events"]
            if e.get("event") == "bot" and float(e.get("timestamp") or 0) > claimed_at
            and not (e.get("metadata") or {}).get("handoff_agent")]


async def widget(stack: Stack, session_id: str) -> Browser:
    browser = Browser(session_id)
    await browser.connect(stack)
    return browser


def hand_off(stack: Stack, sender: str) -> str:
    state = eventually(lambda: (t := tracker(stack, sender))["paused"] and t, 60, f"{sender} was not handed off")
    return str(state["slots"]["case_id"])


def test_a_claimed_handoff_survives_each_process_being_killed(stack: Stack, inbox: Inbox) -> None:
    agent = create_agent(stack, "li")
    agent.call("GET", "/queue")  # online, so severe complaints are queued for a person at once
    chat = ChatCustomer(stack, inbox, "crash-chat")
    chat.say(COMPLAINT)
    chat_case = hand_off(stack, chat.conversation_id)

    widget_ids: list[str] = []

    async def open_widget() -> None:
        browser = await widget(stack, "crash-widget")
        widget_ids.append(browser.session_id)  # the server's id; "crash-widget" later gets it back
        await browser.say(COMPLAINT)
        await browser.receives(lambda m: m.get("sender") == "bot" and bool(m.get("text")))
        await browser.client.disconnect()

    asyncio.run(open_widget())
    widget_case = hand_off(stack, widget_ids[0])
    for case_id in (chat_case, widget_case):
        agent.call("POST", f"/cases/{case_id}/claim")
    claimed_at = time.time()
    written: list[str] = []

    for name in ("rasa", "actions", "handoff"):
        before = stack.pid(name)
        assert before is not None
        stack.kill(name, signal.SIGKILL)
        while_down = [f"{name} 挂掉的时候我又写了一条（{n}）" for n in (1, 2)]
        for text in while_down:
            write_until_accepted(chat, text)
        stack.wait_restarted(name, before, RESTART_TIMEOUT_S)
        eventually(lambda: ready(stack), RESTART_TIMEOUT_S, f"the stack was not ready after {name} came back")
        after = f"{name} 重启以后我再问一次"
        write_until_accepted(chat, after)
        written += [*while_down, after]

        # every message once, in order, in the transcript the agent reads
        texts = eventually(lambda: transcript_with(agent, chat_case, written), 90,  # noqa: B023
                           f"messages written around the {name} crash are missing from the transcript")
        assert [t for t in texts if t in written] == written, f"lost, doubled or reordered after {name}: {texts}"
        assert bot_spoke_after(stack, chat.conversation_id, claimed_at) == [], f"the bot spoke over the agent ({name})"
        for sender, case_id in ((chat.conversation_id, chat_case), (widget_ids[0], widget_case)):
            state = tracker(stack, sender)
            assert state["paused"] and state["slots"]["case_id"] == case_id, f"{sender} after {name}"

        # the agent's next reply reaches the customer on both channels
        mark = chat.mark()
        reply = f"我是客服小李，{name} 的事我们在看"
        agent.call("POST", f"/cases/{chat_case}/reply", {"text": reply})
        chat.receives(mark, lambda t: t == reply, timeout=60)  # noqa: B023 - awaited here

        async def widget_gets_reply(text: str) -> None:
            browser = await widget(stack, "crash-widget")
            try:
                agent.call("POST", f"/cases/{widget_case}/reply", {"text": text})
                message = await browser.receives(lambda m: m.get("text") == text)
                assert message["sender"] == "agent"
            finally:
                await browser.client.disconnect()

        asyncio.run(widget_gets_reply(f"（网页）{reply}"))

    archive = Archive(load(stack._environment()).database_url)
    try:
        # 180 s: after the third kill the archive catches up on the event stream's backlog; on a
        # loaded 2-core CI machine (stop 22) every turn was in it, but after more than 60 s.
        history = eventually(lambda: archived_with(archive, chat.conversation_id, written), 180,
                             "the archive lacks turns of the crash test")
        turns = [t for t in history.turns if t.text in written]
        assert [t.text for t in turns] == written  # every turn once, also those written during a crash
        for turn in turns:
            assert turn.intent and turn.emotion and turn.severity, f"archived without its judgements: {turn}"
    finally:
        archive.engine.dispose()
    assert Path(stack.logs / "supervisord.log").read_text().count("terminated by SIGKILL") >= 3
