"""Engine, schema migrations and the transaction plumbing every repository of the store shares.

Every public store method is one short transaction returning frozen views, never ORM rows, so
Rasa actions, the agent API and background sweepers can share one store across threads and
several processes (SQLite on one machine, PostgreSQL on several).
"""

from __future__ import annotations

import random
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, cast

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import StaticPool

from core.vocabulary import normalise_case_id
from handoff.clock import Clock, SystemClock
from handoff.models import AgentRow, CaseRow
from handoff.sla import SlaPolicy
from handoff.store.errors import AgentNotFound, CaseNotFound, StaleCase
from handoff.store.views import CaseView

CASE_ID_MAX = 32  # handoff_cases.id is String(32)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# pg_advisory_xact_lock key: serialises schema upgrades across processes.
SCHEMA_LOCK = 0x68616E64_0001

T = TypeVar("T")


def choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    """Refuses a value outside a fixed vocabulary before any transaction starts."""
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; one of {', '.join(allowed)}")


def alembic_config(url: str) -> Config:
    """Built in code so that the migrations run from any working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # BEGIN is issued by _sqlite_begin instead
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Take the write lock up front. With a deferred BEGIN two writers both read, then one of them
    # fails with "database is locked" at once instead of waiting for the busy timeout.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> sa.engine.Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, future=True, pool_pre_ping=True)
    memory = parsed.database in (None, "", ":memory:")
    if not memory:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, future=True, connect_args={"check_same_thread": False, "timeout": 15},
        **({"poolclass": StaticPool} if memory else {}),
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


class StoreBase:
    """What the repositories share: the engine, the clock, the SLA policy and one-transaction helpers."""

    def __init__(self, url: str, clock: Optional[Clock] = None, sla: Optional[SlaPolicy] = None) -> None:
        self.url = url
        self.clock: Clock = clock or SystemClock()
        self.sla = sla or SlaPolicy()
        self.engine = make_engine(url)
        self._session = sessionmaker(self.engine, future=True, expire_on_commit=False)
        self._pg = self.engine.dialect.name == "postgresql"

    def create_schema(self, timeout: float = 60.0) -> None:
        """Migrates to head; a process that comes second waits for the first, then finds nothing to do.
        SQLite can refuse a second writer at once ("database is locked", e.g. while switching to
        WAL) instead of waiting, so the migration is retried until `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.engine.begin() as connection:
                    if self._pg:
                        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK})
                    config = alembic_config(self.url)
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                return
            except sa.exc.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2 + random.random() * 0.3)

    def _write(self, work: Callable[[Session], T], retry: tuple[type[Exception], ...] = (StaleDataError,)) -> T:
        """Runs `work` in its own transaction, again when another process changed the same rows."""
        for attempt in range(3):
            try:
                with self._session.begin() as s:
                    return work(s)
            except retry:
                if attempt == 2:
                    raise StaleCase("the case changed in another process meanwhile; try again") from None
                time.sleep(random.uniform(0.005, 0.05))
        raise AssertionError("unreachable")

    def _read(self, work: Callable[[Session], T]) -> T:
        with self._session() as s:
            return work(s)

    @staticmethod
    def _row(s: Session, case_id: str) -> Any:
        cid = normalise_case_id(case_id)
        # An id that cannot be one of ours (too long, control characters such as NUL, which
        # PostgreSQL refuses outright) is simply not found: the database never sees it.
        if len(cid) > CASE_ID_MAX or not cid.isprintable():
            raise CaseNotFound(f"no case {cid[:CASE_ID_MAX].encode('unicode_escape').decode()}")
        row = s.get(CaseRow, cid)
        if row is None:
            raise CaseNotFound(f"no case {cid}")
        return row

    @staticmethod
    def _agent_row(s: Session, agent_id: int) -> Any:
        row = s.get(AgentRow, agent_id)
        if row is None:
            raise AgentNotFound(f"no agent with id {agent_id}")
        return row

    @staticmethod
    def _view(s: Session, row: Any) -> CaseView:
        agent = s.get(AgentRow, row.assigned_agent_id) if row.assigned_agent_id is not None else None
        return CaseView.of(row, reasons=tuple(row.reasons or ()), assigned_agent=agent.name if agent else None)

    def _touch(self, row: Any) -> datetime:
        row.updated_at = self.clock.now()
        return cast(datetime, row.updated_at)
