"""Tables of the agents' room. The schema itself is created by the Alembic migrations in
handoff/migrations (kept equal to these models by a test), never by `create_all`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Optional

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

from handoff.clock import as_utc

# Named constraints, so that later SQLite batch migrations can find them by name.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=sa.MetaData(naming_convention=NAMING))


class UtcDateTime(sa.types.TypeDecorator):
    """Always aware UTC in Python; SQLite stores naive UTC text and would otherwise lose the zone."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        return None if value is None else as_utc(value)


def _fk(column: str) -> sa.ForeignKey:
    return sa.ForeignKey(column, ondelete="CASCADE")


class AgentRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "handoff_agents"
    # handoff.store.agents.ROLES; 'trainer' since migration 0006
    __table_args__ = (sa.CheckConstraint("role IN ('agent', 'supervisor', 'trainer')", name="role"),)
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(64), nullable=False, unique=True)
    role = sa.Column(sa.String(16), nullable=False)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True, index=True)
    teams = sa.Column(sa.JSON, nullable=False, default=lambda: ["general"])
    languages = sa.Column(sa.JSON, nullable=False, default=lambda: ["zh", "en"])
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UtcDateTime, nullable=False)


class CaseRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "handoff_cases"
    id = sa.Column(sa.String(32), primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    channel = sa.Column(sa.String(32), nullable=False)
    customer_id = sa.Column(sa.String(255), nullable=False, index=True)
    language = sa.Column(sa.String(16), nullable=False)
    category = sa.Column(sa.String(64), nullable=False)
    severity = sa.Column(sa.String(16), nullable=False)
    emotion = sa.Column(sa.String(16))
    reasons = sa.Column(sa.JSON, nullable=False, default=list)
    priority = sa.Column(sa.Integer, nullable=False)
    state = sa.Column(sa.String(20), nullable=False, index=True)
    team = sa.Column(sa.String(64), nullable=False, default="general")
    handoff = sa.Column(sa.Boolean, nullable=False, default=False)
    queue_status = sa.Column(sa.String(16), nullable=False, default="none", index=True)
    assigned_agent_id = sa.Column(sa.Integer, sa.ForeignKey("handoff_agents.id", ondelete="SET NULL"))
    summary = sa.Column(sa.Text, nullable=False, default="")
    package = sa.Column(sa.JSON)
    callback_contact = sa.Column(sa.String(255))
    breaches = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(UtcDateTime, nullable=False)
    updated_at = sa.Column(UtcDateTime, nullable=False)
    first_response_due = sa.Column(UtcDateTime, nullable=False)
    resolution_due = sa.Column(UtcDateTime, nullable=False)
    first_response_at = sa.Column(UtcDateTime)
    resolved_at = sa.Column(UtcDateTime)
    closed_at = sa.Column(UtcDateTime)
    # The agent's final labels, set on resolve (migration 0005); NULL = no agent said.
    final_category = sa.Column(sa.String(64))
    final_severity = sa.Column(sa.String(16))
    labelled_by = sa.Column(sa.String(100))
    version = sa.Column(sa.Integer, nullable=False)

    __table_args__ = (  # the reports' and the warning runner's reads (migration 0003)
        sa.Index("ix_handoff_cases_stats", "created_at", "category", "severity", "channel", "language", "team",
                 "handoff"),
        sa.Index("ix_handoff_cases_category_created_at", "category", "created_at"),
        sa.Index("ix_handoff_cases_customer_created_at", "customer_id", "created_at"),
        # The statistics' rollup finds the cases changed since it last looked (migration 0004).
        sa.Index("ix_handoff_cases_updated_at", "updated_at"),
    )

    # Every ORM update checks and bumps `version`: two processes changing one case cannot both win.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class TransitionRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "handoff_case_transitions"
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.String(32), _fk("handoff_cases.id"), nullable=False, index=True)
    from_state = sa.Column(sa.String(20))
    to_state = sa.Column(sa.String(20), nullable=False)
    actor = sa.Column(sa.String(100), nullable=False)
    at = sa.Column(UtcDateTime, nullable=False)
    note = sa.Column(sa.Text, nullable=False, default="")


class MessageRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "handoff_case_messages"
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.String(32), _fk("handoff_cases.id"), nullable=False, index=True)
    role = sa.Column(sa.String(16), nullable=False)
    author = sa.Column(sa.String(100))
    text = sa.Column(sa.Text, nullable=False)
    intent = sa.Column(sa.String(64))
    emotion = sa.Column(sa.String(16))
    confidence = sa.Column(sa.Float)
    at = sa.Column(UtcDateTime, nullable=False)
    event_key = sa.Column(sa.String(255), unique=True)


class SlaEventRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "handoff_sla_events"
    # One breach per case and kind, even with a breach sweeper on every machine.
    __table_args__ = (sa.UniqueConstraint("case_id", "kind", name="uq_handoff_sla_events_case_kind"),)
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.String(32), _fk("handoff_cases.id"), nullable=False, index=True)
    kind = sa.Column(sa.String(20), nullable=False)
    due_at = sa.Column(UtcDateTime, nullable=False)
    breached_at = sa.Column(UtcDateTime, nullable=False, index=True)
    priority_before = sa.Column(sa.Integer, nullable=False)
    priority_after = sa.Column(sa.Integer, nullable=False)


class AlertRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "handoff_alerts"
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.String(32), _fk("handoff_cases.id"), index=True)
    kind = sa.Column(sa.String(20), nullable=False)
    level = sa.Column(sa.String(16), nullable=False)
    message = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(UtcDateTime, nullable=False)
    acknowledged_by = sa.Column(sa.String(100))
    acknowledged_at = sa.Column(UtcDateTime)
    # A volume warning (预警, docs/warnings.md): the category it counts, the method that fired and
    # the numbers behind it; one row per episode, extended (last_signal_at) and escalated in place.
    category = sa.Column(sa.String(64))
    method = sa.Column(sa.String(32))
    observed = sa.Column(sa.Float)
    expected = sa.Column(sa.Float)
    threshold = sa.Column(sa.Float)
    window_start = sa.Column(UtcDateTime)
    window_end = sa.Column(UtcDateTime)
    last_signal_at = sa.Column(UtcDateTime)
    escalated_at = sa.Column(UtcDateTime)
    owner = sa.Column(sa.String(100))  # who answers for it, and by when
    due_at = sa.Column(UtcDateTime)
    details = sa.Column(sa.JSON)
    reviewed_by = sa.Column(sa.String(100))  # the 复盘 that closes it
    reviewed_at = sa.Column(UtcDateTime)
    review = sa.Column(sa.Text)

    __table_args__ = (sa.Index("ix_handoff_alerts_kind_category", "kind", "category", "created_at"),)


class RatingRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "handoff_ratings"
    __table_args__ = (sa.CheckConstraint("score BETWEEN 1 AND 5", name="score"),)
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.String(32), _fk("handoff_cases.id"), nullable=False, unique=True)
    score = sa.Column(sa.Integer, nullable=False)
    comment = sa.Column(sa.Text)
    at = sa.Column(UtcDateTime, nullable=False, index=True)


class FollowUpRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "handoff_follow_up_tasks"
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.String(32), _fk("handoff_cases.id"), nullable=False, index=True)
    due_at = sa.Column(UtcDateTime, nullable=False)
    done_at = sa.Column(UtcDateTime)
    note = sa.Column(sa.Text, nullable=False, default="")
    created_at = sa.Column(UtcDateTime, nullable=False)

# The conversation archive's, the statistics' rollup and the trainers' review tables share this
# Base (one Alembic history, one schema check); they live in their own rooms but must be
# registered whenever these models are.
import handoff.archive.models  # noqa: E402
import handoff.stats.models  # noqa: E402
import handoff.training.models  # noqa: E402, F401
