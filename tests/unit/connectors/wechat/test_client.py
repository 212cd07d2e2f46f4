"""The access token: fetched from the configured API base, shared through Redis by every process,
fetched again before it expires and after WeChat says it has (40001/42001)."""

from __future__ import annotations

import asyncio

import redis

from connectors.wechat.client import REFRESH_MARGIN, CustomerUnreachable, WeChatApi
from tests.wechat_stub import APPID, SECRET, WeChatApiStub


def tokens(api: WeChatApiStub) -> int:
    return len(api.of("token"))


async def test_one_token_serves_every_process_through_redis(api: WeChatApiStub, redis_url: str) -> None:
    first, second = (WeChatApi(APPID, SECRET, api.base_url, redis_url) for _ in range(2))
    await first.send_text("o1", "你好")
    await second.send_text("o1", "再见")
    assert tokens(api) == 1
    sends = api.of("message/custom/send")
    assert [c.ok for c in sends] == [True, True]
    assert sends[0].params["access_token"] == sends[1].params["access_token"]
    ttl = redis.Redis.from_url(redis_url).ttl(f"wechat:token:{APPID}_access_token")
    assert 7200 - REFRESH_MARGIN - 5 <= ttl <= 7200 - REFRESH_MARGIN  # dropped before WeChat's expiry


async def test_the_token_is_fetched_again_before_it_expires(api: WeChatApiStub, redis_url: str) -> None:
    api.expires_in = REFRESH_MARGIN + 2  # WeChat's token lives 2 s longer than the cache keeps it
    client = WeChatApi(APPID, SECRET, api.base_url, redis_url)
    await client.send_text("o1", "一")
    assert tokens(api) == 1
    redis.Redis.from_url(redis_url).expire(f"wechat:token:{APPID}_access_token", 1)
    client.client.expires_at = None  # as in another process, which knows only what Redis holds
    await asyncio.sleep(1.2)
    await client.send_text("o1", "二")
    assert tokens(api) == 2
    assert all(c.ok for c in api.of("message/custom/send"))


async def test_an_expired_token_is_replaced_and_the_call_repeated(api: WeChatApiStub, redis_url: str) -> None:
    client = WeChatApi(APPID, SECRET, api.base_url, redis_url)
    await client.send_text("o1", "一")
    api.expire_tokens()  # WeChat says 42001 although the cache still holds the token
    await client.send_text("o1", "二")
    sends = api.of("message/custom/send")
    assert [c.answer["errcode"] for c in sends] == [0, 42001, 0]
    assert tokens(api) == 2
    assert sends[2].params["access_token"] != sends[1].params["access_token"]


async def test_a_token_unknown_to_wechat_is_replaced_too(api: WeChatApiStub) -> None:
    client = WeChatApi(APPID, SECRET, api.base_url, None)  # no Redis: this process's memory
    client.client.session.set(client.client.access_token_key, "stale-token-from-elsewhere", 7000)
    await client.send_text("o1", "一")
    assert [c.answer["errcode"] for c in api.of("message/custom/send")] == [40001, 0]


async def test_outside_the_48_hour_window_the_customer_is_unreachable(api: WeChatApiStub) -> None:
    api.unreachable.add("o-gone")
    client = WeChatApi(APPID, SECRET, api.base_url, None)
    try:
        await client.send_text("o-gone", "还在吗")
    except CustomerUnreachable as exc:
        assert "45015" in str(exc)
    else:
        raise AssertionError("45015 must raise CustomerUnreachable")
