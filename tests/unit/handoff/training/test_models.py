"""Migration 0006 on a database in use: the trainer role is admitted, a decision must be one of
two, and replacing the role's constraint (a table copy on SQLite) keeps every case's agent."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from handoff.store import CaseStore
from handoff.store.db import alembic_config
from handoff.training.models import ReviewRow
from tests.unit.handoff.store.support import case_fields
from tests.unit.handoff.training.support import T0


def migrate(store: CaseStore, revision: str, down: bool = False) -> None:
    with store.engine.begin() as connection:
        config = alembic_config(store.url)
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_upgrading_keeps_the_agents_and_their_cases(tmp_path: Path) -> None:
    store = CaseStore(f"sqlite:///{tmp_path / 'shop.db'}")
    migrate(store, "0005")
    alice, token = store.create_agent("alice", "agent")
    case = store.create_case(**case_fields())
    store.claim(case.id, alice.id)
    with pytest.raises(sa.exc.IntegrityError):
        with store.engine.begin() as connection:  # before 0006 the database itself refuses a trainer
            connection.execute(sa.text("UPDATE handoff_agents SET role = 'trainer'"))

    store.create_schema()

    assert store.get(case.id).assigned_agent_id == alice.id
    assert store.agent_by_token(token) == alice
    trainer, _ = store.create_agent("tom", "trainer")
    assert trainer.role == "trainer"
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE handoff_agents SET role = 'boss' WHERE name = 'tom'"))
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA foreign_key_check")).all() == []


def test_downgrading_removes_the_trainers_and_keeps_the_rest(tmp_path: Path) -> None:
    store = CaseStore(f"sqlite:///{tmp_path / 'shop.db'}")
    store.create_schema()
    alice, _ = store.create_agent("alice", "agent")
    store.create_agent("tom", "trainer")
    case = store.create_case(**case_fields())
    store.claim(case.id, alice.id)
    migrate(store, "0005", down=True)
    assert [a.name for a in store.agents()] == ["alice"] and store.get(case.id).assigned_agent_id == alice.id
    store.create_schema()
    assert store.get(case.id).assigned_agent_id == alice.id


def test_a_decision_is_labelled_or_skipped(tmp_path: Path) -> None:
    store = CaseStore(f"sqlite:///{tmp_path / 'shop.db'}")
    store.create_schema()
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as connection:
        connection.execute(sa.insert(ReviewRow.__table__).values(key="k", decision="maybe", by="tom", at=T0))
