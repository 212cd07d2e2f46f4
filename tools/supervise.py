"""The assistant's processes under supervisord: restarted when they die, stopped as whole groups.

`tools.stack.Stack` describes the programs (Redis, the action server, Rasa, the handoff service)
and this module runs them under one supervisord of their own (PyPI `supervisor`, pinned; why
supervisord and not circus: docs/processes.md). Three things supervisord does not do by itself
are added here:

- Each program is started through `python -m tools.supervise exec SPEC`, which then `exec`s the
  real command (same pid, so supervisord's pid is the program's). Before it does, it kills what
  the previous run of that program left behind: Rasa's and the handoff service's Sanic workers
  are forked children that outlive a SIGKILLed parent and keep serving the port (SO_REUSEPORT),
  so a restart would otherwise run beside stale workers. supervisord makes each program a process
  group leader (pgid = pid), so "left behind" is: the previous pid's group, in our session.
- A program that keeps dying is restarted after a growing pause (1, 2, 4 … 30 s), written to its
  log with the restart count; supervisord's own backoff only covers exits within `startsecs`.
- supervisord runs in a session of its own (so Ctrl-C in a terminal reaches only the launcher,
  which stops things in order) and gets SIGTERM if the process that started it dies
  (PR_SET_PDEATHSIG), so a killed launcher or test run leaves no processes behind. `shutdown`
  finally SIGKILLs anything still in that session.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from core.secrets import private_file
from core.settings import ROOT

PY = sys.executable
HEALTHY_AFTER_S = 60.0  # a run at least this long resets the backoff
MAX_BACKOFF_S = 30.0
PR_SET_PDEATHSIG = 1


@dataclass
class Program:
    """One supervised program. `priority`: started in this order, stopped in reverse."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    priority: int = 100
    start_secs: int = 5  # must stay up this long to count as started (supervisord's `startsecs`)
    stop_wait_s: int = 15  # SIGTERM, then SIGKILL to the whole group after this long


def _conf_value(value: str) -> str:
    """supervisord reads its file with ConfigParser interpolation: `%` must be doubled."""
    return value.replace("%", "%%")


