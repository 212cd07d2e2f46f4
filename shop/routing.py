"""What the bot does with a graded message (SPEC section 4), as plain data for the actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Action = Literal["handoff", "register_case", "answer_with_empathy", "offer_human", "callback", "answer"]
PRIORITY = {"severe": 100, "important": 60, "general": 30, "none": 10}


@dataclass(frozen=True)
class Decision:
    action: Action
    priority: int
    reason: str


def route(level: str, emotion: str | None, intent: str, consecutive_fallbacks: int = 0,
          agents_available: bool = True) -> Decision:
    """The routing table of SPEC section 4; no agent available turns a handoff into a callback."""
    decision = _table(level, emotion, intent, consecutive_fallbacks)
    if decision.action == "handoff" and not agents_available:
        return Decision("callback", decision.priority, decision.reason + "; no agent available")
    return decision


def _table(level: str, emotion: str | None, intent: str, fallbacks: int) -> Decision:
    if level == "severe":
        return Decision("handoff", PRIORITY["severe"], "severe")
    if level == "important" and emotion == "anger":
        return Decision("handoff", PRIORITY["important"] + 20, "important and upset")
    if intent == "request_human":
        return Decision("handoff", max(PRIORITY["none"] + 20, PRIORITY[level]), "asked for a person")
    if fallbacks >= 3:
        return Decision("handoff", PRIORITY["none"] + 20, "not understood three times")
    if level == "important":
        return Decision("register_case", PRIORITY["important"], "important, calm")
    if level == "general":
        return Decision("answer_with_empathy", PRIORITY["general"], "general")
    if fallbacks == 2:
        return Decision("offer_human", PRIORITY["none"], "not understood twice")
    return Decision("answer", PRIORITY["none"], "standard")
