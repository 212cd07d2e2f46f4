"""Tracker events as `bot.broker` writes them to the stream (Rasa 3.6 `as_dict` plus sender_id)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
MODEL = "5f0c9e7a1b2d4c3e8f9a0b1c2d3e4f5a"


def user(sender: str, text: str, at: float, *, intent: str = "complain_delivery", emotion: str = "anger",
         level: str = "severe", reasons: tuple[str, ...] = ("emotion:anger", "risk:media"),
         language: str = "zh-Hans", channel: str = "rest") -> dict[str, Any]:
    return {
        "sender_id": sender, "event": "user", "timestamp": at, "text": text, "input_channel": channel,
        "message_id": f"m-{at}", "metadata": {"model_id": MODEL, "assistant_id": "shop"},
        "parse_data": {
            "text": text, "intent": {"name": intent, "confidence": 0.91},
            "intent_ranking": [{"name": intent, "confidence": 0.91}], "entities": [],
            "language": language, "emotion": {"name": emotion, "confidence": 0.83},
            "complaint_score": 0.97, "risks": [{"type": "media", "words": ["曝光"]}],
            "severity": {"level": level, "reasons": list(reasons)}, "complaint": True, "handoff": True,
            "route": {"action": "handoff", "priority": 120},
        },
    }


def bot(sender: str, text: str, at: float, **metadata: Any) -> dict[str, Any]:
    return {"sender_id": sender, "event": "bot", "timestamp": at, "text": text, "data": {},
            "metadata": {"model_id": MODEL, "utter_action": "utter_sorry", **metadata}}


def action(sender: str, name: str, at: float) -> dict[str, Any]:
    return {"sender_id": sender, "event": "action", "timestamp": at, "name": name, "policy": "RulePolicy",
            "confidence": 1.0, "action_text": None, "hide_rule_turn": False, "metadata": {"model_id": MODEL}}


def stamp(seconds_after_t0: float) -> float:
    return T0.timestamp() + seconds_after_t0
