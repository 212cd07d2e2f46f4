"""Processes a benchmark starts and measures: run, stop as a group, read their memory from /proc."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Optional

from core.settings import ROOT


def environment(**extra: str) -> dict[str, str]:
    """Quiet, telemetry-free Rasa with our package importable (our config names our own component)."""
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env["RASA_TELEMETRY_ENABLED"] = "false"
    return env


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stops a whole process group: Rasa may fork helpers that would outlive a plain kill."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass


PROGRESS_BAR = re.compile(r"\|\s*\d+/\d+ \[")


def tail(path: Path, lines: int = 15) -> str:
    """The end of a log without progress bars is where the reason for a failure is; the rest would drown it."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").replace("\r", "\n")
    except OSError:
        return "(no log)"
    kept = [line for line in text.splitlines() if line.strip() and not PROGRESS_BAR.search(line)]
    return "\n".join(kept[-lines:])


def run_logged(args: list[str], cwd: Path, env: dict[str, str], log: Path) -> float:
    """Runs a long command in its own process group (killed on Ctrl-C too) and returns its wall time."""
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"  $ {shlex.join(args)}   (log: {log})", flush=True)
    started = time.monotonic()
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = proc.wait()
        finally:
            stop_process(proc)
    if code != 0:
        raise RuntimeError(f"{shlex.join(args)} failed with code {code}; see {log.name} below")
    return time.monotonic() - started


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants, from /proc, so helpers a server forks are counted too."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _status_kb(pid: int, field: str, source: str = "status") -> Optional[int]:
    """One kB field of /proc/PID/status (or smaps_rollup); None if the process is gone or hides it."""
    try:
        for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def rss_mb(pid: Optional[int], *, tree: bool = True) -> Optional[float]:
    """Resident memory (VmRSS) in MiB of a process tree, or of the process alone (`tree=False`,
    for a program whose workers are listed one by one); None if it is gone."""
    if pid is None:
        return None
    total_kb = sum(_status_kb(member, "VmRSS") or 0 for member in (process_tree(pid) if tree else [pid]))
    return round(total_kb / 1024, 1) if total_kb else None


def pss_mb(pid: int) -> Optional[float]:
    """Proportional memory of one process in MiB: a page shared by n processes counts 1/n in each.
    Sanic forks its workers from a parent that has loaded the model, so summed RSS counts the
    shared pages once per worker; summed PSS is what the processes cost the machine together."""
    kb = _status_kb(pid, "Pss", "smaps_rollup")
    return None if kb is None else round(kb / 1024, 1)


def program_memory(pids: list[int]) -> dict[str, Any]:
    """Memory of one program's processes (main first, then its workers): each, and summed."""
    alive: list[dict[str, Any]] = []
    rss_sum = pss_sum = 0.0
    for pid in pids:
        rss = rss_mb(pid, tree=False)
        if rss is None:
            continue  # gone between listing and reading: nothing to count
        pss = pss_mb(pid)
        alive.append({"pid": pid, "rss_mb": rss, "pss_mb": pss})
        rss_sum += rss
        pss_sum += pss or 0.0
    return {
        "processes": alive,
        "count": len(alive),
        "rss_mb_sum": round(rss_sum, 1) if alive else None,
        "pss_mb_sum": round(pss_sum, 1) if alive else None,
    }
