"""Trainers sign in like agents but work no cases: every case, queue, feed and supervisor route
answers them 403, they never count as a person the bot may promise, and no case can be handed to
them. What they may open is the trainers' inbox (tests/unit/handoff/api/test_training_api.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.settings import ROOT
from handoff.store import CaseStore
from tests.unit.handoff.api.conftest import Api, complaint

CASE_WORK = (("GET", "/queue"), ("POST", "/queue/next"), ("GET", "/cases"), ("GET", "/cases/{id}"),
             ("POST", "/cases/{id}/claim"), ("GET", "/cases/{id}/messages"), ("POST", "/cases/{id}/reply"),
             ("POST", "/cases/{id}/notes"), ("POST", "/cases/{id}/transfer"), ("POST", "/cases/{id}/state"),
             ("POST", "/cases/{id}/resolve"), ("GET", "/follow-ups"), ("GET", "/events"), ("GET", "/alerts"),
             ("GET", "/stats"), ("GET", "/reports"))


async def test_a_trainer_gets_403_on_every_route_of_case_work(api: Api) -> None:
    api.agent("tom", "trainer")
    case = api.desk.hand_off(**complaint("web:x")).case
    async with api.client("tom") as tom:
        for method, path in CASE_WORK:
            answer = await tom.request(method, path.format(id=case.id), json={"text": "hi", "state": "closed"})
            assert answer.status_code == 403, path
            assert answer.json()["error"]["code"] == "forbidden", path
            assert case.id not in answer.text and "13812345678" not in answer.text
        me = await tom.get("/me")
    assert me.status_code == 200 and me.json()["role"] == "trainer" and me.json()["token_hash"] is None
    assert api.desk.agents_online() == 0  # signed in, yet no one a customer could be promised


async def test_no_case_goes_to_a_trainer(api: Api) -> None:
    api.agent("alice")
    api.agent("tom", "trainer")
    case = api.desk.hand_off(**complaint("web:x")).case
    async with api.client("alice") as alice:
        await alice.post(f"/cases/{case.id}/claim")
        answer = await alice.post(f"/cases/{case.id}/transfer", json={"agent": "tom"})
    assert answer.status_code == 422 and "trainer" in answer.json()["error"]["message"]
    assert api.desk.store.get(case.id).assigned_agent == "alice"


def test_the_command_line_creates_a_trainer(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT)}
    created = subprocess.run([sys.executable, "-m", "handoff.agents", "create", "tom", "--role", "trainer"],
                             env=env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert created.returncode == 0, created.stderr
    trainer = CaseStore(f"sqlite:///{db}").agent_by_token(created.stdout.strip())
    assert trainer is not None and trainer.role == "trainer"
