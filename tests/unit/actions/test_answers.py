"""Standard answers in a tone that fits the customer, and what three misunderstandings lead to."""

from __future__ import annotations

from rasa_sdk.executor import ActionExecutor

from tests.unit.actions.support import graded, run


async def test_upset_customer_gets_empathy_before_the_answer_and_no_cheer(executor: ActionExecutor) -> None:
    texts, _ = await run(executor, "action_order_status", "急死了 订单 20251103887 到底到哪了", "query_order_status",
                         [{"entity": "order_id", "value": "20251103887"}], **graded("none", [], "anxiety", 0.8))
    assert texts[0].startswith("理解您着急") and "运输中" in texts[1]
    texts, _ = await run(executor, "action_answer", "hello?? anyone there, this is ridiculous", "greet",
                         **graded("none", [], "anger", 0.8))
    assert "sorry" in texts[0].lower() and "!" not in texts[1]





async def test_second_fallback_in_a_row_points_to_a_person(executor: ActionExecutor) -> None:
    miss = {"event": "user", "text": "asdf", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    texts, _ = await run(executor, "action_fallback", "qwer", "nlu_fallback")
    assert "rephrase" in texts[0]
    texts, _ = await run(executor, "action_fallback", "qwer", "nlu_fallback", events=[miss])
    assert "agent" in texts[0]


async def test_third_fallback_in_a_row_hands_off(executor: ActionExecutor) -> None:
    miss = {"event": "user", "text": "asdf", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    texts, slots = await run(executor, "action_fallback", "qwer", "nlu_fallback", events=[miss, miss])
    assert slots["route"] == "handoff" and slots["followup"] == "action_handoff"
    assert slots["handoff_request"]["reasons"] == ["history:3_fallbacks"]


