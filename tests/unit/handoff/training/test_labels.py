"""Labels are checked against the bot's own values and written as Rasa YAML that Rasa loads,
sorted, with their provenance, merged into the day's file without losing anyone's label."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from core.vocabulary import COMPLAINT_SEVERITIES, EMOTIONS
from handoff.training.labels import (
    Domain,
    Label,
    LabelError,
    ReviewFileError,
    ReviewFiles,
    check_label,
    example,
    render,
    safe_text,
)
from handoff.training.texts import text_key
from tests.unit.handoff.training.support import ROOT_DOMAIN

AT = datetime(2026, 12, 3, 8, 30, 5, tzinfo=timezone.utc)
INTENTS = Domain(ROOT_DOMAIN).intents()


def test_the_intents_are_the_domains() -> None:
    assert "complain_delivery" in INTENTS and "request_human" in INTENTS and "query_order_status" in INTENTS
    assert "nlu_fallback" not in INTENTS


@pytest.mark.parametrize(("intent", "emotion", "severity"), [
    ("complain_teleport", "anger", "severe"), ("complain_delivery", "rage", None),
    ("complain_delivery", "anger", "critical"), (None, None, None), ("query_shipping", ["anger"], None),
    ("complain_delivery", None, 3)])
def test_a_label_the_bot_cannot_learn_is_refused(intent: object, emotion: object, severity: object) -> None:
    with pytest.raises(LabelError):
        check_label(intent, emotion, severity, INTENTS)


def test_the_allowed_values_are_the_components() -> None:
    for emotion in EMOTIONS:
        assert check_label("greet", emotion, None, INTENTS).emotion == emotion
    for severity in COMPLAINT_SEVERITIES:
        assert check_label("complain_refund", None, severity, INTENTS).severity == severity
    assert check_label("complain_refund", "anger", "none", INTENTS) == Label("complain_refund", "anger", None)
    # the severity grader learns from complaints only: with another intent nothing would use it
    assert check_label("query_refund_status", "anxiety", "severe", INTENTS) == \
        Label("query_refund_status", "anxiety", None)


def _write(folder: Path, *examples: tuple[Label, str]) -> Path:
    files = ReviewFiles(folder)
    path = files.path_for(AT)
    files.add(path, [example(label, text, reviewer="tom", at=AT, model_id="m-1", reasons=["low_confidence"])
                     for label, text in examples])
    return path


def test_rasa_loads_the_written_file_with_the_labels_in_the_metadata(tmp_path: Path) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    path = _write(tmp_path / "review", (Label("complain_delivery", "anger", "important"), "快递三天没动: {急}"),
                  (Label("greet", None, None), 'say "yes" \\ no\x7f'),
                  (Label("query_order_status", "anxiety", None), "订单[123](order_id)到哪了"))
    assert path == tmp_path / "review" / "2026-12-03.yml"
    data = load_data(str(path))
    by_text = {m.get("text"): m for m in data.training_examples}
    assert set(by_text) == {"快递三天没动: {急}", 'say "yes" \\ no\x7f', "订单［123］(order_id)到哪了"}
    delivery = by_text["快递三天没动: {急}"]
    assert delivery.get("intent") == "complain_delivery"
    metadata = delivery.get("metadata")["example"]
    assert metadata == {"emotion": "anger", "severity": "important", "source": "review", "reviewer": "tom",
                        "reviewed_at": "2026-12-03T08:30:05+00:00", "model_id": "m-1", "reason": ["low_confidence"]}
    assert not by_text["订单［123］(order_id)到哪了"].get("entities")  # no entity Rasa would invent


def test_the_file_is_sorted_and_merges_with_what_the_day_already_has(tmp_path: Path) -> None:
    folder = tmp_path / "review"
    _write(folder, (Label("query_shipping"), "b 运费多少"), (Label("greet"), "你好呀"))
    path = _write(folder, (Label("query_shipping"), "a 包邮吗"), (Label("greet", "joy"), "你好呀!"))
    text = path.read_text(encoding="utf-8")
    assert text.index("- intent: greet") < text.index("- intent: query_shipping")
    assert text.index('"a 包邮吗"') < text.index('"b 运费多少"')
    assert text.count("你好呀") == 1 and "emotion: joy" in text  # the same text again: the newer label
    again = render(ReviewFiles.read(path))
    assert again == text  # reading and writing it back changes nothing: stable for git


def test_a_day_file_broken_by_hand_is_not_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "review"
    folder.mkdir()
    path = ReviewFiles(folder).path_for(AT)
    path.write_text("nlu: [half an edit", encoding="utf-8")
    with pytest.raises(ReviewFileError):
        _write(folder, (Label("greet"), "hi"))
    assert path.read_text(encoding="utf-8") == "nlu: [half an edit"
    assert [p.name for p in folder.iterdir()] == [path.name]  # no temporary file left behind


def test_texts_go_on_one_line_and_keep_their_key() -> None:
    assert safe_text("第一行\n第二行\t结束 ") == "第一行 第二行 结束"
    assert safe_text("see [this](link)") == "see ［this］(link)"
    assert text_key(safe_text("see [this](link)")) == text_key("see [this](link)")
    assert safe_text("[急] 快递") == "[急] 快递"  # brackets Rasa would not read as markup stay
