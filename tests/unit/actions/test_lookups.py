"""Order, refund and case status: answered from the orders database and the case store."""

from __future__ import annotations

from rasa_sdk.executor import ActionExecutor

from handoff.desk import Desk
from tests.unit.actions.support import run


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

