"""The bilingual knowledge file: standard answers, reply templates and labels.

Trainers edit `nlu_data/knowledge/answers.yml`; the action server picks changes up on the
next message (the file's modification time is checked), so answers change without retraining.
"""

from __future__ import annotations

import random
import re
import threading
from pathlib import Path
from typing import Any, Callable, Generic, Mapping, Optional, TypeVar, Union

import opencc
import yaml

Texts = Mapping[str, Union[str, list[str]]]

_to_traditional = opencc.OpenCC("s2twp")


def to_traditional(text: str) -> str:
    """Simplified → Traditional with Taiwan wording, the default for zh-Hant readers."""
    return str(_to_traditional.convert(text))


class KnowledgeError(ValueError):
    """The knowledge file is malformed; the message says where."""


def _variants(value: Union[str, list[str]], where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise KnowledgeError(f"{where}: expected a text or a list of texts, got {value!r}")


def localise(entry: Any, where: str) -> dict[str, list[str]]:
    """Every language of one entry, with zh-Hant derived from zh when the file does not give it."""
    if not isinstance(entry, Mapping) or "zh" not in entry or "en" not in entry:
        raise KnowledgeError(f"{where}: needs both `zh` and `en`")
    texts = {"zh-Hans": _variants(entry["zh"], f"{where}.zh"), "en": _variants(entry["en"], f"{where}.en")}
    if "zh-Hant" in entry:
        texts["zh-Hant"] = _variants(entry["zh-Hant"], f"{where}.zh-Hant")
    else:
        texts["zh-Hant"] = [to_traditional(t) for t in texts["zh-Hans"]]
    return texts


class Knowledge:
    """Parsed knowledge file; `text()` renders one entry in one language."""

    def __init__(self, raw: Mapping[str, Any], source: str = "<memory>") -> None:
        if not isinstance(raw, Mapping):
            raise KnowledgeError(f"{source}: top level must be a mapping")
        self.source = source
        self._entries: dict[str, dict[str, list[str]]] = {}
        for section in ("answers", "templates"):
            for key, entry in (raw.get(section) or {}).items():
                self._entries[key] = localise(entry, f"{section}.{key}")
        self._labels: dict[str, dict[str, dict[str, list[str]]]] = {
            group: {key: localise(entry, f"labels.{group}.{key}") for key, entry in items.items()}
            for group, items in (raw.get("labels") or {}).items()
        }
        shop = raw.get("shop") or {}
        self._shop_name = localise(shop.get("name", {"zh": "本店", "en": "our shop"}), "shop.name")
        self._hours = localise(shop.get("hours", {"zh": "", "en": ""}), "shop.hours")
        self.hotline = str(shop.get("hotline", ""))

    @classmethod
    def load(cls, path: Path) -> "Knowledge":
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc
        return cls(raw, str(path))

    def has(self, key: str) -> bool:
        return key in self._entries

    def label(self, group: str, key: str, language: str) -> str:
        entry = self._labels.get(group, {}).get(key)
        return entry[language][0] if entry else key

    def text(self, key: str, language: str, rng: Optional[random.Random] = None, calm: bool = False,
             **fields: Any) -> str:
        """One variant of entry `key` in `language`, placeholders filled.

        `{shop}`, `{hotline}` and `{hours}` are always available. Field values are inserted
        as given; a missing field leaves its placeholder visible rather than failing a reply.
        `calm` is for an upset customer: a variant without exclamation marks or emoji if there
        is one, otherwise the first one with its exclamation marks turned into full stops.
        """
        variants = self._entries[key][language]
        if calm:
            quiet = [v for v in variants if not CHEERFUL.search(v)]
            template = quiet[0] if quiet else CHEERFUL.sub(lambda m: "。" if m.group() == "！" else
                                                            "." if m.group() == "!" else "", variants[0])
        else:
            template = (rng or random).choice(variants)
        values = {
            "shop": self._shop_name[language][0],
            "hotline": self.hotline,
            "hours": self._hours[language][0],
            **fields,
        }
        return template.format_map(_Defaulting(values))


CHEERFUL = re.compile("[!！]|[\U0001F300-\U0001FAFF\u2600-\u27BF]")


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


T = TypeVar("T")


class ReloadingFile(Generic[T]):
    """A trainer-edited file, parsed again when it changes; a broken edit keeps the last good
    version (and says why in `last_error`), so a typo never takes the bot down."""

    def __init__(self, path: Path, parse: Callable[[Path], T]) -> None:
        self.path = path
        self._parse = parse
        self._lock = threading.Lock()
        self._mtime = -1.0
        self._current: Optional[T] = None
        self.last_error: Optional[str] = None

    def get(self) -> T:
        mtime = self.path.stat().st_mtime
        if mtime != self._mtime:
            with self._lock:
                if mtime != self._mtime:
                    try:
                        self._current = self._parse(self.path)
                        self.last_error = None
                    except KnowledgeError as exc:
                        if self._current is None:
                            raise
                        self.last_error = str(exc)
                    self._mtime = mtime
        assert self._current is not None
        return self._current


class KnowledgeFile(ReloadingFile[Knowledge]):
    """The knowledge file (answers.yml), reloaded when trainers edit it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, Knowledge.load)
