"""Retraining as a background job of the handoff service: one at a time, watched through files.

The handoff service must not import `tools` (the layers of pyproject.toml), and a training
takes minutes and gigabytes that have no place in a web worker. So a job is a subprocess,

    python -m tools.retrain --status var/training/jobs/<id>/status.json --log var/training/jobs/<id>/log.txt

which keeps its status file up to date (state, progress, and at the end the report; tools/
retrain.py). This module starts it, says whether one is running, and reads the status back.

One at a time, across the service's workers (each a process): `running.lock` is created with
O_EXCL and names the job and its pid; a second start while that pid lives is refused (`Busy`,
409). A lock whose process is gone (the worker that started it was killed, the machine
rebooted) is stale and taken over. The worker that started the job waits for it in a thread
(no zombie), records `failed` if it ended without a result, and removes the lock.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

JOB_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$")
RUNNING = ("queued", "training", "evaluating")
LOCK = "running.lock"
SPAWN_GRACE_S = 30.0  # a lock without a pid yet is a job being started, not a stale one
TAIL_LINES = 20
RETRAIN = ("-m", "tools.retrain")


class Busy(Exception):
    """A retraining is running already; `job` is its id."""

    def __init__(self, job: str) -> None:
        super().__init__(f"retraining job {job} is still running")
        self.job = job


def pid_alive(pid: int) -> bool:
    """Running, and not a zombie (a finished child not yet waited for is not a running job)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _read_json(path: Path) -> Optional[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The end of the job's log (read from its last 16 KB: the log of a training is long)."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - 16384))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class Jobs:
    """The jobs under `root` (var/training/jobs). `command` is what runs a job (tests give
    another); the status and log options are appended to it."""

    def __init__(self, root: Path, *, command: Optional[Sequence[str]] = None, cwd: Optional[Path] = None,
                 env: Optional[Mapping[str, str]] = None) -> None:
        self.root = root
        self.command = list(command) if command is not None else [sys.executable, *RETRAIN]
        self.cwd = cwd
        self.env = dict(env) if env is not None else None

    def _dir(self, job: str) -> Path:
        if not JOB_ID.match(job):
            raise ValueError(f"not a job id: {job!r}")
        return self.root / job

    # --- one at a time ---------------------------------------------------------------------------

    def running(self) -> Optional[str]:
        """The id of the job that holds the lock and still runs; None otherwise."""
        lock = _read_json(self.root / LOCK)
        if lock is None:
            return None
        pid = lock.get("pid")
        if isinstance(pid, int) and pid_alive(pid):
            return str(lock.get("job"))
        if pid is None and time.time() - float(lock.get("at") or 0) < SPAWN_GRACE_S:
            return str(lock.get("job"))
        return None

    def _take_lock(self, job: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.root / LOCK, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self.running()
                if holder is not None:
                    raise Busy(holder) from None
                (self.root / LOCK).unlink(missing_ok=True)  # stale: its process is gone
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"job": job, "pid": None, "at": time.time()}, out)
            return
        raise Busy("another")  # two workers raced for a stale lock; the other one won

    def _release(self, job: str) -> None:
        lock = _read_json(self.root / LOCK)
        if lock is not None and lock.get("job") == job:
            (self.root / LOCK).unlink(missing_ok=True)

    # --- starting and watching -------------------------------------------------------------------

    def start(self, by: str) -> str:
        """Starts a job and returns its id at once; `Busy` while another runs."""
        job = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)
        self._take_lock(job)
        folder = self._dir(job)
        try:
            folder.mkdir(parents=True)
            status, log = folder / "status.json", folder / "log.txt"
            _write_json(status, {"job": job, "state": "queued", "progress": 0.0, "by": by, "started": time.time()})
            with log.open("ab") as out:
                process = subprocess.Popen([*self.command, "--status", str(status), "--log", str(log)],
                                           cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                           stdout=out, stderr=subprocess.STDOUT)
        except BaseException:
            self._release(job)
            raise
        _write_json(self.root / LOCK, {"job": job, "pid": process.pid, "at": time.time()})
        threading.Thread(target=self._wait, args=(job, process), daemon=True, name=f"retrain-{job}").start()
        return job

    def _wait(self, job: str, process: "subprocess.Popen[bytes]") -> None:
        code = process.wait()
        status = self._dir(job) / "status.json"
        data = _read_json(status) or {"job": job}
        if data.get("state") in RUNNING:
            data.update(state="failed", error=f"the retraining process ended with code {code} without a result",
                        updated=time.time())
            _write_json(status, data)
        self._release(job)

    def status(self, job: str) -> Optional[dict[str, Any]]:
        """What GET /training/jobs/<id> answers; None for a job that does not exist. A job that
        says it runs while no process runs it (its worker was killed) is reported failed."""
        folder = self._dir(job)
        data = _read_json(folder / "status.json")
        if data is None:
            return None
        state = str(data.get("state") or "failed")
        if state in RUNNING and self.running() != job:
            data = _read_json(folder / "status.json") or data  # it may have finished meanwhile
            state = str(data.get("state") or "failed")
            if state in RUNNING:
                state, data["error"] = "failed", "the retraining process is gone"
        return {"job": job, "state": state, "progress": float(data.get("progress") or 0.0),
                "by": data.get("by"), "started": data.get("started"), "updated": data.get("updated"),
                "error": data.get("error"), "log_tail": tail(folder / "log.txt"), "report": data.get("report")}
