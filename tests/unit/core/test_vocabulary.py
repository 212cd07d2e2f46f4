"""The shared words: one priority scale whose order is SPEC §4's, severity only ever rises, case
ids typed by hand find their case."""

import pytest

from core.vocabulary import (
    CASE_STATES,
    NEGATIVE_EMOTIONS,
    UPSET_EMOTIONS,
    normalise_case_id,
    one_level_up,
    priority,
    raise_to,
)
from shop.routing import route


def test_spec_section_4_order_holds_on_the_one_scale() -> None:
    severe = route("severe", "neutral", "complain_product_quality")
    important_angry = route("important", "anger", "complain_refund")
    important_calm = route("important", "neutral", "complain_refund")
    general = route("general", "neutral", "complain_delivery")
    asked = route("none", "neutral", "request_human")
    assert [d.action for d in (severe, important_angry, asked)] == ["handoff"] * 3
    assert severe.priority > important_angry.priority > important_calm.priority > general.priority > asked.priority


def test_the_routing_slot_and_the_queue_agree() -> None:
    for level in ("none", "general", "important", "severe"):
        for emotion in ("anger", "anxiety", "sadness", "neutral", None):
            assert route(level, emotion, "complain_refund").priority == priority(level, emotion)


def test_an_angry_severe_customer_is_served_before_a_calm_one() -> None:
    assert priority("severe", "anger") == 120 and priority("severe", None) == 100


def test_a_request_for_a_person_keeps_the_case_priority_when_higher() -> None:
    assert route("important", "neutral", "request_human").priority == priority("important", "neutral")
    assert route("important", "neutral", "request_human").priority > route("none", None, "request_human").priority


def test_breaches_move_a_case_up() -> None:
    assert priority("general", None, breached=2) == priority("general", None) + 30


def test_severity_only_rises() -> None:
    assert raise_to("important", "general") == "important"
    assert raise_to("general", "severe") == "severe"
    assert one_level_up("important") == "severe" and one_level_up("severe") == "severe"
    with pytest.raises(ValueError, match="unknown severity 'urgent'"):
        priority("urgent", None)


def test_upset_is_anger_or_anxiety_and_negative_adds_disappointment() -> None:
    assert UPSET_EMOTIONS == {"anger", "anxiety"}
    assert NEGATIVE_EMOTIONS == {"anger", "anxiety", "sadness"}


def test_case_ids_typed_by_hand() -> None:
    assert normalise_case_id(" c-20261122-0001 ") == "C-20261122-0001"
    assert normalise_case_id("c-2026 1122-0001") == "C-20261122-0001"


def test_the_lifecycle_closes_the_loop_of_the_guides() -> None:
    assert CASE_STATES[:6] == ("received", "investigating", "solution_proposed", "in_progress", "follow_up", "closed")
