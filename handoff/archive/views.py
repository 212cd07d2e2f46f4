"""Frozen snapshots of archive rows for the trainers' inbox and the statistics (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from handoff.store.views import _View


@dataclass(frozen=True)
class ConversationView(_View):
    id: str
    channel: Optional[str]
    customer_id: str
    language: Optional[str]
    model_id: Optional[str]
    first_seen: datetime
    last_seen: datetime
    user_turns: int
    bot_messages: int
    actions: int


@dataclass(frozen=True)
class TurnView(_View):
    """What the customer said (masked) and what the NLU made of it."""

    conversation_id: str
    at: datetime
    text: str
    channel: Optional[str]
    message_id: Optional[str]
    language: Optional[str]
    intent: Optional[str]
    intent_confidence: Optional[float]
    intent_margin: Optional[float]  # top-1 minus top-2 confidence; None for turns archived before it was kept
    emotion: Optional[str]
    emotion_confidence: Optional[float]
    severity: Optional[str]
    severity_reasons: tuple[str, ...]
    complaint: Optional[bool]
    complaint_score: Optional[float]
    model_id: Optional[str]

    @classmethod
    def from_row(cls, row: Any) -> TurnView:
        return cls.of(row, severity_reasons=tuple(row.severity_reasons or ()))


@dataclass(frozen=True)
class BotEventView(_View):
    """An action the bot ran, or a message it (or an agent through it) sent."""

    conversation_id: str
    at: datetime
    kind: str
    action: Optional[str]
    policy: Optional[str]
    confidence: Optional[float]
    text: Optional[str]
    agent: Optional[str]
    model_id: Optional[str]


@dataclass(frozen=True)
class ConversationHistory:
    """One conversation as archived: its summary row, then both sides in time order."""

    conversation: ConversationView
    turns: tuple[TurnView, ...]
    bot_events: tuple[BotEventView, ...]

    def timeline(self) -> list[TurnView | BotEventView]:
        """Customer turns and bot events interleaved by time (a turn first on a tie)."""
        both: list[TurnView | BotEventView] = [*self.turns, *self.bot_events]
        return sorted(both, key=lambda item: (item.at, isinstance(item, BotEventView)))

    def to_dict(self) -> dict[str, Any]:
        return {"conversation": self.conversation.to_dict(), "turns": [t.to_dict() for t in self.turns],
                "bot_events": [b.to_dict() for b in self.bot_events]}
