"""Splitting replies to Telegram's message size, and commands turned into words."""

from __future__ import annotations

import random
import re

from connectors.telegram.text import command_text, split_text, utf16_len


def check_parts(text: str, parts: list[str], limit: int = 4096) -> None:
    assert "".join(parts) == text  # nothing lost, nothing altered
    assert all(0 < utf16_len(p) <= limit and p.strip() for p in parts)


def test_short_and_exactly_4096_characters_are_one_message() -> None:
    assert split_text("订单 20251103887 运输中") == ["订单 20251103887 运输中"]
    assert split_text("a" * 4096) == ["a" * 4096]
    assert split_text("中" * 4096) == ["中" * 4096]
    parts = split_text("a" * 4097)
    assert [len(p) for p in parts] == [4096, 1]


def test_long_text_is_cut_after_paragraphs_then_lines() -> None:
    paragraphs = [f"第{i}段：" + "退款会在三个工作日内原路返回。" * 60 for i in range(12)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text)
    check_parts(text, parts)
    assert len(parts) > 2 and all(p.endswith("\n\n") for p in parts[:-1])
    lines = "\n".join(f"line {i:04d} " + "x" * 70 for i in range(200))
    parts = split_text(lines)
    check_parts(lines, parts)
    assert all(p.endswith("\n") for p in parts[:-1])


def test_cjk_without_spaces_is_cut_after_a_sentence_and_never_loses_a_character() -> None:
    text = "您好，您的订单已经发货，预计明天送达。如有问题请随时联系我们！" * 400
    parts = split_text(text)
    check_parts(text, parts)
    assert all(p[-1] in "。！" for p in parts[:-1])
    unbroken = "中" * 9000
    assert [len(p) for p in split_text(unbroken)] == [4096, 4096, 808]


def test_emoji_count_twice_and_sequences_stay_whole() -> None:
    smileys = "😀" * 3000  # 6000 UTF-16 units: Telegram's way of counting
    parts = split_text(smileys)
    check_parts(smileys, parts)
    assert [len(p) for p in parts] == [2048, 952]
    family = "👨\u200d👩\u200d👧" * 1000  # ZWJ sequences with nowhere to break
    parts = split_text(family)
    check_parts(family, parts)
    assert all(p.startswith("👨") and p.endswith("👧") for p in parts)
    flags = "🇨🇳🇺🇸" * 1500
    assert all(len(p) % 2 == 0 for p in split_text(flags))
    joiners = "\u200d" * 9000  # no place is a good place: still a few full messages, not thousands
    assert [len(p) for p in split_text(joiners)] == [4096, 4096, 808]


def test_special_characters_arrive_literally() -> None:
    text = "<b>&amp;*_[]</b> `x` \\n 😀 " * 400
    parts = split_text(text)
    check_parts(text, parts)
    assert all(p.endswith(" ") for p in parts[:-1])  # cut at a space


def test_random_texts_split_back_into_themselves() -> None:
    rng = random.Random(7)
    alphabet = ["a", "b", " ", "\n", "\n\n", "中", "文", "。", "，", "😀", "e\u0301", "\u200d", "<", "&", "_", "\t"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
        if not text.strip():
            assert split_text(text) == []
            continue
        parts = split_text(text, limit=37)
        assert all(utf16_len(p) <= 37 and p.strip() for p in parts)
        if not re.search(r"\s{18}", text):
            assert "".join(parts) == text
        else:  # only a blank stretch longer than half a message may be left out
            assert re.sub(r"\s", "", "".join(parts)) == re.sub(r"\s", "", text)


def test_blank_text_sends_nothing() -> None:
    assert split_text("") == [] and split_text(" \n\n ") == []


def test_commands_are_not_intents() -> None:
    assert command_text("/start") == "你好"
    assert command_text("/start ref-42", "en-US") == "hello"
    assert command_text("/help@shop_test_bot") == "help"
    assert command_text("/complain_product_quality") == "complain_product_quality"
    assert command_text("订单/退款 查询") == "订单/退款 查询"
