"""A real SQLite file store, migrated, with the scenario of scenario.py written into it."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from handoff.store import CaseStore
from tests.unit.handoff.stats import scenario


@pytest.fixture()
def engine(tmp_path: Path) -> sa.engine.Engine:
    store = CaseStore(f"sqlite:///{tmp_path / 'shop.db'}")
    store.create_schema()
    scenario.write(store.engine)
    return store.engine
