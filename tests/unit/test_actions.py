"""Actions run in-process through rasa_sdk's executor, as the action server runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pytest
from rasa_sdk.executor import ActionExecutor

import actions.common as common
from shop.orders import SqlOrderRepository, seed_demo_orders


@pytest.fixture()
def executor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ActionExecutor:
    repo = SqlOrderRepository(f"sqlite:///{tmp_path / 'shop.db'}")
    seed_demo_orders(repo)
    monkeypatch.setattr(common, "orders", lambda: repo)
    ex = ActionExecutor()
    ex.register_package("actions")
    return ex


def request(action: str, text: str, intent: str, entities: Optional[list[dict[str, Any]]] = None,
            slots: Optional[dict[str, Any]] = None, events: Optional[list[dict[str, Any]]] = None) -> dict[str, Any]:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
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


async def test_complaint_acknowledged_with_category(executor: ActionExecutor) -> None:
    texts, _ = await run(executor, "action_acknowledge_complaint", "the parcel is a week late", "complain_delivery")
    assert "delivery" in texts[0] and "sorry" in texts[0].lower()


async def test_second_fallback_in_a_row_points_to_a_person(executor: ActionExecutor) -> None:
    miss = {"event": "user", "text": "asdf", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    texts, _ = await run(executor, "action_fallback", "qwer", "nlu_fallback")
    assert "rephrase" in texts[0]
    texts, _ = await run(executor, "action_fallback", "qwer", "nlu_fallback", events=[miss])
    assert "agent" in texts[0]
