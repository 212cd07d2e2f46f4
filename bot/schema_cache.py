"""Rasa checks every training-data YAML file against its schema on every training; remember the
files that passed.

Why: Rasa 3.6 validates a file by parsing it with ruamel's round-trip loader and walking it
with pykwalify, then parses it a second time to read it. With 16,000 examples that check took
about 54 s of each training here (py-spy, issue 14), and a trainer's retrain after a few labels
repeated it for every unchanged file. The result of the check depends only on the file's text,
the schema and Rasa's version, so a success is recorded under a digest of the three
(`var/cache/yaml_schema/`) and not repeated. A failure is never recorded: a broken file raises
Rasa's own error, with its line, every time.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable

import rasa.shared.utils.validation as validation

from core.settings import ROOT

FOLDER = ROOT / "var" / "cache" / "yaml_schema"
_original: Callable[..., Any] = validation.validate_yaml_schema


def digest(content: str, schema_path: str) -> str:
    parts = (version("rasa"), schema_path, content)
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def validate_yaml_schema(yaml_file_content: str, schema_path: str, *args: Any, **kwargs: Any) -> None:
    """Rasa's check, skipped for a text that passed it before (same schema, same Rasa)."""
    marker = FOLDER / digest(yaml_file_content, schema_path)
    if marker.exists():
        return
    _original(yaml_file_content, schema_path, *args, **kwargs)
    try:
        FOLDER.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:  # a read-only checkout still trains, only without the shortcut
        pass


def apply(folder: Path = FOLDER) -> None:
    global FOLDER
    FOLDER = folder
    validation.validate_yaml_schema = validate_yaml_schema
