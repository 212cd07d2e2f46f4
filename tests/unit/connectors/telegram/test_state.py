"""Long button payloads and update deduplication, in memory, through a real Redis, and with
Redis away."""

from __future__ import annotations

import time

import redis

from connectors.telegram.state import BUTTON_KEY_PREFIX, ButtonStore, Deduplicator, RedisLink


async def test_short_payloads_travel_as_they_are_and_long_ones_as_keys() -> None:
    store = ButtonStore(RedisLink(None), "123")
    assert await store.encode("5") == "5"
    assert await store.encode("跳过") == "跳过"
    exact = "x" * 64
    assert await store.encode(exact) == exact
    long = '/inform{"order_id": "20251103887", "reason": "外包装破损，里面的东西也坏了"}'
    key = await store.encode(long)
    assert key.startswith(BUTTON_KEY_PREFIX) and len(key.encode()) <= 64
    assert await store.decode(key) == long and await store.decode("5") == "5"
    assert await store.decode(BUTTON_KEY_PREFIX + "unknown") is None
    tricky = BUTTON_KEY_PREFIX + "literal"  # looks like a key: mapped too, so it comes back as itself
    assert await store.decode(await store.encode(tricky)) == tricky


async def test_long_payloads_are_readable_by_another_process_through_redis(redis_url: str) -> None:
    writer, reader = ButtonStore(RedisLink(redis_url), "123"), ButtonStore(RedisLink(redis_url), "123")
    payload = "/request_human{\"reason\": \"" + "很" * 40 + "\"}"
    key = await writer.encode(payload)
    assert await reader.decode(key) == payload
    ttl = redis.Redis.from_url(redis_url).ttl(f"telegram:button:123:{key[len(BUTTON_KEY_PREFIX):]}")
    assert 29 * 86400 < ttl <= 30 * 86400


async def test_dedup_in_memory() -> None:
    dedup = Deduplicator(RedisLink(None), "123")
    assert await dedup.first_time(10) is True
    assert await dedup.first_time(10) is False
    assert await dedup.first_time(11) is True


async def test_dedup_is_shared_by_processes_through_redis(redis_url: str) -> None:
    one, two = Deduplicator(RedisLink(redis_url), "123"), Deduplicator(RedisLink(redis_url), "123")
    assert await one.first_time(500) is True
    assert await two.first_time(500) is False  # another Rasa process got the re-delivery
    client = redis.Redis.from_url(redis_url)
    assert 86000 < client.ttl("telegram:update:123:500") <= 86400
    other_bot = Deduplicator(RedisLink(redis_url), "999")
    assert await other_bot.first_time(500) is True


async def test_dedup_falls_back_to_memory_when_redis_is_away() -> None:
    from tools.stack import free_port

    dedup = Deduplicator(RedisLink(f"redis://127.0.0.1:{free_port()}/0"), "123")
    started = time.monotonic()
    assert await dedup.first_time(1) is True
    assert await dedup.first_time(1) is False
    assert time.monotonic() - started < 5
