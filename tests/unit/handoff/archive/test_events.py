"""The intent margin the archive keeps with each turn (top-1 minus top-2 confidence), from the
ranking Rasa sends, for the trainers' inbox."""

from __future__ import annotations

from typing import Any

from handoff.archive import Archive
from handoff.archive.events import intent_margin
from tests.unit.handoff.archive.support import T0, stamp, user


def test_the_margin_is_the_lead_of_the_first_intent_over_the_second() -> None:
    ranking = [{"name": "query_shipping", "confidence": 0.3}, {"name": "query_order_status", "confidence": 0.5},
               {"name": "greet", "confidence": 0.1}]
    assert intent_margin(ranking) == 0.2
    assert intent_margin([{"name": "greet", "confidence": 0.9}]) == 0.9  # no rival at all
    # the fallback classifier's entry is its threshold, not a candidate
    assert intent_margin([{"name": "nlu_fallback", "confidence": 0.3}, {"name": "greet", "confidence": 0.25},
                          {"name": "thank", "confidence": 0.2}]) == 0.05


def test_a_missing_or_odd_ranking_has_no_margin() -> None:
    odd: list[Any] = [None, [], "x", [{"name": "greet"}], [{"confidence": "high"}], [{"name": "a", "confidence": True}]]
    for ranking in odd:
        assert intent_margin(ranking) is None
    assert intent_margin([{"name": "nlu_fallback", "confidence": 0.3}]) is None


def test_an_archived_turn_keeps_its_margin(archive: Archive) -> None:
    event = user("c1", "还没到", stamp(1), intent="query_order_status")
    event["parse_data"]["intent_ranking"] = [{"name": "query_order_status", "confidence": 0.55},
                                             {"name": "complain_delivery", "confidence": 0.4}]
    archive.record(event)
    older = user("c2", "hi", stamp(2))
    del older["parse_data"]["intent_ranking"]
    archive.record(older)
    margins = {t.conversation_id: t.intent_margin for t in archive.turns(T0)}
    assert margins["c2"] is None
    assert margins["c1"] is not None and abs(margins["c1"] - 0.15) < 1e-9
