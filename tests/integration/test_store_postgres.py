"""POSTGRES: the case store on a real PostgreSQL 15 server (tests/pg.py starts a throwaway one).

Needs the PostgreSQL server binaries; without them every test here fails with an explanation,
never skips. Select these tests with `-k postgres`.
"""

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.vocabulary import priority
from handoff.clock import FakeClock
from handoff.models import Base
from handoff.sla import SlaPolicy
from handoff.store import CaseStore, ClaimConflict, InvalidTransition
from tests.pg import start_postgres

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


def case_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        conversation_id="conv-1", channel="telegram", customer_id="cust-1", language="en",
        category="complain_delivery", severity="severe", emotion="anger", reasons=["risk:media"], priority=120,
        handoff=True, queue_status="queued",
    )
    return {**fields, **overrides}


def in_threads(count: int, work: Callable[[int], None]) -> None:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, stop = start_postgres(Path(tmp_path_factory.mktemp("pg")))
    yield url
    stop()


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(scope="module")
def store(pg_url: str, clock: FakeClock) -> Iterator[CaseStore]:
    # Several processes start at once in production: migrate from several stores concurrently.
    stores = [CaseStore(pg_url, clock=clock, sla=SlaPolicy()) for _ in range(3)]
    in_threads(len(stores), lambda i: stores[i].create_schema())
    yield stores[0]
    for s in stores:
        s.engine.dispose()


def test_postgres_schema_matches_models(store: CaseStore) -> None:
    store.create_schema()
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == "handoff_alembic_version")] == []


def test_postgres_concurrent_creation_numbers_cases_uniquely(store: CaseStore, clock: FakeClock) -> None:
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc))
    ids: list[str] = []
    in_threads(8, lambda i: ids.extend(store.create_case(**case_fields(conversation_id=f"c{i}")).id
                                       for _ in range(5)))
    assert sorted(ids) == [f"C-20261201-{n:04d}" for n in range(1, 41)]
    clock.set(T0)


def test_postgres_claim_race_has_one_winner(store: CaseStore) -> None:
    agents = [store.create_agent(f"racer{i}", "agent")[0] for i in range(8)]
    case = store.create_case(**case_fields())
    winners: list[str] = []
    conflicts: list[str] = []

    def claim(i: int) -> None:
        try:
            winners.append(store.claim(case.id, agents[i].id).assigned_agent or "")
        except ClaimConflict as error:
            conflicts.append(str(error))

    in_threads(len(agents), claim)
    assert len(winners) == 1 and len(conflicts) == len(agents) - 1
    assert all(c == f"case {case.id} is already claimed by {winners[0]}" for c in conflicts)
    assert [m.text for m in store.messages(case.id)] == [f"claimed by {winners[0]}"]


def test_postgres_lifecycle_messages_and_rating(store: CaseStore, clock: FakeClock) -> None:
    alice, token = store.create_agent("alice", "agent")
    assert store.agent_by_token(token) == alice
    case = store.create_case(**case_fields(severity="important", priority=80))
    store.claim(case.id, alice.id)
    keys: list[Any] = []
    in_threads(4, lambda i: keys.append(store.add_message(case.id, "customer", "where is it?", event_key="tg:7")))
    assert sum(k is not None for k in keys) == 1
    clock.advance(30)
    store.add_message(case.id, "agent", "Hello, I am Alice", author="alice")
    store.transition(case.id, "investigating", "agent:alice", "asking the courier")
    with pytest.raises(InvalidTransition, match="allowed"):
        store.transition(case.id, "received", "agent:alice")
    resolved = store.resolve(case.id, "agent:alice", "parcel found")
    assert resolved.state == "follow_up" and resolved.first_response_at == T0 + timedelta(seconds=30)
    assert resolved.created_at.tzinfo == timezone.utc
    assert [t.case_id for t in store.follow_ups()] == [case.id]
    rating = store.rate(case.id.lower(), 5, "thanks")
    assert rating.score == 5 and store.get(case.id).state == "closed"
    assert [t.to_state for t in store.transitions(case.id)] == ["received", "investigating", "follow_up", "closed"]
    clock.set(T0)


def test_postgres_concurrent_breach_is_recorded_once(store: CaseStore, clock: FakeClock) -> None:
    clock.set(datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc))
    case = store.create_case(**case_fields(conversation_id="breach"))
    clock.advance(61)
    due = [(c.id, kind) for c, kind in store.due_breaches(clock.now())]
    assert (case.id, "first_response") in due
    alerts: list[Any] = []
    new_priority = priority("severe", "anger", breached=1)
    in_threads(4, lambda i: alerts.append(store.record_breach(case.id, "first_response", new_priority)))
    assert len(alerts) == 4 and len({a.id for a in alerts}) == 1 and alerts[0].level == "severe"
    assert len([a for a in store.alerts() if a.case_id == case.id]) == 1
    after = store.get(case.id)
    assert (after.breaches, after.priority) == (1, new_priority)
    assert case.id not in [c.id for c, _ in store.due_breaches(clock.now())]
    clock.set(T0)
