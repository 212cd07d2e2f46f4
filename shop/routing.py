"""What the bot does with a graded message (SPEC section 4), as plain data for the actions.

The priority is the queue's own (`core.vocabulary.priority`), so the routing slot the bot sets
and the place the case takes in the agents' queue never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.vocabulary import HANDOFF_ANGER_CONFIDENCE, priority

Action = Literal["handoff", "register_case", "answer_with_empathy", "offer_human", "callback", "answer"]


@dataclass(frozen=True)
class Decision:
    action: Action
    priority: int
    reason: str


def route(level: str, emotion: str | None, intent: str, consecutive_fallbacks: int = 0,
          agents_available: bool = True, emotion_confidence: float = 1.0) -> Decision:
    """The routing table of SPEC section 4; no agent available turns a handoff into a callback.

    "Important and upset" needs the anger to be sure (HANDOFF_ANGER_CONFIDENCE, chosen out of
    fold for few false handoffs): a calm customer whose words lean towards anger is registered and
    offered a person, not handed to one."""
    upset = emotion if emotion_confidence >= HANDOFF_ANGER_CONFIDENCE else None
    action, reason = _table(level, upset, intent, consecutive_fallbacks)
    if action == "handoff" and not agents_available:
        action, reason = "callback", reason + "; no agent available"
    return Decision(action, priority(level, emotion), reason)


def _table(level: str, emotion: str | None, intent: str, fallbacks: int) -> tuple[Action, str]:
    if level == "severe":
        return "handoff", "severe"
    if level == "important" and emotion == "anger":
        return "handoff", "important and upset"
    if intent == "request_human":
        return "handoff", "asked for a person"
    if fallbacks >= 3:
        return "handoff", "not understood three times"
    if level == "important":
        return "register_case", "important, calm"
    if level == "general":
        return "answer_with_empathy", "general"
    if fallbacks == 2:
        return "offer_human", "not understood twice"
    return "answer", "standard"
