"""Risk signals in a customer's message (SPEC section 3), from the trainers' lexicon.

spaCy PhraseMatchers over blank pipelines: Chinese per character on the script-folded text
(so a term matches inside any word and in both scripts), English per word, case-insensitive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from core.settings import DATA_DIR
from shop.lexicon import LexiconError, TermMatcher, read_lexicon

LEXICON = DATA_DIR / "lexicons" / "risk.yml"
KINDS = ("safety_health", "legal_threat", "regulator", "media", "fraud_account", "abuse", "repeat_contact")
__all__ = ["KINDS", "LEXICON", "LexiconError", "RiskMatcher", "risks"]


class RiskMatcher(TermMatcher):
    @classmethod
    def load(cls, path: Path = LEXICON) -> "RiskMatcher":
        return cls(read_lexicon(path, KINDS))

    def kinds_in(self, text: str) -> list[str]:
        """The kinds of risk the text signals, in the order of KINDS, each once."""
        found = {kind for kind, _ in self.matches(text)}
        return [kind for kind in KINDS if kind in found]

    def evidence(self, text: str) -> dict[str, list[str]]:
        """Each kind found with the words that signalled it, for reasons an agent can check."""
        found: dict[str, list[str]] = {}
        for kind, term in self.matches(text):
            if term not in found.setdefault(kind, []):
                found[kind].append(term)
        return {kind: found[kind] for kind in KINDS if kind in found}


_default: Optional[RiskMatcher] = None


def risks(text: str) -> list[str]:
    global _default
    if _default is None:
        _default = RiskMatcher.load()
    return _default.kinds_in(text)
