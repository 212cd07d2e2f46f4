"""Who decided what about an inbox message (table training_reviews): labelled or skipped, once.

A key is decided by the first request that records it: two trainers labelling the same message
at once, or one bulk label racing another, end with one decision (INSERT ... ON CONFLICT DO
NOTHING on the primary key, in SQLite and PostgreSQL alike), and each request learns which of
its keys it won. A label is recorded before its file is written and taken back if the write
fails, so a decision never points at a file that lacks it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from handoff.training.labels import Label
from handoff.training.models import ReviewRow

CHUNK = 500


def _insert_ignoring(engine: sa.engine.Engine) -> Any:
    table = ReviewRow.__table__
    name = engine.dialect.name
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["key"])
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=["key"])
    raise NotImplementedError(f"training reviews support SQLite and PostgreSQL, not {name}")


def decided(engine: sa.engine.Engine, keys: Iterable[str]) -> set[str]:
    """The keys among these that someone already labelled or skipped."""
    wanted, found = sorted(set(keys)), set()
    with engine.connect() as connection:
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            found.update(connection.execute(sa.select(ReviewRow.key).where(ReviewRow.key.in_(chunk))).scalars())
    return found


def record(engine: sa.engine.Engine, keys: Iterable[str], *, by: str, at: datetime, label: Optional[Label] = None,
           file: Optional[str] = None) -> list[str]:
    """Records a label (or, without one, a skip) for each key not decided yet; returns those keys."""
    insert = _insert_ignoring(engine)
    won = []
    with engine.begin() as connection:
        for key in dict.fromkeys(keys):
            added = connection.execute(insert.values(
                key=key, decision="labelled" if label else "skipped", intent=label.intent if label else None,
                emotion=label.emotion if label else None, severity=label.severity if label else None,
                by=by[:100], at=at, file=file[:255] if file else None)).rowcount
            if added == 1:
                won.append(key)
    return won


def forget(engine: sa.engine.Engine, keys: Iterable[str], *, by: str) -> None:
    """Takes back this person's decisions on these keys (their file could not be written)."""
    wanted = sorted(set(keys))
    with engine.begin() as connection:
        for start in range(0, len(wanted), CHUNK):
            connection.execute(sa.delete(ReviewRow).where(ReviewRow.key.in_(wanted[start:start + CHUNK]),
                                                          ReviewRow.by == by[:100]))
