"""Statistics and 预警 warnings: indexes the supervisors' reports read by, and the alert columns a
volume warning carries (its numbers, owner, deadline, episode and 复盘 review).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# (name, table, columns): each one is read by a report or the warning runner (docs/statistics.md).
INDEXES = (
    # Volume by day/hour and dimension over a date range: answered from the index alone.
    ("ix_handoff_cases_stats", "handoff_cases",
     ["created_at", "category", "severity", "channel", "language", "team", "handoff"]),
    # The warning runner's hourly counts of one category.
    ("ix_handoff_cases_category_created_at", "handoff_cases", ["category", "created_at"]),
    # Repeat contact: a customer's earlier cases.
    ("ix_handoff_cases_customer_created_at", "handoff_cases", ["customer_id", "created_at"]),
    ("ix_handoff_ratings_at", "handoff_ratings", ["at"]),
    ("ix_handoff_sla_events_breached_at", "handoff_sla_events", ["breached_at"]),
    ("ix_handoff_alerts_kind_category", "handoff_alerts", ["kind", "category", "created_at"]),
    ("ix_archive_conversations_first_seen", "archive_conversations", ["first_seen"]),
)

ALERT_COLUMNS = (
    sa.Column("category", sa.String(64), nullable=True),
    sa.Column("method", sa.String(32), nullable=True),
    sa.Column("observed", sa.Float(), nullable=True),
    sa.Column("expected", sa.Float(), nullable=True),
    sa.Column("threshold", sa.Float(), nullable=True),
    sa.Column("window_start", TS, nullable=True),
    sa.Column("window_end", TS, nullable=True),
    sa.Column("last_signal_at", TS, nullable=True),
    sa.Column("escalated_at", TS, nullable=True),
    sa.Column("owner", sa.String(100), nullable=True),
    sa.Column("due_at", TS, nullable=True),
    sa.Column("details", sa.JSON(), nullable=True),
    sa.Column("reviewed_by", sa.String(100), nullable=True),
    sa.Column("reviewed_at", TS, nullable=True),
    sa.Column("review", sa.Text(), nullable=True),
)


def upgrade() -> None:
    with op.batch_alter_table("handoff_alerts") as batch:
        for column in ALERT_COLUMNS:
            batch.add_column(column.copy())
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("handoff_alerts") as batch:
        for column in reversed(ALERT_COLUMNS):
            batch.drop_column(column.name)
