"""Retraining jobs (handoff/training/jobs.py): one at a time, watched through the status file
the job writes. The job here is a stand-in script that behaves as tools/retrain.py does towards
its status file (the real one trains for minutes: tests/integration/test_retrain.py)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from handoff.training.jobs import LOCK, Busy, Jobs

# Waits for the file `go` next to the job folders, then writes the given final status.
STAND_IN = """
import json, pathlib, sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
status = pathlib.Path(args["--status"])
data = json.loads(status.read_text())
data.update(state="training", progress=0.3)
status.write_text(json.dumps(data))
print("training the candidate", flush=True)
while not (status.parent.parent / "go").exists():
    time.sleep(0.05)
final = json.loads((status.parent.parent / "go").read_text())
if final:
    data.update(final)
    status.write_text(json.dumps(data))
sys.exit(int(final.get("code", 0)) if final else 3)
"""


def jobs(tmp_path: Path) -> Jobs:
    return Jobs(tmp_path, command=[sys.executable, "-c", STAND_IN])


def until(condition: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("the condition never held")


def finish(tmp_path: Path, final: dict[str, Any]) -> None:
    (tmp_path / "go").write_text(json.dumps(final))


def test_a_job_reports_progress_then_its_result(tmp_path: Path) -> None:
    runner = jobs(tmp_path)
    job = runner.start("tina")
    seen = until(lambda: (s := runner.status(job)) and s["state"] == "training" and s)
    assert seen["progress"] == 0.3 and seen["by"] == "tina"
    until(lambda: "training the candidate" in (runner.status(job) or {}).get("log_tail", ""))
    report = {"promoted": True, "gate": [{"rule": "intent_accuracy [en] drops by at most 1 point", "passed": True}]}
    finish(tmp_path, {"state": "promoted", "progress": 1.0, "report": report})
    done = until(lambda: (s := runner.status(job)) and s["state"] == "promoted" and s)
    assert done["progress"] == 1.0 and done["report"] == report
    until(lambda: runner.running() is None)


def test_a_second_start_while_one_runs_is_refused(tmp_path: Path) -> None:
    runner = jobs(tmp_path)
    first = runner.start("tina")
    with pytest.raises(Busy) as refused:
        Jobs(tmp_path, command=[sys.executable, "-c", STAND_IN]).start("bob")  # as another worker would
    assert refused.value.job == first
    finish(tmp_path, {"state": "blocked", "progress": 1.0})
    until(lambda: runner.running() is None)
    (tmp_path / "go").unlink()
    second = runner.start("bob")
    assert second != first and runner.running() == second
    finish(tmp_path, {"state": "blocked", "progress": 1.0})
    until(lambda: runner.running() is None)


def test_a_job_that_ends_without_a_result_failed(tmp_path: Path) -> None:
    runner = jobs(tmp_path)
    job = runner.start("tina")
    finish(tmp_path, {})  # exits with code 3 and leaves its status at "training"
    failed = until(lambda: (s := runner.status(job)) and s["state"] == "failed" and s)
    assert "code 3" in failed["error"]


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / LOCK).write_text(json.dumps({"job": "20261203T000000-abcdef", "pid": 2**22 + 12345, "at": 0}))
    (tmp_path / "20261203T000000-abcdef").mkdir()
    (tmp_path / "20261203T000000-abcdef" / "status.json").write_text(json.dumps({"state": "training"}))
    runner = jobs(tmp_path)
    assert runner.running() is None
    assert runner.status("20261203T000000-abcdef")["state"] == "failed"  # type: ignore[index]
    job = runner.start("tina")
    assert runner.running() == job
    finish(tmp_path, {"state": "blocked"})
    until(lambda: runner.running() is None)


def test_unknown_and_malformed_job_ids(tmp_path: Path) -> None:
    runner = jobs(tmp_path)
    assert runner.status("20261203T000000-abcdef") is None
    with pytest.raises(ValueError):
        runner.status("../../etc")
