"""Renders deploy/nginx/shop.conf.template for given upstreams and runs nginx in front of them.

Two listening addresses: the public one (customers: channel webhooks, socket.io, the widget) and
the agents' one (console and agent API), which belongs on the agents' network or VPN and
defaults to loopback. Everything else, Rasa's HTTP API and REST channel above all, is 404 on both.

nginx runs as a plain, non-daemon child with its own prefix under var/ (config, pid, logs and
temporary files): the packaged /etc/nginx and the system service are neither read nor touched,
and stopping the parent's `Nginx` object stops it. The topology it belongs to is in
docs/topology.md; the integration test is tests/integration/test_nginx.py.

    python -m tools.nginx --rasa 127.0.0.1:5005 --rasa 127.0.0.1:5006 --handoff 127.0.0.1:8000 \
        --port 8080 --agents-port 8081
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from core.settings import ROOT, load

TEMPLATE = ROOT / "deploy" / "nginx" / "shop.conf.template"
TEMP_DIRS = ("body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise FileNotFoundError("nginx is not installed (make setup installs the Debian package)")
    return found


def _servers(addresses: Sequence[str], options: str = "") -> str:
    if not addresses:
        raise ValueError("an upstream needs at least one server")
    for address in addresses:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"{address!r}: expected HOST:PORT")
    # max_fails/fail_timeout: a process that refused a connection is left out for 10 s.
    return "\n".join(f"        server {a} max_fails=1 fail_timeout=10s{options};" for a in addresses)


def render(rasa: Sequence[str], handoff: Sequence[str], listen: str, prefix: Path, *, agents_listen: str,
           workers: int = 1, server_name: str = "_", template: Path = TEMPLATE) -> str:
    """The config text: `rasa` and `handoff` are HOST:PORT lists, `listen` (public) and
    `agents_listen` (console and agent API) what nginx's `listen` takes ("127.0.0.1:8080", "80")."""
    if listen == agents_listen:
        raise ValueError(f"the agents' address {agents_listen} must differ from the public one")
    values = {
        "RASA_SERVERS": _servers(rasa),
        "HANDOFF_SERVERS": _servers(handoff),
        "LISTEN": listen,
        "AGENTS_LISTEN": agents_listen,
        "PREFIX": str(prefix),
        "WORKERS": str(workers),
        "SERVER_NAME": server_name,
    }
    text = template.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise ValueError(f"{template}: unfilled placeholder near {text[text.index('{{'):][:40]!r}")
    return text


class Nginx:
    """One nginx in front of the given upstreams: customers on `host:port`, agents on
    `agents_host:agents_port` (default: loopback, the public port + 1)."""

    def __init__(self, rasa: Sequence[str], handoff: Sequence[str], port: int, *, host: str = "127.0.0.1",
                 agents_port: Optional[int] = None, agents_host: str = "127.0.0.1",
                 prefix: Optional[Path] = None, workers: int = 1) -> None:
        self.host, self.port = host, port
        self.agents_host, self.agents_port = agents_host, agents_port or port + 1
        self.prefix = (prefix or load().var_dir / "nginx").resolve()
        self.config = self.prefix / "shop.conf"
        self.config_text = render(rasa, handoff, f"{host}:{port}", self.prefix, workers=workers,
                                  agents_listen=f"{agents_host}:{self.agents_port}")
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        """The public address: what customers (and Telegram) reach."""
        return f"http://{self.host}:{self.port}"

    @property
    def agents_url(self) -> str:
        """The agents' address: console and agent API."""
        return f"http://{self.agents_host}:{self.agents_port}"

    def _command(self, *extra: str) -> list[str]:
        # -e: the error log before the config is read (the packaged default is /var/log/nginx).
        return [nginx_binary(), "-p", str(self.prefix), "-e", str(self.prefix / "logs" / "error.log"),
                "-c", str(self.config), *extra]

    def prepare(self) -> None:
        for sub in ("logs", *(f"tmp/{name}" for name in TEMP_DIRS)):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        self.config.write_text(self.config_text, encoding="utf-8")
        check = subprocess.run(self._command("-t", "-q"), capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx rejects {self.config}: {check.stderr.strip()}")

    def start(self, timeout: float = 10) -> "Nginx":
        self.prepare()
        log = (self.prefix / "logs" / "nginx.out").open("ab")
        self.proc = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with code {self.proc.returncode}: {self.error_log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"nginx did not listen on {self.host}:{self.port} within {timeout:.0f} s")

    def error_log_tail(self, lines: int = 5) -> str:
        path = self.prefix / "logs" / "error.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self, timeout: float = 10) -> None:
        """SIGQUIT: finish the requests in flight, then exit; SIGKILL to the group if it hangs."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        # Workers belong to nginx's own session (start_new_session): none may outlive the master.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def __enter__(self) -> "Nginx":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Optional[list[str]] = None) -> int:
    settings = load()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rasa", action="append", help=f"a Rasa process HOST:PORT (repeat; default "
                                                          f"127.0.0.1:{settings.rasa_port})")
    parser.add_argument("--handoff", action="append",
                        help=f"the handoff service HOST:PORT (default 127.0.0.1:{settings.handoff_port})")
    parser.add_argument("--host", default="127.0.0.1", help="the public address (customers)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--agents-host", default="127.0.0.1",
                        help="the agents' console and API: an address on the agents' network / VPN, never public")
    parser.add_argument("--agents-port", type=int, default=8081)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--render", action="store_true", help="print the config and exit")
    args = parser.parse_args(argv)
    rasa = args.rasa or [f"127.0.0.1:{settings.rasa_port}"]
    handoff = args.handoff or [f"127.0.0.1:{settings.handoff_port}"]
    front = Nginx(rasa, handoff, args.port, host=args.host, agents_port=args.agents_port,
                  agents_host=args.agents_host, workers=args.workers)
    if args.render:
        print(front.config_text)
        return 0
    front.start()
    print(f"nginx: customers on {front.url} (/webhooks/…, /socket.io/, /widget/) → rasa {', '.join(rasa)}; "
          f"agents on {front.agents_url} (/console/, agent API) → handoff {', '.join(handoff)} (Ctrl-C stops it)")
    try:
        while front.proc is not None and front.proc.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        front.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
