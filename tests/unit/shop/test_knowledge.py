import os
import time
from pathlib import Path

import pytest

from core.settings import ROOT
from shop.knowledge import Knowledge, KnowledgeError, KnowledgeFile

SHIPPED = ROOT / "nlu_data" / "knowledge" / "answers.yml"


def test_shipped_file_has_an_answer_for_every_answered_intent() -> None:
    kb = Knowledge.load(SHIPPED)
    rules = (ROOT / "nlu_data" / "dialogue" / "rules.yml").read_text(encoding="utf-8")
    answered = [line.split("answer ")[1] for line in rules.splitlines() if line.startswith("- rule: answer ")]
    assert answered
    for intent in answered:
        assert kb.has(intent), intent
        for language in ("zh-Hans", "zh-Hant", "en"):
            assert "{" not in kb.text(intent, language), (intent, language)


def test_traditional_is_derived_from_simplified_when_missing() -> None:
    kb = Knowledge({"answers": {"x": {"zh": "发票在订单详情里下载", "en": "Invoices are in the order details"}}})
    assert kb.text("x", "zh-Hant") == "發票在訂單詳情裡下載"
    assert kb.text("x", "en") == "Invoices are in the order details"


def test_explicit_traditional_wins_and_placeholders_fill() -> None:
    entry = {"zh": "打{hotline}", "zh-Hant": "請撥{hotline}", "en": "call {hotline} {missing}"}
    kb = Knowledge({"shop": {"hotline": "123"}, "answers": {"x": entry}})
    assert kb.text("x", "zh-Hant") == "請撥123"
    assert kb.text("x", "en") == "call 123 {missing}"


@pytest.mark.parametrize("raw", [{"answers": {"x": {"zh": "只有中文"}}}, {"answers": {"x": {"zh": [], "en": "a"}}}, []])
def test_malformed_entries_are_refused_with_their_place(raw: object) -> None:
    with pytest.raises(KnowledgeError):
        Knowledge(raw)  # type: ignore[arg-type]


def test_reload_picks_up_edits_and_keeps_last_good_version(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text('answers:\n  greet: {zh: "你好", en: "hello"}\n', encoding="utf-8")
    live = KnowledgeFile(path)
    assert live.get().text("greet", "en") == "hello"
    path.write_text('answers:\n  greet: {zh: "您好", en: "hi"}\n', encoding="utf-8")
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert live.get().text("greet", "en") == "hi"
    path.write_text("answers: [broken\n", encoding="utf-8")
    os.utime(path, (time.time() + 10, time.time() + 10))
    assert live.get().text("greet", "en") == "hi"
    assert live.last_error and "not valid YAML" in live.last_error
