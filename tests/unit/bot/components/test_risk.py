"""RiskExtractor: the risk kinds in the parse result, with the lexicon words that fired, or with
the learned model's probability for a paraphrase the lexicon lacks."""

from pathlib import Path

import pytest
from rasa.engine.graph import GraphComponent
from rasa.shared.nlu.training_data.message import Message

from bot.components.risk import training_kinds
from shop.risk import RiskMatcher
from tests.unit.bot.components.pipeline import NGRAMS, RISK, TOKENIZER, parse, train_and_load


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> list[GraphComponent]:
    return train_and_load(Path(tmp_path_factory.mktemp("model")), [TOKENIZER, NGRAMS, RISK])


def test_lexicon_risks_name_the_words(pipeline: list[GraphComponent]) -> None:
    assert parse(pipeline, "充电宝冒烟起火，差点烧到孩子")["risks"] == [
        {"kind": "safety_health", "terms": ["冒烟", "起火", "烧到"]}]


def test_traditional_and_english_wordings(pipeline: list[GraphComponent]) -> None:
    assert parse(pipeline, "電池鼓包還冒煙了")["risks"] == [{"kind": "safety_health", "terms": ["電池鼓包", "冒煙"]}]
    assert parse(pipeline, "the charger caught fire")["risks"] == [{"kind": "safety_health", "terms": ["caught fire"]}]


def test_several_kinds(pipeline: list[GraphComponent]) -> None:
    kinds = {risk["kind"] for risk in parse(pipeline, "充电宝起火了，我要去12315投诉")["risks"]}
    assert kinds == {"safety_health", "regulator"}


def test_the_model_finds_a_paraphrase(pipeline: list[GraphComponent]) -> None:
    [risk] = parse(pipeline, "充电宝太危险了，差点伤到孩子")["risks"]
    assert risk["kind"] == "safety_health"
    assert risk["terms"] == []
    assert 0.5 <= risk["model"] <= 1.0


def test_a_plain_question_has_no_risks(pipeline: list[GraphComponent]) -> None:
    assert parse(pipeline, "我的订单到哪了")["risks"] == []


def test_a_trainer_saying_none_overrules_the_lexicon_in_training() -> None:
    """A look-alike with a risk word teaches "no risk"; a paraphrase teaches its labelled kind."""
    matcher = RiskMatcher.load()

    def example(text: str, risk: str | None) -> Message:
        metadata = {"example": {"risk": risk}} if risk else {}
        return Message(data={"text": text, "metadata": metadata})

    assert training_kinds(example("my sister is a journalist and loves your bags", "none"), matcher) == set()
    assert training_kinds(example("a journalist is writing a story about this", None), matcher) == {"media"}
    assert training_kinds(example("the strap snapped and my toddler fell", "safety_health"), matcher) \
        == {"safety_health"}
