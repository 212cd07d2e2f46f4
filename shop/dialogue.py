"""Conversation-level rules over a tracker's events (plain dicts), testable without a model."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from core.vocabulary import NEGATIVITY, UPSET_EMOTIONS
from shop.severity import History

FALLBACK_INTENT = "nlu_fallback"


def consecutive_fallbacks(events: Iterable[Mapping[str, Any]]) -> int:
    """How many of the customer's latest messages in a row the bot did not understand."""
    count = 0
    for event in reversed(list(events)):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


# How negative each emotion is, for the trend over a conversation (weighted by confidence).
RISE = 0.4


def _user_turns(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The customer's messages of the current session (after the last session start)."""
    turns: list[Mapping[str, Any]] = []
    for event in events:
        if event.get("event") == "session_started":
            turns = []
        elif event.get("event") == "user":
            turns.append(event.get("parse_data") or {})
    return turns


def negativity(parse: Mapping[str, Any]) -> Optional[float]:
    emotion = parse.get("emotion") or {}
    name = str(emotion.get("name") or "")
    if name not in NEGATIVITY:
        return None
    confidence = float(emotion.get("confidence") or 0.0)
    return NEGATIVITY[name] * confidence + NEGATIVITY["neutral"] * (1.0 - confidence)


def emotion_trajectory(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per customer message: text, emotion and confidence, for the agent and for the trend."""
    return [{"text": p.get("text"), "emotion": (p.get("emotion") or {}).get("name"),
             "confidence": (p.get("emotion") or {}).get("confidence")} for p in _user_turns(events)]


def emotion_rising(events: Iterable[Mapping[str, Any]]) -> bool:
    """The latest message is clearly more negative than the calmest earlier one, and upset."""
    return _rising(_user_turns(events))


def _rising(turns: list[Mapping[str, Any]]) -> bool:
    scores = [s for s in (negativity(p) for p in turns) if s is not None]
    if len(scores) < 2:
        return False
    latest = turns[-1]
    upset = (latest.get("emotion") or {}).get("name") in UPSET_EMOTIONS
    return upset and scores[-1] - min(scores[:-1]) >= RISE


def _complaints(turns: list[Mapping[str, Any]]) -> int:
    return sum(1 for p in turns if p.get("complaint") is True)


def history(events: Iterable[Mapping[str, Any]]) -> History:
    """What the conversation so far says, for grading the latest message."""
    events = list(events)
    turns = _user_turns(events)
    earlier_fallbacks = consecutive_fallbacks(events[: _last_user_index(events)])
    return History(contact_number=max(1, _complaints(turns)), emotion_rising=_rising(turns),
                   consecutive_fallbacks=earlier_fallbacks)


def _last_user_index(events: list[Mapping[str, Any]]) -> int:
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return index
    return len(events)
