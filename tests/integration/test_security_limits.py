"""SECURITY, limits: expensive or unreadable input gets a clear answer and costs nothing, on the
real processes (bot/guard.py in front of every channel; Sanic's body limit in front of Rasa).

One stack for the whole file, on a real PostgreSQL 15 (tests/pg.py) because PostgreSQL is where
a NUL character used to break the tracker store, and with RATE_PER_CONVERSATION=5/hour so the
rate limit shows after five messages (per hour, not per minute: on a busy machine five turns may
take a while, and the test must not depend on how fast they are). Each test uses conversations of
its own.
"""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from tests.integration.conftest import Agent, ChatCustomer, Customer, Inbox, create_agent, start_stack
from tests.pg import start_postgres
from tools.stack import Stack

RATE = 5
COMPLAINT = "充电宝冒烟起火，差点烧到孩子，我要投诉！"  # alone, this opens a severe case
QUESTION = "订单 20251103887 到哪了"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Optional[str]]:
    """PostgreSQL's URL, or None (SQLite) when its server binaries are not installed."""
    try:
        url, stop = start_postgres(Path(tmp_path_factory.mktemp("pg")))
    except RuntimeError as error:
        if "not found" not in str(error):
            raise
        yield None
        return
    yield url
    stop()


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox, database: Optional[str]) -> Iterator[Stack]:
    env = {"RATE_PER_CONVERSATION": f"{RATE}/hour", **({"DATABASE_URL": database} if database else {})}
    stack = start_stack(tmp_path_factory.mktemp("var-limits"), inbox, **env)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def boss(limited: Stack) -> Agent:
    supervisor = create_agent(limited, "limits-sam", "supervisor")
    supervisor.call("GET", "/queue")  # online: a complaint would be handed over at once
    return supervisor


def user_texts(customer: Customer) -> list[str]:
    return [str(e.get("text")) for e in customer.tracker()["events"] if e.get("event") == "user"]


def cases_of(boss: Agent, conversation: str) -> list[dict[str, Any]]:
    return [c for c in boss.call("GET", "/cases")["cases"] if c.get("conversation_id") == conversation]


def post_raw(stack: Stack, path: str, body: bytes) -> tuple[int, bytes]:
    """A POST that survives the server answering before it read the whole body (a 413)."""
    url = urlparse(stack.rasa_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        try:
            connection.send(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server said no and closed: its answer is still there to read
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# --- (a) a 200 KB message ---------------------------------------------------------------------------


def test_a_200_kb_message_gets_the_polite_refusal_and_opens_no_case(limited: Stack, boss: Agent) -> None:
    customer = Customer(limited, "huge-complaint")
    text = COMPLAINT * (200_000 // len(COMPLAINT.encode()))  # ~200 KB of UTF-8 that would open a case
    assert len(text.encode()) > 190_000 and len(text) > 4000

    [reply] = customer.say(text)

    assert reply == f"您的消息太长了（{len(text)} 字），我没有读取。请精简到 4000 字以内，分几条发送也可以。"
    assert user_texts(customer) == []  # not a user turn: nothing was parsed or stored
    assert cases_of(boss, customer.conversation_id) == []
    assert all(c.get("conversation_id") != customer.conversation_id
               for c in boss.call("GET", "/queue").get("cases", []))
    # …and the conversation goes on normally afterwards
    assert customer.say("where is my order?") and user_texts(customer) == ["where is my order?"]


def test_a_long_english_message_on_the_callback_channel_is_refused_in_english(limited: Stack, inbox: Inbox) -> None:
    chat = ChatCustomer(limited, inbox, "long-callback")
    mark = chat.mark()
    text = "Where is my order? I have been waiting for weeks." * 100  # 4900 characters
    chat.say(text)
    refusal = chat.receives(mark, lambda t: "too long" in t)
    assert refusal.startswith(f"Your message is too long ({len(text)} characters)") and "at most 4000" in refusal
    assert user_texts(chat) == []


def test_a_body_over_the_limit_is_refused_by_rasa_before_it_is_read(limited: Stack) -> None:
    limit = limited.settings().max_body_bytes
    environ = Path(f"/proc/{limited.pid('rasa')}/environ").read_bytes().split(b"\0")
    if not any(v.startswith(b"SANIC_REQUEST_MAX_SIZE=") for v in environ):
        pytest.skip("Rasa runs without SANIC_REQUEST_MAX_SIZE (tools/stack.py, engineer F's change, is not in)")
    body = json.dumps({"sender": "too-big", "message": "x" * (limit + 1000)}).encode()
    status, _ = post_raw(limited, "/webhooks/rest/webhook", body)
    assert status == 413
    assert Customer(limited, "too-big").say("where is my order?")  # the door is still open


# --- (b) NUL and control characters ---------------------------------------------------------------


def test_control_characters_are_removed_before_anything_reads_or_stores_them(limited: Stack, boss: Agent,
                                                                              database: Optional[str]) -> None:
    clean_customer, dirty_customer = Customer(limited, "ctrl-clean"), Customer(limited, "ctrl-dirty")
    dirty = "\x00订单\x07 20251103887\x1b 到哪了\x00\x85\r\n"

    answer = clean_customer.say(QUESTION)
    assert answer and dirty_customer.say(dirty) == answer  # answered as if it had been typed cleanly

    assert user_texts(dirty_customer) == [QUESTION]
    [only_controls] = dirty_customer.say("\x00\x01\x02\x7f")
    assert only_controls.startswith("抱歉，我没能读懂这条消息") and "Sorry, I could not read that" in only_controls
    assert user_texts(dirty_customer) == [QUESTION]

    if database is None:
        pytest.skip("PostgreSQL server binaries are not installed (tests/pg.py): ran on SQLite only")
    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT data FROM events WHERE sender_id = :id AND type_name = 'user'"),
                                      {"id": dirty_customer.conversation_id}).scalars().all()
        assert [json.loads(row)["text"] for row in rows] == [QUESTION]  # Rasa's tracker store on PostgreSQL
        deadline = time.monotonic() + 30  # the archive is written from the event stream, off the hot path
        archived: list[str] = []
        while not archived and time.monotonic() < deadline:
            time.sleep(0.5)
            with engine.connect() as connection:
                query = sa.text("SELECT text FROM archive_turns WHERE conversation_id = :id")
                archived = list(connection.execute(query, {"id": dirty_customer.conversation_id}).scalars().all())
        assert archived and all("\x00" not in t and "\x07" not in t for t in archived)
    finally:
        engine.dispose()


# --- (c) the per-conversation rate --------------------------------------------------------------------


def test_the_message_over_the_conversations_rate_is_asked_to_wait_and_others_go_on(limited: Stack) -> None:
    fast, other = Customer(limited, "rate-fast"), Customer(limited, "rate-other")
    texts = [f"where is my order {n}?" for n in range(RATE)]
    for text in texts:
        [first, *_] = fast.say(text)
        assert "too fast" not in first

    [slow_down] = fast.say("where is my order now?")

    assert slow_down.startswith("You are sending messages too fast; please wait ")
    assert user_texts(fast) == texts  # the sixth was not parsed or stored
    [answer, *_] = other.say("where is my order?")
    assert "too fast" not in answer
    [zh] = fast.say("订单到哪了")  # still over the rate: told in its own language
    assert zh.startswith("您发送得太快了，请等 ")
