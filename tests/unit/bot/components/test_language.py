"""LanguageDetector: the parse result names the message's language and script."""

from pathlib import Path

import pytest
from rasa.engine.graph import GraphComponent

from tests.unit.bot.components.pipeline import LANGUAGE, parse, train_and_load


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> list[GraphComponent]:
    return train_and_load(Path(tmp_path_factory.mktemp("model")), [LANGUAGE])


@pytest.mark.parametrize("text, language", [
    ("订单 20251103887 到哪了", "zh-Hans"),
    ("請問退貨規定是什麼", "zh-Hant"),
    ("where is my order?", "en"),
    ("20251103887", None),
])
def test_parse_result_has_the_language(pipeline: list[GraphComponent], text: str, language: str | None) -> None:
    assert parse(pipeline, text).get("language") == language
