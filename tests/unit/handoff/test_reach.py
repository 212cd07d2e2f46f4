"""The handoff service knows when WeChat's 48 hours are over, from the time the channel recorded."""

from __future__ import annotations

import time

import redis

from core.reach import last_inbound_key
from handoff.reach import unreachable


async def test_a_wechat_customer_silent_for_49_hours_is_unreachable(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set(last_inbound_key("wechat:o-old"), str(time.time() - 49 * 3600))
    client.set(last_inbound_key("wechat:o-new"), str(time.time() - 47 * 3600))
    why = await unreachable(redis_url, "wechat:o-old")
    assert why is not None and "48" in why and "微信" in why
    assert await unreachable(redis_url, "wechat:o-new") is None
    assert await unreachable(redis_url, "wechat:o-never") is None  # unknown: WeChat itself will say


async def test_other_channels_and_a_redis_outage_count_as_reachable(redis_url: str) -> None:
    redis.Redis.from_url(redis_url).set(last_inbound_key("telegram:1"), "0")
    assert await unreachable(redis_url, "telegram:1") is None
    assert await unreachable("redis://127.0.0.1:1/0", "wechat:o-old") is None
