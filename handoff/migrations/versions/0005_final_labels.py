"""Agents' final labels (docs/handoff.md, "Final labels"): when an agent resolves a case they
confirm or correct the bot's category and severity. The bot's own values stay untouched in
`category`/`severity` so the statistics keep describing what the bot decided, and the training
inbox can compare the two to find where the bot was wrong.

All three columns are nullable: cases resolved before this migration, and resolves through the
API that did not send labels, have no final label.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_cases") as batch:
        batch.add_column(sa.Column("final_category", sa.String(64), nullable=True))
        batch.add_column(sa.Column("final_severity", sa.String(16), nullable=True))
        batch.add_column(sa.Column("labelled_by", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoff_cases") as batch:
        batch.drop_column("labelled_by")
        batch.drop_column("final_severity")
        batch.drop_column("final_category")
