"""Engine, migrations and schema creation of the store."""

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.settings import ROOT
from handoff.models import Base
from handoff.sla import SlaPolicy
from handoff.store import CaseStore
from tests.unit.handoff.store.support import case_fields


def test_migrations_match_the_models_and_rerun_harmlessly(store: CaseStore) -> None:
    store.create_schema()
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == "handoff_alembic_version")] == []


def test_two_processes_migrate_the_same_database(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    code = "from handoff.store import CaseStore; import sys; CaseStore(sys.argv[1]).create_schema()"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", code, f"sqlite:///{db}"], env=env, cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = CaseStore(f"sqlite:///{db}", sla=SlaPolicy())
    assert store.create_case(**case_fields()).id.startswith("C-")
