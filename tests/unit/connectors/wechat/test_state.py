"""MsgIds handled once, pending choices and the last inbound time: in memory, through a real
Redis shared by two "processes", and with Redis away."""

from __future__ import annotations

import time

import redis

from connectors.wechat.state import RedisLink, State
from core.reach import last_inbound_key


async def test_a_msgid_is_new_once_in_memory() -> None:
    state = State(RedisLink(None), "wx1")
    assert await state.first_time("100") is True
    assert await state.first_time("100") is False
    assert await state.first_time("101") is True


async def test_a_retry_reaching_another_process_is_refused_through_redis(redis_url: str) -> None:
    first, second = State(RedisLink(redis_url), "wx1"), State(RedisLink(redis_url), "wx1")
    assert await first.first_time("200") is True
    assert await second.first_time("200") is False
    ttl = redis.Redis.from_url(redis_url).ttl("wechat:msg:wx1:200")
    assert 0 < ttl <= 3600
    assert await State(RedisLink(redis_url), "wx2").first_time("200") is True  # another account


async def test_redis_away_falls_back_to_memory() -> None:
    state = State(RedisLink("redis://127.0.0.1:1/0"), "wx1")
    assert await state.first_time("300") is True
    assert await state.first_time("300") is False
    await state.put_choices("o1", [("好", "a")])
    assert await state.take_choices("o1") == [("好", "a")]
    await state.touch("wechat:o1")  # no error


async def test_choices_are_shared_and_answer_one_question(redis_url: str) -> None:
    writer, reader = State(RedisLink(redis_url), "wx1"), State(RedisLink(redis_url), "wx1")
    options = [("5", "5"), ("4", "4"), ("跳过", "跳过")]
    await writer.put_choices("o1", options)
    assert await reader.take_choices("o1") == options
    assert await reader.take_choices("o1") == []
    assert await writer.take_choices("o1") == []  # taken in Redis: the writer's memory does not bring it back


async def test_last_inbound_time_is_recorded_for_the_handoff_service(redis_url: str) -> None:
    state = State(RedisLink(redis_url), "wx1")
    before = time.time()
    await state.touch("wechat:o9")
    stored = float(redis.Redis.from_url(redis_url).get(last_inbound_key("wechat:o9")) or 0)
    assert before <= stored <= time.time()
