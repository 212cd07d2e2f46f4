"""POSTGRES: the trainers' inbox on a real PostgreSQL 15 server (tests/pg.py): migration 0006
on a database in use, every reason's SQL, and two trainers deciding the same keys at once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import handoff.models  # noqa: F401  (first: importing handoff.archive first is circular in this tree)
from handoff.archive import Archive
from handoff.models import Base
from handoff.store.db import alembic_config
from handoff.training import reviews
from handoff.training.inbox import Inbox
from handoff.training.texts import TrainingTexts, text_key
from tests.pg import start_postgres
from tests.unit.handoff.store.support import case_fields
from tests.unit.handoff.training.support import T0, World, make_world


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, stop = start_postgres(Path(tmp_path_factory.mktemp("pg")))
    yield url
    stop()


def test_postgres_migration_0006_keeps_the_cases_agents_and_admits_trainers(pg_url: str, tmp_path: Path) -> None:
    world = make_world(tmp_path)  # only for its clock and paths; the store below is PostgreSQL's
    store = type(world.store)(pg_url, clock=world.clock)
    with store.engine.begin() as connection:
        config = alembic_config(pg_url)
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    alice, _ = store.create_agent("alice", "agent")
    case = store.create_case(**case_fields())
    store.claim(case.id, alice.id)
    store.create_schema()
    assert store.get(case.id).assigned_agent_id == alice.id
    assert store.create_agent("tom", "trainer")[0].role == "trainer"
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == "handoff_alembic_version")] == []


@pytest.fixture()
def world(pg_url: str, tmp_path: Path) -> Iterator[World]:
    local = make_world(tmp_path)
    store = type(local.store)(pg_url, clock=local.clock)
    store.create_schema()
    with store.engine.begin() as connection:  # each test starts from empty tables
        connection.exec_driver_sql("TRUNCATE archive_turns, archive_bot_events, archive_conversations, "
                                   "training_reviews, handoff_ratings, handoff_cases CASCADE")
    yield World(store, Archive(pg_url, clock=local.clock), local.clock, local.paths)
    store.engine.dispose()


def test_postgres_inbox_finds_every_reason(world: World) -> None:
    world.say("c1", "这个能便宜点吗", 1, intent="query_payment", confidence=0.41, second=0.1)
    world.say("c2", "货到了但是盒子有点怪", 2, intent="query_order_status", confidence=0.7, second=0.62)
    world.say("c3", "积分怎么兑换成现金", 3, intent="query_account", confidence=0.95)
    world.say("c3", "转人工", 4, intent="request_human", confidence=0.99)
    world.say("c4", "东西坏了你们管不管", 5, intent="query_return_policy", confidence=0.92)
    world.case("c4", 6, category="complain_general", final_category="complain_product_quality")
    world.say("c5", "退款一直不到账", 7, intent="complain_refund", confidence=0.95)
    world.case("c5", 8, category="complain_refund", rating=1)
    inbox = Inbox(world.store.engine, world.clock, TrainingTexts(*world.paths.data_dirs()))
    got = {i["text"]: i["reasons"] for g in inbox.page(sort="reason")["groups"] for i in g["items"]}
    assert got == {"东西坏了你们管不管": ["label_changed"], "退款一直不到账": ["low_rating"],
                   "积分怎么兑换成现金": ["asked_for_person"], "这个能便宜点吗": ["low_confidence"],
                   "货到了但是盒子有点怪": ["small_margin"]}


def test_postgres_two_trainers_deciding_at_once_split_the_keys(world: World) -> None:
    keys = [text_key(str(n)) for n in range(60)]
    won: dict[str, list[str]] = {}

    def decide(name: str) -> None:
        won[name] = reviews.record(world.store.engine, keys, by=name, at=T0)

    threads = [threading.Thread(target=decide, args=(name,)) for name in ("tom", "ann")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won["tom"] + won["ann"]) == sorted(keys)
    assert reviews.decided(world.store.engine, keys) == set(keys)
