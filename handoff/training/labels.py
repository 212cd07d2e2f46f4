"""A trainer's label, checked against what the bot can learn, and written as Rasa training data.

The values a label may take are the bot's own: an intent of domain.yml; an emotion of
core.vocabulary.EMOTIONS (what bot/components/emotion.py trains on); a severity of
core.vocabulary.COMPLAINT_SEVERITIES, for complaint intents only (bot/components/severity.py
learns severity from complain_* examples and refuses other values). "none" or no severity is
no severity label; a severity given with a non-complaint intent is not written, since nothing
would learn from it.

Labels go to `<review dir>/<UTC date>.yml` (nlu_data/review/ by default), Rasa 3.1 YAML that
`make train` reads with the rest of nlu_data/, and that people review in git like any other
change: sorted by intent then text, one example per entry, each with where it came from in its
metadata (source: review, reviewer, reviewed_at, model_id, reason). The file is rewritten whole
under a lock (the service's workers are processes) and replaced atomically, so a reader or a
training never sees half a file; comments added by hand are not kept. Never a held-out file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional, Sequence

import yaml

from core.vocabulary import COMPLAINT_SEVERITIES, EMOTIONS
from handoff.training.texts import examples_of, read_yaml, text_key

COMPLAINT_PREFIX = "complain_"
HEADER = """version: "3.1"
# Labelled in the trainers' inbox (docs/training.md) and written by the handoff service: sorted
# by intent, then text; each example says who labelled it, when, on which model, and why it was
# up for review. Review and commit it like any other change of the training data.
nlu:
"""
METADATA_ORDER = ("emotion", "severity", "source", "reviewer", "reviewed_at", "model_id", "reason")
_WORD = re.compile(r"^[a-z][a-z0-9_]*$")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
_MARKUP = re.compile(r"\[[^\]]*\](?:\(|\{)")  # what Rasa would read as an entity annotation


class LabelError(ValueError):
    """A label the bot could not learn from: an unknown intent, emotion or severity."""


class ReviewFileError(OSError):
    """The day's review file exists but is not readable YAML (edited by hand?): it is not
    overwritten, so nobody's labels are lost; fix it and label again."""


@dataclass(frozen=True)
class Label:
    intent: str
    emotion: Optional[str] = None
    severity: Optional[str] = None  # only with a complaint intent


def is_complaint(intent: str) -> bool:
    return intent.startswith(COMPLAINT_PREFIX)


class Domain:
    """The intents of domain.yml, read again when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: Optional[int] = None
        self._intents: tuple[str, ...] = ()

    def intents(self) -> tuple[str, ...]:
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError:
            return ()
        with self._lock:
            if stamp != self._stamp:
                data = read_yaml(self.path)
                listed = data.get("intents") if isinstance(data, dict) else None
                names = [next(iter(i)) if isinstance(i, dict) and i else i for i in listed or []]
                self._intents = tuple(str(n) for n in names if isinstance(n, str) and n)
                self._stamp = stamp
            return self._intents


def check_label(intent: Any, emotion: Any, severity: Any, intents: Sequence[str]) -> Label:
    """The label if the bot can learn it; LabelError naming the allowed values otherwise."""
    if not isinstance(intent, str) or intent not in intents:
        raise LabelError(f"unknown intent {str(intent)[:64]!r}; one of {', '.join(intents)}")
    if emotion is not None and (not isinstance(emotion, str) or emotion not in EMOTIONS):
        raise LabelError(f"unknown emotion {str(emotion)[:64]!r}; one of {', '.join(EMOTIONS)} (or null)")
    if severity is not None and severity != "none" and \
            (not isinstance(severity, str) or severity not in COMPLAINT_SEVERITIES):
        raise LabelError(f"unknown severity {str(severity)[:64]!r}; one of {', '.join(COMPLAINT_SEVERITIES)} "
                         "(or none/null)")
    kept = severity if isinstance(severity, str) and severity != "none" and is_complaint(intent) else None
    return Label(intent, emotion, kept)


@dataclass(frozen=True)
class Example:
    """One labelled text as it goes to the review file."""

    intent: str
    text: str
    metadata: Mapping[str, Any]


def example(label: Label, text: str, *, reviewer: str, at: datetime, model_id: Optional[str],
            reasons: Sequence[str]) -> Example:
    metadata: dict[str, Any] = {}
    if label.emotion:
        metadata["emotion"] = label.emotion
    if label.severity:
        metadata["severity"] = label.severity
    metadata.update(source="review", reviewer=reviewer, reviewed_at=at.isoformat(timespec="seconds"))
    if model_id:
        metadata["model_id"] = model_id
    metadata["reason"] = list(reasons)
    return Example(label.intent, safe_text(text), metadata)


def safe_text(text: str) -> str:
    """The text on one line, without what Rasa would take for entity markup ("[x](y)"): its
    brackets become full-width ones, which normalize back to the same key."""
    one_line = " ".join(text.split())
    return one_line.replace("[", "［").replace("]", "］") if _MARKUP.search(one_line) else one_line


def _quoted(value: str) -> str:
    return yaml.dump(value, Dumper=yaml.SafeDumper, default_style='"', allow_unicode=True, width=1 << 30).strip()


def scalar(value: Any) -> str:
    """A YAML flow value: vocabulary words bare, every other string double-quoted (escapes for
    anything unprintable), lists and mappings in flow style."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)}: {scalar(v)}" for k, v in value.items()) + "}"
    text = str(value)
    return text if _WORD.match(text) and text not in _YAML_WORDS else _quoted(text)


