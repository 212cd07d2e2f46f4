"""What a call to a mutating action must pass before it changes anything: the case it names is
this conversation's own, and the shop still takes new cases.

The case id comes from the `case_id` slot, and the slots come from the tracker in the request:
whoever can call the action server can set them. The action token (actions/server.py) keeps
everyone but Rasa out; this is the second wall behind it: an action only touches a case whose
stored conversation is the tracker's sender, so a made-up tracker naming someone else's case
changes nothing and leaves a warning in the log.

New cases count against the shop-wide rule "new_case" (RATE_NEW_CASES, 120 per hour by default,
core.limits, in Redis so every process counts together): a flood of new senders cannot fill the
queue and the supervisors' alerts. A conversation that already has an open case is not counted:
the desk raises that case instead of opening another (handoff.desk.Desk.open_case). Over the
limit the customer is told, in their language, that the team is overloaded and how to reach the
shop (docs/handoff.md, "When too many new cases arrive").
"""

from __future__ import annotations

import logging
import time
from typing import Optional

from rasa_sdk import Tracker

from actions.common import desk, limiter
from handoff.store import CaseNotFound, CaseView

log = logging.getLogger(__name__)


class Overloaded(Exception):
    """The shop-wide new-case limit is reached: no case, no queue entry, no alert."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"new-case limit reached; the next one in about {retry_after_s} s")
        self.retry_after_s = retry_after_s


def owned_case(tracker: Tracker, action: str) -> Optional[CaseView]:
    """The case of the `case_id` slot if it belongs to this conversation, else None (logged).
    Raises what the desk raises when it cannot be reached; callers already answer honestly then."""
    case_id = tracker.get_slot("case_id")
    if not case_id:
        return None
    try:
        case = desk().case(str(case_id))
    except CaseNotFound:
        log.warning("%s: no case %s (conversation %s); nothing changed", action, case_id, tracker.sender_id)
        return None
    if case.conversation_id != tracker.sender_id:
        log.warning("%s: case %s belongs to another conversation, not %s; nothing changed",
                    action, case.id, tracker.sender_id)
        return None
    return case


_quiet_until = 0.0  # monotonic time until which further refusals are not logged again


def admit_new_case(tracker: Tracker) -> None:
    """Counts a new case for this conversation, or raises Overloaded. A conversation with an open
    case is not a new one and is never refused (its case is raised, not doubled)."""
    global _quiet_until
    if desk().store.open_case_for(tracker.sender_id) is not None:
        return
    verdict = limiter().hit("new_case", "all")
    if verdict.allowed:
        return
    now = time.monotonic()
    if now >= _quiet_until:  # one line per window, not one per refused customer
        log.warning("new-case limit (%s) reached: new cases are refused for about %s s; customers are "
                    "given the hotline", limiter().rule("new_case"), verdict.retry_after_s)
        _quiet_until = now + verdict.retry_after_s
    raise Overloaded(verdict.retry_after_s)
