"""Rasa's SQL tracker store, made to wait its turn on SQLite instead of losing the turn.

Why: with two Rasa workers and the handoff service writing the same SQLite file, Rasa 3.6's
`SQLTrackerStore` saved a turn with a deferred transaction (it reads the stored events, then
inserts). When another writer committed in between, SQLite refused the upgrade at once
("database is locked"), and Rasa then kept the turn in an in-memory store of that one worker:
the pause of a handoff was lost for the other worker, which answered over the agent (found in
`tests/integration/test_concurrency.py` under CI load). Here every transaction takes the write
lock when it begins (`BEGIN IMMEDIATE`) and waits up to `BUSY_TIMEOUT_MS` for it, which is what
`handoff/store/db.py` does for the cases in the same file. Other databases are left as Rasa
sets them up.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

BUSY_TIMEOUT_MS = 15000


def _connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # BEGIN is issued by _begin instead
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class DurableSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore`; on SQLite, transactions that wait for the write lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _connect)
            sa.event.listen(self.engine, "begin", _begin)
            self.engine.dispose()  # the schema set-up's connections predate the listeners