def _key(name: Any) -> str:
    text = str(name)
    return text if _WORD.match(text) and text not in _YAML_WORDS else _quoted(text)


def _ordered(metadata: Mapping[str, Any]) -> dict[str, Any]:
    known = [k for k in METADATA_ORDER if k in metadata]
    return {k: metadata[k] for k in [*known, *sorted(k for k in metadata if k not in METADATA_ORDER)]}


def render(examples: Sequence[Example]) -> str:
    """The review file: intents in order, each one's examples in order of their text."""
    lines = [HEADER.rstrip("\n")]
    by_intent: dict[str, list[Example]] = {}
    for item in examples:
        by_intent.setdefault(item.intent, []).append(item)
    for intent in sorted(by_intent):
        lines += [f"- intent: {scalar(intent)}", "  examples:"]
        for item in sorted(by_intent[intent], key=lambda e: (e.text, text_key(e.text))):
            lines.append(f"  - text: {_quoted(item.text)}")
            if item.metadata:
                lines.append(f"    metadata: {scalar(_ordered(item.metadata))}")
    return "\n".join(lines) + "\n"


class ReviewFiles:
    """The review folder: one file a day, merged into under a lock shared by processes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, at: datetime) -> Path:
        return self.folder / f"{at.date().isoformat()}.yml"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # outside the folder, so that the training data holds nothing but training data
        digest = hashlib.sha256(str(self.folder.resolve()).encode()).hexdigest()[:16]
        with open(Path(tempfile.gettempdir()) / f"shop-review-{digest}.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def add(self, path: Path, examples: Sequence[Example]) -> int:
        """Adds the examples to the file (one with the same key is replaced); returns how many
        examples the file holds."""
        with self._locked():
            merged = {text_key(e.text): e for e in self.read(path)}
            merged.update((text_key(e.text), e) for e in examples)
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self.folder, prefix=f".{path.stem}.",
                                                 suffix=".tmp", delete=False)
            try:
                with handle:
                    handle.write(render(list(merged.values())))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(handle.name, 0o644)  # a data file like the others, not a private temporary one
                os.replace(handle.name, path)
            except BaseException:
                Path(handle.name).unlink(missing_ok=True)
                raise
            return len(merged)

    @staticmethod
    def read(path: Path) -> list[Example]:
        if not path.is_file():
            return []
        document = read_yaml(path)
        if not isinstance(document, dict):
            raise ReviewFileError(f"{path.name} is not a readable Rasa NLU file; it was left as it is")
        return [Example(intent, text, metadata) for intent, text, metadata in examples_of(document) if text]
