"""Rasa's events through the Redis Streams broker to the handoff consumer, on a real redis-server."""

import asyncio
import json
import logging
import time
from typing import Any

import pytest
import redis
import redis.asyncio
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot.broker import RedisStreamsEventBroker
from core import settings
from handoff.stream import AsyncEventStream, EventStream, event_key
from tests.redis_server import RedisServer

TYPE = "bot.broker.RedisStreamsEventBroker"


def conversation(sender: str, n: int = 3) -> list[dict[str, Any]]:
    """What Rasa's tracker store hands the broker: sender_id plus the event's dict, NLU included."""
    events: list[dict[str, Any]] = []
    for i in range(n):
        text = f"第{i}次：快递还没到！"
        parse = {"text": text, "intent": {"name": "complain_delivery", "confidence": 0.91},
                 "emotion": {"name": "anger", "confidence": 0.8}, "entities": []}
        for event in (UserUttered(text, parse_data=parse), ActionExecuted("utter_sorry"), BotUttered("抱歉")):
            events.append({"sender_id": sender, **event.as_dict()})
    return events


async def make_broker(url: str, **kwargs: Any) -> RedisStreamsEventBroker:
    broker = await EventBroker.create(EndpointConfig(url=url, type=TYPE, **kwargs))
    assert isinstance(broker, RedisStreamsEventBroker)
    return broker


async def test_rasa_loads_the_broker_from_endpoints_and_publishes(server: RedisServer, client: redis.Redis) -> None:
    broker = await make_broker(server.url.replace("/0", "/2"), stream="test:events")
    assert broker.is_ready()
    events = conversation("u1")
    for event in events:
        broker.publish(event)
    await broker.close()
    other_db = redis.Redis(port=server.port, db=2, decode_responses=True)
    stored = [json.loads(fields["event"]) for _, fields in other_db.xrange("test:events")]
    other_db.close()
    assert stored == json.loads(json.dumps(events))
    assert stored[0]["parse_data"]["emotion"]["name"] == "anger"


async def test_host_port_db_form_and_approximate_maxlen(server: RedisServer, client: redis.Redis) -> None:
    broker = await make_broker("127.0.0.1", port=server.port, db=0, maxlen=100)
    assert broker.stream == "rasa:events"
    for i in range(1000):
        broker.publish({"sender_id": "u", "event": "action", "timestamp": float(i)})
    await broker.close()
    assert 100 <= client.xlen("rasa:events") < 300


async def test_redis_outage_is_logged_with_the_sender_and_nothing_is_lost(caplog: pytest.LogCaptureFixture) -> None:
    with RedisServer() as own:
        broker = await make_broker(own.url, backoff=0.01)
        events = conversation("alice", 2)
        broker.publish(events[0])
        own.stop()
        with caplog.at_level(logging.ERROR, logger="bot.broker"):
            for event in events[1:4]:
                broker.publish(event)
        assert "alice" in caplog.text and "快递" not in caplog.text  # who, never what they said
        assert len(broker.backlog) == 3
        own.start()
        for event in events[4:]:
            broker.publish(event)
        assert not broker.backlog
        check = redis.Redis.from_url(own.url, decode_responses=True)
        # the first event was lost with Redis itself (no persistence); the rest arrive in order
        assert [json.loads(f["event"]) for _, f in check.xrange("rasa:events")] == json.loads(json.dumps(events[1:]))
        check.close()
        await broker.close()


async def publish_all(url: str, events: list[dict[str, Any]]) -> None:
    broker = await make_broker(url)
    for event in events:
        broker.publish(event)
    await broker.close()


async def test_consumer_started_after_rasa_reads_everything_in_order(server: RedisServer, client: redis.Redis) -> None:
    events = conversation("u1") + conversation("u2")
    await publish_all(server.url, events)
    stream = EventStream(client, consumer="c1")
    stream.ensure_group()
    stream.ensure_group()  # BUSYGROUP is fine
    got = stream.read(count=5, block_ms=100) + stream.read(count=100, block_ms=100)
    assert [e for _, e in got] == json.loads(json.dumps(events))
    assert stream.ack([i for i, _ in got]) == len(events)
    assert stream.read(block_ms=50) == []
    assert client.xpending("rasa:events", "handoff")["pending"] == 0


async def test_unacked_entries_come_back_to_a_restarted_consumer_first(server: RedisServer,
                                                                      client: redis.Redis) -> None:
    events = conversation("u1", 4)
    await publish_all(server.url, events[:6])
    first = EventStream(client, consumer="handoff-1")
    first.ensure_group()
    crashed = first.read(count=4, block_ms=100)  # ... and dies before acking
    first.ack([crashed[0][0]])  # only the first one was handled
    await publish_all(server.url, events[6:])
    again = EventStream(client, consumer="handoff-1")  # same name after the restart
    replay = again.read(count=2, block_ms=100) + again.read(count=2, block_ms=100)
    assert [i for i, _ in replay] == [i for i, _ in crashed[1:]]
    rest = again.read(count=100, block_ms=100)
    assert [e for _, e in replay + rest] == json.loads(json.dumps(events[1:]))


async def test_a_dead_consumers_entries_are_taken_over(server: RedisServer, client: redis.Redis) -> None:
    await publish_all(server.url, conversation("u1", 1))
    dead = EventStream(client, consumer="host-111")
    dead.ensure_group()
    lost = dead.read(block_ms=100)
    heir = EventStream(client, consumer="host-222", claim_idle_ms=0, claim_every_s=0)
    heir._pending_cursor = None  # nothing of its own
    assert [i for i, _ in heir.read(block_ms=100)] == [i for i, _ in lost]


