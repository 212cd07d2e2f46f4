"""Starts and stops the assistant's processes: Redis, the action server, Rasa and the handoff
service, each under supervision (tools/supervise.py, docs/processes.md).

`make run` uses it through `tools.launcher`; the integration tests and the benchmark start the
very same processes through it, on ports of their own. A child that dies is restarted by
supervisord (with a growing pause when it keeps dying); `stop()` ends every one of them, their
workers included, and supervisord itself.

Who can reach them (docs/security.md): Rasa listens on RASA_HOST and the action server on
ACTION_HOST, both loopback by default; Rasa answers CORS only for CORS_ORIGINS; no token is on any
command line (Rasa gets its token through tools/rasa_run.py, the others read theirs from the
environment or var/secrets/), and the rendered endpoints and credentials files, which hold
tokens, are 0600.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlparse

from core.secrets import private_file, secret
from core.settings import ROOT, Settings, load
from handoff.training.versions import registry_dir
from tools import endpoints, models
from tools.supervise import Program, Supervisor, group_members

PY = sys.executable
RASA = str(Path(PY).with_name("rasa"))  # the plain CLI (training, the baseline bot); `make run` uses tools.rasa_run
NAMES = ("redis", "actions", "rasa", "handoff")  # start order; stopped in reverse


_GIVEN: set[int] = set()  # ports this process handed out, so two stacks of one test run never share one


def ephemeral_floor() -> int:
    """The lowest port the kernel picks by itself (for outgoing connections and bind to 0)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port nothing is bound to, for a child that will listen on it a little later, chosen below
    the kernel's ephemeral range. Why: a port from bind(0) is one the kernel also gives to outgoing
    connections, and a child that binds it seconds later can find a long-lived client connection
    sitting on it (seen in CI: the handoff service restarted ten times on "Address already in
    use" while a connection held its port). Ports below the range are only ever taken on purpose."""
    floor = ephemeral_floor()
    chooser = random.SystemRandom()
    for _ in range(500):
        port = chooser.randrange(max(1024, floor - 12000), floor)
        if port in _GIVEN:
            continue
        with socket.socket() as s:
            try:
                s.bind(("", port))  # every interface: a listener on 127.0.0.1 alone also blocks it
            except OSError:
                continue
        _GIVEN.add(port)
        return port
    raise RuntimeError(f"no free port below {floor}")


def wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen[bytes]] = None,
              check: Optional[Callable[[], None]] = None) -> None:
    """Until `url` answers below 500. `proc` (a plain child) or `check` (raises when the program
    gave up) end the wait early instead of letting it run into the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with code {proc.returncode}")
        if check is not None:
            check()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def local_host(bind: str) -> str:
    """The address to reach a server bound to `bind` from this machine (a wildcard bind answers
    on loopback too)."""
    return "localhost" if bind in ("", "0.0.0.0", "::", "127.0.0.1", "localhost") else bind


def redis_alive(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass(frozen=True)
class Child:
    """A supervised child as `Stack.procs` shows it: its name and its current pid."""

    name: str
    pid: int


@dataclass
class Stack:
    """One running assistant. Ports default to the product's (5005, 5055, 6379)."""

    model: Path
    rasa_port: int = 5005
    action_port: int = 5055
    handoff_port: int = 8000
    callback_url: Optional[str] = None  # where Rasa's `callback` channel posts bot messages
    extra_credentials: str = ""  # more channels (YAML), e.g. Telegram pointed at a stand-in Bot API
    redis_url: str = "redis://localhost:6379/0"
    var_dir: Path = ROOT / "var"
    env: dict[str, str] = field(default_factory=dict)  # for every child; wins over what the stack sets
    auth_token: str = ""  # Rasa's API token; empty: RASA_TOKEN or var/secrets/rasa_token of this var_dir
    log_dir: Optional[Path] = None
    rasa_workers: int = field(default_factory=lambda: load().rasa_workers)  # SANIC_WORKERS of `rasa run`
    handoff_workers: int = field(default_factory=lambda: load().handoff_workers)  # --workers of the handoff service
    supervisor: Optional[Supervisor] = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # One token per var_dir, kept across restarts (a fresh one per run would strand the
        # handoff service and anyone holding the old one); each test stack has its own var_dir.
        if not self.auth_token:
            self.auth_token = secret(self.settings(), "rasa_token")

    def settings(self) -> Settings:
        """The settings the children run with (the stack's ports and state, then `env`)."""
        return load(self._environment())

    @property
    def rasa_url(self) -> str:
        return f"http://{local_host(self.settings().rasa_host)}:{self.rasa_port}"

    @property
    def handoff_url(self) -> str:
        return f"http://localhost:{self.handoff_port}"

    @property
    def model_url(self) -> str:
        """Where Rasa pulls its model (the current version, var/models): the handoff service serves
        it to loopback callers only (handoff/api/training_jobs.py), so always over loopback."""
        return f"http://127.0.0.1:{self.handoff_port}/models/current.tar.gz"

    @property
    def action_base(self) -> str:
        return f"http://{local_host(self.settings().action_host)}:{self.action_port}"

    @property
    def action_url(self) -> str:
        return f"{self.action_base}/webhook"

    @property
    def logs(self) -> Path:
        return self.log_dir or self.var_dir / "logs"

    def _environment(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        # The children's own ports, so that settings derived from them agree (CORS_ORIGINS
        # defaults to the handoff service's origin, where the widget page comes from).
        env["RASA_PORT"], env["ACTION_PORT"] = str(self.rasa_port), str(self.action_port)
        env["HANDOFF_PORT"] = str(self.handoff_port)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env["REDIS_URL"] = self.redis_url
        env["SHOP_VAR_DIR"] = str(self.var_dir)
        return env

    # --- the children --------------------------------------------------------------------------

    def _redis_address(self) -> tuple[str, int]:
        url = urlparse(self.redis_url)
        return url.hostname or "localhost", url.port or 6379

    def _redis_program(self) -> Optional[Program]:
        """Our own redis-server only when none answers at REDIS_URL (a shop's Redis is left alone)."""
        host, port = self._redis_address()
        if redis_alive(host, port):
            return None
        if host not in ("localhost", "127.0.0.1"):
            raise RuntimeError(f"Redis at {host}:{port} is not reachable")
        server = shutil.which("redis-server")
        if not server:
            raise RuntimeError("redis-server is not installed; run `make setup`")
        data = self.var_dir / "redis"
        data.mkdir(parents=True, exist_ok=True)
        return Program("redis", [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
                                 "--save", "", "--appendonly", "yes"], priority=100, start_secs=1)

    def programs(self, env: dict[str, str]) -> list[Program]:
        """Every child but Redis, with its command line and environment. No token is on a command
        line: /proc/PID/cmdline is readable by every local user, the environment is not."""
        settings = load(env)
        rasa_env = {**env, "SANIC_WORKERS": str(self.rasa_workers), "RASA_TOKEN": self.auth_token,
                    # Sanic answers 413 to a larger body before Rasa reads it (default: 100 MB)
                    "SANIC_REQUEST_MAX_SIZE": str(settings.max_body_bytes), **self.env}
        handoff_env = {**env, "RASA_URL": self.rasa_url, "RASA_TOKEN": self.auth_token,
                       "ACTION_URL": self.action_base}
        return [
            # ACTION_HOST and ACTION_TOKEN (env or var/secrets/) are read by actions/server.py itself
            Program("actions", [PY, "-m", "actions.server", "--port", str(self.action_port)], env, priority=200),
            Program("rasa", [PY, "-m", "tools.rasa_run", "run", "--model", str(self.model),
                             "--endpoints", str(self.write_endpoints()), "--credentials",
                             str(self.write_credentials()), "--interface", settings.rasa_host,
                             "--port", str(self.rasa_port), "--enable-api", "--cors", *settings.cors_origins],
                    rasa_env, priority=300, stop_wait_s=20),
            Program("handoff", [PY, "-m", "handoff.service", "--port", str(self.handoff_port),
                                "--workers", str(self.handoff_workers)], handoff_env, priority=400),
        ]

    def write_endpoints(self) -> Path:
        """0600: with the action server's token in the action URL it is a secret file."""
        path = self.var_dir / f"endpoints-{self.rasa_port}.yml"
        settings = self.settings()
        private_file(path, endpoints.render(self.action_url, self.redis_url, database_url=settings.database_url,
                                            token=secret(settings, "action_token"), model_url=self.model_url))
        return path

    def write_credentials(self) -> Path:
        """The project's channels, plus the callback channel when a receiver is given (tests).
        0600: a Telegram bot token may be among them."""
        path = self.var_dir / f"credentials-{self.rasa_port}.yml"
        text = (ROOT / "credentials.yml").read_text(encoding="utf-8")
        if self.callback_url:
            text += f"\nconnectors.rest.ShopCallbackInput:\n  url: \"{self.callback_url}\"\n"
        if self.extra_credentials:
            text += "\n" + self.extra_credentials.strip() + "\n"
        private_file(path, text)
        return path

    def _running(self) -> Supervisor:
        if self.supervisor is None:
            raise RuntimeError("the stack is not running")
        return self.supervisor

    def _given_up(self, name: str) -> Callable[[], None]:
        def check() -> None:
            info = self._running().info(name)
            if info["statename"] == "FATAL":
                raise RuntimeError(f"{name} keeps exiting (code {info['exitstatus']}); see {self.logs / name}.log")
        return check

    def start_redis(self, timeout: float = 15) -> None:
        """Redis answering at REDIS_URL: ours is restarted by supervisord when it dies, so this
        waits for that (and asks for it, should it have given up)."""
        host, port = self._redis_address()
        if redis_alive(host, port):
            return
        supervisor = self._running()
        if "redis" not in supervisor.programs:
            raise RuntimeError(f"Redis at {host}:{port} is not reachable (and not ours to start)")
        if supervisor.info("redis")["statename"] in ("STOPPED", "EXITED", "FATAL"):
            supervisor.start_program("redis")
        deadline = time.monotonic() + timeout
        while not redis_alive(host, port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.logs / 'redis.log'}")
            time.sleep(0.1)

    def start(self, timeout: float = 180) -> "Stack":
        self.var_dir.mkdir(parents=True, exist_ok=True)
        models.adopt(self.model, registry_dir(self.var_dir))  # a fresh `make train` becomes current
        env = self._environment()
        redis = self._redis_program()
        programs = ([redis] if redis else []) + self.programs(env)
        state_dir = self.var_dir / "run" / f"stack-{self.rasa_port}"
        self.supervisor = Supervisor(programs, state_dir, self.logs, env)
        try:
            self.supervisor.start()
            if redis:
                self.supervisor.start_program("redis")
                self.start_redis()
            subprocess.run([PY, "-m", "shop.orders"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
            for name in ("actions", "handoff", "rasa"):  # handoff first: Rasa's first model pull
                self.supervisor.start_program(name)
            wait_http(f"{self.handoff_url}/health", timeout, check=self._given_up("handoff"))
            wait_http(f"{self.action_base}/health", timeout, check=self._given_up("actions"))
            wait_http(f"{self.rasa_url}/status?token={self.auth_token}", timeout, check=self._given_up("rasa"))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Every child (workers included) and supervisord; nothing of the stack outlives this."""
        if self.supervisor is not None:
            self.supervisor.shutdown()
            self.supervisor = None

    # --- looking at and playing with single children (tests, benchmarks, the launcher) ---------

    def pid(self, name: str) -> Optional[int]:
        """The current pid of `name` (None while it is not running); it changes on each restart."""
        if self.supervisor is None or name not in self.supervisor.programs:
            return None
        return int(self.supervisor.info(name)["pid"]) or None

    @property
    def procs(self) -> dict[str, Child]:
        """The running children by name, each with its current pid (benchmarks read memory by it)."""
        if self.supervisor is None:
            return {}
        return {name: Child(name, int(info["pid"])) for name, info in self.supervisor.all_info().items()
                if info["pid"]}

    def pids(self, name: str) -> list[int]:
        """`name` and its workers: the process group supervisord gave it."""
        pid = self.pid(name)
        if pid is None or self.supervisor is None or self.supervisor.pid is None:
            return []
        return group_members(pid, self.supervisor.pid)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        """Sends `sig` to `name`'s main process only (as a crash would); returns the pid signalled."""
        pid = self.pid(name)
        if pid is None:
            raise RuntimeError(f"{name} is not running")
        os.kill(pid, sig)
        return pid

    def wait_restarted(self, name: str, before: int, timeout: float = 240) -> int:
        """After `before` (a pid of `name`) died: the new pid, once the old run's workers are gone
        too. Until then a SIGKILLed Sanic parent's workers can still answer on the port for a
        moment, which would pass for the restarted program. Then wait on its health URL."""
        supervisor = self._running()
        deadline = time.monotonic() + timeout
        while True:
            pid = self.pid(name)
            if pid is not None and pid != before and not group_members(before, supervisor.pid or 0):
                return pid  # the new run's first act was to kill the old run's leftovers
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} was not started again within {timeout:.0f} s")
            time.sleep(0.2)
