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
    "severe complaint: a person at once, said honestly (zh-Hans)": [
        ("充电宝冒烟起火，差点烧到孩子", ["商品质量", "严重", "人工", "C-"]),
    ],
    "regulator threat is severe (zh-Hans)": [
        ("再不退钱我就去12315投诉", ["严重", "C-", "转接人工"]),
    ],
    "severe complaint in Traditional Chinese": [
        ("充電寶冒煙起火，差點燒到小孩", ["嚴重", "C-", "人工"]),
    ],
    "severe complaint in English": [
        ("the power bank started smoking and nearly burned my kid", ["severe", "case C-", "person"]),
    ],
    "mild complaint: empathy, no handoff (zh-Hans)": [
        ("快递晚了一天，下次注意", ["抱歉", "物流配送", "C-"]),
    ],
    "human requested, zh-Hant": [
        ("我要找真人客服", ["人工", "C-"]),
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


def test_emotion_severity_and_routing_are_in_the_parse_result_and_the_tracker(customer: Customer) -> None:
    customer.say("再不退钱我就去12315投诉")
    tracker = customer.tracker()
    latest = tracker["latest_message"]
    assert latest["emotion"]["name"] in ("anger", "anxiety") and 0 < latest["emotion"]["confidence"] <= 1
    assert latest["severity"]["level"] == "severe" and "risk:regulator" in latest["severity"]["reasons"]
    assert latest["complaint"] is True and latest["handoff"] is True
    assert tracker["slots"]["route"] == "handoff"
    assert tracker["slots"]["handoff_request"]["level"] == "severe"


def test_an_angry_customer_is_not_answered_with_cheer(customer: Customer) -> None:
    replies = customer.say("你们这什么破客服，态度这么差，气死我了")
    joined = "\n".join(replies)
    assert "！" not in joined and "😊" not in joined
    assert "抱歉" in joined


def test_severity_rises_when_the_customer_keeps_complaining(customer: Customer) -> None:
    customer.say("快递晚了一天，下次注意")
    assert customer.tracker()["slots"]["route"] == "answer_with_empathy"
    customer.say("都说了快递慢，现在还没到，你们到底管不管！")
    customer.say("气死了，又没送到，你们就是这样对待顾客的？")
    slots = customer.tracker()["slots"]
    assert slots["route"] == "handoff"
    assert any(r.startswith("history:") for r in slots["routing"]["reasons"]), slots["routing"]
