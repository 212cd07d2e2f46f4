"""The model versions: list them, register a new one, say which is current, roll back.

    python -m tools.models list        (make models)   every version; * marks the current one
    python -m tools.models current                     the current version's name
    python -m tools.models rollback    (make rollback) current := the version it replaced
    python -m tools.models rollback --to v2            current := v2

The layout (var/models/<version>/model.tar.gz + meta.json, var/models/current) is defined in
handoff/training/versions.py, which the handoff service reads to serve the current model to
Rasa's model server client: switching `current` is all a rollback does, and every Sanic worker
of the running Rasa pulls the other model within `wait_time_between_pulls` (tools/endpoints.py),
without a restart (docs/training.md, "Retrain, gate, versions, rollback").

Versions are kept, never rewritten: a rollback only moves `current`, so going forward again is
`rollback --to` the newer version. A version's `parent` is the version that was current when it
was registered; that is where `rollback` goes back to.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from core.settings import ROOT, load
from handoff.training.versions import (
    ARCHIVE,
    CURRENT,
    META,
    current_version,
    number,
    read_meta,
    registry_dir,
    versions,
)
from tools.train import DATA_FILES, file_digest


class RegistryError(RuntimeError):
    """What a person can act on (no version to go back to, an unknown version)."""


def default_root() -> Path:
    return registry_dir(load().var_dir)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def data_hash(data_dir: Path, root: Path = ROOT, extra: Sequence[Path] = ()) -> str:
    """A digest of the training data a model was made from (config, domain, every file under the
    data folders, by content and relative path), so two versions from the same data say so."""
    digest = hashlib.sha256()
    files: Iterable[Path] = [root / name for name in DATA_FILES]
    found = [p for folder in (data_dir, *extra) for p in sorted(folder.rglob("*")) if p.is_file()]
    for path in [*files, *found]:
        name = path.relative_to(data_dir).as_posix() if path.is_relative_to(data_dir) else path.name
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.exists() else b"missing")
    return digest.hexdigest()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _set_current(root: Path, version: str) -> None:
    """Atomic: the model server reads the old name or the new one, never half of one."""
    tmp = root / (CURRENT + ".tmp")
    tmp.write_text(version + "\n", encoding="utf-8")
    tmp.replace(root / CURRENT)


def register(model: Path, *, root: Optional[Path] = None, data: Optional[str] = None,
             scores: Optional[dict[str, Any]] = None, promote: bool = True, **extra: Any) -> str:
    """Copies `model` in as the next version (with its meta) and, with `promote`, makes it current.
    The folder is built under a temporary name and renamed: a crash leaves no half version."""
    root = root or default_root()
    root.mkdir(parents=True, exist_ok=True)
    existing = versions(root)
    version = f"v{number(existing[-1]) + 1 if existing else 1}"
    building = root / f".{version}.building"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    shutil.copyfile(model, building / ARCHIVE)
    meta = {"version": version, "created": now(), "data_hash": data, "model_digest": file_digest(building / ARCHIVE),
            "scores": scores, "parent": current_version(root), "promoted_at": now() if promote else None, **extra}
    _write_json(building / META, meta)
    os.rename(building, root / version)
    if promote:
        _set_current(root, version)
    return version


def update_meta(version: str, root: Optional[Path] = None, **fields: Any) -> None:
    """Adds facts learnt later (the scores of a version registered before it was evaluated)."""
    root = root or default_root()
    _write_json(root / version / META, {**read_meta(root, version), **fields})


def adopt(model: Path, root: Optional[Path] = None) -> str:
    """The version `make run` serves: the trained models/shop.tar.gz is registered (and made
    current) the first time it is seen, so a fresh `make train` is what the next start serves.
    A model that is a version already changes nothing: after a rollback, a restart keeps the
    version rolled back to."""
    root = root or default_root()
    digest = file_digest(model)
    if any(read_meta(root, v).get("model_digest") == digest for v in versions(root)):
        current = current_version(root)
        if current is not None:
            return current
    return register(model, root=root, data=data_hash(ROOT / "nlu_data"), source=str(model))


def rollback(root: Optional[Path] = None, to: Optional[str] = None) -> tuple[str, str]:
    """current := `to`, or the parent of the current version. Returns (from, to)."""
    root = root or default_root()
    current = current_version(root)
    if current is None:
        raise RegistryError(f"no current model version in {root}")
    target = to or read_meta(root, current).get("parent")
    if not target:
        raise RegistryError(f"{current} is the first version; there is none to go back to")
    if target not in versions(root):
        raise RegistryError(f"no model version {target} in {root}")
    _set_current(root, str(target))
    update_meta(str(target), root, promoted_at=now())
    return current, str(target)


def _score_line(scores: Optional[dict[str, Any]]) -> str:
    """`en 0.953/0.861/1.000 …`: intent accuracy / emotion macro-F1 / severe recall per language."""
    if not scores:
        return "not evaluated"

    def num(value: Any) -> str:
        return f"{value:.3f}" if isinstance(value, int | float) else "-"

    return "  ".join(f"{language} {num(s.get('intent_accuracy'))}/{num(s.get('emotion_macro_f1'))}/"
                     f"{num(s.get('severe_recall'))}"
                     for language, s in sorted(scores.get("languages", {}).items()))


def listing(root: Optional[Path] = None) -> list[str]:
    root = root or default_root()
    current = current_version(root)
    lines = []
    for version in versions(root):
        meta = read_meta(root, version)
        mark = "*" if version == current else " "
        data = str(meta.get("data_hash") or "-")[:12]
        lines.append(f"{mark} {version:6} {meta.get('created', '-')!s:25} data {data:12}  "
                     f"{_score_line(meta.get('scores'))}")
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.models", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, help="the registry (default: var/models of SHOP_VAR_DIR)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="every version, * marks the current one")
    commands.add_parser("current", help="the current version's name")
    back = commands.add_parser("rollback", help="current := the version the current one replaced")
    back.add_argument("--to", help="a version to switch to instead (e.g. v2)")
    args = parser.parse_args(argv)
    root = args.root or default_root()
    if args.command == "list":
        lines = listing(root)
        print("\n".join(lines) if lines else f"no model versions in {root} yet (the first start registers one)")
        print("scores per language: intent accuracy / emotion macro-F1 / severe recall")
        return 0
    if args.command == "current":
        version = current_version(root)
        print(version or "none")
        return 0 if version else 1
    try:
        was, now_current = rollback(root, args.to)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"current model: {was} -> {now_current} (Rasa pulls it within its wait_time_between_pulls)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
