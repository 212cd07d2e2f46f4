"""The store's own errors. InvalidTransition comes from the lifecycle rules but is raised through
the store, so callers catch every store failure from one import."""

from __future__ import annotations

from handoff.lifecycle import InvalidTransition

__all__ = [
    "AgentNotFound", "AlertNotFound", "AlreadyReviewed", "CaseClosed", "CaseNotFound", "ClaimConflict",
    "InvalidTransition", "NotAssigned", "RatingRefused", "StaleCase", "StoreError",
]


class StoreError(Exception):
    """Base of the store's own errors."""


class CaseNotFound(StoreError, LookupError):
    pass


class AgentNotFound(StoreError, LookupError):
    pass


class ClaimConflict(StoreError):
    """Somebody else was faster, or the case is not waiting; the message says which."""


class NotAssigned(StoreError):
    pass


class CaseClosed(StoreError):
    pass


class StaleCase(StoreError):
    """The case changed in another process meanwhile (optimistic concurrency)."""


class RatingRefused(StoreError):
    """The case is not waiting for a rating (not resolved, or rated already), or has no rating to
    add a comment to: a forged or repeated rating changes nothing."""


class AlertNotFound(StoreError, LookupError):
    pass


class AlreadyReviewed(StoreError):
    """The alert was closed with a 复盘 already; the first review stands."""
