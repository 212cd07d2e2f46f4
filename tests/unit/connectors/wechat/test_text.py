"""Replies cut to WeChat's 2048 bytes, buttons as numbered choices and a customer's number mapped back."""

from __future__ import annotations

from connectors.wechat.text import TEXT_LIMIT, choices, picked, split_text, with_choices


def test_short_text_is_one_message_and_blank_is_none() -> None:
    assert split_text("订单 20251103887 运输中") == ["订单 20251103887 运输中"]
    assert split_text("") == [] and split_text(" \n ") == []


def test_long_chinese_is_cut_at_sentences_within_2048_bytes() -> None:
    text = "退货须在签收后七天内申请，商品须完好。" * 200  # 19 characters, 57 bytes each
    parts = split_text(text)
    assert len(parts) > 1 and "".join(parts) == text
    assert all(len(p.encode("utf-8")) <= TEXT_LIMIT for p in parts)
    assert all(p.endswith("。") for p in parts)


def test_paragraphs_are_preferred_and_emoji_are_never_cut() -> None:
    text = "\n\n".join("😀说明" * 100 for _ in range(5))
    parts = split_text(text)
    assert "".join(parts) == text and all(len(p.encode("utf-8")) <= TEXT_LIMIT for p in parts)
    assert all(p.endswith("\n\n") for p in parts[:-1])
    assert all(p.encode("utf-8").decode("utf-8") == p for p in parts)


def test_text_without_breaks_is_cut_hard() -> None:
    text = "字" * 2000
    parts = split_text(text)
    assert "".join(parts) == text and all(len(p.encode()) <= TEXT_LIMIT for p in parts)


def test_buttons_become_numbered_lines_with_a_hint() -> None:
    options = choices([{"title": "非常满意", "payload": "5"}, {"title": "不满意", "payload": "1"},
                       {"title": "官网", "url": "https://shop.example"}, {"title": ""}])
    assert options == [("非常满意", "5"), ("不满意", "1"), ("官网 https://shop.example", "")]
    text = with_choices("请为本次服务打分", options)
    assert text.splitlines()[:4] == ["请为本次服务打分", "1. 非常满意", "2. 不满意", "3. 官网 https://shop.example"]
    assert "回复数字" in text
    assert with_choices("", options[:1]).splitlines()[0] == "1. 非常满意"
    assert with_choices("hi", []) == "hi"


def test_a_number_picks_its_choice_and_anything_else_is_text() -> None:
    options = [("满意", "5"), ("查订单", '/inform{"order_id": "1"}'), ("官网 https://shop.example", "")]
    assert picked("1", options) == "5"
    assert picked(" ２ ", options) == '/inform{"order_id": "1"}'  # full-width digits from a Chinese keyboard
    assert picked("2.", options) == '/inform{"order_id": "1"}'
    assert picked("满意", options) == "5"  # the title as typed works too
    assert picked("3", options) is None  # a link: nothing to send back
    assert picked("4", options) is None and picked("0", options) is None
    assert picked("20251103887", options) is None and picked("好", options) is None
    assert picked("1", []) is None


def test_numbers_as_titles_are_not_numbered_again() -> None:
    rating = choices([{"title": str(n), "payload": str(n)} for n in range(5, 0, -1)])  # actions/handoff.py
    text = with_choices("请为本次服务打分", rating)
    assert text.splitlines()[1] == "5 / 4 / 3 / 2 / 1" and "1. " not in text
    assert picked("5", rating) == "5" and picked("1", rating) == "1"  # what they type is what they mean
    assert picked("6", rating) is None
