"""Actions run in-process through rasa_sdk's executor, as the action server runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
import redis
from rasa_sdk.executor import ActionExecutor

import actions.common as common
from handoff.desk import Desk, Hours
from handoff.queue import CaseQueue
from handoff.store import CaseStore
from shop.orders import SqlOrderRepository, seed_demo_orders


@pytest.fixture()
def desk(tmp_path: Path, redis_url: str) -> Iterator[Desk]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushall()
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    store.create_schema()
    instance = Desk(store, CaseQueue(client), hours=Hours())
    instance.queue.touch_agent(1, teams=["general"])  # someone is online unless a test says otherwise
    common.use_desk(instance)
    yield instance
    common.use_desk(None)


@pytest.fixture()
def executor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, desk: Desk) -> ActionExecutor:
    repo = SqlOrderRepository(f"sqlite:///{tmp_path / 'shop.db'}")
    seed_demo_orders(repo)
    monkeypatch.setattr(common, "orders", lambda: repo)
    ex = ActionExecutor()
    ex.register_package("actions")
    return ex


def request(action: str, text: str, intent: str, entities: Optional[list[dict[str, Any]]] = None,
            slots: Optional[dict[str, Any]] = None, events: Optional[list[dict[str, Any]]] = None,
            **parse: Any) -> dict[str, Any]:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or [], **parse}
    return {
        "next_action": action,
        "sender_id": "t",
        "tracker": {"sender_id": "t", "slots": slots or {}, "latest_message": latest,
                    "events": (events or []) + [{"event": "user", "text": text, "parse_data": latest}],
                    "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None},
        "domain": {},
        "version": "3.6.2",
    }


async def run(ex: ActionExecutor, *args: Any, **kwargs: Any) -> tuple[list[str], dict[str, Any]]:
    result = await ex.run(request(*args, **kwargs))
    assert result is not None
    texts = [r["text"] for r in result["responses"]]
    slots = {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}
    if any(e["event"] == "pause" for e in result["events"]):
        slots["paused"] = True
    followup = [e["name"] for e in result["events"] if e["event"] == "followup"]
    if followup:
        slots["followup"] = followup[0]
    return texts, slots


async def test_order_status_answers_from_the_orders_database(executor: ActionExecutor) -> None:
    texts, slots = await run(executor, "action_order_status", "订单 20251103887 到哪了", "query_order_status",
                             [{"entity": "order_id", "value": "20251103887"}])
    assert "运输中" in texts[0] and "SF1402938475612" in texts[0]
    assert slots["language"] == "zh-Hans"


async def test_unknown_order_gets_not_found_with_next_step(executor: ActionExecutor) -> None:
    texts, _ = await run(executor, "action_order_status", "where is order 20990000000", "query_order_status",
                         [{"entity": "order_id", "value": "20990000000"}])
    assert "couldn't find" in texts[0] and "20990000000" in texts[0] and "My Orders" in texts[0]


async def test_missing_number_is_asked_for_then_used(executor: ActionExecutor) -> None:
    texts, slots = await run(executor, "action_refund_status", "我的退款到哪了", "query_refund_status")
    assert "订单号" in texts[0] and slots["pending_request"] == "refund_status"
    texts, slots = await run(executor, "action_handle_inform", "20251028001", "inform",
                             [{"entity": "order_id", "value": "20251028001"}],
                             slots={"pending_request": "refund_status", "language": "zh-Hans"})
    assert "已退款" in texts[0]
    assert slots["pending_request"] is None and slots["language"] == "zh-Hans"


async def test_traditional_customer_gets_traditional_answer(executor: ActionExecutor) -> None:
    texts, slots = await run(executor, "action_answer", "請問怎麼退貨", "query_return_policy")
    assert "退貨" in texts[0] and slots["language"] == "zh-Hant"


def graded(level: str, reasons: list[str], emotion: str, confidence: float = 0.9) -> dict[str, Any]:
    """What the NLU puts in the parse result for a message."""
    return {"severity": {"level": level, "reasons": reasons}, "emotion": {"name": emotion, "confidence": confidence},
            "complaint": level != "none"}


def said(text: str, intent: str, **parse: Any) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"text": text, "intent": {"name": intent}, **parse}}


async def route_and_reply(executor: ActionExecutor, text: str, intent: str, parse: dict[str, Any],
                          events: Optional[list[dict[str, Any]]] = None) -> tuple[list[str], dict[str, Any]]:
    """action_route, then the action the rules run for its decision, as Rasa would."""
    _, slots = await run(executor, "action_route", text, intent, events=events, **parse)
    follow = {"handoff": "action_handoff", "register_case": "action_register_case",
              "answer_with_empathy": "action_answer_with_empathy", "offer_human": "action_offer_human",
              "callback": "action_callback", "answer": "action_answer"}[slots["route"]]
    texts, more = await run(executor, follow, text, intent, events=events, slots=slots, **parse)
    return texts, {**slots, **more}


async def test_severe_complaint_is_handed_off_honestly_and_recorded(executor: ActionExecutor) -> None:
    parse = graded("severe", ["intent:complain_product_quality", "emotion:anxiety(0.90)", "risk:safety_health"],
                   "anxiety")
    texts, slots = await route_and_reply(executor, "充电宝冒烟起火，差点烧到孩子", "complain_product_quality", parse)
    assert slots["route"] == "handoff" and slots["severity"] == "severe"
    assert slots["handoff_request"]["priority"] == 100
    assert "risk:safety_health" in slots["handoff_request"]["reasons"]
    assert "严重" in texts[0] and slots["case_id"].startswith("C-") and slots["case_id"] in texts[0]
    assert "前面还有 0 位客户" in texts[1] and slots["paused"]


async def test_important_and_angry_is_handed_off_with_an_apology(executor: ActionExecutor) -> None:
    parse = graded("important", ["intent:complain_refund", "emotion:anger(0.85)"], "anger", 0.85)
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
    parse = graded("general", ["intent:complain_delivery", "emotion:anger(0.90)"], "anger")
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
    assert slots["route"] == "handoff" and slots["handoff_request"]["priority"] == 30
    assert "转人工" in texts[0] or "人工" in texts[0]


async def test_upset_customer_gets_empathy_before_the_answer_and_no_cheer(executor: ActionExecutor) -> None:
    texts, _ = await run(executor, "action_order_status", "急死了 订单 20251103887 到底到哪了", "query_order_status",
                         [{"entity": "order_id", "value": "20251103887"}], **graded("none", [], "anxiety", 0.8))
    assert texts[0].startswith("理解您着急") and "运输中" in texts[1]
    texts, _ = await run(executor, "action_answer", "hello?? anyone there, this is ridiculous", "greet",
                         **graded("none", [], "anger", 0.8))
    assert "sorry" in texts[0].lower() and "!" not in texts[1]


async def test_a_query_with_a_risk_is_routed_instead_of_answered(executor: ActionExecutor) -> None:
    parse = graded("severe", ["intent:complain_general", "risk:safety_health"], "anxiety")
    texts, slots = await run(executor, "action_answer", "冒烟了怎么退货", "query_return_policy", **parse)
    assert texts == [] and slots["followup"] == "action_route"


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


async def test_handoff_opens_a_queued_case_with_the_package(executor: ActionExecutor, desk: Desk) -> None:
    parse = graded("severe", ["intent:complain_refund", "emotion:anger(0.90)", "risk:regulator"], "anger")
    _, slots = await route_and_reply(executor, "再不退钱我就去12315投诉，我电话13812345678", "complain_refund", parse)
    case = desk.store.get(slots["case_id"])
    assert case.queue_status == "queued" and case.severity == "severe" and case.handoff
    assert [e.case_id for e in desk.queue.entries()] == [case.id]
    package = case.package or {}
    assert package["severity"]["level"] == "severe" and "risk:regulator" in package["severity"]["reasons"]
    assert "138****5678" in package["transcript"][-1]["text"] and "13812345678" not in str(package)
    assert package["suggested_replies"] and package["sla"]["first_response_due"]


async def test_no_agent_online_takes_a_callback_and_the_case_waits(executor: ActionExecutor, desk: Desk) -> None:
    desk.queue.agent_offline(1)
    parse = graded("severe", ["intent:complain_product_quality", "risk:safety_health"], "anxiety")
    texts, slots = await route_and_reply(executor, "充电宝冒烟了", "complain_product_quality", parse)
    assert slots["route"] == "callback" and slots["case_id"] in texts[0]
    assert desk.store.get(slots["case_id"]).queue_status == "callback"
    texts, _ = await run(executor, "action_store_callback", "13812345678 下午都行", "inform",
                         slots={"case_id": slots["case_id"], "callback_contact": "13812345678 下午都行"})
    assert "13812345678" in texts[0] and desk.store.get(slots["case_id"]).callback_contact


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


async def test_case_status_answers_from_the_case_store(executor: ActionExecutor, desk: Desk) -> None:
    case = desk.register(conversation_id="c1", channel="rest", customer_id="c1", language="zh-Hans",
                         category="complain_refund", severity="important", emotion="neutral", reasons=[])
    desk.store.transition(case.id, "investigating", "agent:alice")
    texts, _ = await run(executor, "action_complaint_status", f"{case.id} 处理到哪一步了", "query_complaint_status",
                         [{"entity": "case_id", "value": case.id.lower()}])
    assert case.id in texts[0] and "调查" in texts[0]
    texts, _ = await run(executor, "action_complaint_status", "C-20200101-0001 进度", "query_complaint_status",
                         [{"entity": "case_id", "value": "C-20200101-0001"}])
    assert "没有查到" in texts[0]


@pytest.mark.parametrize("text,score", [("5", 5), ("５分", 5), ("非常满意", 5), ("不满意", 2), ("一般吧", 3),
                                        ("4 stars", 4), ("terrible", 1), ("what?", None), ("12345", None)])
def test_ratings_are_read_as_customers_write_them(text: str, score: Optional[int]) -> None:
    from actions.handoff import parse_rating

    assert parse_rating(text) == score


async def test_rating_is_stored_and_closes_the_case(executor: ActionExecutor, desk: Desk) -> None:
    case = desk.register(conversation_id="t", channel="rest", customer_id="t", language="zh-Hans",
                         category="complain_refund", severity="general", emotion="neutral", reasons=[])
    desk.store.resolve(case.id, "agent:alice")
    texts, _ = await run(executor, "action_store_rating", "还可以", "inform",
                         slots={"case_id": case.id, "rating": 4, "rating_comment": "回复有点慢", "language": "zh-Hans"})
    rating = desk.store.rating(case.id)
    assert rating is not None and rating.score == 4 and rating.comment == "回复有点慢"
    assert desk.store.get(case.id).state == "closed" and "感谢" in texts[0]


async def test_desk_down_still_gets_an_honest_answer(executor: ActionExecutor) -> None:
    class Broken:
        def __getattr__(self, name: str) -> Any:
            raise ConnectionError("redis is down")

    common.use_desk(Broken())  # type: ignore[arg-type]
    parse = graded("severe", ["intent:complain_product_quality", "risk:safety_health"], "anxiety")
    texts, slots = await route_and_reply(executor, "充电宝冒烟了", "complain_product_quality", parse)
    assert "400-820-0000" in " ".join(texts) and "case_id" not in slots
