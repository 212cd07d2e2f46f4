"""Messages taken with a lease and then "done", pending choices and the last inbound time: in
memory, through a real Redis shared by two "processes" (and a real process SIGKILLed while it
holds a message), and with Redis away."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import redis

from connectors.wechat.state import DEDUP_TTL, DONE, LEASE_S, Lease, RedisLink, State
from core.reach import last_inbound_key
from tests.unit.connectors.wechat.holder import Holder
from tests.unit.connectors.wechat.support import lapsed


async def test_a_message_is_taken_once_while_held_and_once_done_in_memory() -> None:
    state = State(RedisLink(None), "wx1")
    lease = await state.take("100")
    assert lease is not None
    assert await state.take("100") is None  # held
    other = await state.take("101")
    assert other is not None
    assert await state.handled("100") is False
    await lease.done()
    assert await state.take("100") is None and await state.handled("100") is True
    await other.done()


async def test_a_retry_reaching_another_process_is_refused_through_redis(redis_url: str) -> None:
    first, second = State(RedisLink(redis_url), "wx1"), State(RedisLink(redis_url), "wx1")
    lease = await first.take("200")
    assert lease is not None
    assert await second.take("200") is None
    plain = redis.Redis.from_url(redis_url, decode_responses=True)
    assert plain.get("wechat:msg:wx1:200") == lease.token
    assert 0 < plain.pttl("wechat:msg:wx1:200") <= LEASE_S * 1000  # a lease, not an hour
    assert await second.handled("200") is False
    other_account = await State(RedisLink(redis_url), "wx2").take("200")
    assert other_account is not None
    await lease.done()
    assert plain.get("wechat:msg:wx1:200") == DONE and 3500 < plain.ttl("wechat:msg:wx1:200") <= DEDUP_TTL
    assert await second.take("200") is None and await second.handled("200") is True
    await other_account.done()


async def test_a_live_holders_renewal_keeps_a_retry_out_beyond_the_lease(redis_url: str) -> None:
    # Lengths with room for a loaded CI machine: a renewal late by 1 s still keeps the lease.
    holder = State(RedisLink(redis_url), "wx1", lease_s=1.2, renew_s=0.1)
    retry = State(RedisLink(redis_url), "wx1", lease_s=1.2, renew_s=0.1)
    lease = await holder.take("210")
    assert lease is not None
    for _ in range(8):  # 3.2 s in all: more than two and a half lease lengths
        await asyncio.sleep(0.4)
        assert await retry.take("210") is None
    await lease.done()
    assert await retry.handled("210") is True


async def test_a_holder_that_stops_renewing_lets_a_retry_take_it_after_expiry(redis_url: str) -> None:
    holder = State(RedisLink(redis_url), "wx1", lease_s=0.3, renew_s=0.1)
    retry = State(RedisLink(redis_url), "wx1")
    lease = await holder.take("220")
    assert lease is not None
    lease.stop()  # as if its process had died: no renewal, no "done"
    assert await retry.take("220") is None
    await lapsed(redis_url, "wechat:msg:wx1:220")
    taken = await retry.take("220")
    assert taken is not None
    await taken.done()


async def test_in_memory_a_lease_that_is_no_longer_renewed_lapses_too() -> None:
    state = State(RedisLink(None), "wx1", lease_s=0.6, renew_s=0.1)
    lease = await state.take("230")
    assert lease is not None
    await asyncio.sleep(1.2)
    assert await state.take("230") is None  # renewed in memory
    lease.stop()
    await asyncio.sleep(0.7)  # the lease's length and more
    again = await state.take("230")
    assert again is not None
    await again.done()


async def test_a_holder_killed_by_sigkill_lets_the_next_try_run_it(redis_url: str) -> None:
    """A real process holds the lease, renewing it past its length; killed, it lets go."""
    retry = State(RedisLink(redis_url), "wx1")
    with Holder(redis_url, "wx1", "240", lease_s=1.2) as holder:
        await asyncio.sleep(3.0)  # two and a half lease lengths: the live holder renewed it
        assert await retry.take("240") is None
        holder.kill()
        await lapsed(redis_url, "wechat:msg:wx1:240")
    taken = await retry.take("240")
    assert taken is not None
    await taken.done()


async def lapsed_lease(redis_url: str, key: str) -> Lease:
    """A lease whose holder stopped renewing (asleep, not dead) and that has lapsed in Redis."""
    lease = await State(RedisLink(redis_url), "wx1", lease_s=0.3, renew_s=0.1).take(key)
    assert lease is not None
    lease.stop()
    await lapsed(redis_url, f"wechat:msg:wx1:{key}")
    return lease


async def test_renewal_never_extends_or_finishes_someone_elses_lease(redis_url: str) -> None:
    lease = await lapsed_lease(redis_url, "250")
    successor = await State(RedisLink(redis_url), "wx1", lease_s=5.0).take("250")
    assert successor is not None
    assert await lease.renew() is False  # the late holder wakes up: the lease is not its own any more
    plain = redis.Redis.from_url(redis_url, decode_responses=True)
    assert plain.get("wechat:msg:wx1:250") == successor.token
    assert plain.pttl("wechat:msg:wx1:250") > 1000  # not cut to the late holder's 0.3 s
    await lease.done()  # the late holder finishes: the successor's lease stays
    assert plain.get("wechat:msg:wx1:250") == successor.token
    await successor.done()
    assert plain.get("wechat:msg:wx1:250") == DONE


async def test_a_lease_that_lapsed_unnoticed_is_taken_back_if_no_one_took_it(redis_url: str) -> None:
    """The event loop was busy for longer than the lease: the next renewal takes it again."""
    lease = await lapsed_lease(redis_url, "260")
    assert await lease.renew() is True
    assert redis.Redis.from_url(redis_url, decode_responses=True).get("wechat:msg:wx1:260") == lease.token
    await lease.done()


async def test_redis_away_falls_back_to_memory() -> None:
    state = State(RedisLink("redis://127.0.0.1:1/0"), "wx1")
    lease = await state.take("300")
    assert lease is not None
    assert await state.take("300") is None
    assert await lease.renew() is True
    await lease.done()
    assert await state.take("300") is None and await state.handled("300") is True
    await state.put_choices("o1", [("好", "a")])
    assert await state.take_choices("o1") == [("好", "a")]
    await state.touch("wechat:o1")  # no error


class BrokenLock:
    async def extend(self, *_: Any, **__: Any) -> bool:
        raise redis.ConnectionError("Redis went away")


async def test_redis_failing_mid_lease_keeps_the_lease_in_memory(redis_url: str) -> None:
    state = State(RedisLink(redis_url), "wx1")
    lease = await state.take("310")
    assert lease is not None
    lease.lock = BrokenLock()
    assert await lease.renew() is True
    assert await state.take("310") is None
    await lease.done()


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
