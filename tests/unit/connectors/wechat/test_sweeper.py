"""Messages WeChat will not send again, kept until done: recorded as unfinished while a process
runs them, and run by another process's sweeper when a real process that had answered WeChat
"success" is SIGKILLed; left to a live holder; removed once done; given up after three takes; a
sweeper that outlives Redis failing."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from typing import Any

import pytest
import redis

from connectors.redis_link import RedisLink
from connectors.wechat.inbound import Inbound
from connectors.wechat.state import DEDUP_TTL, DONE, State
from connectors.wechat.sweeper import MAX_ATTEMPTS, Sweeper
from tests.unit.connectors.wechat.holder import Answered
from tests.unit.connectors.wechat.support import Bot, channel, lapsed, post
from tests.wechat_stub import ACCOUNT, APPID, WeChatApiStub, image_xml, text_xml

MSG_IDS = itertools.count(25_000_000_000_000_000)
UNFINISHED = f"wechat:unfinished:{APPID}"


def plain(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url, decode_responses=True)


def left(redis_url: str, msg_id: int, text: str, attempts: int, openid: str = "o20") -> None:
    """The record a process that took the message leaves when it dies (its lease long lapsed)."""
    inbound = Inbound(key=str(msg_id), openid=openid, kind="text", event="", text=text, account=ACCOUNT,
                      msg_id=msg_id, created=int(time.time()), attempts=attempts)
    plain(redis_url).hset(UNFINISHED, str(msg_id), inbound.to_json())


async def test_a_message_for_rasa_is_recorded_while_it_runs_and_forgotten_once_done(api: WeChatApiStub,
                                                                                    redis_url: str) -> None:
    msg_id = next(MSG_IDS)
    ch = channel(api, redis_url, reply_wait_s=0.1)
    assert await post(ch, text_xml("o21", "订单 20251103887 到哪了", msg_id), Bot("运输中", delay=0.5),
                      drain=False) == (200, None)  # "success": WeChat will not try again
    record = json.loads(plain(redis_url).hget(UNFINISHED, str(msg_id)) or "{}")
    assert record["openid"] == "o21" and record["text"] == "订单 20251103887 到哪了"
    assert (record["msg_id"], record["account"], record["kind"], record["attempts"]) == (msg_id, ACCOUNT, "text", 1)
    assert 0 < plain(redis_url).ttl(UNFINISHED) <= DEDUP_TTL  # no sweeper ever again: the texts go anyway
    await ch.drain(timeout=5)
    assert plain(redis_url).hget(UNFINISHED, str(msg_id)) is None  # the customer's text is gone with it
    assert plain(redis_url).get(f"wechat:msg:{APPID}:{msg_id}") == DONE
    await post(ch, image_xml("o21", next(MSG_IDS)), Bot())  # answered at once, never for Rasa: no record
    assert plain(redis_url).hlen(UNFINISHED) == 0


async def test_a_process_killed_after_answering_success_is_swept_by_another(api: WeChatApiStub,
                                                                            redis_url: str) -> None:
    """A real process got the message, answered WeChat "success" while its Rasa worked, and is
    SIGKILLed: WeChat sends nothing more. While it lives the sweeper leaves the message to it;
    once its lease lapsed, another process's sweeper runs it and the answer goes out once."""
    msg_id = next(MSG_IDS)
    xml = text_xml("o22", "订单 20251105123 什么时候发货", msg_id)
    bot = Bot("明天发货")
    ch = channel(api, redis_url)
    sweeper = ch.sweeper(bot)
    with Answered(redis_url, api.base_url, xml, lease_s=1.2) as holder:
        assert await sweeper.sweep() == 0  # alive: its lease is renewed
        assert plain(redis_url).hexists(UNFINISHED, str(msg_id))
        holder.kill()
        await lapsed(redis_url, f"wechat:msg:{APPID}:{msg_id}")
    assert await sweeper.sweep() == 1
    await ch.drain(timeout=10)
    assert [c.text for c in api.sent("o22")] == ["明天发货"]  # through the API: the passive reply was long over
    [message] = bot.messages
    assert message.text == "订单 20251105123 什么时候发货" and message.sender_id == "wechat:o22"
    assert message.metadata["wechat"]["msg_id"] == msg_id and message.metadata["wechat"]["account"] == ACCOUNT
    assert plain(redis_url).get(f"wechat:msg:{APPID}:{msg_id}") == DONE
    assert plain(redis_url).hget(UNFINISHED, str(msg_id)) is None
    assert await channel(api, redis_url).sweeper(bot).sweep() == 0  # once: nothing left for anyone
    assert len(api.sent("o22")) == 1 and len(bot.messages) == 1


async def test_a_done_record_left_by_a_crash_between_done_and_removal_is_removed(api: WeChatApiStub,
                                                                                 redis_url: str) -> None:
    msg_id = next(MSG_IDS)
    left(redis_url, msg_id, "在吗", attempts=1)
    plain(redis_url).set(f"wechat:msg:{APPID}:{msg_id}", DONE, ex=3600)
    bot = Bot()
    assert await channel(api, redis_url).sweeper(bot).sweep() == 0
    assert plain(redis_url).hlen(UNFINISHED) == 0 and bot.messages == []


