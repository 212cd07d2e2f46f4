"""The trainers' inbox (docs/training.md): the NLU's top-1/top-2 margin of every archived turn,
the trainers' decisions (table training_reviews), and the trainer role.

`archive_turns.intent_margin` is NULL for turns archived before this migration: the inbox then
judges them by their confidence alone. The role's CHECK constraint is replaced (SQLite: by
copying the table in batch mode, which keeps its rows, indexes and tokens).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ROLE = "ck_handoff_agents_role"


def _role_check(condition: str) -> None:
    """Replaces the role's CHECK constraint. SQLite cannot alter a constraint, so batch mode copies
    the table and drops the old one; with foreign keys on, that drop is a DELETE whose ON DELETE
    SET NULL would unassign every case. The assignments are kept aside and put back (PostgreSQL
    alters the constraint in place and needs none of this)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute(sa.text("CREATE TEMPORARY TABLE migration_0006_assigned AS "
                           "SELECT id, assigned_agent_id FROM handoff_cases WHERE assigned_agent_id IS NOT NULL"))
    with op.batch_alter_table("handoff_agents") as batch:
        batch.drop_constraint(op.f(ROLE), type_="check")
        batch.create_check_constraint(op.f(ROLE), condition)
    if sqlite:
        op.execute(sa.text("UPDATE handoff_cases SET assigned_agent_id = (SELECT a.assigned_agent_id FROM "
                           "migration_0006_assigned a WHERE a.id = handoff_cases.id) "
                           "WHERE id IN (SELECT id FROM migration_0006_assigned)"))
        op.execute(sa.text("DROP TABLE migration_0006_assigned"))


def upgrade() -> None:
    with op.batch_alter_table("archive_turns") as batch:
        batch.add_column(sa.Column("intent_margin", sa.Float(), nullable=True))
    op.create_table(
        "training_reviews",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("emotion", sa.String(16), nullable=True),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("file", sa.String(255), nullable=True),
        sa.CheckConstraint("decision IN ('labelled', 'skipped')", name=op.f("ck_training_reviews_decision")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_training_reviews")),
    )
    _role_check("role IN ('agent', 'supervisor', 'trainer')")


def downgrade() -> None:
    # a trainer cannot stay under the old constraint: their accounts go with the role
    op.execute(sa.text("DELETE FROM handoff_agents WHERE role = 'trainer'"))
    _role_check("role IN ('agent', 'supervisor')")
    op.drop_table("training_reviews")
    with op.batch_alter_table("archive_turns") as batch:
        batch.drop_column("intent_margin")
