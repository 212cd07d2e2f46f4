"""Cases and the way to a person: the queued case with its package, the callback, the rating."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from rasa_sdk.executor import ActionExecutor

import actions.common as common
from handoff.desk import Desk
from tests.unit.actions.support import graded, route_and_reply, run


async def test_handoff_opens_a_queued_case_with_the_package(executor: ActionExecutor, desk: Desk) -> None:
    parse = graded("severe", ["intent:complain_refund", "emotion:anger(0.90)", "risk:regulator"], "anger")
    _, slots = await route_and_reply(executor, "再不退钱我就去12315投诉，我电话13812345678", "complain_refund", parse)
    case = desk.store.get(slots["case_id"])
    assert case.queue_status == "queued" and case.severity == "severe" and case.handoff
    assert [e.case_id for e in desk.queue.entries()] == [case.id]
    assert case.priority == slots["handoff_request"]["priority"]  # what the bot decided is where it waits
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
