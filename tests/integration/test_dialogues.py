"""Whole conversations over the REST channel against the running processes.

Each dialogue is a list of (what the customer types, texts the reply must contain).
"""

from __future__ import annotations

import pytest

from tests.integration.conftest import Customer

DIALOGUES = {
    "order status, zh-Hans": [
        ("订单 20251103887 到哪了", ["20251103887", "运输中", "SF1402938475612"]),
    ],
    "order number asked for, then answered, zh-Hant": [
        ("請問我的訂單到哪裡了", ["訂單號"]),
        ("20251105123", ["備貨中"]),
    ],
    "unknown order, en": [
        ("where is my order 20990000001", ["couldn't find", "20990000001", "My Orders"]),
    ],
    "refund asked for, then answered, en": [
        ("any news on my refund?", ["order number"]),
        ("20251028001", ["refunded", "129.00"]),
    ],
    "refund status, zh-Hans": [
        ("订单20251101456的退款到账了吗", ["退款", "审核通过"]),
    ],
    "standard answers, three languages": [
        ("你们一般几天能送到", ["顺丰"]),
        ("退貨的規定是什麼", ["7 天", "退貨"]),
        ("which payment methods do you accept?", ["Alipay"]),
    ],
    "greeting, bot question, goodbye, en": [
        ("hello", ["help"]),  # two greeting variants; both offer help
        ("are you a bot?", ["virtual assistant"]),
        ("bye", ["goodbye"]),
    ],
    "complaint acknowledged honestly": [
        ("充电宝冒烟起火，差点烧到孩子", ["抱歉", "商品质量", "400-820-0000"]),
    ],
    "human requested, zh-Hant": [
        ("我要找真人客服", ["人工", "400-820-0000"]),
    ],
}


@pytest.mark.parametrize("name", list(DIALOGUES))
def test_dialogue(customer: Customer, name: str) -> None:
    for text, expected in DIALOGUES[name]:
        replies = customer.say(text)
        joined = "\n".join(replies)
        for fragment in expected:
            assert fragment in joined, f"{text!r} → {joined!r} lacks {fragment!r}"


def test_language_and_entities_are_recorded_in_the_tracker(customer: Customer) -> None:
    customer.say("訂單 20251103887 到哪了")
    latest = customer.tracker()["latest_message"]
    assert latest["language"] == "zh-Hant"
    assert latest["intent"]["name"] == "query_order_status"
    assert {"entity": "order_id", "value": "20251103887"}.items() <= latest["entities"][0].items()


def test_bad_input_gets_an_answer_and_loses_nothing(customer: Customer) -> None:
    assert customer.say("") is not None
    assert customer.say("🙂" * 3000)
    assert customer.say("<script>alert(1)</script>")
    assert len(customer.tracker()["events"]) > 0
