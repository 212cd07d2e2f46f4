"""Severity (预警 level) of a message from its evidence, with the reasons (SPEC sections 2–3).

Plain Python over what NLU found (intent, emotion and their confidences, risk kinds) and what
the conversation shows (contacts about the same problem, emotion trend, misunderstandings), so
the rules are testable without a model. Not yet wired into the NLU pipeline (issue 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

LEVELS = ("none", "general", "important", "severe")
SEVERE_RISKS = ("safety_health", "legal", "regulator", "media", "fraud_account")
# Core product, money and security complaints are at least important; the rest start general.
CORE_CATEGORIES = ("complain_product_quality", "complain_billing", "complain_refund", "complain_false_advertising",
                   "complain_privacy_security")
UPSET = ("anger", "anxiety")
INTENSE = 0.7


@dataclass(frozen=True)
class History:
    """What the conversation so far says about this customer."""

    contact_number: int = 1  # 3 = third contact about the same problem
    emotion_rising: bool = False
    consecutive_fallbacks: int = 0


@dataclass(frozen=True)
class Grade:
    level: str
    reasons: list[str] = field(default_factory=list)


def _raise(level: str, to_at_least: str) -> str:
    return max(level, to_at_least, key=LEVELS.index)


def grade(intent: str, emotion: Optional[str] = None, emotion_confidence: float = 0.0,
          risks: tuple[str, ...] | list[str] = (), history: History = History()) -> Grade:
    complaint = intent.startswith("complain_")
    reasons: list[str] = []
    if complaint:
        reasons.append(f"intent:{intent}")
    level = "none"
    if complaint:
        level = "important" if intent in CORE_CATEGORIES else "general"
    upset = emotion in UPSET and emotion_confidence >= INTENSE
    if emotion is not None and (complaint or upset):
        reasons.append(f"emotion:{emotion}({emotion_confidence:.2f})")
    if complaint and upset:
        level = _raise(level, "important")
    for risk in risks:
        reasons.append(f"risk:{risk}")
        if risk in SEVERE_RISKS:
            level = "severe"
        elif risk == "repeat_contact":
            level = _raise(level, "severe" if complaint else "important")
        elif risk == "abuse" and (complaint or upset):
            level = _raise(level, "important")
    if history.contact_number >= 3:
        reasons.append(f"history:{_ordinal(history.contact_number)}_contact")
        level = _raise(level, "severe" if level != "none" else "important")
    if history.emotion_rising and level != "none":
        reasons.append("history:emotion_rising")
        level = LEVELS[min(LEVELS.index(level) + 1, len(LEVELS) - 1)]
    if history.consecutive_fallbacks >= 2:
        reasons.append(f"history:{history.consecutive_fallbacks}_fallbacks")
        level = _raise(level, "general")
    return Grade(level, reasons)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
