"""Lexicon terms written as recipes: one phrase from each list, in order.

A trainer who adds 反映 to the contact verbs should not have to write 反映了不下十次, 反映过七八回
and every other pairing of a verb with an amount. A recipe keeps the lists apart,

    [[问, 催, 反映], [了, 过], ["", 你们], [十几, 七八, 不下十], [次, 回]]

and matches what any choice of one phrase per list spells ("" leaves a part out). It is compiled
to one regular expression per recipe instead of being spelled out for spaCy's PhraseMatcher:
spelled out, the repeated-contact recipes made 46,000 terms, and loading the risk lexicon took
3.0 s instead of 1.2 s in every process that loads it; compiled, they cost no noticeable time.

Chinese recipes match the folded text (`core.language.fold`, so both scripts) with any spaces
between characters, as the PhraseMatcher's per-character terms do; English recipes match whole
words, any case, with any run of spaces between words.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from core.language import fold

Recipe = list[list[str]]

SHAPE = ("a recipe is a list of two or more non-empty lists of phrases, "
         "e.g. [[问, 催], [了, 过], [十几次, 七八回]]")


def read_recipes(raw: Any) -> dict[str, list[Recipe]]:
    """`{zh: [recipe, ...], en: [...]}` checked and with every phrase a string (YAML reads 10 as
    a number); raises ValueError saying what is wrong, for the lexicon reader to place."""
    if not isinstance(raw, dict) or not set(raw) <= {"zh", "en"}:
        raise ValueError("`compose:` must have `zh:` and/or `en:` lists of recipes")
    recipes: dict[str, list[Recipe]] = {}
    for lang, listed in raw.items():
        if not isinstance(listed, list):
            raise ValueError(f"`compose: {lang}:` must be a list of recipes ({SHAPE})")
        for recipe in listed:
            if (not isinstance(recipe, list) or len(recipe) < 2
                    or not all(isinstance(part, list) and part and all(isinstance(p, str | int) for p in part)
                               for part in recipe)):
                raise ValueError(f"`compose: {lang}:` has {recipe!r}: {SHAPE}")
            if any(str(p).strip() == "" for p in recipe[0]):
                raise ValueError(f"`compose: {lang}:` has {recipe!r}: its first list cannot leave its part out")
        recipes[str(lang)] = [[[str(p).strip() for p in part] for part in recipe] for recipe in listed]
    return recipes


def _alternatives(phrases: list[str], spell: Callable[[str], str]) -> str:
    # Longest first, so the evidence an agent sees is the whole phrase (不下十 rather than 不下).
    spelled = sorted({spell(p) for p in phrases if p}, key=len, reverse=True)
    return "(?:" + "|".join(spelled) + ")"


def compile_recipe(lang: str, recipe: Recipe) -> re.Pattern[str]:
    """The expression that matches the recipe in a text (Chinese: the folded text). The first
    part is never optional (`read_recipes`), so only the later ones carry a separator and a `?`."""
    if lang == "zh":
        def spell(phrase: str) -> str:
            return r"\s*".join(re.escape(char) for char in fold(phrase) if not char.isspace())
        between = r"\s*"
    else:
        def spell(phrase: str) -> str:
            return r"\s+".join(re.escape(word) for word in phrase.split())
        between = r"\s+"
    pattern = _alternatives(recipe[0], spell)
    for part in recipe[1:]:
        pattern += f"(?:{between}{_alternatives(part, spell)})" + ("?" if "" in part else "")
    if lang == "zh":
        return re.compile(pattern)
    return re.compile(rf"(?<![\w'’]){pattern}(?!\w)", re.IGNORECASE)
