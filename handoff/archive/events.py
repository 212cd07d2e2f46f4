"""What a Rasa tracker event (as `bot.broker` writes it to the stream) becomes in the archive.

Pure functions, no database: the writer decides *whether* to store, this decides *what*.
Customer and bot texts are masked here, before anything is stored: the archive is read by
trainers and statistics, who must never see a phone or an ID number in full either.

A user event from Rasa 3.6 looks like
    {"sender_id", "event": "user", "timestamp", "text", "input_channel", "message_id",
     "metadata": {"model_id", "assistant_id", ...},
     "parse_data": {"intent": {"name", "confidence"}, "intent_ranking": [{"name", "confidence"}, ...],
                    "language", "emotion": {"name", "confidence"},
                    "complaint_score", "severity": {"level", "reasons"}, "complaint", ...}}
(the custom components in bot/components add language, emotion, severity and complaint).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

from handoff.masking import mask

# Only these become rows; slots, session starts, pauses, followups... are state, not conversation.
RECORDED = frozenset({"user", "bot", "action"})
# Rasa runs it after every bot turn to wait for the customer: it says nothing about the dialogue.
SKIPPED_ACTIONS = frozenset({"action_listen"})


def archive_key(event: Mapping[str, Any]) -> str:
    """Same event, same key, however often it is delivered or re-published; 64 hex characters.

    A hash of the whole event rather than sender + kind + timestamp: two bot utterances of one
    action can share a timestamp, and a sender id may be longer than a key column."""
    canonical = json.dumps(event, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _cut(value: Any, length: int) -> Optional[str]:
    """Strings for a VARCHAR(length): PostgreSQL refuses longer ones, SQLite would keep them."""
    if value is None or value == "":
        return None
    return str(value)[:length]


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def intent_margin(ranking: Any, fallback: str = "nlu_fallback") -> Optional[float]:
    """How far the NLU's first intent was ahead of its second (top-1 minus top-2 confidence; the
    first's own confidence when it had no rival): a small margin means it hesitated between two,
    which the trainers' inbox shows even when the first was confident enough to answer.

    Rasa's FallbackClassifier puts `nlu_fallback` first with its threshold as the confidence; that
    says nothing about the two real candidates, so it is left out of the comparison."""
    if not isinstance(ranking, list):
        return None
    scores = sorted((score for entry in ranking if isinstance(entry, Mapping) and entry.get("name") != fallback
                     and (score := _number(entry.get("confidence"))) is not None), reverse=True)
    if not scores:
        return None
    return round(scores[0] - (scores[1] if len(scores) > 1 else 0.0), 6)


def moment(event: Mapping[str, Any], default: datetime) -> datetime:
    """The event's own time (Rasa's float timestamp), or `default` when it has none."""
    stamp = _number(event.get("timestamp"))
    return datetime.fromtimestamp(stamp, tz=timezone.utc) if stamp is not None else default


def model_id(event: Mapping[str, Any]) -> Optional[str]:
    """Rasa 3.6 puts the model's id in every event's metadata; older payloads at the top level."""
    return _cut(_mapping(event.get("metadata")).get("model_id") or event.get("model_id"), 64)


@dataclass(frozen=True)
class Parsed:
    """One event as archive rows: `kind` is 'turn', 'action' or 'utterance'; `row` the columns
    of its table; `channel` and `language` what it tells about the conversation."""

    kind: str
    conversation_id: str
    at: datetime
    row: dict[str, Any]
    channel: Optional[str] = None
    language: Optional[str] = None
    model_id: Optional[str] = None


def parse(event: Mapping[str, Any], now: datetime) -> Optional[Parsed]:
    """The rows for this event, or None for an event the archive does not keep."""
    kind = event.get("event")
    sender = event.get("sender_id")
    if kind not in RECORDED or not sender:
        return None
    conversation, at, model = str(sender)[:255], moment(event, now), model_id(event)
    if kind == "user":
        return _user(event, conversation, at, model)
    if kind == "action":
        name = _cut(event.get("name"), 128)
        if name is None or name in SKIPPED_ACTIONS:
            return None
        return Parsed("action", conversation, at, {
            "kind": "action", "action": name, "policy": _cut(event.get("policy"), 128),
            "confidence": _number(event.get("confidence")), "model_id": model}, model_id=model)
    metadata = _mapping(event.get("metadata"))
    return Parsed("utterance", conversation, at, {
        "kind": "utterance", "text": mask(str(event.get("text") or "")),
        "action": _cut(metadata.get("utter_action"), 128), "agent": _cut(metadata.get("handoff_agent"), 100),
        "model_id": model}, model_id=model)


def _user(event: Mapping[str, Any], conversation: str, at: datetime, model: Optional[str]) -> Parsed:
    parse_data = _mapping(event.get("parse_data"))
    intent = _mapping(parse_data.get("intent"))
    emotion = _mapping(parse_data.get("emotion"))
    severity = _mapping(parse_data.get("severity"))
    reasons = severity.get("reasons")
    complaint = parse_data.get("complaint")
    language = _cut(parse_data.get("language"), 16)
    channel = _cut(event.get("input_channel"), 32)
    return Parsed("turn", conversation, at, {
        "channel": channel, "message_id": _cut(event.get("message_id"), 64),
        "text": mask(str(event.get("text") or "")), "language": language,
        "intent": _cut(intent.get("name"), 64), "intent_confidence": _number(intent.get("confidence")),
        "intent_margin": intent_margin(parse_data.get("intent_ranking")),
        "emotion": _cut(emotion.get("name"), 16), "emotion_confidence": _number(emotion.get("confidence")),
        "severity": _cut(severity.get("level"), 16),
        "severity_reasons": [str(r) for r in reasons] if isinstance(reasons, list) else [],
        "complaint": complaint if isinstance(complaint, bool) else None,
        "complaint_score": _number(parse_data.get("complaint_score")), "model_id": model,
    }, channel=channel, language=language, model_id=model)
