from __future__ import annotations

from pathlib import Path

import pytest

from handoff.archive import Archive
from handoff.clock import FakeClock
from tests.unit.handoff.archive.support import T0


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture()
def archive(tmp_path: Path, clock: FakeClock) -> Archive:
    """A migrated SQLite database of its own, as the service's (the case store's tables too)."""
    store = Archive(f"sqlite:///{tmp_path / 'archive.db'}", clock=clock, retention_days=30)
    store.create_schema()
    return store
