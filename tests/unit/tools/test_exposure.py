"""What the stack hands each child, before anything runs: no token on a command line, internal
bind addresses, CORS limited to the configured origins, token files only the owner can read
(tests/integration/test_security_exposure.py checks the same on the running processes)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from core.settings import load
from tools.rasa_run import rasa_argv
from tools.stack import Stack


def make(tmp_path: Path, **env: str) -> Stack:
    return Stack(model=tmp_path / "model.tar.gz", rasa_port=15005, action_port=15055, handoff_port=18000,
                 var_dir=tmp_path / "var", env=env)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_no_token_on_any_command_line_and_rasa_binds_loopback(tmp_path: Path) -> None:
    stack = make(tmp_path)
    programs = {p.name: p for p in stack.programs(stack._environment())}
    for program in programs.values():
        assert not any(stack.auth_token in arg for arg in program.argv), program.name
        assert not any(arg.startswith("--auth-token") for arg in program.argv), program.name
    rasa = programs["rasa"].argv
    assert rasa[1:4] == ["-m", "tools.rasa_run", "run"]
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    cors = rasa[rasa.index("--cors") + 1:]
    assert cors == ["http://localhost:18000", "http://127.0.0.1:18000"] and "*" not in cors
    assert programs["rasa"].env["RASA_TOKEN"] == stack.auth_token  # the environment is the owner's only
    assert programs["rasa"].env["SANIC_REQUEST_MAX_SIZE"] == "1000000"


def test_hosts_and_origins_follow_the_settings(tmp_path: Path) -> None:
    stack = make(tmp_path, RASA_HOST="0.0.0.0", CORS_ORIGINS="https://shop.example")
    rasa = next(p for p in stack.programs(stack._environment()) if p.name == "rasa").argv
    assert rasa[rasa.index("--interface") + 1] == "0.0.0.0"
    assert rasa[rasa.index("--cors") + 1:] == ["https://shop.example"]


def test_the_token_is_one_per_var_dir_and_kept_0600(tmp_path: Path) -> None:
    first, again = make(tmp_path), make(tmp_path)
    assert first.auth_token == again.auth_token and len(first.auth_token) >= 32
    assert make(tmp_path / "other").auth_token != first.auth_token
    assert mode(tmp_path / "var" / "secrets" / "rasa_token") == 0o600
    assert mode(tmp_path / "var" / "secrets") == 0o700
    assert make(tmp_path, RASA_TOKEN="from-the-environment").auth_token == "from-the-environment"


def test_endpoints_and_credentials_files_are_0600(tmp_path: Path) -> None:
    stack = make(tmp_path)
    stack.callback_url = "http://127.0.0.1:9/bot"
    assert mode(stack.write_endpoints()) == 0o600
    assert mode(stack.write_credentials()) == 0o600


def test_rasa_run_adds_the_token_itself_and_refuses_one_on_the_command_line() -> None:
    settings = load({"HANDOFF_PORT": "8000"})
    given = ["run", "--port", "5005", "--interface", "10.0.0.5", "--cors", "https://shop.example"]
    assert rasa_argv(given, "t0k", settings) == ["rasa", *given, "--auth-token=t0k"]
    for leaked in (["run", "--auth-token", "x"], ["run", "--auth-token=x"], ["run", "-t", "x"]):
        with pytest.raises(SystemExit, match="RASA_TOKEN"):
            rasa_argv(leaked, "t0k", settings)


def test_a_token_beginning_with_a_dash_reaches_rasa_as_the_token() -> None:
    """token_urlsafe makes one such token in 64: as a separate argument argparse took it for an
    option, and Rasa refused to start (found by a CI rehearsal)."""
    import argparse

    from rasa.cli.arguments.run import add_server_arguments

    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    argv = rasa_argv(["run", "--port", "5005"], "-vbJOVx_token", load({"HANDOFF_PORT": "8000"}))
    assert parser.parse_args(argv[2:]).auth_token == "-vbJOVx_token"


def test_rasa_run_binds_loopback_and_the_configured_origins_when_not_told() -> None:
    """Rasa's own defaults are 0.0.0.0 and no CORS; a bare `rasa_run run` (systemd) gets ours."""
    argv = rasa_argv(["run", "--port", "5005"], "t0k", load({"HANDOFF_PORT": "8000"}))
    assert argv == ["rasa", "run", "--port", "5005", "--interface", "127.0.0.1", "--cors",
                    "http://localhost:8000", "http://127.0.0.1:8000", "--auth-token=t0k"]
