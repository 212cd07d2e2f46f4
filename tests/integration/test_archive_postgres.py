"""POSTGRES: the conversation archive on a real PostgreSQL 15 server (tests/pg.py starts a
throwaway one): the migration matches the models, redelivery and concurrent workers store each
event once (ON CONFLICT DO NOTHING), the retention sweep and the reads work there too.

Select with `-k postgres`; without the server binaries these fail with an explanation.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from handoff.archive import Archive, archive_key
from handoff.clock import FakeClock
from handoff.models import Base
from tests.pg import start_postgres
from tests.unit.handoff.archive.support import MODEL, T0, action, bot, stamp, user


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, stop = start_postgres(Path(tmp_path_factory.mktemp("pg")))
    yield url
    stop()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture()
def archive(pg_url: str, clock: FakeClock) -> Iterator[Archive]:
    store = Archive(pg_url, clock=clock, retention_days=30)
    store.create_schema()
    with store.engine.begin() as connection:  # each test starts from an empty archive
        connection.exec_driver_sql("TRUNCATE archive_turns, archive_bot_events, archive_conversations")
    yield store
    store.engine.dispose()


def test_postgres_archive_schema_matches_the_models(archive: Archive) -> None:
    with archive.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == "handoff_alembic_version")] == []


def test_postgres_archive_keeps_a_turn_with_its_annotations_once(archive: Archive) -> None:
    event = user("c1", "我电话13812345678，快递丢了", stamp(1))
    assert archive.record(event, archive_key(event))
    assert not archive.record(event, archive_key(event))
    archive.record(action("c1", "action_handoff", stamp(2)))
    archive.record(bot("c1", "已为您转接人工", stamp(3)))

    [turn] = archive.turns(T0)
    assert (turn.intent, turn.emotion, turn.severity, turn.complaint, turn.model_id) == (
        "complain_delivery", "anger", "severe", True, MODEL)
    assert turn.severity_reasons == ("emotion:anger", "risk:media") and "13812345678" not in turn.text
    history = archive.conversation("c1")
    assert history is not None
    assert (history.conversation.user_turns, history.conversation.actions, history.conversation.bot_messages) == (
        1, 1, 1)


def test_postgres_workers_archiving_the_same_events_at_once_store_them_once(archive: Archive) -> None:
    events = [user(f"c{i % 3}", f"消息 {i}", stamp(i)) for i in range(30)]
    workers = [Archive(archive.url, clock=archive.clock) for _ in range(4)]
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(store: Archive) -> None:
        barrier.wait()
        try:
            for event in events:
                store.record(event, archive_key(event))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in workers:
        w.engine.dispose()
    assert not errors
    assert [t.text for t in archive.turns(T0)] == [f"消息 {i}" for i in range(30)]
    assert sorted((c.id, c.user_turns) for c in archive.conversations(T0)) == [("c0", 10), ("c1", 10), ("c2", 10)]


def test_postgres_retention_sweep(archive: Archive, clock: FakeClock) -> None:
    archive.record(user("old", "long ago", stamp(0)))
    archive.record(bot("old", "reply", stamp(1)))
    clock.advance(timedelta(days=31).total_seconds())
    archive.record(user("new", "today", clock.now().timestamp()))
    assert archive.sweep() == {"turns": 1, "bot_events": 1, "conversations": 1}
    assert [c.id for c in archive.conversations(T0)] == ["new"]
