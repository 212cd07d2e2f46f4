"""Cases, their history, SLA breaches, alerts, ratings and agents in any SQLAlchemy database.

Every method is one short transaction and returns frozen views, never ORM rows, so callers in
Rasa actions, the agent API and background sweepers can share one store across threads and
several processes (SQLite on one machine, PostgreSQL on several).
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, cast

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import StaticPool

from core.vocabulary import CLOSED, FOLLOW_UP, FOLLOWED_UP, RECEIVED, REOPENED, SEVERITIES, normalise_case_id
from handoff import lifecycle
from handoff.clock import Clock, SystemClock, as_utc
from handoff.lifecycle import InvalidTransition
from handoff.models import (
    AgentRow,
    AlertRow,
    CaseRow,
    FollowUpRow,
    MessageRow,
    RatingRow,
    SlaEventRow,
    TransitionRow,
)
from handoff.sla import SlaPolicy

__all__ = [
    "AgentNotFound", "AgentView", "AlertView", "CaseClosed", "CaseNotFound", "CaseStore", "CaseView",
    "ClaimConflict", "FollowUpView", "InvalidTransition", "MessageView", "NotAssigned", "RatingView",
    "StaleCase", "StoreError", "TransitionView",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ROLES = ("agent", "supervisor")
QUEUE_STATUSES = ("none", "queued", "claimed", "callback", "returned")
WAITING = ("queued", "callback")  # waiting for a person: may be claimed, belongs in the queue
MESSAGE_ROLES = ("customer", "bot", "agent", "note", "system")
BREACH_KINDS = ("first_response", "resolution")
ALERT_KINDS = ("sla_breach", "spike")
ALERT_LEVELS = ("important", "severe")
UPDATABLE = frozenset({
    "severity", "emotion", "reasons", "priority", "summary", "package", "queue_status", "handoff", "team",
    "callback_contact", "category",
})
ID_ATTEMPTS = 30
# pg_advisory_xact_lock keys: serialise schema upgrades and case numbering across processes.
SCHEMA_LOCK = 0x68616E64_0001
CASE_ID_LOCK = 0x68616E64_0002


class StoreError(Exception):
    """Base of the store's own errors."""


class CaseNotFound(StoreError, LookupError):
    pass


class AgentNotFound(StoreError, LookupError):
    pass


class ClaimConflict(StoreError):
    """Somebody else was faster, or the case is not waiting; the message says which."""


class NotAssigned(StoreError):
    pass


class CaseClosed(StoreError):
    pass


class StaleCase(StoreError):
    """The case changed in another process meanwhile (optimistic concurrency)."""


V = TypeVar("V", bound="_View")
T = TypeVar("T")


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


class _View:
    @classmethod
    def of(cls: type[V], row: Any, **overrides: Any) -> V:
        names = [f.name for f in fields(cast(Any, cls))]
        return cast(Any, cls)(**{n: overrides[n] if n in overrides else getattr(row, n) for n in names})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ISO 8601 datetimes, lists instead of tuples."""
        return {f.name: _json(getattr(self, f.name)) for f in fields(cast(Any, self))}


@dataclass(frozen=True)
class CaseView(_View):
    id: str
    conversation_id: str
    channel: str
    customer_id: str
    language: str
    category: str
    severity: str
    emotion: Optional[str]
    reasons: tuple[str, ...]
    priority: int
    state: str
    team: str
    handoff: bool
    queue_status: str
    assigned_agent_id: Optional[int]
    assigned_agent: Optional[str]  # the agent's name
    summary: str
    package: Optional[dict[str, Any]]
    callback_contact: Optional[str]
    breaches: int
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime
    resolution_due: datetime
    first_response_at: Optional[datetime]
    resolved_at: Optional[datetime]
    closed_at: Optional[datetime]
    version: int

    @property
    def is_open(self) -> bool:
        return self.state != CLOSED


@dataclass(frozen=True)
class MessageView(_View):
    id: int
    case_id: str
    role: str
    author: Optional[str]
    text: str
    intent: Optional[str]
    emotion: Optional[str]
    confidence: Optional[float]
    at: datetime
    event_key: Optional[str]


@dataclass(frozen=True)
class TransitionView(_View):
    id: int
    case_id: str
    from_state: Optional[str]
    to_state: str
    actor: str
    at: datetime
    note: str


@dataclass(frozen=True)
class AlertView(_View):
    id: int
    case_id: Optional[str]
    kind: str
    level: str
    message: str
    created_at: datetime
    acknowledged_by: Optional[str]
    acknowledged_at: Optional[datetime]


@dataclass(frozen=True)
class AgentView(_View):
    id: int
    name: str
    role: str
    teams: tuple[str, ...]
    languages: tuple[str, ...]
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class RatingView(_View):
    id: int
    case_id: str
    score: int
    comment: Optional[str]
    at: datetime


@dataclass(frozen=True)
class FollowUpView(_View):
    id: int
    case_id: str
    due_at: datetime
    done_at: Optional[datetime]
    note: str
    created_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A bearer token that cannot be mistaken for a command-line option."""
    while True:
        token = secrets.token_urlsafe(24)
        if not token.startswith("-"):
            return token


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; one of {', '.join(allowed)}")


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


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


