"""Severity (预警 level) of a message from its evidence, with the reasons (SPEC sections 2–3).

Plain Python over what NLU found (intent, emotion and their confidences, risk kinds) and what
the conversation shows (contacts about the same problem, emotion trend, misunderstandings), so
the rules are testable without a model. The NLU pipeline grades each message with them
(`bot/components/severity.py`); the actions grade again with the conversation's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from core.vocabulary import HANDOFF_ANGER_CONFIDENCE, UPSET_CONFIDENCE, UPSET_EMOTIONS, one_level_up, raise_to

SEVERE_RISKS = ("safety_health", "legal_threat", "regulator", "media", "fraud_account")
# Core product, money and security complaints are at least important; the rest start general.
CORE_CATEGORIES = ("complain_product_quality", "complain_billing", "complain_refund", "complain_false_advertising",
                   "complain_privacy_security")


@dataclass(frozen=True)
class Impact:
    """The learned judgement of how material a complaint is: `general` or `important`."""

    level: str
    confidence: float


@dataclass(frozen=True)
class History:
    """What the conversation so far says about this customer."""

    contact_number: int = 1  # 3 = third contact about the same problem
    emotion_rising: bool = False
    consecutive_fallbacks: int = 0
    earlier_cases: int = 0  # the customer's earlier cases (other conversations), from the case store


def counts_near_risks(complaint: bool, emotion: Optional[str], emotion_confidence: float) -> bool:
    """Whether a learned risk just short of its threshold (`risks_near`, bot/components/risk.py)
    counts as found: only in a complaint whose customer is sure to be angry. Why: such a complaint
    is at least `important` with sure anger, which `shop.routing.route` hands to a person anyway,
    so the near risk can raise its grade and priority to `severe` but never hands over anyone who
    was not. Off unless `near_ratio` is set (config.yml has 0): with families of training files
    held out it found 3 more of every 100 severe paraphrases the lexicon misses, but on the
    held-out files one more, for three riskless angry complaints graded severe (docs/risk_choices.md,
    "Angry complaints near a risk's threshold")."""
    return complaint and emotion == "anger" and emotion_confidence >= HANDOFF_ANGER_CONFIDENCE


@dataclass(frozen=True)
class Grade:
    level: str
    reasons: list[str] = field(default_factory=list)


def grade(intent: str, emotion: Optional[str] = None, emotion_confidence: float = 0.0,
          risks: tuple[str, ...] | list[str] = (), history: History = History(),
          impact: Optional[Impact] = None, complaint: Optional[bool] = None,
          intense: float = UPSET_CONFIDENCE) -> Grade:
    """The level and its reasons. A complaint starts at its impact (learned) or, without one,
    at its category's level; upset emotion, risks and history can only raise it."""
    complaint = intent.startswith("complain_") if complaint is None else complaint
    reasons: list[str] = []
    level = "none"
    if complaint:
        reasons.append(f"intent:{intent if intent.startswith('complain_') else 'complain_general'}")
        if impact is not None:
            level = impact.level
            reasons.append(f"impact:{'material' if impact.level == 'important' else 'minor'}({impact.confidence:.2f})")
        else:
            level = "important" if intent in CORE_CATEGORIES else "general"
    upset = emotion in UPSET_EMOTIONS and emotion_confidence >= intense
    if emotion is not None and (complaint or upset):
        reasons.append(f"emotion:{emotion}({emotion_confidence:.2f})")
    if complaint and upset:
        level = raise_to(level, "important")
    for risk in risks:
        reasons.append(f"risk:{risk}")
        if risk in SEVERE_RISKS or risk == "repeat_contact":
            # Repeated unresolved contact is severe whatever the wording: "第三次问了" is a complaint.
            level = "severe"
        elif risk == "abuse" and (complaint or upset):
            level = raise_to(level, "important")
    return with_history(Grade(level, reasons), history)


def with_history(graded: Grade, history: History) -> Grade:
    """Raises a message's grade by what the conversation shows (SPEC section 3, history)."""
    level, reasons = graded.level, list(graded.reasons)
    contacts = history.contact_number + (history.earlier_cases if level != "none" else 0)
    if history.earlier_cases and level != "none":
        reasons.append(f"history:earlier_cases({history.earlier_cases})")
        level = raise_to(level, "important")
    if contacts >= 3:
        reasons.append(f"history:{_ordinal(contacts)}_contact")
        level = raise_to(level, "severe" if level != "none" else "important")
    if history.emotion_rising and level != "none":
        reasons.append("history:emotion_rising")
        level = one_level_up(level)
    if history.consecutive_fallbacks >= 2:
        reasons.append(f"history:{history.consecutive_fallbacks}_fallbacks")
        level = raise_to(level, "general")
    return Grade(level, reasons)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
