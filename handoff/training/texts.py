"""One customer text's identity in the trainers' inbox, and the texts the training data has.

Two messages are "the same" when they differ only in width, case, spaces and punctuation
("快递 到了吗？" and "快递到了吗", "Where is my parcel?" and "where is my parcel"): `normalize`
folds them (Unicode NFKC, casefold, spaces and punctuation out) and `text_key` is the SHA-256 of
the result, the key the inbox, the labels and table training_reviews share.

`TrainingTexts` reads every example of the NLU training data (nlu_data/**/*.yml, Rasa 3.1 YAML,
block strings and `- text:` lists alike, entity markup removed) so the inbox can fold out what
the bot has already been taught. The files are read again only when one of them changed.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import yaml

try:  # libyaml's loader: the training data is a few megabytes of YAML
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

# Rasa's entity markup: [text](entity), [text]{"entity": ...}, [text]{...}[...]: keep the text.
_ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})+")


def normalize(text: str) -> str:
    """Width, case, spaces and punctuation folded away; symbols and emoji stay (they can carry a
    feeling). A text of nothing but punctuation ("???") keeps its punctuation, so it is not
    mistaken for an empty one."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(ch for ch in folded if not _ignorable(ch))
    return kept or "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch)[0] != "C")


def _ignorable(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in ("P", "Z", "C")


def text_key(text: str) -> str:
    """The inbox's key of a text: 64 hex characters, equal for texts equal after `normalize`."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def plain(example: str) -> str:
    """An example's text without Rasa's entity markup."""
    return _ENTITY.sub(r"\1", example).strip()


def examples_of(document: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(intent, text, metadata) of every intent example of one parsed Rasa NLU file; synonyms,
    regexes and lookups are not messages and are skipped, as is anything malformed."""
    entries = document.get("nlu") if isinstance(document, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("intent"), str):
            continue
        intent, examples = entry["intent"], entry.get("examples")
        if isinstance(examples, str):
            for line in examples.splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield intent, plain(line[2:]), {}
        elif isinstance(examples, list):
            for example in examples:
                if isinstance(example, dict) and isinstance(example.get("text"), str):
                    metadata = example.get("metadata")
                    yield intent, plain(example["text"]), metadata if isinstance(metadata, dict) else {}
                elif isinstance(example, str):
                    yield intent, plain(example), {}


def read_yaml(path: Path) -> Any:
    """A YAML file's data; None for one that cannot be read or parsed (it is not ours to fix here:
    `make validate` names it)."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


@dataclass(frozen=True)
class Known:
    """The training data at one moment: every example's text, and the keys of them all."""

    texts: tuple[str, ...]
    keys: frozenset[str]


class TrainingTexts:
    """The examples of every *.yml under the folders, re-read when a file is added, removed or changed."""

    def __init__(self, *folders: Path) -> None:
        self.folders = folders
        self._lock = threading.Lock()
        self._signature: Optional[tuple[tuple[str, int, int], ...]] = None
        self._known = Known((), frozenset())

    def _files(self) -> list[Path]:
        return sorted({p for folder in self.folders if folder.is_dir() for p in folder.rglob("*.yml") if p.is_file()})

    def _signature_of(self, files: list[Path]) -> tuple[tuple[str, int, int], ...]:
        stamps = []
        for path in files:
            try:
                stat = path.stat()
            except OSError:  # removed since the listing: the next call sees it gone
                continue
            stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(stamps)

    def known(self) -> Known:
        files = self._files()
        signature = self._signature_of(files)
        with self._lock:
            if signature != self._signature:
                texts = [text for path in files for _, text, _ in examples_of(read_yaml(path)) if text]
                self._known = Known(tuple(texts), frozenset(text_key(t) for t in texts))
                self._signature = signature
            return self._known
