"""POST /training/retrain, GET /training/jobs/<id> and GET /models/current.tar.gz: trainers start
and watch retraining; agents and strangers do not; the model goes to the local Rasa only, and a
Rasa that has the current version gets a 304 (no download, no reload)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx
import pytest

from handoff.api.app import create_app
from handoff.desk import Desk
from handoff.training import jobs as jobs_module
from tests.unit.handoff.api.conftest import Api, FakeRasa, app_name, served
from tests.unit.handoff.training.test_jobs import STAND_IN, until
from tools import models


@pytest.fixture()
def training_api(desk: Desk, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Api:
    # the job is a stand-in script (tests/unit/handoff/training/test_jobs.py), not minutes of training
    monkeypatch.setattr(jobs_module, "RETRAIN", ("-c", STAND_IN))
    app = create_app(desk, FakeRasa(), redis_url=redis_url, background=False, name=app_name(), var_dir=tmp_path)
    api = Api(app, desk, FakeRasa())
    api.agent("tina", role="trainer")
    api.agent("boss", role="supervisor")
    api.agent("alice")
    return api


async def test_a_trainer_starts_a_job_and_follows_it_to_its_report(training_api: Api, tmp_path: Path) -> None:
    async with training_api.client("tina") as tina:
        started = await tina.post("/training/retrain")
        assert started.status_code == 202
        job = started.json()["job"]
        again = await tina.post("/training/retrain", json={})
        assert again.status_code == 409 and again.json()["job"] == job
        (tmp_path / "training" / "jobs" / "go").write_text(json.dumps(
            {"state": "blocked", "progress": 1.0, "report": {"promoted": False, "gate": []}}))
        seen: dict[str, object] = {}

        async def finished() -> bool:
            seen.update((await tina.get(f"/training/jobs/{job}")).json())
            return seen["state"] == "blocked"

        for _ in range(600):
            if await finished():
                break
            await asyncio.sleep(0.05)
    assert seen["state"] == "blocked" and seen["report"] == {"promoted": False, "gate": []}
    assert seen["by"] == "tina" and "training the candidate" in str(seen["log_tail"])
    until(lambda: jobs_module.Jobs(tmp_path / "training" / "jobs").running() is None)


async def test_a_supervisor_may_retrain_too(training_api: Api, tmp_path: Path) -> None:
    async with training_api.client("boss") as boss:
        started = await boss.post("/training/retrain")
    assert started.status_code == 202
    (tmp_path / "training" / "jobs" / "go").write_text(json.dumps({"state": "blocked"}))
    until(lambda: jobs_module.Jobs(tmp_path / "training" / "jobs").running() is None)


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("alice", 403)])
async def test_agents_and_strangers_neither_start_nor_watch_jobs(training_api: Api, who: str | None,
                                                                  status: int) -> None:
    async with training_api.client(who) as client:
        started = await client.post("/training/retrain")
        watched = await client.get("/training/jobs/20261203T071500-a1b2c3")
    assert started.status_code == status and watched.status_code == status
    assert started.json()["error"]["code"] in ("unauthenticated", "forbidden")


async def test_malformed_requests_are_400_and_unknown_jobs_404(training_api: Api) -> None:
    async with training_api.client("tina") as tina:
        assert (await tina.post("/training/retrain", content=b"{not json")).status_code == 400
        assert (await tina.post("/training/retrain", content=b"[1, 2]")).status_code == 400
        assert (await tina.post("/training/retrain", content=b"x" * 2_000_000)).status_code == 413
        bad = await tina.get("/training/jobs/..%2F..%2Fetc")
        assert bad.status_code in (400, 404) and "error" in bad.json()
        assert (await tina.get("/training/jobs/not-a-job")).status_code == 400
        missing = await tina.get("/training/jobs/20261203T071500-a1b2c3")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def rasa_client(api: Api, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """What Rasa's model server client looks like to the service: no token, a peer address."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app, client=(address, 40000)),
                             base_url="http://127.0.0.1")


async def test_the_local_rasa_gets_the_current_model_once_per_version(training_api: Api, tmp_path: Path) -> None:
    async with served(training_api.app), rasa_client(training_api) as rasa:
        assert (await rasa.get("/models/current.tar.gz")).status_code == 404  # nothing registered yet
        root = tmp_path / "models"
        (tmp_path / "a.tar.gz").write_bytes(b"model one")
        models.register(tmp_path / "a.tar.gz", root=root)
        first = await rasa.get("/models/current.tar.gz", headers={"If-None-Match": "3f2a9c"})  # Rasa's first pull
        assert first.status_code == 200 and first.content == b"model one" and first.headers["etag"] == '"v1"'
        unchanged = await rasa.get("/models/current.tar.gz", headers={"If-None-Match": first.headers["etag"]})
        assert unchanged.status_code == 304 and unchanged.content == b""
        (tmp_path / "b.tar.gz").write_bytes(b"model two")
        models.register(tmp_path / "b.tar.gz", root=root)
        second = await rasa.get("/models/current.tar.gz", headers={"If-None-Match": '"v1"'})
        assert second.status_code == 200 and second.content == b"model two" and second.headers["etag"] == '"v2"'
        models.rollback(root)
        back = await rasa.get("/models/current.tar.gz", headers={"If-None-Match": '"v2"'})
        assert back.status_code == 200 and back.content == b"model one" and back.headers["etag"] == '"v1"'


async def test_the_model_is_not_served_off_this_machine_or_through_a_proxy(training_api: Api, tmp_path: Path) -> None:
    (tmp_path / "a.tar.gz").write_bytes(b"model one")
    models.register(tmp_path / "a.tar.gz", root=tmp_path / "models")
    async with served(training_api.app):
        async with rasa_client(training_api, "203.0.113.9") as outsider:
            refused = await outsider.get("/models/current.tar.gz")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        async with rasa_client(training_api) as through_nginx:
            proxied = await through_nginx.get("/models/current.tar.gz", headers={"X-Forwarded-For": "198.51.100.7"})
        assert proxied.status_code == 403 and b"model one" not in proxied.content
        async with training_api.client("boss") as boss:  # a supervisor's token does not make it local
            assert (await boss.get("/models/current.tar.gz", headers={"X-Real-IP": "10.0.0.8"})).status_code == 403


def test_the_stand_in_is_run_with_this_python() -> None:
    assert jobs_module.Jobs(Path("/nonexistent")).command[0] == sys.executable