class CaseStore:
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

    # -- plumbing -------------------------------------------------------------------------------

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

    def _move(self, s: Session, row: Any, to_state: str, actor: str, note: str) -> None:
        lifecycle.check(row.state, to_state)
        now = self._touch(row)
        s.add(TransitionRow(case_id=row.id, from_state=row.state, to_state=to_state, actor=actor, at=now, note=note))
        row.state = to_state
        if to_state == CLOSED:
            row.closed_at = now
        elif to_state == REOPENED:
            row.closed_at = None
            row.resolved_at = None

    def _system_message(self, s: Session, case_id: str, author: str, text: str) -> None:
        s.add(MessageRow(case_id=case_id, role="system", author=author, text=text, at=self.clock.now()))

    # -- cases ----------------------------------------------------------------------------------

    def create_case(
        self, *, conversation_id: str, channel: str, customer_id: str, language: str, category: str,
        severity: str, emotion: Optional[str], reasons: list[str], priority: int, handoff: bool,
        queue_status: str, summary: str = "", package: Optional[dict[str, Any]] = None, team: str = "general",
        actor: str = "bot", note: str = "",
    ) -> CaseView:
        _choice("queue_status", queue_status, QUEUE_STATUSES)
        now = self.clock.now()
        first_due, resolution_due = self.sla.deadlines(severity, now)
        prefix = f"C-{now:%Y%m%d}-"
        for attempt in range(ID_ATTEMPTS):
            try:
                with self._session.begin() as s:
                    if self._pg:
                        s.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": CASE_ID_LOCK})
                    row = CaseRow(
                        id=f"{prefix}{self._last_number(s, prefix) + 1:04d}", conversation_id=conversation_id,
                        channel=channel, customer_id=customer_id, language=language, category=category,
                        severity=severity, emotion=emotion, reasons=list(reasons), priority=priority,
                        state=RECEIVED, team=team, handoff=handoff, queue_status=queue_status, summary=summary,
                        package=package, breaches=0, created_at=now, updated_at=now,
                        first_response_due=first_due, resolution_due=resolution_due,
                    )
                    s.add(row)
                    s.flush()
                    s.add(TransitionRow(case_id=row.id, from_state=None, to_state=RECEIVED, actor=actor, at=now,
                                        note=note))
                    return self._view(s, row)
            except IntegrityError:  # another process took this number first
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise StoreError(f"could not number a new case {prefix}… after {ID_ATTEMPTS} attempts")

    @staticmethod
    def _last_number(s: Session, prefix: str) -> int:
        # Longest first: C-…-10000 sorts before C-…-9999 as text.
        last = s.execute(
            sa.select(CaseRow.id).where(CaseRow.id.like(f"{prefix}%"))
            .order_by(sa.func.length(CaseRow.id).desc(), CaseRow.id.desc()).limit(1)
        ).scalar()
        return int(last.rsplit("-", 1)[1]) if last else 0

    def get(self, case_id: str) -> CaseView:
        return self._read(lambda s: self._view(s, self._row(s, case_id)))

    def open_case_for(self, conversation_id: str) -> Optional[CaseView]:
        def work(s: Session) -> Optional[CaseView]:
            row = s.execute(
                sa.select(CaseRow).where(CaseRow.conversation_id == conversation_id, CaseRow.state != CLOSED)
                .order_by(CaseRow.created_at.desc(), CaseRow.id.desc()).limit(1)
            ).scalar()
            return self._view(s, row) if row is not None else None

        return self._read(work)

    def cases_of_customer(self, customer_id: str, exclude: Optional[str] = None, limit: int = 10) -> list[CaseView]:
        def work(s: Session) -> list[CaseView]:
            query = sa.select(CaseRow).where(CaseRow.customer_id == customer_id)
            if exclude:
                query = query.where(CaseRow.id != normalise_case_id(exclude))
            rows = s.execute(query.order_by(CaseRow.created_at.desc(), CaseRow.id.desc()).limit(limit)).scalars()
            return [self._view(s, row) for row in rows]

        return self._read(work)

    def cases(self, assigned_to: Optional[int] = None, state: Optional[str] = None, limit: int = 200) -> list[CaseView]:
        """Newest first, for the console's case lists (mine, or all for a supervisor)."""
        def work(s: Session) -> list[CaseView]:
            query = sa.select(CaseRow)
            if assigned_to is not None:
                query = query.where(CaseRow.assigned_agent_id == assigned_to)
            if state:
                query = query.where(CaseRow.state == state)
            rows = s.execute(query.order_by(CaseRow.created_at.desc(), CaseRow.id.desc()).limit(limit)).scalars()
            return [self._view(s, row) for row in rows]

        return self._read(work)

    def update(self, case_id: str, *, expected_version: Optional[int] = None, **fields: Any) -> CaseView:
        """Changes case fields; a new severity or a first request for a person moves the SLA deadlines."""
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {', '.join(sorted(unknown))}; updatable: {', '.join(sorted(UPDATABLE))}")
        if "severity" in fields:
            _choice("severity", fields["severity"], SEVERITIES)
        if "queue_status" in fields:
            _choice("queue_status", fields["queue_status"], QUEUE_STATUSES)

        def work(s: Session) -> CaseView:
            row = self._row(s, case_id)
            if expected_version is not None and row.version != expected_version:
                raise StaleCase(f"case {row.id} is at version {row.version}, not {expected_version}")
            self._move_deadlines(row, fields.get("severity", row.severity), bool(fields.get("handoff")))
            for name, value in fields.items():
                setattr(row, name, list(value) if name == "reasons" else value)
            self._touch(row)
            s.flush()
            return self._view(s, row)

        return self._write(work)

    def _move_deadlines(self, row: Any, severity: str, handoff: bool) -> None:
        """An escalation counts its (shorter) targets from now and never loosens a deadline; the
        first-response clock starts when a person is first asked for."""
        now = self.clock.now()
        first, resolution = self.sla.deadlines(severity, now)
        if handoff and not row.handoff:
            row.first_response_due = first
        elif severity != row.severity:
            row.first_response_due = min(row.first_response_due, first)
        if severity != row.severity:
            row.resolution_due = min(row.resolution_due, resolution)

    def transition(self, case_id: str, to_state: str, actor: str, note: str = "") -> CaseView:
        def work(s: Session) -> CaseView:
            row = self._row(s, case_id)
            self._move(s, row, to_state, actor, note)
            s.flush()
            return self._view(s, row)

        return self._write(work)

    def claim(self, case_id: str, agent_id: int) -> CaseView:
        """First come, first served: one conditional UPDATE, so two agents can never both win."""
        cid = normalise_case_id(case_id)

        def work(s: Session) -> CaseView:
            agent = self._agent_row(s, agent_id)
            claimed = s.execute(
                sa.update(CaseRow)
                .where(CaseRow.id == cid, CaseRow.assigned_agent_id.is_(None), CaseRow.queue_status.in_(WAITING),
                       CaseRow.state != CLOSED)
                .values(assigned_agent_id=agent.id, queue_status="claimed", updated_at=self.clock.now(),
                        version=CaseRow.version + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            row = s.get(CaseRow, cid, populate_existing=True)
            if row is None:
                raise CaseNotFound(f"no case {cid}")
            if claimed != 1:
                if row.assigned_agent_id == agent.id:
                    return self._view(s, row)  # a double click
                raise ClaimConflict(self._why_not_claimable(s, row))
            self._system_message(s, cid, f"agent:{agent.name}", f"claimed by {agent.name}")
            return self._view(s, row)

        return self._write(work)

    def _why_not_claimable(self, s: Session, row: Any) -> str:
        if row.assigned_agent_id is not None:
            return f"case {row.id} is already claimed by {self._agent_row(s, row.assigned_agent_id).name}"
        if row.state == CLOSED:
            return f"case {row.id} is closed"
        return f"case {row.id} is not waiting in the queue (queue status {row.queue_status})"

    def assign(
        self, case_id: str, agent_id: Optional[int], team: Optional[str] = None, actor: str = "system",
        note: str = "",
    ) -> CaseView:
        """Transfer to an agent, or (agent_id None) back to a team's queue."""

        def work(s: Session) -> CaseView:
            row = self._row(s, case_id)
            if row.state == CLOSED:
                raise CaseClosed(f"case {row.id} is closed; reopen it before assigning it")
            if team:
                row.team = team
            if agent_id is not None:
                agent = self._agent_row(s, agent_id)
                row.assigned_agent_id, row.queue_status = agent.id, "claimed"
                text = f"assigned to {agent.name} by {actor}"
            else:
                row.assigned_agent_id, row.queue_status = None, "queued"
                text = f"returned to the {row.team} queue by {actor}"
            self._system_message(s, row.id, actor, f"{text}: {note}" if note else text)
            self._touch(row)
            s.flush()
            return self._view(s, row)

        return self._write(work)

    def require_owner(self, case_id: str, agent_id: int) -> CaseView:
        """For agent endpoints: only the agent holding a case may act on it."""
        case = self.get(case_id)
        if case.assigned_agent_id != agent_id:
            holder = f"assigned to {case.assigned_agent}" if case.assigned_agent else "not assigned to anyone"
            raise NotAssigned(f"case {case.id} is {holder}")
        return case

    def add_message(
        self, case_id: str, role: str, text: str, *, author: Optional[str] = None, intent: Optional[str] = None,
        emotion: Optional[str] = None, confidence: Optional[float] = None, event_key: Optional[str] = None,
        at: Optional[datetime] = None,
    ) -> Optional[MessageView]:
        """None when `event_key` was stored before: a channel delivered the same message twice."""
        _choice("role", role, MESSAGE_ROLES)

        def work(s: Session) -> Optional[MessageView]:
            row = self._row(s, case_id)
            if event_key is not None and self._has_event(s, event_key):
                return None
            when = as_utc(at) if at is not None else self.clock.now()
            message = MessageRow(case_id=row.id, role=role, author=author, text=text, intent=intent,
                                 emotion=emotion, confidence=confidence, at=when, event_key=event_key)
            s.add(message)
            s.flush()  # a concurrent duplicate fails here, before the case is touched
            if role == "agent" and row.first_response_at is None:
                row.first_response_at = when
                self._touch(row)
            return MessageView.of(message)

        try:
            return self._write(work)
        except IntegrityError:
            if event_key is not None and self._read(lambda s: self._has_event(s, event_key)):
                return None
            raise

    @staticmethod
    def _has_event(s: Session, event_key: str) -> bool:
        return s.execute(sa.select(MessageRow.id).where(MessageRow.event_key == event_key)).first() is not None

    def messages(self, case_id: str) -> list[MessageView]:
        def work(s: Session) -> list[MessageView]:
            cid = self._row(s, case_id).id
            rows = s.execute(sa.select(MessageRow).where(MessageRow.case_id == cid)
                             .order_by(MessageRow.at, MessageRow.id)).scalars()
            return [MessageView.of(r) for r in rows]

        return self._read(work)

    def transitions(self, case_id: str) -> list[TransitionView]:
        def work(s: Session) -> list[TransitionView]:
            cid = self._row(s, case_id).id
            rows = s.execute(sa.select(TransitionRow).where(TransitionRow.case_id == cid)
                             .order_by(TransitionRow.at, TransitionRow.id)).scalars()
            return [TransitionView.of(r) for r in rows]

        return self._read(work)

    def resolve(
        self, case_id: str, actor: str, note: str = "", follow_up_after: timedelta = timedelta(hours=24),
    ) -> CaseView:
        """Hands the case back to the bot in follow_up; important and severe cases get a 回访 task."""

        def work(s: Session) -> CaseView:
            row = self._row(s, case_id)
            if row.state == CLOSED:
                raise CaseClosed(f"case {row.id} is already closed")
            if row.state != FOLLOW_UP:
                self._move(s, row, FOLLOW_UP, actor, note)
            now = self._touch(row)
            row.resolved_at = row.resolved_at or now
            row.queue_status = "returned"
            if row.severity in FOLLOWED_UP and not self._open_follow_up(s, row.id):
                s.add(FollowUpRow(case_id=row.id, due_at=now + follow_up_after, created_at=now,
                                  note=note or f"follow up with the customer ({row.severity} {row.category})"))
            s.flush()
            return self._view(s, row)

        return self._write(work)

    @staticmethod
    def _open_follow_up(s: Session, cid: str) -> bool:
        query = sa.select(FollowUpRow.id).where(FollowUpRow.case_id == cid, FollowUpRow.done_at.is_(None))
        return s.execute(query).first() is not None

    def rate(self, case_id: str, score: int, comment: Optional[str] = None) -> RatingView:
        """One rating per case (a second one replaces it); rating closes the case."""
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValueError(f"a rating is a whole number from 1 to 5, not {score!r}")
        text = (comment or "").strip() or None

        def work(s: Session) -> RatingView:
            row = self._row(s, case_id)
            rating = s.execute(sa.select(RatingRow).where(RatingRow.case_id == row.id)).scalar()
            if rating is None:
                rating = RatingRow(case_id=row.id)
                s.add(rating)
            rating.score, rating.comment, rating.at = score, text, self.clock.now()
            if row.state != CLOSED:
                self._move(s, row, CLOSED, "customer", f"rated {score}/5")
            s.flush()
            return RatingView.of(rating)

        return self._write(work, retry=(StaleDataError, IntegrityError))

    def rating(self, case_id: str) -> Optional[RatingView]:
        def work(s: Session) -> Optional[RatingView]:
            cid = self._row(s, case_id).id
            row = s.execute(sa.select(RatingRow).where(RatingRow.case_id == cid)).scalar()
            return RatingView.of(row) if row is not None else None

        return self._read(work)

    def queued_cases(self) -> list[CaseView]:
        """Open cases waiting for a person (queued or awaiting a callback): rebuilds the Redis queue."""

        def work(s: Session) -> list[CaseView]:
            rows = s.execute(
                sa.select(CaseRow).where(CaseRow.queue_status.in_(WAITING), CaseRow.state != CLOSED)
                .order_by(CaseRow.priority.desc(), CaseRow.first_response_due, CaseRow.id)
            ).scalars()
            return [self._view(s, row) for row in rows]

        return self._read(work)

    # -- SLA and alerts -------------------------------------------------------------------------

    def due_breaches(self, now: datetime) -> list[tuple[CaseView, str]]:
        """Open cases past a deadline not yet recorded. The first-response SLA counts only once a
        person was asked for (handoff); a case the bot just registered has nobody to answer it yet."""

        def recorded(kind: str) -> Any:
            return sa.exists().where(SlaEventRow.case_id == CaseRow.id, SlaEventRow.kind == kind)

        def work(s: Session) -> list[tuple[CaseView, str]]:
            first = s.execute(sa.select(CaseRow).where(
                CaseRow.state != CLOSED, CaseRow.handoff.is_(True), CaseRow.first_response_at.is_(None),
                CaseRow.first_response_due <= now, ~recorded("first_response"),
            )).scalars()
            found = [(self._view(s, r), "first_response") for r in first]
            late = s.execute(sa.select(CaseRow).where(
                CaseRow.state != CLOSED, CaseRow.resolved_at.is_(None), CaseRow.resolution_due <= now,
                ~recorded("resolution"),
            )).scalars()
            found += [(self._view(s, r), "resolution") for r in late]
            return sorted(found, key=lambda p: p[0].first_response_due if p[1] == "first_response"
                          else p[0].resolution_due)

        return self._read(work)

    def record_breach(self, case_id: str, kind: str, new_priority: int) -> AlertView:
        """Writes the breach once; when another process recorded it first, returns that alert instead."""
        _choice("breach kind", kind, BREACH_KINDS)

        def work(s: Session) -> AlertView:
            row = self._row(s, case_id)
            now = self._touch(row)
            due = row.first_response_due if kind == "first_response" else row.resolution_due
            s.add(SlaEventRow(case_id=row.id, kind=kind, due_at=due, breached_at=now, priority_before=row.priority,
                              priority_after=new_priority))
            s.flush()
            row.breaches += 1
            row.priority = new_priority
            missed = "no agent response" if kind == "first_response" else "not resolved"
            alert = AlertRow(
                case_id=row.id, kind="sla_breach", level="severe" if row.severity == "severe" else "important",
                created_at=now, message=(
                    f"SLA breach: case {row.id} ({row.severity} {row.category}) {missed} within "
                    f"{_span(due - row.created_at)} (due {due:%Y-%m-%d %H:%M} UTC); priority now {new_priority}"
                ),
            )
            s.add(alert)
            s.flush()
            return AlertView.of(alert)

        try:
            return self._write(work)
        except IntegrityError:
            return self._read(lambda s: self._breach_alert(s, normalise_case_id(case_id), kind))

    @staticmethod
    def _breach_alert(s: Session, cid: str, kind: str) -> AlertView:
        # The breach's alert was written in the same transaction, with the same timestamp.
        breached_at = s.execute(sa.select(SlaEventRow.breached_at)
                                .where(SlaEventRow.case_id == cid, SlaEventRow.kind == kind)).scalar()
        alert = s.execute(sa.select(AlertRow).where(
            AlertRow.case_id == cid, AlertRow.kind == "sla_breach", AlertRow.created_at == breached_at,
        ).order_by(AlertRow.id).limit(1)).scalar()
        if alert is None:
            raise StoreError(f"the {kind} breach of case {cid} is recorded but its alert is missing")
        return AlertView.of(alert)

    def add_alert(self, kind: str, level: str, message: str, case_id: Optional[str] = None) -> AlertView:
        """For alerts that are not about one case's SLA, e.g. a complaint spike (预警)."""
        _choice("alert kind", kind, ALERT_KINDS)
        _choice("alert level", level, ALERT_LEVELS)

        def work(s: Session) -> AlertView:
            cid = self._row(s, case_id).id if case_id else None
            alert = AlertRow(case_id=cid, kind=kind, level=level, message=message, created_at=self.clock.now())
            s.add(alert)
            s.flush()
            return AlertView.of(alert)

        return self._write(work)

    def alerts(self, unacknowledged_only: bool = False) -> list[AlertView]:
        def work(s: Session) -> list[AlertView]:
            query = sa.select(AlertRow)
            if unacknowledged_only:
                query = query.where(AlertRow.acknowledged_at.is_(None))
            rows = s.execute(query.order_by(AlertRow.created_at.desc(), AlertRow.id.desc())).scalars()
            return [AlertView.of(r) for r in rows]

        return self._read(work)

    def acknowledge(self, alert_id: int, who: str) -> AlertView:
        """The first acknowledgement stands; a second one changes nothing."""

        def work(s: Session) -> AlertView:
            alert = s.get(AlertRow, alert_id)
            if alert is None:
                raise StoreError(f"no alert with id {alert_id}")
            if alert.acknowledged_at is None:
                alert.acknowledged_by, alert.acknowledged_at = who, self.clock.now()
            return AlertView.of(alert)

        return self._write(work)

    # -- follow-ups -----------------------------------------------------------------------------

    def follow_ups(self, open_only: bool = True) -> list[FollowUpView]:
        def work(s: Session) -> list[FollowUpView]:
            query = sa.select(FollowUpRow)
            if open_only:
                query = query.where(FollowUpRow.done_at.is_(None))
            return [FollowUpView.of(r) for r in s.execute(query.order_by(FollowUpRow.due_at, FollowUpRow.id)).scalars()]

        return self._read(work)

    def complete_follow_up(self, task_id: int, note: str = "") -> FollowUpView:
        def work(s: Session) -> FollowUpView:
            task = s.get(FollowUpRow, task_id)
            if task is None:
                raise StoreError(f"no follow-up task with id {task_id}")
            if task.done_at is None:
                task.done_at = self.clock.now()
            if note:
                task.note = f"{task.note}\n{note}" if task.note else note
            return FollowUpView.of(task)

        return self._write(work)

    # -- agents ---------------------------------------------------------------------------------

    def create_agent(
        self, name: str, role: str, teams: Optional[list[str]] = None, languages: Optional[list[str]] = None,
    ) -> tuple[AgentView, str]:
        """Returns the agent and its bearer token; only the token's SHA-256 is stored."""
        name = name.strip()
        if not name or len(name) > 64:
            raise ValueError("an agent name has 1 to 64 characters")
        _choice("role", role, ROLES)
        token = new_token()

        def work(s: Session) -> AgentView:
            if s.execute(sa.select(AgentRow.id).where(AgentRow.name == name)).first() is not None:
                raise ValueError(f"an agent named {name!r} already exists")
            row = AgentRow(name=name, role=role, token_hash=token_hash(token), teams=list(teams or ["general"]),
                           languages=list(languages or ["zh", "en"]), active=True, created_at=self.clock.now())
            s.add(row)
            s.flush()
            return self._agent_view(row)

        try:
            return self._write(work), token
        except IntegrityError:
            raise ValueError(f"an agent named {name!r} already exists") from None

    @staticmethod
    def _agent_view(row: Any) -> AgentView:
        return AgentView.of(row, teams=tuple(row.teams), languages=tuple(row.languages))

    def agent_by_token(self, token: str) -> Optional[AgentView]:
        """The active agent holding this token, or None."""
        if not token:
            return None

        def work(s: Session) -> Optional[AgentView]:
            row = s.execute(sa.select(AgentRow).where(AgentRow.token_hash == token_hash(token))).scalar()
            return self._agent_view(row) if row is not None and row.active else None

        return self._read(work)

    def agent(self, agent_id: int) -> AgentView:
        return self._read(lambda s: self._agent_view(self._agent_row(s, agent_id)))

    def agent_by_name(self, name: str) -> Optional[AgentView]:
        def work(s: Session) -> Optional[AgentView]:
            row = s.execute(sa.select(AgentRow).where(AgentRow.name == name.strip())).scalar()
            return self._agent_view(row) if row is not None else None

        return self._read(work)

    def agents(self) -> list[AgentView]:
        return self._read(lambda s: [self._agent_view(r) for r in
                                     s.execute(sa.select(AgentRow).order_by(AgentRow.name)).scalars()])
