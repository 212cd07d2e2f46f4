"""One conversation, two Rasa workers, twenty messages at once: each is handled alone.

Rasa runs with two Sanic workers (SANIC_WORKERS=2), so two processes share one conversation
through the tracker store; the lock store must let only one of them work on it at a time. A
customer who double-clicks, or whose widget resends while an agent's reply is being posted,
produces exactly this. If two workers handled the conversation at once, one's save would
overwrite the other's (a user message lost) or their events would interleave (two answers to one
message, none to the next). Rasa 3.6's own RedisLockStore issues tickets read-then-SET (RasaHQ/
rasa issue 9213) and lets that happen; `bot.lock_store.AtomicRedisLockStore` issues them in one
Redis script.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import pytest

from core.channels import conversation_id
from handoff.rasa_client import RasaClient
from tests.integration.conftest import create_agent
from tests.integration.widget_client import Browser
from tools.stack import Stack, free_port
from tools.train import model_path

MESSAGES = 20
QUESTION = "请问退货规定是什么"  # one FAQ answer, no form, no handoff: every turn looks alike


def start_two_workers(var: Path, stack_class: type[Stack] = Stack) -> Stack:
    if not Path(model_path()).exists():
        pytest.fail("no trained model: run `make train`")
    stack = stack_class(model=Path(model_path()), rasa_port=free_port(), action_port=free_port(),
                        handoff_port=free_port(), redis_url=f"redis://localhost:{free_port()}/0", var_dir=var,
                        env={"SANIC_WORKERS": "2", "RATE_PER_CONVERSATION": "1000/minute"})  # ordering, not limits
    return stack.start()


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_two_workers(tmp_path_factory.mktemp("var"))
    yield stack
    stack.stop()


def say(stack: Stack, sender: str, text: str) -> list[str]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{stack.rasa_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=180) as response:  # 20 queued turns on a busy machine
        return [str(m.get("text") or "") for m in json.loads(response.read())]


def events(stack: Stack, sender: str) -> list[dict[str, Any]]:
    """The tracker of REST sender `sender` (its conversation is `rest:<sender>`, core.channels)."""
    url = f"{stack.rasa_url}/conversations/{quote(conversation_id('rest', sender))}/tracker?token={stack.auth_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return list(json.loads(response.read())["events"])


def turns(history: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The events from each user message up to the next one."""
    out: list[list[dict[str, Any]]] = []
    for event in history:
        if event.get("event") == "user":
            out.append([event])
        elif out:
            out[-1].append(event)
    return out


def bot_texts(turn: list[dict[str, Any]]) -> list[str]:
    return [str(e.get("text") or "") for e in turn if e.get("event") == "bot"]


def send_at_once(stack: Stack, sender: str, texts: list[str]) -> list[list[str]]:
    start = threading.Barrier(len(texts))

    def one(text: str) -> list[str]:
        start.wait()
        return say(stack, sender, text)

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        return list(pool.map(one, texts))


def check_each_answered_once(stack: Stack, sender: str, texts: list[str], answer: list[str],
                             replies: list[list[str]]) -> None:
    assert all(reply == answer for reply in replies), f"a customer got another answer: {replies}"
    conversation = turns(events(stack, sender))
    users = [turn[0]["text"] for turn in conversation]
    assert sorted(users) == sorted(texts), f"user messages in the tracker: {users}"
    for turn in conversation:
        assert bot_texts(turn) == answer, f"{turn[0]['text']!r} answered {bot_texts(turn)}"
        listens = [e for e in turn if e.get("event") == "action" and e.get("name") == "action_listen"]
        assert len(listens) == 1 and turn[-1] is listens[0], f"{turn[0]['text']!r}: {[e.get('name') for e in turn]}"


def test_twenty_messages_at_once_to_one_conversation(two_workers: Stack) -> None:
    """All twenty land in the tracker, and each gets the one answer it would get alone."""
    answer = say(two_workers, "solo", QUESTION)
    assert answer, "the FAQ question has an answer"
    texts = [f"{QUESTION} {n}" for n in range(MESSAGES)]
    assert say(two_workers, "probe", texts[0]) == answer  # the numbered question is the same question

    replies = send_at_once(two_workers, "crowd", texts)
    check_each_answered_once(two_workers, "crowd", texts, answer, replies)


# --- socket.io: a reply reaches the widget on whichever worker it is connected to ------------------

COMPLAINT = "充电宝冒烟起火，差点烧到孩子"


def connection_owners(stack: Stack) -> dict[int, int]:
    """Established connections to Rasa's port: the client's port → the pid of the worker holding it."""
    inodes: dict[str, int] = {}
    for pid in stack.pids("rasa"):
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            for fd in fd_dir.iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes[target[8:-1]] = pid
        except OSError:  # a process that just went away
            continue
    owners: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == stack.rasa_port and inode in inodes:
                owners[int(remote.rsplit(":", 1)[1], 16)] = inodes[inode]
    return owners


async def test_agent_replies_reach_widgets_on_every_worker(two_workers: Stack) -> None:
    """Widgets spread over both workers hand off; each one gets its agent's reply."""
    create_agent(two_workers, "wang").call("GET", "/queue")  # online: complaints are handed over at once
    browsers: list[Browser] = []
    owners: dict[str, int] = {}
    try:
        for n in range(24):  # until both workers hold some: the kernel picks the accepting worker
            browser = Browser(f"ws-{n}")
            port = await browser.connect(two_workers)
            browsers.append(browser)
            owners[browser.session_id] = connection_owners(two_workers)[port]
            if n >= 5 and len(set(owners.values())) > 1:
                break
        assert len(set(owners.values())) == 2, f"all widgets on one worker: {owners}"

        for browser in browsers:  # each starts a handoff from its widget
            await browser.say(COMPLAINT)
        for browser in browsers:
            await browser.receives(lambda m: m.get("sender") == "bot" and bool(m.get("text")))
        for browser in browsers:  # the reply is emitted before the turn is saved: wait for the save
            assert await paused_soon(two_workers, browser.session_id), f"{browser.session_id} was not handed off"

        rasa = RasaClient(two_workers.rasa_url, two_workers.auth_token)
        try:
            for browser in browsers:  # the HTTP API request lands on either worker
                await rasa.say(browser.session_id, f"您好，我是客服小王（{browser.session_id}）", agent="小王")
        finally:
            await rasa.close()
        for browser in browsers:
            mark = f"（{browser.session_id}）"
            reply = await browser.receives(lambda m: mark in str(m.get("text")))  # noqa: B023 - awaited here
            assert reply["sender"] == "agent" and reply["agent"] == "小王"
            assert all(f"（{b.session_id}）" not in str(m.get("text")) for b in browsers if b is not browser
                       for m in browser.received), "a reply reached another customer"
    finally:
        for browser in browsers:
            await browser.client.disconnect()


async def paused_soon(stack: Stack, sender: str, timeout: float = 20) -> bool:
    """Whether the conversation is paused within `timeout` s.

    Rasa sends the bot's messages to the channel while it runs the action, and saves the turn
    (with its pause) after the last action; a widget can read the reply before the store has it.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while not events_paused(stack, sender):
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


def events_paused(stack: Stack, sender: str) -> bool:
    url = f"{stack.rasa_url}/conversations/{quote(sender)}/tracker?token={stack.auth_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return bool(json.loads(response.read())["paused"])
