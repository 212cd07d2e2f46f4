"""The transcript consumer across a database outage, on a real Redis with a desk that fails and
recovers: nothing is dead-lettered for an outage, every event is stored once and in order, and
dead letters are replayed once the database answers again."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import redis
import redis.asyncio
import sqlalchemy.exc

from handoff.stream import AsyncEventStream, event_key
from tests.redis_server import RedisServer


class FlakyDesk:
    """Stores each event key once (the desk's customer_event is idempotent by key) and raises
    what SQLAlchemy raises while `down`."""

    def __init__(self) -> None:
        self.down = False
        self.stored: list[str] = []
        self.tries = 0

    async def customer_event(self, event: dict[str, Any]) -> None:
        self.tries += 1
        if self.down:
            raise sqlalchemy.exc.OperationalError("INSERT", {}, Exception("database is locked"))
        if event_key(event) not in self.stored:
            self.stored.append(event_key(event))

    async def ping(self) -> bool:
        if self.down:
            raise sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
        return True


def events(n: int) -> list[dict[str, Any]]:
    return [{"sender_id": "web:alice", "event": "user", "text": f"第{i}句", "timestamp": 1714565000.0 + i}
            for i in range(n)]


async def test_an_outage_longer_than_every_retry_loses_nothing(server: RedisServer, client: redis.Redis) -> None:
    desk = FlakyDesk()
    desk.down = True
    sent = events(6)
    for event in sent[:3]:
        client.xadd("rasa:events", {"event": json.dumps(event)})
    stop = asyncio.Event()
    aclient = redis.asyncio.Redis.from_url(server.url)
    consumer = AsyncEventStream(aclient, consumer="c1")
    task = asyncio.ensure_future(consumer.consume(desk.customer_event, stop, block_ms=50, max_attempts=2,
                                                  healthy=desk.ping, replay_every_s=0.1))
    while desk.tries < 8:  # well past max_attempts: the old consumer had dead-lettered by now
        await asyncio.sleep(0.1)
    for event in sent[3:]:
        client.xadd("rasa:events", {"event": json.dumps(event)})
    assert desk.stored == [] and not client.exists("rasa:events:dead")
    desk.down = False
    for _ in range(200):
        if len(desk.stored) == 6 and client.xpending("rasa:events", "handoff")["pending"] == 0:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
    await aclient.close()
    assert desk.stored == [event_key(e) for e in sent]  # each once, in order
    assert not client.exists("rasa:events:dead")


async def test_dead_letters_are_replayed_in_order_when_the_database_answers(server: RedisServer,
                                                                            client: redis.Redis) -> None:
    desk = FlakyDesk()
    sent = events(3)
    for event in sent[:2]:  # set aside by an older consumer that took the outage for poison
        client.xadd("rasa:events:dead", {"event": json.dumps(event), "id": "1-0", "error": "OperationalError"})
    client.xadd("rasa:events:dead", {"event": json.dumps(sent[2]), "group": "archive", "id": "2-0"})
    aclient = redis.asyncio.Redis.from_url(server.url)
    consumer = AsyncEventStream(aclient, consumer="c1")
    desk.down = True
    assert await consumer.replay_dead_letters(desk.customer_event, desk.ping) == 0
    assert client.xlen("rasa:events:dead") == 3 and desk.tries == 0  # the ping said no: nothing tried
    desk.down = False
    assert await consumer.replay_dead_letters(desk.customer_event, desk.ping) == 2
    assert await consumer.replay_dead_letters(desk.customer_event, desk.ping) == 0  # idempotent, nothing left
    await aclient.close()
    assert desk.stored == [event_key(e) for e in sent[:2]]
    [(_, left)] = client.xrange("rasa:events:dead")
    assert left["group"] == "archive"  # another group's letter is left to it


async def test_a_poison_letter_is_replayed_a_bounded_number_of_times(server: RedisServer,
                                                                     client: redis.Redis) -> None:
    async def poison(event: dict[str, Any]) -> None:
        raise ValueError("poison")

    client.xadd("rasa:events:dead", {"event": json.dumps(events(1)[0]), "group": "handoff", "id": "1-0"})
    aclient = redis.asyncio.Redis.from_url(server.url)
    consumer = AsyncEventStream(aclient, consumer="c1")
    for _ in range(5):
        await consumer.replay_dead_letters(poison, max_replays=3)
    await aclient.close()
    [(_, left)] = client.xrange("rasa:events:dead")
    assert left["replays"] == "3" and "poison" in left["error"]
