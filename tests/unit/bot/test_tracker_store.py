"""The SQL tracker store on SQLite: a turn saved while another writer holds the database waits
for it and is stored, where Rasa's own store gave up and kept the turn in one worker's memory."""

import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy.exc
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import DurableSQLTrackerStore


def hold_the_write_lock(path: Path, seconds: float, taken: threading.Event) -> None:
    """Another writer (the handoff service, the other worker) in a long transaction."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    taken.set()
    time.sleep(seconds)
    other.execute("COMMIT")
    other.close()




def test_a_turn_saved_while_another_writer_holds_sqlite_waits_and_is_stored(tmp_path: Path) -> None:
    import asyncio

    path = tmp_path / "shop.db"
    store = DurableSQLTrackerStore(domain=Domain.empty(), host=f"sqlite:///{path}")
    tracker = DialogueStateTracker.from_events("customer", [UserUttered("充电宝冒烟起火")])
    taken = threading.Event()
    holder = threading.Thread(target=hold_the_write_lock, args=(path, 6.0, taken))  # > sqlite3's 5 s default
    holder.start()
    taken.wait()
    asyncio.run(store.save(tracker))
    holder.join()
    again = asyncio.run(  # a fresh store, as the other worker: it reads the database, not a memory
        DurableSQLTrackerStore(domain=Domain.empty(), host=f"sqlite:///{path}").retrieve("customer"))
    assert again is not None and again.latest_message is not None
    assert again.latest_message.text == "充电宝冒烟起火"


def test_rasas_own_store_gives_up_on_the_same_turn(tmp_path: Path) -> None:
    """The failure this store fixes, shown on Rasa's class under the same lock: it raises, and
    Rasa's fail-safe wrapper then keeps the turn in the worker's memory only."""
    import asyncio

    path = tmp_path / "shop.db"
    store = SQLTrackerStore(domain=Domain.empty(), host=f"sqlite:///{path}")
    tracker = DialogueStateTracker.from_events("customer", [UserUttered("充电宝冒烟起火")])
    taken = threading.Event()
    holder = threading.Thread(target=hold_the_write_lock, args=(path, 6.0, taken))
    holder.start()
    taken.wait()
    with pytest.raises(sqlalchemy.exc.OperationalError, match="database is locked"):
        asyncio.run(store.save(tracker))
    holder.join()
