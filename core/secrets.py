"""The project's own secrets: made once, kept in files only their owner can read.

Rasa's API token, the action server's token and the key that signs widget sessions must be the
same in every process (all Sanic workers, the handoff service, the launcher), survive a restart
(a widget keeps its session across one) and never show on a command line, where any local user
reads them in /proc. An environment variable wins (a deployment's secret manager sets it);
otherwise the secret is generated on first use into `var/secrets/NAME`, created 0600 inside a
0700 folder, atomically, so two processes starting together agree on one value.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Optional

from core.settings import Settings

DIR_MODE = 0o700
FILE_MODE = 0o600
NAMES = ("rasa_token", "action_token", "session_secret")


def secrets_dir(settings: Settings) -> Path:
    return settings.var_dir / "secrets"


def private_file(path: Path, text: str) -> None:
    """Writes `text` to `path` so that only the owner can ever read it (no moment with wider
    permissions: the file is created with its final mode, then renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read_or_create(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, DIR_MODE)
        try:  # O_EXCL: of two processes starting at once, one writes and both read its value
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            pass
        else:
            try:
                os.write(fd, secrets.token_urlsafe(32).encode("ascii"))
            finally:
                os.close(fd)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, FILE_MODE)  # an older, too open file is narrowed, not trusted as it was
    value = path.read_text(encoding="ascii").strip()
    if not value:
        raise RuntimeError(f"{path} is empty; delete it to have a new secret made")
    return value


def secret(settings: Settings, name: str) -> str:
    """The secret `name` (one of NAMES): from the environment (settings) or from var/secrets/."""
    if name not in NAMES:
        raise KeyError(name)
    given: Optional[str] = getattr(settings, name)
    return given if given else _read_or_create(secrets_dir(settings) / name)
