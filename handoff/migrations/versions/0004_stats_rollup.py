"""The statistics' rollup (docs/statistics.md, "Speed"): figures per ended local day and month
and combination of the five dimensions, the bot's per day, which periods are rolled, and an
index to find the cases changed since the rollup last looked.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _counts(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "handoff_stats_rollup",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("span", sa.String(5), nullable=False),
        sa.Column("start", sa.String(10), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        *_counts("cases", "handoffs", "fr_met", "fr_missed", "res_met", "res_missed", "eligible", "repeats",
                 "fr_n", "res_n", "r1", "r2", "r3", "r4", "r5"),
        sa.Column("durations", sa.LargeBinary(), nullable=False),
        sa.Column("times", sa.LargeBinary(), nullable=False),
        sa.Column("pending", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_handoff_stats_rollup_period", "handoff_stats_rollup", ["tz", "span", "start"])
    op.create_table(
        "handoff_stats_bot",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("start", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        *_counts("conversations", "contained", "turns", "fallbacks"),
    )
    op.create_index("ix_handoff_stats_bot_period", "handoff_stats_bot", ["tz", "start"])
    op.create_table(
        "handoff_stats_periods",
        sa.Column("tz", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("computed_at", TS, nullable=False),
        sa.Column("dirty", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_handoff_cases_updated_at", "handoff_cases", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_handoff_cases_updated_at", table_name="handoff_cases")
    op.drop_table("handoff_stats_periods")
    op.drop_index("ix_handoff_stats_bot_period", table_name="handoff_stats_bot")
    op.drop_table("handoff_stats_bot")
    op.drop_index("ix_handoff_stats_rollup_period", table_name="handoff_stats_rollup")
    op.drop_table("handoff_stats_rollup")
