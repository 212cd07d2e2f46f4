"""The conversation archive over SQLAlchemy: the writer fed by the event stream, the retention
sweep, and the reads the trainers' inbox and the statistics build on.

Idempotent by construction: a turn or bot event is inserted with ON CONFLICT (event_key) DO
NOTHING, and the conversation's counters move only when that insert added a row, all in one
transaction. So a redelivered stream entry (a worker killed before its XACK, a second worker
claiming a stale entry, the broker re-publishing after an outage) changes nothing, on SQLite
and PostgreSQL alike, even when two workers record the same event at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handoff.archive.events import Parsed, archive_key, parse
from handoff.archive.models import BotEventRow, ConversationRow, TurnRow
from handoff.archive.views import BotEventView, ConversationHistory, ConversationView, TurnView
from handoff.clock import Clock
from handoff.store.db import StoreBase

SWEEP_BATCH = 5_000  # rows per delete transaction: SQLite's one writer is never held for long

_COUNTER = {"turn": "user_turns", "utterance": "bot_messages", "action": "actions"}


class Archive(StoreBase):
    """`record` each tracker event; `sweep` now and then; read with `turns`, `conversation`,
    `conversations`. Shares the case store's database and migrations (handoff/migrations)."""

    def __init__(self, url: str, clock: Optional[Clock] = None, retention_days: int = 365) -> None:
        super().__init__(url, clock=clock)
        self.retention_days = retention_days

    # --- writing -------------------------------------------------------------------------------

    def record(self, event: Mapping[str, Any], key: Optional[str] = None) -> bool:
        """Stores a user turn, a bot utterance or an action; True if it was new. Other events
        (slots, session starts...) and repeats of a stored one return False. `key` defaults to
        `archive_key(event)`; pass the same key for the same event every time."""
        parsed = parse(event, self.clock.now())
        if parsed is None:
            return False
        return self._write(lambda s: self._record(s, parsed, key or archive_key(event)))

    def _record(self, s: Session, parsed: Parsed, key: str) -> bool:
        conversations = ConversationRow.__table__
        s.execute(self._insert_ignoring(conversations, ["id"]).values(
            id=parsed.conversation_id, customer_id=parsed.conversation_id, channel=parsed.channel,
            language=parsed.language, model_id=parsed.model_id, first_seen=parsed.at, last_seen=parsed.at,
            user_turns=0, bot_messages=0, actions=0))
        table = TurnRow.__table__ if parsed.kind == "turn" else BotEventRow.__table__
        added = s.execute(self._insert_ignoring(table, ["event_key"]).values(
            event_key=key, conversation_id=parsed.conversation_id, at=parsed.at, **parsed.row)).rowcount
        if added != 1:
            return False
        c = conversations.c
        at = sa.bindparam("at", parsed.at, type_=c.last_seen.type)
        newest = at >= c.last_seen  # SET sees the old row: this compares with the previous last_seen
        changes: dict[str, Any] = {
            _COUNTER[parsed.kind]: c[_COUNTER[parsed.kind]] + 1,
            "first_seen": sa.case((at < c.first_seen, at), else_=c.first_seen),
            "last_seen": sa.case((newest, at), else_=c.last_seen),
        }
        if parsed.channel:
            changes["channel"] = sa.func.coalesce(c.channel, parsed.channel)
        if parsed.language:
            changes["language"] = sa.case((newest, parsed.language), else_=c.language)
        if parsed.model_id:
            changes["model_id"] = sa.case((newest, parsed.model_id), else_=c.model_id)
        s.execute(sa.update(conversations).where(c.id == parsed.conversation_id).values(**changes))
        return True

    def _insert_ignoring(self, table: sa.Table, unique: list[str]) -> Any:
        """INSERT ... ON CONFLICT (unique) DO NOTHING in the two dialects the shop runs on."""
        name = self.engine.dialect.name
        if name == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing(index_elements=unique)
        if name == "sqlite":
            return sqlite.insert(table).on_conflict_do_nothing(index_elements=unique)
        raise NotImplementedError(f"the archive supports SQLite and PostgreSQL, not {name}")

    # --- retention -----------------------------------------------------------------------------

    def sweep(self, retention_days: Optional[int] = None) -> dict[str, int]:
        """Deletes turns and bot events older than the retention, then conversations whose last
        event is; returns how many rows of each went. Safe to run from several workers at once."""
        days = self.retention_days if retention_days is None else retention_days
        cutoff = self.clock.now() - timedelta(days=days)
        return {"turns": self._delete_older(TurnRow.__table__, "at", cutoff),
                "bot_events": self._delete_older(BotEventRow.__table__, "at", cutoff),
                "conversations": self._delete_older(ConversationRow.__table__, "last_seen", cutoff)}

    def _delete_older(self, table: sa.Table, column: str, cutoff: datetime) -> int:
        key = table.primary_key.columns.values()[0]
        stamp = table.c[column]
        batch = sa.delete(table).where(key.in_(sa.select(key).where(stamp < cutoff).limit(SWEEP_BATCH)
                                               .scalar_subquery()))
        total = 0
        while True:
            deleted = self._write(lambda s: s.execute(batch).rowcount)
            total += deleted
            if deleted < SWEEP_BATCH:
                return total

    # --- reading -------------------------------------------------------------------------------

    def turns(self, since: datetime, until: Optional[datetime] = None, *, conversation_id: Optional[str] = None,
              intent: Optional[str] = None, limit: int = 10_000) -> list[TurnView]:
        """Customer turns with since <= at < until (until: now), oldest first."""
        query = sa.select(TurnRow).where(TurnRow.at >= since)
        if until is not None:
            query = query.where(TurnRow.at < until)
        if conversation_id is not None:
            query = query.where(TurnRow.conversation_id == conversation_id)
        if intent is not None:
            query = query.where(TurnRow.intent == intent)
        query = query.order_by(TurnRow.at, TurnRow.id).limit(limit)
        return self._read(lambda s: [TurnView.from_row(r) for r in s.execute(query).scalars()])

    def conversations(self, since: datetime, until: Optional[datetime] = None,
                      limit: int = 1_000) -> list[ConversationView]:
        """Conversations active in [since, until), most recently active first."""
        query = sa.select(ConversationRow).where(ConversationRow.last_seen >= since)
        if until is not None:
            query = query.where(ConversationRow.first_seen < until)
        query = query.order_by(ConversationRow.last_seen.desc()).limit(limit)
        return self._read(lambda s: [ConversationView.of(r) for r in s.execute(query).scalars()])

    def conversation(self, conversation_id: str) -> Optional[ConversationHistory]:
        """The conversation with all its archived turns and bot events, or None."""

        def read(s: Session) -> Optional[ConversationHistory]:
            row = s.get(ConversationRow, conversation_id)
            if row is None:
                return None
            turns = s.execute(sa.select(TurnRow).where(TurnRow.conversation_id == conversation_id)
                              .order_by(TurnRow.at, TurnRow.id)).scalars()
            bot = s.execute(sa.select(BotEventRow).where(BotEventRow.conversation_id == conversation_id)
                            .order_by(BotEventRow.at, BotEventRow.id)).scalars()
            return ConversationHistory(ConversationView.of(row), tuple(TurnView.from_row(t) for t in turns),
                                       tuple(BotEventView.of(b) for b in bot))

        return self._read(read)
