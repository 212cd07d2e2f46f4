"""Risk signals in a customer's message (SPEC section 3), from the trainers' lexicon.

spaCy PhraseMatchers over blank pipelines: Chinese per character on the script-folded text
(so a term matches inside any word and in both scripts), English per word, case-insensitive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import spacy
import yaml
from spacy.matcher import PhraseMatcher

from bot.language import fold
from bot.settings import ROOT

LEXICON = ROOT / "nlu_data" / "lexicons" / "risk.yml"
KINDS = ("safety_health", "legal", "regulator", "media", "fraud_account", "abuse", "repeat_contact")


class LexiconError(ValueError):
    """The lexicon file is malformed; the message says where."""


class RiskMatcher:
    def __init__(self, lexicon: dict[str, Any]) -> None:
        self._zh = spacy.blank("zh")  # default segmenter: one token per character
        self._en = spacy.blank("en")
        self._zh_matcher = PhraseMatcher(self._zh.vocab, attr="ORTH")
        self._en_matcher = PhraseMatcher(self._en.vocab, attr="LOWER")
        for kind, terms in lexicon.items():
            if kind not in KINDS or not isinstance(terms, dict):
                raise LexiconError(f"risk lexicon: unknown kind {kind!r} (known: {', '.join(KINDS)})")
            zh = [str(t) for t in terms.get("zh") or []]
            en = [str(t) for t in terms.get("en") or []]
            self._zh_matcher.add(kind, [self._zh.make_doc(fold(t)) for t in zh])
            self._en_matcher.add(kind, [self._en.make_doc(t) for t in en])

    @classmethod
    def load(cls, path: Path = LEXICON) -> "RiskMatcher":
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise LexiconError(f"{path}: top level must map kinds to terms")
        return cls(raw)

    def kinds(self, text: str) -> list[str]:
        """The kinds of risk the text signals, in the lexicon's order of kinds, each once."""
        found: set[str] = set()
        zh_doc = self._zh.make_doc(fold(text))
        found.update(self._zh.vocab.strings[m] for m, _, _ in self._zh_matcher(zh_doc))
        en_doc = self._en.make_doc(text)
        found.update(self._en.vocab.strings[m] for m, _, _ in self._en_matcher(en_doc))
        return [kind for kind in KINDS if kind in found]


_default: Optional[RiskMatcher] = None


def risks(text: str) -> list[str]:
    global _default
    if _default is None:
        _default = RiskMatcher.load()
    return _default.kinds(text)
