"""Conversation archive: conversations, customer turns with their NLU annotations, bot events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _conversation_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["conversation_id"], ["archive_conversations.id"],
        name=op.f(f"fk_{table}_conversation_id_archive_conversations"), ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "archive_conversations",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("model_id", sa.String(64), nullable=True),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("user_turns", sa.Integer(), nullable=False),
        sa.Column("bot_messages", sa.Integer(), nullable=False),
        sa.Column("actions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_conversations")),
    )
    for column in ("customer_id", "last_seen"):
        op.create_index(op.f(f"ix_archive_conversations_{column}"), "archive_conversations", [column])

    op.create_table(
        "archive_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("message_id", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("intent_confidence", sa.Float(), nullable=True),
        sa.Column("emotion", sa.String(16), nullable=True),
        sa.Column("emotion_confidence", sa.Float(), nullable=True),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("severity_reasons", sa.JSON(), nullable=False),
        sa.Column("complaint", sa.Boolean(), nullable=True),
        sa.Column("complaint_score", sa.Float(), nullable=True),
        sa.Column("model_id", sa.String(64), nullable=True),
        _conversation_fk("archive_turns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_turns")),
        sa.UniqueConstraint("event_key", name=op.f("uq_archive_turns_event_key")),
    )
    for column in ("conversation_id", "at"):
        op.create_index(op.f(f"ix_archive_turns_{column}"), "archive_turns", [column])

    op.create_table(
        "archive_bot_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("action", sa.String(128), nullable=True),
        sa.Column("policy", sa.String(128), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("agent", sa.String(100), nullable=True),
        sa.Column("model_id", sa.String(64), nullable=True),
        sa.CheckConstraint("kind IN ('action', 'utterance')", name=op.f("ck_archive_bot_events_kind")),
        _conversation_fk("archive_bot_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_bot_events")),
        sa.UniqueConstraint("event_key", name=op.f("uq_archive_bot_events_event_key")),
    )
    for column in ("conversation_id", "at"):
        op.create_index(op.f(f"ix_archive_bot_events_{column}"), "archive_bot_events", [column])


def downgrade() -> None:
    for table in ("archive_bot_events", "archive_turns", "archive_conversations"):
        op.drop_table(table)