async def test_a_message_taken_three_times_is_dropped_with_an_error(api: WeChatApiStub, redis_url: str,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    """A poison message: three processes died running it. The sweeper must not kill a fourth."""
    poison, last_chance = next(MSG_IDS), next(MSG_IDS)
    left(redis_url, poison, "毒", attempts=MAX_ATTEMPTS)
    left(redis_url, last_chance, "再试一次", attempts=MAX_ATTEMPTS - 1)
    bot = Bot("好的", delay=0.3)
    ch = channel(api, redis_url)
    with caplog.at_level(logging.ERROR, logger="connectors.wechat.sweeper"):
        assert await ch.sweeper(bot).sweep() == 1
    # the third take, counted before it runs: if it kills this process too, the next sweep drops it
    assert json.loads(plain(redis_url).hget(UNFINISHED, str(last_chance)) or "{}")["attempts"] == MAX_ATTEMPTS
    assert any(str(poison) in r.getMessage() and "dropped" in r.getMessage() for r in caplog.records)
    assert plain(redis_url).get(f"wechat:msg:{APPID}:{poison}") == DONE  # a late retry runs nothing either
    await ch.drain(timeout=5)
    assert [m.text for m in bot.messages] == ["再试一次"]
    assert plain(redis_url).hlen(UNFINISHED) == 0


async def test_a_record_that_is_not_the_channels_is_dropped(api: WeChatApiStub, redis_url: str) -> None:
    client = plain(redis_url)
    client.hset(UNFINISHED, mapping={"1": "not json", "2": json.dumps([1, 2]), "3": json.dumps({"key": "3"}),
                                     "4": Inbound(key="5", openid="o", kind="text", event="", text="x",
                                                  account=ACCOUNT).to_json()})
    bot = Bot()
    assert await channel(api, redis_url).sweeper(bot).sweep() == 0
    assert client.hlen(UNFINISHED) == 0 and bot.messages == []


async def test_wechats_retry_runs_the_recorded_text(api: WeChatApiStub, redis_url: str) -> None:
    """The dead process had turned the customer's "2" into the choice's payload (and used up the
    choices): the retry runs what it recorded, not a bare "2"."""
    msg_id = next(MSG_IDS)
    left(redis_url, msg_id, '/rate{"score": 1}', attempts=1, openid="o23")
    bot = Bot("谢谢")
    assert await post(channel(api, redis_url), text_xml("o23", "2", msg_id), bot) == (200, "谢谢")
    assert [m.text for m in bot.messages] == ['/rate{"score": 1}']
    assert plain(redis_url).hlen(UNFINISHED) == 0


class FailingOnce(State):
    """Redis fails on the first scan (a timeout), then works."""

    failed = False

    async def unfinished(self, cursor: int, count: int) -> tuple[int, list[tuple[str, str]]]:
        if not self.failed:
            self.failed = True
            raise redis.ConnectionError("Redis went away")
        return await super().unfinished(cursor, count)


async def test_redis_failing_does_not_stop_the_sweeper(api: WeChatApiStub, redis_url: str) -> None:
    assert await State(RedisLink("redis://127.0.0.1:1/0"), APPID).unfinished(0, 10) == (0, [])  # logged, empty
    msg_id = next(MSG_IDS)
    left(redis_url, msg_id, "在吗", attempts=1, openid="o24")
    ch = channel(api, redis_url)
    bot = Bot("在的")
    state = FailingOnce(RedisLink(redis_url), APPID)

    async def run(inbound: Inbound, lease: Any) -> None:
        await ch.rerun(inbound, lease, bot)

    sweeper = Sweeper(state, run, period=0.05)
    sweeper.start()
    try:
        deadline = time.monotonic() + 10
        while not bot.messages:  # the second sweep, after the first one failed
            assert time.monotonic() < deadline, "the sweeper stopped after Redis failed"
            await asyncio.sleep(0.05)
    finally:
        await sweeper.stop()
    await ch.drain(timeout=5)
    assert state.failed and [c.text for c in api.sent("o24")] == ["在的"]


async def test_without_redis_nothing_is_recorded_and_no_sweeper_runs(api: WeChatApiStub) -> None:
    ch = channel(api)
    ch.start(Bot())
    assert ch._sweeper is None  # nothing outlives a process without Redis
    assert await post(ch, text_xml("o25", "你好", next(MSG_IDS)), Bot("您好")) == (200, "您好")
    await ch.stop()


async def test_a_starting_process_sweeps_at_once_and_stops_with_the_server(api: WeChatApiStub,
                                                                           redis_url: str) -> None:
    """Every process was down (a deploy): the first to start runs what was left unfinished."""
    msg_id = next(MSG_IDS)
    left(redis_url, msg_id, "订单 20251103887 到哪了", attempts=1, openid="o26")
    bot = Bot("运输中")
    ch = channel(api, redis_url)
    ch.start(bot)  # as the server's after_server_start does
    try:
        deadline = time.monotonic() + 10
        while not bot.messages:
            assert time.monotonic() < deadline, "the started sweeper did not run the unfinished message"
            await asyncio.sleep(0.05)
    finally:
        await ch.stop()  # before_server_stop: the sweeper ends, the message being run is finished
    assert [c.text for c in api.sent("o26")] == ["运输中"]
    assert plain(redis_url).hlen(UNFINISHED) == 0
