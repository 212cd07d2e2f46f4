"""Texts around a handoff from `nlu_data/knowledge/handoff.yml`: the agents' suggested replies
and canned answers per complaint category, the bot's lines to the customer, and labels.

Trainers edit the file without touching code, so it follows answers.yml's conventions (zh, en,
optional zh-Hant converted from zh when missing) and is reloaded when it changes.
Labels not in handoff.yml (severity) come from the shop's knowledge file, so one word is kept
in one place.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from core.settings import load as load_settings
from shop.knowledge import Knowledge, KnowledgeError, ReloadingFile, localise

LANGUAGES = ("zh-Hans", "zh-Hant", "en")
FALLBACK_CATEGORY = "complain_general"
LINE_KEYS = ("handoff_queued", "handoff_wait_unknown", "agent_joined", "case_resolved_ask_rating", "rating_thanks",
             "rating_invalid", "ask_rating_comment", "callback_ask_contact", "callback_recorded", "case_status",
             "case_not_found")


def language_code(language: Optional[str]) -> str:
    """zh-Hans, zh-Hant or en from whatever a channel or a caller says (zh, zh-TW, en-US…)."""
    code = (language or "").strip().lower().replace("_", "-")
    if code.startswith("en"):
        return "en"
    if code in ("zh-hant", "zh-tw", "zh-hk", "zh-mo") or code.startswith("zh-hant"):
        return "zh-Hant"
    return "zh-Hans"


def summary_language(language: Optional[str]) -> str:
    """Agents read summaries in zh (Simplified, whatever the customer's script) or en."""
    return "en" if language_code(language) == "en" else "zh"


class _Defaulting(dict[str, Any]):
    """An unknown placeholder stays visible, so the agent sees what to fill in before sending."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, fields: Mapping[str, Any]) -> str:
    known = {k: v for k, v in fields.items() if v is not None and v != ""}
    return template.format_map(_Defaulting(known))


class HandoffTexts:
    """Parsed handoff.yml; every method takes a language code (zh-Hans, zh-Hant, en or an alias)."""

    def __init__(self, raw: Mapping[str, Any], source: str = "<memory>", knowledge: Optional[Knowledge] = None) -> None:
        if not isinstance(raw, Mapping):
            raise KnowledgeError(f"{source}: top level must be a mapping")
        self.source = source
        self.knowledge = knowledge
        self._replies: dict[str, dict[str, dict[str, list[str]]]] = {}
        for category, entry in (raw.get("replies") or {}).items():
            if not isinstance(entry, Mapping):
                raise KnowledgeError(f"replies.{category}: needs `suggested` and `canned`")
            self._replies[category] = {kind: localise(entry.get(kind), f"replies.{category}.{kind}")
                                       for kind in ("suggested", "canned")}
        self._lines = {key: localise(entry, f"lines.{key}") for key, entry in (raw.get("lines") or {}).items()}
        self._labels = {group: {key: localise(entry, f"labels.{group}.{key}") for key, entry in (items or {}).items()}
                        for group, items in (raw.get("labels") or {}).items()}
        self._summary = {key: localise(entry, f"summary.{key}") for key, entry in (raw.get("summary") or {}).items()}

    @classmethod
    def load(cls, path: Optional[Path] = None, knowledge: Optional[Knowledge] = None) -> "HandoffTexts":
        """The file at `path`; without `knowledge`, the shop's knowledge file for the labels it keeps."""
        path = path or load_settings().handoff_texts_file
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc
        if knowledge is None:
            knowledge_path = load_settings().knowledge_file
            knowledge = Knowledge.load(knowledge_path) if knowledge_path.exists() else None
        return cls(raw, str(path), knowledge)

    @property
    def categories(self) -> list[str]:
        return list(self._replies)

    def _category(self, category: Optional[str]) -> dict[str, dict[str, list[str]]]:
        entry = self._replies.get(category or "") or self._replies.get(FALLBACK_CATEGORY)
        return entry or {"suggested": {}, "canned": {}}

    def _common(self) -> dict[str, Any]:
        return {"hotline": self.knowledge.hotline} if self.knowledge is not None else {}

    def suggested(self, category: Optional[str], language: str, **fields: Any) -> list[str]:
        """The category's suggested replies (complain_general's for an unknown category), filled."""
        values = {**self._common(), **fields}
        return [_fill(t, values) for t in self._category(category)["suggested"].get(language_code(language), [])]

    def canned(self, category: Optional[str], language: str, **fields: Any) -> list[str]:
        values = {**self._common(), **fields}
        return [_fill(t, values) for t in self._category(category)["canned"].get(language_code(language), [])]

    def has_line(self, key: str) -> bool:
        return key in self._lines

    def line(self, key: str, language: str, rng: Optional[random.Random] = None, **fields: Any) -> str:
        """One of the bot's lines; the first variant unless `rng` picks, so tests are stable."""
        variants = self._lines[key][language_code(language)]
        template = rng.choice(variants) if rng is not None else variants[0]
        return _fill(template, {**self._common(), **fields})

    def label(self, group: str, key: str, language: str) -> str:
        """handoff.yml's label, else the knowledge file's, else the key itself (never fails)."""
        code = language_code(language)
        entry = self._labels.get(group, {}).get(key)
        if entry is not None:
            return entry[code][0]
        if self.knowledge is not None:
            return self.knowledge.label(group, key, code)
        return key

    def state_label(self, state: str, language: str) -> str:
        return self.label("state", state, language)

    def summary_part(self, key: str, language: str, **fields: Any) -> str:
        """A summary fragment; zh is Simplified (agents read one script)."""
        code = "en" if summary_language(language) == "en" else "zh-Hans"
        return _fill(self._summary[key][code][0], fields)


class HandoffTextsFile(ReloadingFile[HandoffTexts]):
    """handoff.yml, reloaded when trainers edit it."""

    def __init__(self, path: Optional[Path] = None, knowledge: Optional[Knowledge] = None) -> None:
        super().__init__(path or load_settings().handoff_texts_file, lambda p: HandoffTexts.load(p, knowledge))
        self.knowledge = knowledge
