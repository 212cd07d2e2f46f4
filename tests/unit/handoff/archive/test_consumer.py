"""The archive's consumer group on a real Redis stream: every event once, a crash mid-batch
redelivers without duplicates, and the transcript's group is left alone."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import redis
import redis.asyncio as aioredis

from handoff.api.http import off_loop
from handoff.api.tasks import ARCHIVE_GROUP, TRANSCRIPT_GROUP, archive_events
from handoff.archive import Archive, archive_key
from handoff.stream import AsyncEventStream, EventStream
from tests.unit.handoff.archive.support import T0, action, bot, stamp, user

STREAM = "rasa:events"


def publish(client: redis.Redis, *events: dict[str, Any]) -> None:
    """As bot.broker does."""
    for event in events:
        client.xadd(STREAM, {"event": json.dumps(event, ensure_ascii=False)})


def conversation_events() -> list[dict[str, Any]]:
    return [user("c1", "我的快递丢了", stamp(1)), action("c1", "action_handoff", stamp(2)),
            bot("c1", "已为您转接人工", stamp(3)), user("c1", "电话13812345678", stamp(4))]


async def wait_for_turns(archive: Archive, count: int, timeout: float = 20) -> None:
    async def poll() -> None:
        while len(await off_loop(archive.turns, T0)) < count:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def test_the_service_loop_archives_every_event_and_leaves_the_transcript_group_alone(
        archive: Archive, client: redis.Redis, redis_url: str) -> None:
    publish(client, *conversation_events())
    stop = asyncio.Event()
    loop = asyncio.create_task(archive_events(archive, redis_url, STREAM, stop))
    await wait_for_turns(archive, 2)
    stop.set()
    await asyncio.wait_for(loop, timeout=10)

    history = archive.conversation("c1")
    assert history is not None
    assert [t.text for t in history.turns] == ["我的快递丢了", "电话138****5678"]
    assert [b.kind for b in history.bot_events] == ["action", "utterance"]
    groups = {g["name"]: g for g in client.xinfo_groups(STREAM)}
    assert groups[ARCHIVE_GROUP]["pending"] == 0  # all acknowledged
    # The transcript's consumer group has its own position: it still gets all four events.
    transcript = EventStream(client, stream=STREAM, group=TRANSCRIPT_GROUP, consumer="t")
    transcript.ensure_group()
    assert len(transcript.read(count=10, block_ms=100)) == 4


async def test_entries_of_a_worker_that_died_before_acknowledging_are_archived_once(
        archive: Archive, client: redis.Redis, redis_url: str) -> None:
    events = conversation_events()
    publish(client, *events)
    async_client = aioredis.Redis.from_url(redis_url)
    try:
        # Worker A reads the batch and archives two events, then is killed: nothing acknowledged.
        dead = AsyncEventStream(async_client, stream=STREAM, group=ARCHIVE_GROUP, consumer="host-111")
        await dead.ensure_group()
        batch = await dead.read(count=10, block_ms=100)
        for _, event in batch[:2]:
            archive.record(event, archive_key(event))
        assert client.xpending(STREAM, ARCHIVE_GROUP)["pending"] == 4

        # Worker B claims A's stale entries (idle threshold 0 here, a minute in production).
        stop = asyncio.Event()
        survivor = AsyncEventStream(async_client, stream=STREAM, group=ARCHIVE_GROUP, consumer="host-222",
                                    claim_idle_ms=0, claim_every_s=0)
        stored: list[bool] = []

        async def on_event(event: dict[str, Any]) -> None:
            stored.append(await off_loop(archive.record, event, archive_key(event)))
            if len(stored) == len(events):
                stop.set()

        await asyncio.wait_for(survivor.consume(on_event, stop, block_ms=100), timeout=20)
    finally:
        await async_client.close()

    assert stored == [False, False, True, True]  # the two A had archived are not stored again
    history = archive.conversation("c1")
    assert history is not None
    assert (history.conversation.user_turns, history.conversation.actions, history.conversation.bot_messages) == (
        2, 1, 1)
    assert client.xpending(STREAM, ARCHIVE_GROUP)["pending"] == 0
