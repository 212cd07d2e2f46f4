"""The durable inbox on a real Redis: an update counts as seen once it is safe, a worker that
dies mid-update is replaced by another that handles it once, and without Redis the webhook
answers only after handling. Conversation ids are namespaced; replies reach the numeric chat."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import redis
from rasa.core.channels.channel import UserMessage

from tests.telegram_stub import BotApiStub, text_update
from tests.unit.connectors.telegram.support import SECRET, Received, channel


async def wait_until(predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_an_update_is_handled_from_the_inbox_then_acknowledged(api: BotApiStub, redis_url: str) -> None:
    ch, received = channel(api, redis_url), Received()
    ch.start(received)
    try:
        assert (await ch.receive(SECRET, json.dumps(text_update(1, 42, "你好")).encode(), received))[0] == 200
        await wait_until(lambda: len(received.messages) == 1)
        await ch.drain()
        assert received.messages[0].sender_id == "telegram:42"
        again = await ch.receive(SECRET, json.dumps(text_update(1, 42, "你好")).encode(), received)
        assert again == (200, {"ok": True, "status": "duplicate"})
    finally:
        await ch.stop()
    check = redis.Redis.from_url(redis_url, decode_responses=True)
    assert check.xlen(ch.inbox.stream) == 0  # handled updates are not kept (they hold what people wrote)
    assert check.exists(ch.inbox.done_key(1)) and len(received.messages) == 1


async def test_a_worker_dying_mid_update_is_replaced_and_the_update_handled_once(api: BotApiStub,
                                                                                 redis_url: str) -> None:
    hang = asyncio.Event()

    async def dies(message: UserMessage) -> None:
        hang.set()
        await asyncio.sleep(3600)  # never returns: the process is killed while handling

    first = channel(api, redis_url, inbox_claim_idle_s=1.0)
    first.start(dies)
    await first.receive(SECRET, json.dumps(text_update(7, 43, "订单 20251103887 到哪了")).encode(), dies)
    await asyncio.wait_for(hang.wait(), 10)
    for task in [first._consumer, *first._tasks]:  # the crash: nothing of it finishes or acks
        assert task is not None
        task.cancel()
    first._consumer = None

    received = Received()
    second = channel(api, redis_url, inbox_claim_idle_s=1.0)
    second.start(received)
    try:
        await wait_until(lambda: len(received.messages) == 1)
        await second.drain()
        await asyncio.sleep(1.5)  # another claim period: nothing comes twice
        assert [m.text for m in received.messages] == ["订单 20251103887 到哪了"]
    finally:
        await second.stop()
        await first.stop()


async def test_a_pending_update_that_is_already_done_is_acked_without_handling(api: BotApiStub,
                                                                              redis_url: str) -> None:
    ch, received = channel(api, redis_url), Received()
    check = redis.Redis.from_url(redis_url, decode_responses=True)
    check.xadd(ch.inbox.stream, {"event": json.dumps(text_update(9, 44, "你好"))})
    check.set(ch.inbox.done_key(9), "1")  # handled, then the crash came before the ack
    ch.start(received)
    try:
        await wait_until(lambda: check.xlen(ch.inbox.stream) == 0)
    finally:
        await ch.stop()
    assert received.messages == []


async def test_without_redis_the_webhook_answers_after_handling_and_503_on_failure(api: BotApiStub) -> None:
    ch = channel(api)
    calls: list[str] = []

    async def fails_once(message: UserMessage) -> None:
        calls.append(message.text or "")
        if len(calls) == 1:
            raise RuntimeError("Rasa is busy")

    body = json.dumps(text_update(11, 45, "你好")).encode()
    status, answer = await ch.receive(SECRET, body, fails_once)
    assert (status, answer["error"]["code"]) == (503, "not_handled")  # Telegram sends it again
    assert await ch.receive(SECRET, body, fails_once) == (200, {"ok": True, "status": "accepted"})
    assert await ch.receive(SECRET, body, fails_once) == (200, {"ok": True, "status": "duplicate"})
    assert calls == ["你好", "你好"]


async def test_replies_go_to_the_numeric_chat_of_a_namespaced_or_old_id(api: BotApiStub) -> None:
    out = channel(api).get_output_channel()
    mark = api.mark()
    await out.send_text_message("telegram:5151", "新的会话")
    await out.send_text_message("5152", "旧的会话")
    sent = [(c.chat_id, c.text) for c in api.calls[mark:] if c.method == "sendMessage"]
    assert sent == [("5151", "新的会话"), ("5152", "旧的会话")]
