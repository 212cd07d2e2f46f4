"""Term lexicons that trainers edit as data (risk signals, emotion cues), matched with spaCy.

Chinese terms are matched per character on the script-folded text, so a term matches inside
any jieba word and in both scripts; English terms per word, case-insensitive.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

import spacy
import yaml
from spacy.matcher import PhraseMatcher

from core.language import fold
from shop.recipes import compile_recipe, read_recipes


class LexiconError(ValueError):
    """The lexicon file is malformed; the message says where."""


def read_lexicon(path: Path, kinds: Optional[Iterable[str]] = None) -> dict[str, dict[str, Any]]:
    """Reads `kind: {zh: [...], en: [...], compose: {...}, unless: {zh: [...], en: [...]}}`;
    unknown kinds or malformed entries are refused. `compose:` holds recipes, terms spelled by one
    phrase from each of several lists (`shop.recipes`). A match overlapping an `unless` phrase of
    its kind does not count (第三次 is repeated contact, but not inside 第三次回购)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise LexiconError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise LexiconError(f"{path}: the top level must map kinds to terms")
    known = list(kinds) if kinds is not None else None
    lexicon: dict[str, dict[str, Any]] = {}
    for kind, terms in raw.items():
        if known is not None and kind not in known:
            raise LexiconError(f"{path}: unknown kind {kind!r} (known: {', '.join(known)})")
        if not isinstance(terms, dict) or not set(terms) <= {"zh", "en", "compose", "unless"}:
            raise LexiconError(f"{path}: {kind!r} must have `zh:` and/or `en:` lists of terms (and optionally "
                               "`compose:` recipes and `unless:` with its own `zh:`/`en:` lists)")
        unless = terms.get("unless") or {}
        if not isinstance(unless, dict) or not set(unless) <= {"zh", "en"}:
            raise LexiconError(f"{path}: {kind!r}: `unless:` must have `zh:` and/or `en:` lists")
        entry: dict[str, Any] = {lang: [str(t) for t in terms.get(lang) or []] for lang in ("zh", "en")}
        if "compose" in terms:
            try:
                entry["compose"] = read_recipes(terms["compose"])
            except ValueError as error:
                raise LexiconError(f"{path}: {kind!r}: {error}") from error
        if unless:
            entry["unless"] = {lang: [str(t) for t in unless.get(lang) or []] for lang in ("zh", "en")}
        lexicon[str(kind)] = entry
    return lexicon


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@cache
def _pipeline(language: str) -> Any:
    """One blank spaCy pipeline per language for every matcher in the process (the Chinese one
    with spaCy's default segmenter: one token per character)."""
    return spacy.blank(language)


@lru_cache(maxsize=16)
def _doc(language: str, text: str) -> Any:
    """The tokens of a text, made once for all matchers: the risk and the emotion lexicons read
    the same message, and tokenising it twice per language cost about 0.2 ms a message. Matching
    only reads a doc."""
    return _pipeline(language).make_doc(text)


class TermMatcher:
    def __init__(self, lexicon: dict[str, Any]) -> None:
        self.kinds = list(lexicon)
        self._zh = _pipeline("zh")
        self._en = _pipeline("en")
        self._zh_matcher = PhraseMatcher(self._zh.vocab, attr="ORTH")
        self._en_matcher = PhraseMatcher(self._en.vocab, attr="LOWER")
        self._zh_unless = PhraseMatcher(self._zh.vocab, attr="ORTH")
        self._en_unless = PhraseMatcher(self._en.vocab, attr="LOWER")
        # (kind, expression) of every recipe by language, matched beside the phrase matchers
        self._recipes: dict[str, list[tuple[str, re.Pattern[str]]]] = {"zh": [], "en": []}
        for kind, terms in lexicon.items():
            self._add(kind, terms, self._zh_matcher, self._en_matcher)
            self._add(kind, terms.get("unless") or {}, self._zh_unless, self._en_unless)
            for language, recipes in (terms.get("compose") or {}).items():
                self._recipes[language].extend((kind, compile_recipe(language, recipe)) for recipe in recipes)

    def _add(self, kind: str, terms: dict[str, Any], zh: PhraseMatcher, en: PhraseMatcher) -> None:
        zh_terms = [self._zh.make_doc(fold(t)) for t in terms.get("zh") or [] if fold(t).strip()]
        en_terms = [self._en.make_doc(t) for t in terms.get("en") or [] if t.strip()]
        if zh_terms:
            zh.add(kind, zh_terms)
        if en_terms:
            en.add(kind, en_terms)

    @staticmethod
    def _spans(nlp: Any, matcher: PhraseMatcher, doc: Any) -> list[tuple[str, int, int]]:
        """(kind, start char, end char) of every match."""
        if len(matcher) == 0:
            return []
        return [(nlp.vocab.strings[match_id], doc[s:e].start_char, doc[s:e].end_char)
                for match_id, s, e in matcher(doc)]

    def matches(self, text: str) -> list[tuple[str, str]]:
        """(kind, matched text) for every match, Chinese first, in text order."""
        found = []
        # Character offsets throughout: the Chinese tokenizer drops spaces, so token indices drift.
        for nlp, matcher, unless, language, folded in ((self._zh, self._zh_matcher, self._zh_unless, "zh", fold(text)),
                                                       (self._en, self._en_matcher, self._en_unless, "en", text)):
            recipes = self._recipes[language]
            if len(matcher) == 0 and not recipes:
                continue
            doc = _doc(language, folded)
            excluded = self._spans(nlp, unless, doc)
            spans = self._spans(nlp, matcher, doc)
            composed = [(kind, m.start(), m.end()) for kind, pattern in recipes for m in pattern.finditer(folded)]
            if composed:
                spans = sorted(spans + composed, key=lambda span: (span[1], span[2]))
            for kind, start, end in spans:
                if any(k == kind and s < end and start < e for k, s, e in excluded):
                    continue
                found.append((kind, text[start:end]))
        return found

    def counts(self, text: str) -> Counter[str]:
        return Counter(kind for kind, _ in self.matches(text))
