"""Only the right callers reach each server, on the real processes (docs/security.md).

Played as an outsider on the same network (the machine's own non-loopback address stands in for
"another machine") and as another user on the same machine (who reads every process's command
line in /proc and any file that is not 0600): Rasa and the action server do not accept
connections from outside, no token shows on a command line, token files are the owner's only,
and Rasa's CORS answers the configured origins only. RASA_HOST=0.0.0.0 really opens Rasa to the
network (how a shop's own servers reach the REST channel, with REST_TOKEN).
"""

from __future__ import annotations

import socket
import stat
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator, Optional

import pytest

from tests.integration.conftest import Inbox, start_stack
from tools.stack import Stack


def outside_address() -> Optional[str]:
    """This machine's first non-loopback address, as another machine would dial it."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = [a for a in out.split() if not a.startswith("127.") and ":" not in a]
    return found[0] if found else None


@pytest.fixture(scope="module")
def address() -> str:
    found = outside_address()
    if found is None:
        pytest.skip("this machine has no non-loopback IPv4 address (`hostname -I` is empty)")
    return found


def accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def preflight(url: str, origin: str) -> Optional[str]:
    """Access-Control-Allow-Origin of a browser's CORS preflight from `origin`."""
    req = urllib.request.Request(url, method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.headers.get("Access-Control-Allow-Origin")
    except urllib.error.HTTPError as exc:
        return exc.headers.get("Access-Control-Allow-Origin")


def test_rasa_and_the_action_server_refuse_connections_from_the_network(stack: Stack, address: str) -> None:
    assert accepts("127.0.0.1", stack.rasa_port) and accepts("127.0.0.1", stack.action_port)
    assert not accepts(address, stack.rasa_port), f"Rasa answers on {address}"
    assert not accepts(address, stack.action_port), f"the action server answers on {address}"


def test_no_secret_is_on_any_command_line(stack: Stack) -> None:
    """Another local user runs `ps aux`: no token of ours is there, for any process or worker."""
    secrets_dir = stack.var_dir / "secrets"
    values = [p.read_text().strip() for p in secrets_dir.iterdir() if not p.name.startswith(".")]
    assert stack.auth_token in values
    checked = 0
    for name in ("rasa", "handoff", "actions"):
        for pid in stack.pids(name):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except FileNotFoundError:
                continue  # a worker that just ended
            checked += 1
            assert "auth-token" not in cmdline, (name, cmdline)
            for value in values:
                assert value not in cmdline, f"a token is on {name}'s command line (pid {pid})"
    assert checked >= 4  # Rasa and the handoff service with their workers, the action server


def test_token_files_are_the_owners_only(stack: Stack) -> None:
    secrets_dir = stack.var_dir / "secrets"
    assert mode(secrets_dir) == 0o700
    files = [p for p in secrets_dir.iterdir()]
    assert {p.name for p in files} >= {"rasa_token"}
    for path in files:
        assert mode(path) == 0o600, path
    for rendered in (stack.var_dir / f"endpoints-{stack.rasa_port}.yml",
                     stack.var_dir / f"credentials-{stack.rasa_port}.yml"):
        assert mode(rendered) == 0o600, rendered
    # supervisord's program specs hold each program's environment (RASA_TOKEN included), its
    # config the RPC password; the *.state.json beside them hold restart counts only.
    run = stack.var_dir / "run" / f"stack-{stack.rasa_port}"
    specs = [p for p in run.glob("*.json") if not p.name.endswith(".state.json")]
    assert {p.stem for p in specs} >= {"rasa", "handoff", "actions"}
    for spec in [*specs, run / "supervisord.conf"]:
        assert mode(spec) == 0o600, spec
    assert not (stack.var_dir / "rasa_token").exists()


def test_rasa_cors_answers_configured_origins_only(stack: Stack) -> None:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    widget_origin = f"http://localhost:{stack.handoff_port}"  # where the widget page comes from
    assert preflight(url, widget_origin) == widget_origin
    assert preflight(url, "http://evil.example") is None
    assert preflight(f"{stack.rasa_url}/conversations/x/tracker", "http://evil.example") is None


@pytest.fixture(scope="module")
def open_rasa(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox, address: str) -> Iterator[Stack]:
    """A stack whose Rasa a shop opened on purpose (RASA_HOST=0.0.0.0); one worker is enough."""
    s = start_stack(tmp_path_factory.mktemp("open-var"), inbox, RASA_HOST="0.0.0.0", SANIC_WORKERS="1")
    yield s
    s.stop()


def test_rasa_host_opens_rasa_to_the_network_and_nothing_else(open_rasa: Stack, address: str) -> None:
    with urllib.request.urlopen(f"http://{address}:{open_rasa.rasa_port}/", timeout=30) as response:
        assert response.status == 200 and b"Hello from Rasa" in response.read()
    assert not accepts(address, open_rasa.action_port)  # ACTION_HOST still keeps it internal
