"""A crashed process comes back by itself; stopping leaves nothing behind (docs/processes.md).

The real stack (Rasa with two Sanic workers, the handoff service with two, the action server,
our own Redis) under supervisord: each of Rasa, the action server and the handoff service is
SIGKILLed in turn, as the kernel's OOM killer would, and must answer again without anyone
restarting it, with the restart in the logs and its orphaned workers gone. The first tests play
the supervisor's own failure modes out on tiny programs, which is quicker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest

from tests.integration.conftest import Inbox, start_stack
from tools.stack import Stack
from tools.supervise import Program, Supervisor, group_members, session_members

RESTART_TIMEOUT_S = 240  # Rasa loads its model again in each worker on a shared 2-core machine

# A parent that forks a worker, as Sanic does: the worker outlives a SIGKILLed parent.
FORKER = "import os, time\nif os.fork() == 0:\n    time.sleep(600)\ntime.sleep(600)"


def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:.0f} s")
        time.sleep(0.5)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture()
def forker(tmp_path: Path) -> Iterator[Supervisor]:
    supervisor = Supervisor([Program("forker", [sys.executable, "-c", FORKER], start_secs=1)],
                            tmp_path / "state", tmp_path / "logs", dict(os.environ))
    supervisor.start()
    supervisor.start_program("forker")
    yield supervisor
    supervisor.shutdown()


def running_pid(supervisor: Supervisor, name: str, other_than: int = 0) -> int:
    info = supervisor.info(name)
    return int(info["pid"]) if info["statename"] == "RUNNING" and info["pid"] != other_than else 0


def test_a_killed_program_is_restarted_and_its_orphaned_workers_killed(forker: Supervisor) -> None:
    first = eventually(lambda: running_pid(forker, "forker"), 30, "the program did not start")
    workers = eventually(lambda: [p for p in group_members(first, forker.pid or 0) if p != first], 10,
                         "the program's worker did not appear")
    os.kill(first, signal.SIGKILL)
    second = eventually(lambda: running_pid(forker, "forker", other_than=first), 60, "no restart")
    assert not any(alive(pid) for pid in workers), "the killed run's worker still runs beside the new one"
    log = (forker.log_dir / "forker.log").read_text()
    assert f"restarting forker: restart #1, the previous run (pid {first}) ended; 1 leftover" in log
    assert "exited: forker (terminated by SIGKILL; not expected)" in forker.log_file.read_text()
    assert second != first


def test_a_program_that_keeps_dying_waits_longer_each_time(tmp_path: Path) -> None:
    supervisor = Supervisor([Program("crasher", [sys.executable, "-c", "import sys; sys.exit(3)"], start_secs=1)],
                            tmp_path / "state", tmp_path / "logs", dict(os.environ))
    supervisor.start()
    try:
        supervisor.start_program("crasher")
        log = supervisor.log_dir / "crasher.log"
        eventually(lambda: "pausing 4 s" in log.read_text(), 120, "no growing pause")
        pauses = [line.rsplit("pausing ", 1)[1] for line in log.read_text().splitlines() if "pausing" in line]
        assert pauses[:3] == ["1 s", "2 s", "4 s"]
    finally:
        supervisor.shutdown()


def test_a_killed_starter_takes_supervisord_and_its_programs_along(tmp_path: Path) -> None:
    """`make run` or a test run killed with SIGKILL cannot stop anything itself."""
    script = textwrap.dedent(f"""
        import os, sys, time
        from pathlib import Path
        from tools.supervise import Program, Supervisor
        s = Supervisor([Program("forker", [sys.executable, "-c", {FORKER!r}], start_secs=1)],
                       Path({str(tmp_path / 'state')!r}), Path({str(tmp_path / 'logs')!r}), dict(os.environ))
        s.start()
        s.start_program("forker")
        print(s.pid, flush=True)
        time.sleep(600)
    """)
    starter = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                               cwd=Path(__file__).parents[2])
    assert starter.stdout is not None
    supervisord = int(starter.stdout.readline())
    eventually(lambda: len(session_members(supervisord)) >= 3, 30, "the program and its worker did not start")
    starter.kill()
    starter.wait()
    eventually(lambda: not session_members(supervisord), 60, "supervisord or its programs outlived their starter")


# --- the real stack ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[Stack]:
    s = start_stack(tmp_path_factory.mktemp("var-supervision"), inbox)
    yield s
    s.stop()


def ready(stack: Stack) -> Optional[dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{stack.handoff_url}/ready", timeout=10) as response:
            return dict(json.loads(response.read()))
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return None  # 503 (a part down) is an HTTPError too


def answers(stack: Stack) -> bool:
    body = json.dumps({"sender": "supervision", "message": "请问退货规定是什么"}).encode()
    request = urllib.request.Request(f"{stack.rasa_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return any(m.get("text") for m in json.loads(response.read()))
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@pytest.mark.parametrize("name", ["rasa", "actions", "handoff"])
def test_a_killed_process_comes_back_by_itself(stack: Stack, name: str) -> None:
    assert eventually(lambda: ready(stack), RESTART_TIMEOUT_S, "the stack was not ready")["ready"]
    before = stack.pid(name)
    assert before is not None
    group = stack.pids(name)  # the main process and, for Rasa and the handoff service, its workers
    stack.kill(name, signal.SIGKILL)
    stack.wait_restarted(name, before, RESTART_TIMEOUT_S)
    # the new run's first act is to kill the old run's workers, which would otherwise keep serving
    assert not [pid for pid in group if alive(pid)], f"processes of the killed {name} still run"
    body = eventually(lambda: (r := ready(stack)) and r["ready"] and r, RESTART_TIMEOUT_S,
                      f"{name} did not come back")
    assert all(part["up"] for part in body["parts"].values())
    assert eventually(lambda: answers(stack), 60, "the bot does not answer after the restart")
    assert f"exited: {name} (terminated by SIGKILL; not expected)" in (stack.logs / "supervisord.log").read_text()
    assert f"restarting {name}: restart #1, the previous run (pid {before}) ended" in \
        (stack.logs / f"{name}.log").read_text(errors="replace")


def test_stop_leaves_no_process_behind(stack: Stack) -> None:
    """Last in this module: stops the module's stack (its fixture's stop then finds nothing to do)."""
    assert stack.supervisor is not None and stack.supervisor.pid is not None
    session = stack.supervisor.pid
    pids = [pid for name in ("redis", "actions", "rasa", "handoff") for pid in stack.pids(name)]
    assert len(pids) >= 1 + 1 + 3 + 3  # Rasa's and the handoff service's two workers each counted
    stack.stop()
    assert not [pid for pid in [session, *pids] if alive(pid)]
    assert not session_members(session)
