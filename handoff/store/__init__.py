"""Cases, their history, SLA breaches, alerts, ratings, follow-ups and agents in any SQLAlchemy database.

`CaseStore` is the one object callers hold; each repository mixin owns one kind of record and
they all share the engine and transaction plumbing of `StoreBase` (see handoff/store/db.py).
"""

from __future__ import annotations

from handoff.store.agents import ROLES, AgentRepository, new_token, token_hash
from handoff.store.alerts import AlertRepository
from handoff.store.cases import CaseRepository
from handoff.store.db import MIGRATIONS, StoreBase, alembic_config, make_engine
from handoff.store.errors import (
    AgentNotFound,
    AlertNotFound,
    AlreadyReviewed,
    CaseClosed,
    CaseNotFound,
    ClaimConflict,
    InvalidTransition,
    NotAssigned,
    RatingRefused,
    StaleCase,
    StoreError,
)
from handoff.store.follow_ups import FollowUpRepository
from handoff.store.views import (
    AgentView,
    AlertView,
    CaseView,
    FollowUpView,
    MessageView,
    RatingView,
    TransitionView,
)

__all__ = [
    "MIGRATIONS", "ROLES", "AgentNotFound", "AgentView", "AlertNotFound", "AlertView", "AlreadyReviewed", "CaseClosed",
    "CaseNotFound", "CaseStore", "CaseView", "ClaimConflict", "FollowUpView", "InvalidTransition", "MessageView",
    "NotAssigned", "RatingRefused", "RatingView", "StaleCase", "StoreBase", "StoreError", "TransitionView",
    "alembic_config", "make_engine",
    "new_token", "token_hash",
]


class CaseStore(CaseRepository, AlertRepository, FollowUpRepository, AgentRepository):
    """The whole store: `CaseStore(url, clock=..., sla=...)`, then `create_schema()` once per process."""
