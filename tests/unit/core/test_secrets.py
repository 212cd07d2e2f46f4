"""Secrets are made once, shared by every process, and readable by their owner only."""

import stat
from pathlib import Path

import pytest

from core.secrets import private_file, secret
from core.settings import load


def test_a_secret_is_made_once_with_owner_only_permissions(tmp_path: Path) -> None:
    settings = load({"SHOP_VAR_DIR": str(tmp_path)})
    first = secret(settings, "rasa_token")
    assert secret(settings, "rasa_token") == first and len(first) >= 32
    path = tmp_path / "secrets" / "rasa_token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert secret(settings, "session_secret") != first


def test_the_environment_wins_and_writes_nothing(tmp_path: Path) -> None:
    settings = load({"SHOP_VAR_DIR": str(tmp_path), "ACTION_TOKEN": "given"})
    assert secret(settings, "action_token") == "given"
    assert not (tmp_path / "secrets").exists()


def test_a_too_open_file_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "session_secret"
    path.parent.mkdir(mode=0o755)
    path.write_text("old-value")
    path.chmod(0o644)
    assert secret(load({"SHOP_VAR_DIR": str(tmp_path)}), "session_secret") == "old-value"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_private_files_never_exist_with_wider_permissions(tmp_path: Path) -> None:
    target = tmp_path / "token"
    private_file(target, "abc")
    assert target.read_text() == "abc" and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_unknown_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        secret(load({"SHOP_VAR_DIR": str(tmp_path)}), "nope")
