"""Conversation-level rules over a tracker's events (plain dicts), testable without a model."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

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
