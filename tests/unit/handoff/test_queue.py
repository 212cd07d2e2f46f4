"""The Redis case queue against a real redis-server: order, routing, races, rebuild, presence."""

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis
import redis.asyncio

from handoff.queue import CaseQueue, QueueEntry, estimate_wait, listen, parse_message, score
from tests.redis_server import RedisServer

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture()
def queue(client: redis.Redis) -> CaseQueue:
    return CaseQueue(client)


def due(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_priority_first_then_the_earlier_deadline(queue: CaseQueue) -> None:
    queue.enqueue("late-normal", "general", "en", 1, due(30))
    queue.enqueue("early-normal", "general", "en", 1, due(5))
    queue.enqueue("severe", "general", "en", 3, due(60))
    queue.enqueue("angry", "general", "en", 2, due(1))
    assert [e.case_id for e in queue.entries()] == ["severe", "angry", "early-normal", "late-normal"]
    assert [queue.position(c) for c in ("severe", "angry", "early-normal", "late-normal")] == [1, 2, 3, 4]
    assert queue.position("nope") is None
    assert queue.size() == 4
    assert [queue.claim_next(["general"], ["en"]) for _ in range(5)] == [
        "severe", "angry", "early-normal", "late-normal", None]


def test_score_is_exact_and_ordered() -> None:
    far = datetime(2200, 1, 1, tzinfo=timezone.utc)
    assert score(100_000, far) == float(score(100_000, far))  # exact in a double
    assert score(2, far) > score(1, T0)  # priority beats any deadline
    assert score(1, T0) > score(1, T0 + timedelta(seconds=1))
    with pytest.raises(ValueError):
        score(10**6, T0)


def test_entry_round_trips_and_naive_datetimes_are_utc(queue: CaseQueue) -> None:
    entry = queue.enqueue(42, "billing", "zh", 2, T0.replace(tzinfo=None), enqueued_at=T0 - timedelta(minutes=1))
    got = queue.get("42")
    assert got == entry and got.due == T0
    assert got.to_dict() == {"case_id": "42", "team": "billing", "language": "zh", "priority": 2,
                             "due": "2024-05-01T12:00:00+00:00", "enqueued_at": "2024-05-01T11:59:00+00:00"}
    with pytest.raises(ValueError):
        queue.enqueue("x", "bad team", "en", 1, T0)


def test_re_enqueue_moves_the_case(queue: CaseQueue) -> None:
    queue.enqueue("c1", "general", "en", 1, due(5))
    queue.enqueue("c1", "billing", "zh", 2, due(5))
    assert queue.entries(["general"], ["en"]) == []
    assert [e.case_id for e in queue.entries(["billing"])] == ["c1"]
    assert queue.size() == 1


def test_reprioritize_and_remove(queue: CaseQueue) -> None:
    queue.enqueue("a", "general", "en", 1, due(1))
    queue.enqueue("b", "general", "en", 1, due(2))
    assert queue.reprioritize("b", 5)
    b = queue.get("b")
    assert b is not None and b.priority == 5 and b.due == due(2)
    assert queue.position("b") == 1
    assert not queue.reprioritize("missing", 5)
    assert queue.remove("a") and not queue.remove("a")
    assert queue.get("a") is None and queue.size() == 1


def test_claim_next_routes_by_team_and_language(queue: CaseQueue) -> None:
    queue.enqueue("gen-en", "general", "en", 1, due(1))
    queue.enqueue("gen-zh", "general", "zh", 3, due(1))
    queue.enqueue("bill-zh", "billing", "zh", 2, due(1))
    queue.enqueue("bill-en", "billing", "en", 9, due(1))
    assert queue.claim_next(["general"], ["en"]) == "gen-en"
    assert queue.claim_next(["general"], ["en"]) is None
    assert queue.claim_next(["general", "billing"], ["zh"]) == "gen-zh"
    assert queue.claim_next(["general", "billing"], ["zh"]) == "bill-zh"
    assert queue.claim_next([], ["en"]) is None
    assert [e.case_id for e in queue.entries()] == ["bill-en"]
    assert queue.get("gen-en") is None  # a claimed entry leaves no hash behind


def race(n_threads: int, work: Callable[[int], Any]) -> list[Any]:
    """Starts all threads at the same instant so they really contend."""
    barrier = threading.Barrier(n_threads)
    results: list[Any] = [None] * n_threads

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_fifty_threads_racing_claim_each_case_goes_to_exactly_one(server: RedisServer, queue: CaseQueue) -> None:
    cases = [f"c{i}" for i in range(20)]
    for i, c in enumerate(cases):
        queue.enqueue(c, "general", "en", 1, due(i))
    pool = redis.ConnectionPool.from_url(server.url, decode_responses=True, max_connections=64)
    agent_queue = CaseQueue(redis.Redis(connection_pool=pool))

    def agent(_: int) -> list[str]:
        return [c for c in cases if agent_queue.claim(c)]

    won = Counter(c for got in race(50, agent) for c in got)
    assert won == Counter(cases)
    assert queue.size() == 0


def test_claim_next_under_fifty_threads_never_double_claims(server: RedisServer, queue: CaseQueue) -> None:
    for i in range(200):
        queue.enqueue(f"c{i}", ["general", "billing"][i % 2], ["en", "zh"][i % 3 == 0], i % 4, due(i))

    def agent(_: int) -> list[str]:
        q = CaseQueue(redis.Redis.from_url(server.url, decode_responses=True))  # one connection per agent
        got = []
        while (case := q.claim_next(["general", "billing"], ["en", "zh"])) is not None:
            got.append(case)
        q.redis.close()
        return got

    claimed = [c for got in race(50, agent) for c in got]
    assert len(claimed) == 200 and set(claimed) == {f"c{i}" for i in range(200)}
    assert queue.size() == 0


def test_rebuild_after_flushall_and_marker(client: redis.Redis, queue: CaseQueue) -> None:
    assert not queue.is_built()
    queue.enqueue("stale", "general", "en", 1, due(1))
    db = [QueueEntry("a", "general", "en", 1, due(5), T0), QueueEntry("b", "billing", "zh", 3, due(9), T0),
          QueueEntry("c", "general", "en", 2, due(7), T0)]
    assert queue.rebuild(db) == 3
    assert queue.is_built()
    assert [e.case_id for e in queue.entries()] == ["b", "c", "a"]
    assert queue.get("stale") is None  # replaced, not merged
    client.flushall()
    assert not queue.is_built() and queue.size() == 0
    queue.rebuild(db)
    assert queue.entries() == sorted(db, key=lambda e: -e.priority)
    assert queue.rebuild([]) == 0 and queue.is_built() and queue.size() == 0  # empty but known-good


def test_rebuild_after_a_redis_restart(server: RedisServer, client: redis.Redis, queue: CaseQueue) -> None:
    db = [QueueEntry(f"c{i}", "general", "en", i % 3, due(i), T0) for i in range(10)]
    queue.rebuild(db)
    server.restart()  # killed, no persistence: everything is gone, same URL
    assert not queue.is_built()  # the same client reconnects by itself
    assert queue.size() == 0
    queue.rebuild(db)
    assert queue.size() == 10 and queue.claim_next(["general"], ["en"]) == "c2"


def test_agent_presence_expires(queue: CaseQueue) -> None:
    queue.touch_agent(1, ttl=1, teams=["general", "billing"])
    queue.touch_agent(2, ttl=30, teams=["general"])
    queue.touch_agent(3, ttl=30)
    assert queue.agents_online() == 3
    assert queue.agents_online("billing") == 1 and queue.agents_online("general") == 2
    time.sleep(1.2)
    assert queue.agents_online() == 2 and queue.agents_online("billing") == 0
    queue.agent_offline(2)
    assert queue.agents_online("general") == 0 and queue.agents_online() == 1


def test_estimate_wait_is_honest() -> None:
    assert estimate_wait(1, 0) is None
    assert estimate_wait(3, 2, avg_handle_seconds=100) == 150
    assert estimate_wait(1, 4) == 60


def test_publish_subscribe_round_trip(queue: CaseQueue) -> None:
    sub = queue.subscribe()
    try:
        assert queue.publish("case_new", {"case_id": "c1", "when": T0}) == 1
        message = None
        deadline = time.monotonic() + 5
        while message is None and time.monotonic() < deadline:
            message = parse_message(sub.get_message(timeout=1))
        assert message and message["kind"] == "case_new"
        assert message["payload"] == {"case_id": "c1", "when": str(T0)}
    finally:
        sub.close()


async def test_async_listen(server: RedisServer, queue: CaseQueue) -> None:
    client = redis.asyncio.Redis.from_url(server.url)
    stream = listen(client)
    got = asyncio.ensure_future(stream.__anext__())
    for _ in range(50):  # the subscription is live once the publish reaches a listener
        if queue.publish("case_changed", {"case_id": "x"}) or got.done():
            break
        await asyncio.sleep(0.05)
    body = await asyncio.wait_for(got, 5)
    assert body["kind"] == "case_changed" and body["payload"] == {"case_id": "x"}
    await stream.aclose()
    await client.close()