async def test_a_flushed_redis_recreates_the_group(server: RedisServer, client: redis.Redis) -> None:
    stream = EventStream(client, consumer="c1")
    stream.ensure_group()
    client.flushall()
    assert stream.read(block_ms=50) == []
    await publish_all(server.url, conversation("u1", 1))
    assert len(stream.read(block_ms=100)) == 3


async def test_garbage_entries_are_skipped_and_acked(client: redis.Redis) -> None:
    stream = EventStream(client, consumer="c1")
    stream.ensure_group()
    client.xadd("rasa:events", {"event": "{not json"})
    client.xadd("rasa:events", {"event": json.dumps({"sender_id": "u", "event": "user", "timestamp": 1.5})})
    assert [e["event"] for _, e in stream.read(block_ms=100)] == ["user"]
    assert client.xpending("rasa:events", "handoff")["pending"] == 1  # only the good one waits for its ack


async def test_consume_acks_after_the_handler_and_retries_then_dead_letters(server: RedisServer,
                                                                            client: redis.Redis) -> None:
    events = json.loads(json.dumps(conversation("u1", 2)))  # user, action, bot, user, action, bot
    flaky, poison = event_key(events[1]), event_key(events[5])
    await publish_all(server.url, events)
    seen: list[str] = []
    calls: list[str] = []

    async def handler(event: dict[str, Any]) -> None:
        key = event_key(event)
        calls.append(key)
        if key == flaky and calls.count(key) == 1:
            raise RuntimeError("database busy")  # once: retried in place, order kept
        if key == poison:
            raise ValueError("poison")  # always: set aside after max_attempts
        seen.append(key)

    stop = asyncio.Event()
    aclient = redis.asyncio.Redis.from_url(server.url)
    task = asyncio.ensure_future(AsyncEventStream(aclient, consumer="c1").consume(handler, stop, block_ms=100,
                                                                                  max_attempts=2))
    for _ in range(100):
        if client.exists("rasa:events:dead") and client.xpending("rasa:events", "handoff")["pending"] == 0:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
    await aclient.close()
    assert seen == [event_key(e) for e in events[:5]]
    assert calls.count(flaky) == 2 and calls.count(poison) == 2
    dead = client.xrange("rasa:events:dead")
    assert len(dead) == 1 and "poison" in dead[0][1]["error"] and json.loads(dead[0][1]["event"]) == events[5]


def test_event_key_is_stable_across_serialisation() -> None:
    event = {"sender_id": "u1", **UserUttered("hi", timestamp=1714565000.123456789).as_dict()}
    key = event_key(event)
    assert key == event_key(json.loads(json.dumps(event))) == event_key(dict(event))
    assert key.startswith("u1:user:1714565000.123456") and key == f"u1:user:{event['timestamp']!r}"
    later = {**event, "timestamp": event["timestamp"] + 1e-6}
    assert event_key(later) != key


async def test_contact_details_are_masked_before_they_reach_redis(server: RedisServer, client: redis.Redis) -> None:
    text = "回电 13812345678 或 alice.wong@example.com，身份证 110101199003071234，订单 20251103887"
    parse = {"text": text, "intent": {"name": "request_callback", "confidence": 0.9},
             "entities": [{"entity": "phone", "value": "13812345678"}, {"entity": "order_id", "value": "20251103887"}]}
    broker = await make_broker(server.url)
    broker.publish({"sender_id": "rest:alice.wong@example.com", **UserUttered(text, parse_data=parse).as_dict()})
    broker.publish({"sender_id": "rest:alice.wong@example.com", "event": "slot", "name": "callback_phone",
                    "value": "+852 9123 4567", "timestamp": 1.0})
    broker.publish({"sender_id": "rest:alice.wong@example.com", **BotUttered("我们会打 13812345678").as_dict()})
    await broker.close()
    raw = json.dumps([fields for _, fields in client.xrange("rasa:events")], ensure_ascii=False)
    for secret in ("13812345678", "alice.wong@example.com，", "110101199003071234", "9123 4567"):
        assert secret not in raw
    user, slot, bot = [json.loads(f["event"]) for _, f in client.xrange("rasa:events")]
    assert user["text"] == user["parse_data"]["text"] and "138****5678" in user["text"]
    assert "20251103887" in user["text"]  # order numbers stay: the agent works with them
    assert [e["value"] for e in user["parse_data"]["entities"]] == ["138****5678", "20251103887"]
    assert user["sender_id"] == "rest:alice.wong@example.com"  # the consumers find the case by it
    assert slot["value"] != "+852 9123 4567" and "138****5678" in bot["text"]


async def test_every_xadd_trims_entries_older_than_the_retention(server: RedisServer, client: redis.Redis) -> None:
    old_ms = int((time.time() - 3600) * 1000)
    for i in range(300):  # an hour old: MINID trims whole macro nodes, so write a few of them
        client.xadd("rasa:events", {"event": json.dumps({"sender_id": "u", "event": "action"})}, id=f"{old_ms}-{i}")
    broker = await make_broker(server.url, retention_s=60)
    assert broker.retention_s == 60
    broker.publish({"sender_id": "u", "event": "action", "timestamp": 1.0})
    await broker.close()
    ids = [entry_id for entry_id, _ in client.xrange("rasa:events")]
    assert len(ids) < 300 and ids[-1].split("-")[0] != str(old_ms)


def test_the_retention_defaults_to_the_settings() -> None:
    broker = RedisStreamsEventBroker(client=redis.Redis(port=1))
    assert broker.retention_s == settings.load().stream_retention_s
