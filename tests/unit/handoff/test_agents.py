"""The agent command line: `python -m handoff.agents create|list`."""

import os
import subprocess
import sys
from pathlib import Path

from core.settings import ROOT
from handoff.store import CaseStore


def run_cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "handoff.agents", *args], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_cli_prints_a_usable_token(tmp_path: Path) -> None:
    db = tmp_path / "var" / "shop.db"
    created = run_cli(db, "create", "alice", "--role", "agent", "--teams", "billing,general")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert created.stdout == token + "\n"
    agent = CaseStore(f"sqlite:///{db}").agent_by_token(token)
    assert agent is not None and agent.name == "alice" and agent.teams == ("billing", "general")
    duplicate = run_cli(db, "create", "alice", "--role", "agent")
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr and duplicate.stdout == ""
    bad_role = run_cli(db, "create", "bob", "--role", "boss")
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr
    listed = run_cli(db, "list")
    assert listed.returncode == 0 and "alice" in listed.stdout and "billing,general" in listed.stdout


def test_cli_disables_enables_and_rotates_a_token(tmp_path: Path) -> None:
    db = tmp_path / "var" / "shop.db"
    token = run_cli(db, "create", "alice").stdout.strip()
    store = CaseStore(f"sqlite:///{db}")
    assert run_cli(db, "disable", "alice").returncode == 0
    assert store.agent_by_token(token) is None
    assert "disabled" in run_cli(db, "list").stdout
    assert run_cli(db, "enable", "alice").returncode == 0
    assert store.agent_by_token(token) is not None
    rotated = run_cli(db, "rotate", "alice")
    new = rotated.stdout.strip()
    assert rotated.returncode == 0 and rotated.stdout == new + "\n" and new != token
    assert store.agent_by_token(token) is None  # the old token stops at once
    assert store.agent_by_token(new).name == "alice"  # type: ignore[union-attr]
    missing = run_cli(db, "rotate", "zed")
    assert missing.returncode == 2 and "no agent named 'zed'" in missing.stderr and missing.stdout == ""
