"""Initial handoff schema: agents, cases and their history, SLA events, alerts, ratings, follow-ups.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _case_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["case_id"], ["handoff_cases.id"], name=op.f(f"fk_{table}_case_id_handoff_cases"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "handoff_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("role IN ('agent', 'supervisor')", name=op.f("ck_handoff_agents_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_agents")),
        sa.UniqueConstraint("name", name=op.f("uq_handoff_agents_name")),
    )
    op.create_index(op.f("ix_handoff_agents_token_hash"), "handoff_agents", ["token_hash"], unique=True)

    op.create_table(
        "handoff_cases",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("emotion", sa.String(16), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("handoff", sa.Boolean(), nullable=False),
        sa.Column("queue_status", sa.String(16), nullable=False),
        sa.Column("assigned_agent_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("package", sa.JSON(), nullable=True),
        sa.Column("callback_contact", sa.String(255), nullable=True),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("first_response_due", TS, nullable=False),
        sa.Column("resolution_due", TS, nullable=False),
        sa.Column("first_response_at", TS, nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_agent_id"], ["handoff_agents.id"],
            name=op.f("fk_handoff_cases_assigned_agent_id_handoff_agents"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_cases")),
    )
    for column in ("conversation_id", "customer_id", "state", "queue_status"):
        op.create_index(op.f(f"ix_handoff_cases_{column}"), "handoff_cases", [column])

    op.create_table(
        "handoff_case_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _case_fk("handoff_case_transitions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_case_transitions")),
    )
    op.create_index(op.f("ix_handoff_case_transitions_case_id"), "handoff_case_transitions", ["case_id"])

    op.create_table(
        "handoff_case_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("author", sa.String(100), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("emotion", sa.String(16), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("event_key", sa.String(255), nullable=True),
        _case_fk("handoff_case_messages"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_case_messages")),
        sa.UniqueConstraint("event_key", name=op.f("uq_handoff_case_messages_event_key")),
    )
    op.create_index(op.f("ix_handoff_case_messages_case_id"), "handoff_case_messages", ["case_id"])

    op.create_table(
        "handoff_sla_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("breached_at", TS, nullable=False),
        sa.Column("priority_before", sa.Integer(), nullable=False),
        sa.Column("priority_after", sa.Integer(), nullable=False),
        _case_fk("handoff_sla_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_sla_events")),
        sa.UniqueConstraint("case_id", "kind", name="uq_handoff_sla_events_case_kind"),
    )
    op.create_index(op.f("ix_handoff_sla_events_case_id"), "handoff_sla_events", ["case_id"])

    op.create_table(
        "handoff_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("acknowledged_by", sa.String(100), nullable=True),
        sa.Column("acknowledged_at", TS, nullable=True),
        _case_fk("handoff_alerts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_alerts")),
    )
    op.create_index(op.f("ix_handoff_alerts_case_id"), "handoff_alerts", ["case_id"])

    op.create_table(
        "handoff_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_handoff_ratings_score")),
        _case_fk("handoff_ratings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_ratings")),
        sa.UniqueConstraint("case_id", name=op.f("uq_handoff_ratings_case_id")),
    )

    op.create_table(
        "handoff_follow_up_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _case_fk("handoff_follow_up_tasks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_follow_up_tasks")),
    )
    op.create_index(op.f("ix_handoff_follow_up_tasks_case_id"), "handoff_follow_up_tasks", ["case_id"])


def downgrade() -> None:
    for table in (
        "handoff_follow_up_tasks", "handoff_ratings", "handoff_alerts", "handoff_sla_events",
        "handoff_case_messages", "handoff_case_transitions", "handoff_cases", "handoff_agents",
    ):
        op.drop_table(table)
