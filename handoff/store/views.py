"""Frozen, ORM-free snapshots of stored rows: safe to hand across threads and to serialise as JSON."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Optional, TypeVar, cast

V = TypeVar("V", bound="_View")


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


class _View:
    @classmethod
    def of(cls: type[V], row: Any, **overrides: Any) -> V:
        names = [f.name for f in fields(cast(Any, cls))]
        return cast(Any, cls)(**{n: overrides[n] if n in overrides else getattr(row, n) for n in names})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ISO 8601 datetimes, lists instead of tuples."""
        return {f.name: _json(getattr(self, f.name)) for f in fields(cast(Any, self))}


@dataclass(frozen=True)
class CaseView(_View):
    id: str
    conversation_id: str
    channel: str
    customer_id: str
    language: str
    category: str
    severity: str
    emotion: Optional[str]
    reasons: tuple[str, ...]
    priority: int
    state: str
    team: str
    handoff: bool
    queue_status: str
    assigned_agent_id: Optional[int]
    assigned_agent: Optional[str]  # the agent's name
    summary: str
    package: Optional[dict[str, Any]]
    callback_contact: Optional[str]
    breaches: int
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime
    resolution_due: datetime
    first_response_at: Optional[datetime]
    resolved_at: Optional[datetime]
    closed_at: Optional[datetime]
    final_category: Optional[str]  # the agent's labels on resolve; None: no agent said (docs/handoff.md)
    final_severity: Optional[str]
    labelled_by: Optional[str]
    version: int


@dataclass(frozen=True)
class MessageView(_View):
    id: int
    case_id: str
    role: str
    author: Optional[str]
    text: str
    intent: Optional[str]
    emotion: Optional[str]
    confidence: Optional[float]
    at: datetime
    event_key: Optional[str]


@dataclass(frozen=True)
class TransitionView(_View):
    id: int
    case_id: str
    from_state: Optional[str]
    to_state: str
    actor: str
    at: datetime
    note: str


@dataclass(frozen=True)
class AlertView(_View):
    """An SLA breach (case_id set) or a volume warning (预警: category, numbers, owner, deadline,
    episode and 复盘 review; docs/warnings.md). `status` is derived: open, acknowledged, reviewed."""

    id: int
    case_id: Optional[str]
    kind: str
    level: str
    message: str
    created_at: datetime
    acknowledged_by: Optional[str]
    acknowledged_at: Optional[datetime]
    category: Optional[str]
    method: Optional[str]
    observed: Optional[float]
    expected: Optional[float]
    threshold: Optional[float]
    window_start: Optional[datetime]
    window_end: Optional[datetime]
    last_signal_at: Optional[datetime]
    escalated_at: Optional[datetime]
    owner: Optional[str]
    due_at: Optional[datetime]
    details: Optional[dict[str, Any]]
    reviewed_by: Optional[str]
    reviewed_at: Optional[datetime]
    review: Optional[str]
    status: str

    @classmethod
    def of(cls: type[V], row: Any, **overrides: Any) -> V:
        status = "reviewed" if row.reviewed_at else "acknowledged" if row.acknowledged_at else "open"
        return super().of(row, **{"status": status, **overrides})


@dataclass(frozen=True)
class AgentView(_View):
    id: int
    name: str
    role: str
    teams: tuple[str, ...]
    languages: tuple[str, ...]
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class RatingView(_View):
    id: int
    case_id: str
    score: int
    comment: Optional[str]
    at: datetime


@dataclass(frozen=True)
class FollowUpView(_View):
    id: int
    case_id: str
    due_at: datetime
    done_at: Optional[datetime]
    note: str
    created_at: datetime
