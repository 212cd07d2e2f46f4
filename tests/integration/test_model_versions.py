"""Model versions on the running assistant: Rasa pulls the current version from the handoff
service in every Sanic worker without a restart, leaves an unchanged one alone, `make rollback`
brings the previous one back within 30 s. A trainer's retraining promoted through the gate and
loaded by the running bot, and a deliberately bad label set kept out by the gate, are the loop of
tests/integration/test_trainer_loop.py.

Figures (docs/training.md, "Retrain, gate, versions, rollback") are printed: run with `-s`.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Callable

from handoff.training.versions import archive_of, current_version, registry_dir
from tools import models
from tools.stack import PY, Stack

ROOT = Path(__file__).parents[2]
PROBES = 20  # consecutive /status answers that must agree: a stale worker among 2 hides with p = 2^-20


def model_id_of(archive: Path) -> str:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("metadata.json")
        assert member is not None
        return str(json.load(member)["model_id"])


def relabelled_copy(archive: Path, target: Path) -> str:
    """The same model under a new model_id: a version Rasa's /status tells apart, made in seconds
    instead of a training (the retraining test below makes a real one)."""
    new_id = uuid.uuid4().hex
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz", compresslevel=1) as out:
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            if member.name == "metadata.json" and data is not None:
                meta = json.load(data)
                meta["model_id"] = new_id
                raw = json.dumps(meta).encode()
                member.size = len(raw)
                out.addfile(member, io.BytesIO(raw))
            else:
                out.addfile(member, data)
    return new_id


SLOWEST: list[float] = [0.0]  # the longest a /status answer took (a worker loading a model answers after it)


def served_ids(stack: Stack) -> set[str]:
    """The model ids of PROBES answers of Rasa's /status, each on a new connection (the kernel
    spreads new connections over the Sanic workers). A worker loads a new model inside its event
    loop (rasa/core/agent.py, `_load_and_set_updated_model`), so meanwhile it answers nothing:
    the request waits for the load, it is not refused."""
    found = set()
    for _ in range(PROBES):
        started = time.monotonic()
        with urllib.request.urlopen(f"{stack.rasa_url}/status?token={stack.auth_token}", timeout=120) as answer:
            found.add(str(json.loads(answer.read())["model_id"]))
        SLOWEST[0] = max(SLOWEST[0], time.monotonic() - started)
    return found


def until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until `condition` held; fails after `timeout`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - started


def downloads(stack: Stack, version: str) -> int:
    log = (stack.logs / "handoff.log").read_text(encoding="utf-8", errors="replace")
    return len(re.findall(rf"model {version} sent to the Rasa", log))


def test_every_worker_swaps_models_without_restart_and_rollback_is_under_30_s(stack: Stack, tmp_path: Path) -> None:
    root = registry_dir(stack.var_dir)
    before = current_version(root)
    assert before is not None
    old_id = model_id_of(archive_of(root, before))
    until(lambda: served_ids(stack) == {old_id}, 30, f"every worker serving {before}")
    rasa_pid = stack.pid("rasa")

    new_id = relabelled_copy(archive_of(root, before), tmp_path / "next.tar.gz")
    version = models.register(tmp_path / "next.tar.gz", root=root)
    promoted_s = until(lambda: served_ids(stack) == {new_id}, 30, f"every worker serving {version}")

    # one download per worker, and none more while the version stays: an unchanged ETag gets a 304
    until(lambda: downloads(stack, version) == stack.rasa_workers, 10, "one download per worker")
    time.sleep(3 * 5 + 1)  # three more pulls of every worker
    assert downloads(stack, version) == stack.rasa_workers
    assert served_ids(stack) == {new_id} and stack.pid("rasa") == rasa_pid  # no restart

    started = time.monotonic()
    subprocess.run([PY, "-m", "tools.models", "rollback"], cwd=ROOT, env=stack._environment(), check=True,
                   capture_output=True)
    until(lambda: served_ids(stack) == {old_id}, 30, "the rollback reaching every worker")
    rollback_s = time.monotonic() - started
    assert current_version(root) == before and stack.pid("rasa") == rasa_pid
    print(f"\nnew version in every worker after {promoted_s:.1f} s; rollback (command to every worker "
          f"answering with the previous model) {rollback_s:.1f} s; slowest /status during the swaps "
          f"{SLOWEST[0]:.1f} s")
