"""`make run`'s start-up text about agents: a demo supervisor only when asked for."""

from __future__ import annotations

import stat
from pathlib import Path

from core.settings import load
from handoff.store import CaseStore
from tools.launcher import agent_lines


def test_without_demo_supervisor_it_says_how_to_get_one_and_creates_no_agent(tmp_path: Path) -> None:
    settings = load({"SHOP_VAR_DIR": str(tmp_path)})
    text = agent_lines(settings, "http://localhost:8000")
    assert "python -m handoff.agents create NAME --role supervisor" in text
    assert "DEMO_SUPERVISOR=1 make run" in text
    assert not (tmp_path / "demo_agent_token").exists()
    store = CaseStore(settings.database_url)
    store.create_schema()
    assert store.agent_by_name("demo") is None


def test_with_demo_supervisor_its_token_is_printed_kept_0600_and_works(tmp_path: Path) -> None:
    settings = load({"SHOP_VAR_DIR": str(tmp_path), "DEMO_SUPERVISOR": "1"})
    text = agent_lines(settings, "http://localhost:8000")
    token_file = tmp_path / "demo_agent_token"
    token = token_file.read_text()
    assert token in text and stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert CaseStore(settings.database_url).agent_by_token(token) is not None
    assert token in agent_lines(settings, "http://localhost:8000")  # the same one next run
