"""Per-message language detection: zh-Hans, zh-Hant or en.

Replies follow the customer's script, so the detector must tell Simplified from Traditional,
not just Chinese from English. It counts characters that exist in only one script, using the
character tables OpenCC ships inside its PyPI package (nothing is downloaded).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

import opencc

Language = Literal["zh-Hans", "zh-Hant", "en"]
DEFAULT_LANGUAGE: Language = "zh-Hans"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _only_in_source(table: str) -> frozenset[str]:
    """Characters of a conversion table's source script that the other script writes differently."""
    path = Path(opencc.__file__).parent / "dictionary" / table
    chars = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        src, targets = line.split("\t", 1)
        if len(src) == 1 and src not in targets.split():
            chars.add(src)
    return frozenset(chars)


@lru_cache(maxsize=1)
def _tables() -> tuple[frozenset[str], frozenset[str]]:
    return _only_in_source("STCharacters.txt"), _only_in_source("TSCharacters.txt")


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    """Traditional → Simplified per character, plus full-width → half-width: one char to one char."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            src, targets = line.split("\t", 1)
            target = targets.split()[0]
            if len(src) == 1 and len(target) == 1 and src != target:
                table[ord(src)] = target
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "
    return table


def fold(text: str) -> str:
    """The text with one script and one width, lower-cased, same length and offsets.

    Classifiers see "訂單" and "订单" as one word, so every Traditional example also teaches
    the Simplified reading and the other way round.
    """
    return text.translate(_fold_table()).lower()


def has_chinese(text: str) -> bool:
    """Whether the text holds a Chinese character: what makes a message Chinese (see `detect`)."""
    return _CJK.search(text) is not None


def detect(text: str, previous: Optional[str] = None) -> Optional[Language]:
    """The message's language, or None when it has no words (only numbers, ids, emoji).

    A message with any Chinese character is Chinese: mixed messages like "我的order到哪了"
    come from Chinese speakers. A message written only with characters both scripts share
    ("退款") keeps the conversation's previous Chinese script, else Simplified.
    """
    cjk = _CJK.findall(text)
    if cjk:
        simplified, traditional = _tables()
        simp = sum(1 for c in cjk if c in simplified)
        trad = sum(1 for c in cjk if c in traditional)
        if trad > simp:
            return "zh-Hant"
        if simp > trad:
            return "zh-Hans"
        return "zh-Hant" if previous == "zh-Hant" else "zh-Hans"
    if _LATIN_WORD.search(text):
        return "en"
    return None
