"""The case store on SQLite, with a fake clock (the same scenarios run on PostgreSQL in
tests/integration/test_store_postgres.py)."""

from pathlib import Path

import pytest

from handoff.clock import FakeClock
from handoff.sla import SlaPolicy
from handoff.store import CaseStore
from tests.unit.handoff.store.support import T0


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture()
def store(tmp_path: Path, clock: FakeClock) -> CaseStore:
    s = CaseStore(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock, sla=SlaPolicy())
    s.create_schema()
    return s