def _processes() -> list[tuple[int, int, int]]:
    """(pid, process group, session) of every live process, from /proc (zombies left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces and ')'
        if fields[0] != "Z":
            found.append((int(entry.name), int(fields[2]), int(fields[3])))
    return found


def session_members(sid: int) -> list[int]:
    return [pid for pid, _, session in _processes() if session == sid]


def group_members(pgid: int, sid: int) -> list[int]:
    """Processes of group `pgid` within session `sid`: the session check keeps a recycled pid
    of some unrelated program from ever being taken for a leftover of ours."""
    return [pid for pid, group, session in _processes() if group == pgid and session == sid]


def kill_all(pids: list[int], sig: int = signal.SIGKILL) -> int:
    killed = 0
    for pid in pids:
        try:
            os.kill(pid, sig)
            killed += 1
        except ProcessLookupError:
            pass
    return killed


def _die_with_parent() -> None:
    """Runs in the forked child before exec: SIGTERM when the parent goes (Linux only)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class Supervisor:
    """One supervisord with its programs, all `autostart=false`: the stack starts them in order
    (Redis first, then the database seed, then the rest) and they are restarted from then on."""

    def __init__(self, programs: list[Program], state_dir: Path, log_dir: Path, env: dict[str, str]) -> None:
        self.programs = {p.name: p for p in programs}
        self.state_dir, self.log_dir, self.env = state_dir, log_dir, env
        sock = state_dir / "supervisor.sock"
        if len(str(sock)) > 100:  # AF_UNIX paths are limited to 108 bytes
            sock = Path(tempfile.mkdtemp(prefix="shop-sv-")) / "supervisor.sock"
        self.socket = sock
        self.process: Optional[subprocess.Popen[bytes]] = None
        self._password = secrets.token_hex(16)  # the socket is 0700 already; this also quiets supervisord

    @property
    def log_file(self) -> Path:
        return self.log_dir / "supervisord.log"

    def config(self) -> str:
        lines = [
            "[supervisord]", "nodaemon=true", "silent=true", "loglevel=info",
            f"logfile={_conf_value(str(self.log_file))}", "logfile_maxbytes=10MB", "logfile_backups=2",
            f"pidfile={_conf_value(str(self.state_dir / 'supervisord.pid'))}",
            f"childlogdir={_conf_value(str(self.log_dir))}", "",
            "[unix_http_server]", f"file={_conf_value(str(self.socket))}", "chmod=0700", "username=stack",
            f"password={self._password}", "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
        ]
        for p in self.programs.values():
            command = shlex.join([PY, "-m", "tools.supervise", "exec", str(self.state_dir / f"{p.name}.json")])
            lines += [
                f"[program:{p.name}]", f"command={_conf_value(command)}", f"directory={_conf_value(str(ROOT))}",
                f"priority={p.priority}", "autostart=false", "autorestart=true", f"startsecs={p.start_secs}",
                "startretries=10", "stopsignal=TERM", f"stopwaitsecs={p.stop_wait_s}",
                "stopasgroup=true", "killasgroup=true", "redirect_stderr=true",
                f"stdout_logfile={_conf_value(str(self.log_dir / (p.name + '.log')))}",
                "stdout_logfile_maxbytes=50MB", "stdout_logfile_backups=2", "",
            ]
        return "\n".join(lines)

    def start(self, timeout: float = 20) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for p in self.programs.values():
            (self.state_dir / f"{p.name}.state.json").unlink(missing_ok=True)  # a fresh restart count
            spec = {"name": p.name, "argv": p.argv, "env": p.env, "state": str(self.state_dir / f"{p.name}.state.json")}
            # 0600: a spec holds the program's environment (tokens), the config the RPC password
            private_file(self.state_dir / f"{p.name}.json", json.dumps(spec))
        conf = self.state_dir / "supervisord.conf"
        private_file(conf, self.config())
        self.socket.unlink(missing_ok=True)
        with open(self.log_dir / "supervisord.out", "ab") as out:
            self.process = subprocess.Popen([PY, "-m", "supervisor.supervisord", "-n", "-c", str(conf)],
                                            cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"supervisord exited with code {self.process.returncode}; "
                                   f"see {self.log_dir / 'supervisord.out'}")
            try:
                if self.rpc().supervisor.getState()["statename"] == "RUNNING":
                    return
            except (OSError, xmlrpc.client.Fault):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"supervisord did not answer on {self.socket} within {timeout:.0f} s")
            time.sleep(0.1)

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid if self.process is not None else None

    def rpc(self) -> Any:
        """A fresh XML-RPC proxy over the unix socket (the transport is not shareable between threads)."""
        from supervisor.xmlrpc import SupervisorTransport

        transport = SupervisorTransport("stack", self._password, serverurl=f"unix://{self.socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def info(self, name: str) -> dict[str, Any]:
        """supervisord's view of one program: statename (RUNNING, STARTING, BACKOFF, EXITED, FATAL…),
        pid (0 when not running), exitstatus, start, stop."""
        return dict(self.rpc().supervisor.getProcessInfo(name))

    def all_info(self) -> dict[str, dict[str, Any]]:
        return {i["name"]: dict(i) for i in self.rpc().supervisor.getAllProcessInfo()}

    def start_program(self, name: str) -> None:
        """Starts without waiting for `startsecs`: the caller waits on the program's own health URL."""
        try:
            self.rpc().supervisor.startProcess(name, False)
        except xmlrpc.client.Fault as fault:
            if "ALREADY_STARTED" not in fault.faultString:
                raise

    def restart(self, name: str) -> None:
        """Stops the program's whole group (SIGTERM, then SIGKILL) and starts it again."""
        try:
            self.rpc().supervisor.stopProcess(name, True)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" not in fault.faultString:
                raise
        self.start_program(name)

    def shutdown(self, timeout: float = 90) -> None:
        """Every program stopped in reverse priority order, then supervisord itself; whatever is
        still alive in its session after that (or after `timeout`) is SIGKILLed."""
        proc = self.process
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        kill_all(session_members(proc.pid))
        self.process = None
        self.socket.unlink(missing_ok=True)
        if self.socket.parent.name.startswith("shop-sv-"):  # the short folder made for a long path
            self.socket.parent.rmdir()


def backoff(starts: list[float], now: float) -> tuple[int, float]:
    """(consecutive quick restarts, pause before this start) from the start times so far: each
    run shorter than HEALTHY_AFTER_S doubles the pause, a healthy run resets it."""
    quick = 0
    for earlier, later in zip(reversed(starts), reversed([*starts[1:], now]), strict=True):
        if later - earlier >= HEALTHY_AFTER_S:
            break
        quick += 1
    return quick, 0.0 if quick == 0 else min(MAX_BACKOFF_S, 2.0 ** (quick - 1))


def exec_program(spec_file: Path) -> None:
    """What supervisord runs: note the start, clear the previous run's leftovers, pause if the
    program keeps dying, then become the program (exec: same pid, same process group)."""
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    state_file = Path(spec["state"])
    state = json.loads(state_file.read_text(encoding="utf-8")) if state_file.exists() else {"starts": [], "pid": None}
    now, name = time.time(), spec["name"]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    if state["pid"] is None:
        print(f"[supervise] {stamp} starting {name} (pid {os.getpid()})", flush=True)
    else:
        swept = kill_all(group_members(int(state["pid"]), os.getsid(0)))
        quick, pause = backoff(state["starts"], now)
        print(f"[supervise] {stamp} restarting {name}: restart #{len(state['starts'])}, the previous run "
              f"(pid {state['pid']}) ended; {swept} leftover process(es) of it killed; "
              f"{quick} quick restart(s) in a row, pausing {pause:.0f} s", flush=True)
        time.sleep(pause)
    state = {"starts": [*state["starts"][-20:], now], "pid": os.getpid()}
    state_file.write_text(json.dumps(state), encoding="utf-8")
    argv: list[str] = spec["argv"]
    os.execvpe(argv[0], argv, {**os.environ, **spec["env"]})


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "exec":
        sys.exit("usage: python -m tools.supervise exec SPEC.json  (run by supervisord, see tools/stack.py)")
    exec_program(Path(sys.argv[2]))
