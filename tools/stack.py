"""Starts and stops the assistant's processes: Redis, the action server, Rasa and the handoff
service.

`make run` uses it through `tools.launcher`; the integration tests and the benchmark start the
very same processes through it, on ports of their own.
"""

from __future__ import annotations

import os
import secrets
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
from typing import Optional
from urllib.parse import urlparse

from core.settings import ROOT
from tools import endpoints

PY = sys.executable
RASA = str(Path(PY).with_name("rasa"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen[bytes]] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def redis_alive(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


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
    env: dict[str, str] = field(default_factory=dict)
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    log_dir: Optional[Path] = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://localhost:{self.rasa_port}"

    @property
    def handoff_url(self) -> str:
        return f"http://localhost:{self.handoff_port}"

    @property
    def action_url(self) -> str:
        return f"http://localhost:{self.action_port}/webhook"

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log_dir = self.log_dir or self.var_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        with open(log_dir / f"{name}.log", "ab") as log:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs[name] = proc
        return proc

    def _environment(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env["REDIS_URL"] = self.redis_url
        env["SHOP_VAR_DIR"] = str(self.var_dir)
        return env

    def start_redis(self) -> None:
        url = urlparse(self.redis_url)
        host, port = url.hostname or "localhost", url.port or 6379
        if redis_alive(host, port):
            return
        if host not in ("localhost", "127.0.0.1"):
            raise RuntimeError(f"Redis at {host}:{port} is not reachable")
        server = shutil.which("redis-server")
        if not server:
            raise RuntimeError("redis-server is not installed; run `make setup`")
        data = self.var_dir / "redis"
        data.mkdir(parents=True, exist_ok=True)
        proc = self._spawn("redis", [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
                                     "--save", "", "--appendonly", "yes"], self._environment())
        deadline = time.monotonic() + 15
        while not redis_alive(host, port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start; see its log in var/logs/redis.log")
            time.sleep(0.1)

    def write_endpoints(self) -> Path:
        path = self.var_dir / f"endpoints-{self.rasa_port}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(endpoints.render(self.action_url, self.redis_url), encoding="utf-8")
        return path

    def write_credentials(self) -> Path:
        """The project's channels, plus the callback channel when a receiver is given (tests)."""
        path = self.var_dir / f"credentials-{self.rasa_port}.yml"
        text = (ROOT / "credentials.yml").read_text(encoding="utf-8")
        if self.callback_url:
            text += f"\ncallback:\n  url: \"{self.callback_url}\"\n"
        if self.extra_credentials:
            text += "\n" + self.extra_credentials.strip() + "\n"
        path.write_text(text, encoding="utf-8")
        return path

    def start(self, timeout: float = 180) -> "Stack":
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.start_redis()
        env = self._environment()
        subprocess.run([PY, "-m", "shop.orders"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        actions = self._spawn("actions", [PY, "-m", "rasa_sdk", "--actions", "actions", "--port",
                                          str(self.action_port)], env)
        rasa = self._spawn("rasa", [RASA, "run", "--model", str(self.model), "--endpoints", str(self.write_endpoints()),
                                    "--credentials", str(self.write_credentials()), "--port", str(self.rasa_port),
                                    "--enable-api", f"--auth-token={self.auth_token}", "--cors", "*"], env)
        handoff = self._spawn("handoff", [PY, "-m", "handoff.service", "--port", str(self.handoff_port)],
                              {**env, "RASA_URL": self.rasa_url, "RASA_TOKEN": self.auth_token})
        try:
            wait_http(f"{self.handoff_url}/health", timeout, handoff)
            wait_http(f"http://localhost:{self.action_port}/health", timeout, actions)
            wait_http(f"{self.rasa_url}/status?token={self.auth_token}", timeout, rasa)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()
