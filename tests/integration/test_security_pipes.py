"""Nothing acknowledged is lost in the pipes, on the real processes (issue 11):

- a Telegram update whose handling is cut short by SIGKILL is answered after the restart, once;
- the handoff service's stream consumer outlives a database outage longer than all its retries,
  and every customer message ends up in the case once;
- the raw Redis event stream holds no phone number a customer typed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from typing import Iterator

import pytest
import redis

from bot.broker import RedisStreamsEventBroker
from core.settings import load
from tests.integration.conftest import Agent, Inbox, create_agent
from tests.integration.test_telegram import CASE_ID, TelegramCustomer, start_telegram_stack
from tests.telegram_stub import BotApiStub
from tools.stack import Stack, wait_http


@pytest.fixture(scope="module")
def api() -> Iterator[BotApiStub]:
    with BotApiStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox, api: BotApiStub) -> Iterator[Stack]:
    s = start_telegram_stack(tmp_path_factory.mktemp("var-pipes"), inbox, api,
                             "  inbox_claim_idle_s: 3\n",  # a dead worker's update is taken over after 3 s idle
                             TICKET_LOCK_LIFETIME="10")  # Rasa's lock of the killed worker's conversation expires
    yield s
    s.stop()


@pytest.fixture(scope="module")
def agent(stack: Stack) -> Agent:
    tina = create_agent(stack, "tina")
    tina.call("GET", "/queue")
    return tina


def test_a_telegram_update_cut_short_by_sigkill_is_answered_once_after_the_restart(stack: Stack,
                                                                                   api: BotApiStub) -> None:
    customer = TelegramCustomer(stack, api)
    customer.receives(customer.say("你好"))  # the channel is up and has its Bot API client
    api.stall("sendMessage", 60)  # the reply is on its way to Telegram when the process dies
    mark = customer.say("订单 20251103887 到哪了")
    deadline = time.monotonic() + 60
    while "sendMessage" not in api.stalled:
        assert time.monotonic() < deadline, "the update was never handled"
        time.sleep(0.1)
    before = stack.pid("rasa")
    assert before is not None
    for pid in stack.pids("rasa"):  # the main process and the worker handling the update
        os.kill(pid, signal.SIGKILL)
    stack.wait_restarted("rasa", before)
    wait_http(f"{stack.rasa_url}/", timeout=240)
    answer = customer.receives(mark, "20251103887", timeout=120)
    assert "运输中" in answer.text
    time.sleep(5)  # more than a claim period: a second answer would have come by now
    assert sum("20251103887" in c.text for c in customer.sent(mark)) == 1
    assert [e["text"] for e in customer.user_events(2)].count("订单 20251103887 到哪了") == 1


def test_the_stream_consumer_outlives_a_database_outage_and_stores_each_message_once(
        stack: Stack, api: BotApiStub, agent: Agent) -> None:
    customer = TelegramCustomer(stack, api)
    queued = customer.receives(customer.say("充电宝冒烟起火，差点烧到孩子"), pattern=CASE_ID, timeout=60)
    case_id = CASE_ID.search(queued.text).group(0)  # type: ignore[union-attr]
    broker = RedisStreamsEventBroker(client=redis.Redis.from_url(stack.redis_url))  # Rasa's own broker class
    texts = [f"停电期间的第{i}条消息" for i in range(5)]
    database = load(stack._environment()).database_url.removeprefix("sqlite:///")
    lock = sqlite3.connect(database, timeout=30, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # the database is unwritable: every write fails after its busy timeout
    try:
        for text in texts:
            broker.publish({"sender_id": customer.conversation, "event": "user", "text": text,
                            "timestamp": time.time(), "parse_data": {"text": text}, "input_channel": "telegram"})
            time.sleep(0.2)
        time.sleep(25)  # longer than the busy timeout (15 s) and than every retry of the old consumer
    finally:
        lock.execute("COMMIT")
        lock.close()
    deadline = time.monotonic() + 60
    while True:
        stored = [m["text"] for m in agent.call("GET", f"/cases/{case_id}/messages")["messages"]]
        if all(text in stored for text in texts) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [stored.count(text) for text in texts] == [1] * 5, stored
    assert not redis.Redis.from_url(stack.redis_url).exists("rasa:events:dead")


def test_the_raw_event_stream_holds_no_phone_number_a_customer_typed(stack: Stack, api: BotApiStub) -> None:
    customer = TelegramCustomer(stack, api)
    customer.receives(customer.say("我的电话是 13987654321，邮箱 lin.chen@example.com"), timeout=60)
    customer.user_events(1)
    raw = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    entries = [fields.get("event", "") for _, fields in raw.xrange("rasa:events")]
    mine = [e for e in entries if customer.conversation in e]
    assert mine and all("13987654321" not in e and "lin.chen@example.com" not in e for e in entries)
    assert any("139****4321" in e for e in mine)
