"""A text's key folds width, case, spaces and punctuation; the training data's texts are read
from both forms of Rasa examples, without entity markup, and read again when a file changes."""

from __future__ import annotations

import os
from pathlib import Path

from handoff.training.texts import TrainingTexts, normalize, plain, text_key
from tests.unit.handoff.training.support import TRAINING_YAML


def test_texts_that_differ_only_in_width_case_spaces_and_punctuation_share_a_key() -> None:
    assert text_key("快递 到了吗？") == text_key("快递到了吗") == text_key("快递到了吗?")
    assert text_key("Where is my parcel?") == text_key("where is my  PARCEL")
    assert text_key("ＡＢＣ１２３") == text_key("abc123")  # full-width, as phones type it
    assert text_key("快递到了吗") != text_key("快递到了")
    assert len(text_key("x")) == 64


def test_punctuation_alone_is_still_a_text() -> None:
    assert normalize("？？？") == "???" and text_key("???") != text_key("")
    assert normalize("我好开心😀") == "我好开心😀"  # an emoji can carry the feeling


def test_entity_markup_is_not_part_of_the_text() -> None:
    assert plain("where is my [parcel](product)") == "where is my parcel"
    assert plain('订单[123]{"entity": "order_id"}到了吗') == "订单123到了吗"


def test_the_training_data_is_read_in_both_example_forms(tmp_path: Path) -> None:
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "a.yml").write_text(TRAINING_YAML, encoding="utf-8")
    (tmp_path / "rules.yml").write_text('version: "3.1"\nrules: []\n', encoding="utf-8")
    known = TrainingTexts(tmp_path).known()
    assert set(known.texts) == {"我的快递到哪了", "where is my parcel", "快递三天没动了，气死"}
    assert text_key("我的快递到哪了！") in known.keys and text_key("Where is my parcel") in known.keys


def test_a_changed_or_new_file_is_read_again(tmp_path: Path) -> None:
    texts = TrainingTexts(tmp_path / "data", tmp_path / "review")
    assert texts.known().texts == ()
    (tmp_path / "review").mkdir()
    review = tmp_path / "review" / "2026-12-01.yml"
    review.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - 你好\n', encoding="utf-8")
    first = texts.known()
    assert first.texts == ("你好",)
    assert texts.known() is first  # nothing changed: not read again
    review.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - 你好\n    - 哈喽\n',
                      encoding="utf-8")
    os.utime(review, ns=(1, 10**18))
    assert set(texts.known().texts) == {"你好", "哈喽"}


def test_a_broken_file_counts_as_no_examples(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("nlu: [unclosed", encoding="utf-8")
    (tmp_path / "good.yml").write_text('nlu:\n- intent: greet\n  examples: |\n    - hi\n', encoding="utf-8")
    assert TrainingTexts(tmp_path).known().texts == ("hi",)
