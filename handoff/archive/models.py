"""Tables of the conversation archive: every conversation the bot had, its customer turns with
what the NLU made of them, and what the bot did and said. In the handoff models' declarative
Base, so the one Alembic history (migration 0002) creates them beside the case store.

Each turn and bot event carries `event_key`, unique: a stream entry delivered twice (a worker
died before acknowledging it, the broker re-published it after a Redis hiccup) is one row.
"""

from __future__ import annotations

import sqlalchemy as sa

from handoff.models import Base, UtcDateTime


def _conversation_fk() -> sa.ForeignKey:
    return sa.ForeignKey("archive_conversations.id", ondelete="CASCADE")


class ConversationRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "archive_conversations"
    id = sa.Column(sa.String(255), primary_key=True)  # Rasa's conversation (sender) id
    channel = sa.Column(sa.String(32))  # the input channel of its first user turn
    customer_id = sa.Column(sa.String(255), nullable=False, index=True)
    language = sa.Column(sa.String(16))  # of the latest turn that had one
    model_id = sa.Column(sa.String(64))  # of the latest event that had one
    first_seen = sa.Column(UtcDateTime, nullable=False, index=True)
    last_seen = sa.Column(UtcDateTime, nullable=False, index=True)
    user_turns = sa.Column(sa.Integer, nullable=False, default=0)
    bot_messages = sa.Column(sa.Integer, nullable=False, default=0)
    actions = sa.Column(sa.Integer, nullable=False, default=0)


class TurnRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "archive_turns"
    id = sa.Column(sa.Integer, primary_key=True)
    event_key = sa.Column(sa.String(64), nullable=False, unique=True)
    conversation_id = sa.Column(sa.String(255), _conversation_fk(), nullable=False, index=True)
    at = sa.Column(UtcDateTime, nullable=False, index=True)
    channel = sa.Column(sa.String(32))
    message_id = sa.Column(sa.String(64))
    text = sa.Column(sa.Text, nullable=False)  # masked (handoff.masking), like the case transcript
    language = sa.Column(sa.String(16))
    intent = sa.Column(sa.String(64))
    intent_confidence = sa.Column(sa.Float)
    intent_margin = sa.Column(sa.Float)  # top-1 minus top-2 of the intent ranking (migration 0006)
    emotion = sa.Column(sa.String(16))
    emotion_confidence = sa.Column(sa.Float)
    severity = sa.Column(sa.String(16))
    severity_reasons = sa.Column(sa.JSON, nullable=False, default=list)
    complaint = sa.Column(sa.Boolean)
    complaint_score = sa.Column(sa.Float)
    model_id = sa.Column(sa.String(64))


class BotEventRow(Base):  # type: ignore[misc, valid-type]
    """An action the bot ran (kind 'action', with the policy that chose it) or a message it sent
    (kind 'utterance', masked text; an agent's reply through Rasa is one too, with `agent`)."""

    __tablename__ = "archive_bot_events"
    __table_args__ = (sa.CheckConstraint("kind IN ('action', 'utterance')", name="kind"),)
    id = sa.Column(sa.Integer, primary_key=True)
    event_key = sa.Column(sa.String(64), nullable=False, unique=True)
    conversation_id = sa.Column(sa.String(255), _conversation_fk(), nullable=False, index=True)
    at = sa.Column(UtcDateTime, nullable=False, index=True)
    kind = sa.Column(sa.String(16), nullable=False)
    action = sa.Column(sa.String(128))
    policy = sa.Column(sa.String(128))
    confidence = sa.Column(sa.Float)
    text = sa.Column(sa.Text)
    agent = sa.Column(sa.String(100))
    model_id = sa.Column(sa.String(64))
