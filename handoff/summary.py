"""The system-written summary at the top of a handoff package (SPEC section 5).

Templates over labels rather than a generative model: the agent must be able to trust every
word, and a summary can never leak what masking hides, because every piece is masked and the
quote is masked before it is cut (a cut can leave half a phone number that no longer matches).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Mapping, Optional, Sequence

from core.labels import label
from core.vocabulary import NEGATIVITY as EMOTION_NEGATIVITY
from handoff.masking import mask, mask_value
from handoff.texts import HandoffTexts, summary_language

QUOTE_CHARS = {"zh": 60, "en": 110}
MIN_QUOTE = 4  # "转人工" or "ok" says nothing the opening does not
ENTITY_ORDER = ("order_id", "case_id", "amount", "date")
# Rank, not weight: the summary speaks of steps ("calm at first, angry now" needs two of them).
NEGATIVITY = {name: rank for rank, name in enumerate(sorted(EMOTION_NEGATIVITY, key=EMOTION_NEGATIVITY.__getitem__))}
_ZH_NUMERALS = "零一二三四五六七八九十"
_CONTACT = re.compile(r"^history:(\d+)(?:st|nd|rd|th)_contact$")
_SENTENCE_END = re.compile(r"[。！？!?；;…]+$")
_BREAKS = "，。！？；,.!?; "


@lru_cache(maxsize=1)
def _shipped_texts() -> HandoffTexts:
    return HandoffTexts.load()


def summarize(language: str, *, category: str, severity: str, reasons: Sequence[str],
              emotion_trajectory: Sequence[Optional[str]], customer_turns: Sequence[str],
              entities: Mapping[str, Any], earlier_cases: int, texts: Optional[HandoffTexts] = None) -> str:
    """Two or three sentences: what and how serious with the customer's own words, mood and
    contact count; the numbers to look up; the risks. In zh (Simplified) or en."""
    texts = texts or _shipped_texts()
    lang = summary_language(language)
    zh = lang == "zh"
    comma, colon, stop = ("，", "：", "。") if zh else (", ", ": ", ".")

    # the console's names for them (core/labels.py): the agent reads the same word in the queue
    severity_label = label("severity", severity, lang)
    if category.startswith("complain_"):
        opening = texts.summary_part("complaint", lang, category=label("category", category, lang),
                                     severity=severity_label)
    elif severity and severity != "none":
        opening = texts.summary_part("request_graded", lang, severity=severity_label)
    else:
        opening = texts.summary_part("request", lang)

    clauses = [c for c in (_quote(customer_turns, lang), _mood(emotion_trajectory, texts, lang),
                           _contact(reasons, texts, lang), _earlier(earlier_cases, texts, lang)) if c]
    first = opening + (colon + comma.join(clauses) if clauses else "") + stop

    details = [texts.summary_part(name, lang, value=mask_value(name, entities[name]))
               for name in ENTITY_ORDER if entities.get(name) not in (None, "", [])]
    second = _capitalise(comma.join(details), zh) + stop if details else ""

    risks = _risks(reasons, texts, lang)
    third = texts.summary_part("risk", lang, risks=("、" if zh else "; ").join(risks)) + stop if risks else ""
    return mask(("" if zh else " ").join(s for s in (first, second, third) if s))


def _quote(turns: Sequence[str], lang: str) -> str:
    """The customer's most telling message, masked, trimmed at a clause break near the limit."""
    best = pick_quote(turns)
    if not best:
        return ""
    text = mask(re.sub(r"\s+", " ", best).strip())
    limit = QUOTE_CHARS[lang]
    if len(text) > limit:
        cut = max(text.rfind(ch, 0, limit) for ch in _BREAKS)
        text = (text[:cut] if cut >= limit * 0.6 else text[:limit - 1]).rstrip(_BREAKS) + "…"
    else:
        text = _SENTENCE_END.sub("", text).rstrip(_BREAKS)
    return text if lang == "zh" else f"\"{text}\""


def pick_quote(turns: Sequence[str]) -> str:
    """The message with the most words in it (numbers and ids do not count), latest on a tie:
    in a complaint that is where the customer says what went wrong."""
    best, best_score = "", 0
    for turn in turns:
        if not isinstance(turn, str):
            continue
        score = sum(1 for ch in turn if ch.isalpha()) + turn.count(" ")
        if score >= best_score and score >= MIN_QUOTE:
            best, best_score = turn, score
    return best


def _mood(trajectory: Sequence[Optional[str]], texts: HandoffTexts, lang: str) -> str:
    """From the first feeling shown to the worst (what the agent walks into), and where it is now
    when the customer has clearly calmed down since."""
    names = [e for e in trajectory if e]
    if not names:
        return ""
    shown = [e for e in names if e != "neutral"] or names
    first = shown[0]
    peak = max(reversed(names), key=lambda e: NEGATIVITY.get(e, 0))
    label = {e: texts.label("emotion", e, lang) for e in {first, peak, names[-1]}}
    if NEGATIVITY.get(peak, 0) > NEGATIVITY.get(first, 0):
        mood = texts.summary_part("emotion_rose", lang, first=label[first], last=label[peak])
    elif peak == "neutral":
        return ""
    else:
        mood = texts.summary_part("emotion_steady", lang, last=label[peak])
    now = names[-1]
    if NEGATIVITY.get(peak, 0) - NEGATIVITY.get(now, 0) >= 2:
        mood += ("，" if lang == "zh" else ", ") + texts.summary_part("emotion_now", lang, last=label[now])
    return mood


def _contact(reasons: Sequence[str], texts: HandoffTexts, lang: str) -> str:
    numbers = [int(m.group(1)) for m in (_CONTACT.match(r) for r in reasons) if m]
    if not numbers or max(numbers) < 2:
        return ""
    n = max(numbers)
    return texts.summary_part("contact", lang, n=_zh_number(n) if lang == "zh" else n)


def _earlier(count: int, texts: HandoffTexts, lang: str) -> str:
    return texts.summary_part("earlier_cases", lang, n=count) if count > 0 else ""


def _risks(reasons: Sequence[str], texts: HandoffTexts, lang: str) -> list[str]:
    return list(dict.fromkeys(texts.label("risk", r[5:], lang) for r in reasons if r.startswith("risk:")))


def _zh_number(n: int) -> str:
    if 0 <= n <= 10:
        return _ZH_NUMERALS[n]
    if n < 20:
        return "十" + _ZH_NUMERALS[n - 10]
    return str(n)


def _capitalise(text: str, zh: bool) -> str:
    return text if zh or not text else text[0].upper() + text[1:]
