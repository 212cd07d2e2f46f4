"""The closed loop of a case (受理→调查→方案→实施→回访): which moves an agent may make.

Agents may skip ahead (a simple case goes from received straight to closed) but may only step
back where real work goes back: a refused proposal returns to investigating, a failed fix to a
new proposal. A closed case can only be reopened.
"""

from __future__ import annotations

from typing import Mapping

from core.vocabulary import (
    CASE_STATES,
    CLOSED,
    FOLLOW_UP,
    IN_PROGRESS,
    INVESTIGATING,
    RECEIVED,
    REOPENED,
    SOLUTION_PROPOSED,
)

STATES = CASE_STATES  # the states themselves are shared vocabulary; the moves between them are ours

TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    RECEIVED: (INVESTIGATING, SOLUTION_PROPOSED, IN_PROGRESS, FOLLOW_UP, CLOSED),
    INVESTIGATING: (SOLUTION_PROPOSED, IN_PROGRESS, FOLLOW_UP, CLOSED),
    SOLUTION_PROPOSED: (INVESTIGATING, IN_PROGRESS, FOLLOW_UP, CLOSED),
    IN_PROGRESS: (SOLUTION_PROPOSED, FOLLOW_UP, CLOSED),
    FOLLOW_UP: (CLOSED, REOPENED),
    CLOSED: (REOPENED,),
    REOPENED: (INVESTIGATING, SOLUTION_PROPOSED, IN_PROGRESS, FOLLOW_UP, CLOSED),
}


class InvalidTransition(ValueError):
    """A move the lifecycle does not allow; the message tells the agent what is allowed instead."""


def allowed(current: str) -> tuple[str, ...]:
    return TRANSITIONS.get(current, ())


def check(current: str, target: str) -> None:
    if current not in TRANSITIONS:
        raise InvalidTransition(f"unknown case state {current!r}; states: {', '.join(STATES)}")
    if target not in TRANSITIONS:
        raise InvalidTransition(f"unknown case state {target!r}; allowed from {current}: {', '.join(allowed(current))}")
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"case cannot go from {current} to {target}; allowed: {', '.join(TRANSITIONS[current])}"
        )
