"""Where the model versions live, read side: the one definition of the registry's layout.

    var/models/current            the current version's name ("v3"), one line
    var/models/v3/model.tar.gz    the Rasa model of that version (never changed once written)
    var/models/v3/meta.json       {version, created, data_hash, model_digest, scores, parent, promoted_at, ...}

The handoff service serves the current version to Rasa's model server client (handoff/api/
training_jobs.py, `GET /models/current.tar.gz`), so it must read this layout; it must not import
`tools` (the layers of pyproject.toml), so the layout is here and tools/models.py, which writes
the registry (register, rollback), builds on it. A version's folder is written under a
temporary name and renamed into place, and `current` is replaced atomically: a reader sees a
whole version or none, and the ETag it sends (the version) always names the bytes it sends.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Optional

REGISTRY = "models"  # under the settings' var_dir
CURRENT = "current"
ARCHIVE = "model.tar.gz"
META = "meta.json"
VERSION = re.compile(r"^v[1-9][0-9]{0,8}$")


def registry_dir(var_dir: Path) -> Path:
    return var_dir / REGISTRY


def number(version: str) -> int:
    """Versions sort by their number (v10 after v9)."""
    return int(version[1:])


def current_version(root: Path) -> Optional[str]:
    """The current version's name, or None before the first one is registered (or if the file
    was damaged: a name that is not a version is never turned into a path)."""
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name if VERSION.match(name) and (root / name / ARCHIVE).is_file() else None


def archive_of(root: Path, version: str) -> Path:
    if not VERSION.match(version):
        raise ValueError(f"not a model version: {version!r}")
    return root / version / ARCHIVE


def read_meta(root: Path, version: str) -> dict[str, Any]:
    if not VERSION.match(version):
        raise ValueError(f"not a model version: {version!r}")
    try:
        meta = json.loads((root / version / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": version}
    return meta if isinstance(meta, dict) else {"version": version}


def versions(root: Path) -> list[str]:
    """Every complete version (its archive is in place), oldest first."""
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if VERSION.match(p.name) and (p / ARCHIVE).is_file()]
    return sorted(found, key=number)
