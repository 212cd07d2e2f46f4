"""FoldingJiebaTokenizer: Traditional and full-width text is segmented like its Simplified,
half-width form, with offsets into the text the customer typed."""

from pathlib import Path

import pytest
from rasa.engine.graph import GraphComponent
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT

from tests.unit.bot.components.pipeline import TOKENIZER, process, train_and_load


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> list[GraphComponent]:
    return train_and_load(Path(tmp_path_factory.mktemp("model")), [TOKENIZER])


def tokens(pipeline: list[GraphComponent], text: str) -> list[tuple[str, int, int]]:
    return [(t.text, t.start, t.end) for t in process(pipeline, text).get(TOKENS_NAMES[TEXT])]


def test_traditional_text_gets_the_simplified_words(pipeline: list[GraphComponent]) -> None:
    traditional = tokens(pipeline, "請問退貨規定是什麼")
    assert traditional == tokens(pipeline, "请问退货规定是什么")
    assert [word for word, _, _ in traditional] == ["请问", "退货", "规定", "是", "什么"]


def test_offsets_point_into_the_original_text(pipeline: list[GraphComponent]) -> None:
    text = "訂單 ２０２５ 到哪了"
    found = tokens(pipeline, text)
    assert ("订单", 0, 2) in found
    assert ("2025", 3, 7) in found
    assert all(len(text[start:end]) == len(word) for word, start, end in found)


def test_english_is_split_into_words(pipeline: list[GraphComponent]) -> None:
    assert [word for word, _, _ in tokens(pipeline, "where is my order")] == ["where", "is", "my", "order"]
