"""action_route and the actions its decision runs (SPEC section 4), in the customer's language."""

from __future__ import annotations

from rasa_sdk.executor import ActionExecutor

from core.vocabulary import priority
from handoff.desk import Desk
from tests.unit.actions.support import graded, route_and_reply, run, said


async def test_severe_complaint_is_handed_off_honestly_and_recorded(executor: ActionExecutor) -> None:
    parse = graded("severe", ["intent:complain_product_quality", "emotion:anxiety(0.90)", "risk:safety_health"],
                   "anxiety")
    texts, slots = await route_and_reply(executor, "充电宝冒烟起火，差点烧到孩子", "complain_product_quality", parse)
    assert slots["route"] == "handoff" and slots["severity"] == "severe"
    # one scale: severe and anxious is 120 in the routing slot and in the agents' queue alike
    assert slots["handoff_request"]["priority"] == priority("severe", "anxiety") == 120
    assert "risk:safety_health" in slots["handoff_request"]["reasons"]
    assert "严重" in texts[0] and slots["case_id"].startswith("C-") and slots["case_id"] in texts[0]
    assert "前面还有 0 位客户" in texts[1] and slots["paused"]


async def test_important_and_angry_is_handed_off_with_an_apology(executor: ActionExecutor) -> None:
    parse = graded("important", ["intent:complain_refund", "emotion:anger(0.97)"], "anger", 0.97)
    texts, slots = await route_and_reply(executor, "退款半个月还没到，到底什么时候退", "complain_refund", parse)
    assert slots["route"] == "handoff" and slots["handoff_request"]["why"] == "important and upset"
    assert "抱歉" in texts[0] and "！" not in texts[0]


async def test_important_and_calm_is_registered_and_the_order_number_asked(executor: ActionExecutor) -> None:
    parse = graded("important", ["intent:complain_billing", "emotion:neutral(0.80)"], "neutral", 0.8)
    texts, slots = await route_and_reply(executor, "I was charged twice for one order", "complain_billing", parse)
    assert slots["route"] == "register_case" and "handoff_request" not in slots
    assert "billing" in texts[0] and "order number" in texts[1] and "agent" in texts[1]


async def test_general_complaint_gets_empathy_and_no_handoff(executor: ActionExecutor) -> None:
    parse = graded("general", ["intent:complain_delivery", "emotion:neutral(0.70)"], "neutral", 0.7)
    texts, slots = await route_and_reply(executor, "快递晚了一天，下次注意", "complain_delivery", parse)
    assert slots["route"] == "answer_with_empathy" and "抱歉" in texts[0]


async def test_emotion_rising_over_the_conversation_raises_the_level(executor: ActionExecutor) -> None:
    earlier = [said("快递怎么还没到", "query_order_status", emotion={"name": "neutral", "confidence": 0.8})]
    parse = graded("general", ["intent:complain_delivery", "emotion:anger(0.97)"], "anger", 0.97)
    texts, slots = await route_and_reply(executor, "都一个星期了！你们到底管不管", "complain_delivery", parse, earlier)
    assert slots["severity"] == "important" and "history:emotion_rising" in slots["routing"]["reasons"]
    assert slots["route"] == "handoff"


async def test_third_complaint_in_a_conversation_is_severe(executor: ActionExecutor) -> None:
    parse = graded("general", ["intent:complain_delivery", "emotion:sadness(0.60)"], "sadness", 0.6)
    earlier = [said("快递晚了", "complain_delivery", complaint=True),
               said("还是没到", "complain_delivery", complaint=True)]
    _, slots = await route_and_reply(executor, "又没送到", "complain_delivery", parse, earlier)
    assert slots["severity"] == "severe" and "history:3rd_contact" in slots["routing"]["reasons"]


async def test_request_for_a_person_is_handed_off_at_normal_priority(executor: ActionExecutor) -> None:
    texts, slots = await route_and_reply(executor, "转人工", "request_human", graded("none", [], "neutral"))
    assert slots["route"] == "handoff" and slots["handoff_request"]["priority"] == priority("none", "neutral") == 20
    assert "转人工" in texts[0] or "人工" in texts[0]





async def test_a_query_with_a_risk_is_routed_instead_of_answered(executor: ActionExecutor) -> None:
    parse = graded("severe", ["intent:complain_general", "risk:safety_health"], "anxiety")
    texts, slots = await run(executor, "action_answer", "冒烟了怎么退货", "query_return_policy", **parse)
    assert texts == [] and slots["followup"] == "action_route"





async def test_calm_important_complaint_gets_a_case_id_but_no_queue(executor: ActionExecutor, desk: Desk) -> None:
    parse = graded("important", ["intent:complain_billing", "emotion:neutral(0.80)"], "neutral", 0.8)
    texts, slots = await route_and_reply(executor, "I was charged twice for one order", "complain_billing", parse)
    assert slots["case_id"] in texts[0] and desk.store.get(slots["case_id"]).queue_status == "none"
    assert desk.queue.entries() == []


async def test_earlier_cases_of_the_customer_raise_the_level(executor: ActionExecutor, desk: Desk) -> None:
    desk.register(conversation_id="an-earlier-chat", channel="rest", customer_id="t", language="zh-Hans",
                  category="complain_delivery", severity="general", emotion="neutral", reasons=[])
    parse = graded("general", ["intent:complain_delivery", "emotion:neutral(0.70)"], "neutral", 0.7)
    _, slots = await run(executor, "action_route", "快递又晚了", "complain_delivery", **parse)
    assert slots["severity"] == "important" and "history:earlier_cases(1)" in slots["routing"]["reasons"]

