import pytest

from core.vocabulary import OPEN_STATES
from handoff import lifecycle
from handoff.lifecycle import STATES, TRANSITIONS, InvalidTransition, check


@pytest.mark.parametrize(("current", "target"), [
    ("received", "investigating"), ("received", "in_progress"), ("received", "follow_up"), ("received", "closed"),
    ("investigating", "solution_proposed"), ("solution_proposed", "investigating"),
    ("in_progress", "solution_proposed"), ("in_progress", "follow_up"), ("follow_up", "closed"),
    ("follow_up", "reopened"), ("closed", "reopened"), ("reopened", "investigating"), ("reopened", "closed"),
])
def test_allowed_moves(current: str, target: str) -> None:
    check(current, target)


@pytest.mark.parametrize(("current", "target"), [
    ("closed", "in_progress"), ("closed", "received"), ("follow_up", "in_progress"), ("investigating", "received"),
    ("in_progress", "investigating"), ("received", "reopened"), ("solution_proposed", "received"),
])
def test_refused_moves(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition):
        check(current, target)


def test_no_state_moves_to_itself_and_every_target_is_a_state() -> None:
    assert set(TRANSITIONS) == set(STATES)
    for current, targets in TRANSITIONS.items():
        assert current not in targets
        assert set(targets) <= set(STATES)


def test_error_names_current_target_and_allowed() -> None:
    with pytest.raises(InvalidTransition, match="^case cannot go from closed to in_progress; allowed: reopened$"):
        check("closed", "in_progress")
    with pytest.raises(ValueError, match="allowed: closed, reopened"):
        check("follow_up", "investigating")


def test_unknown_states_are_refused() -> None:
    with pytest.raises(InvalidTransition, match="unknown case state 'solved'"):
        check("received", "solved")
    with pytest.raises(InvalidTransition, match="unknown case state 'limbo'"):
        check("limbo", "closed")


def test_open_states() -> None:
    assert "closed" not in OPEN_STATES
    assert {"received", "reopened", "follow_up"} <= OPEN_STATES
    assert lifecycle.allowed("closed") == ("reopened",)
