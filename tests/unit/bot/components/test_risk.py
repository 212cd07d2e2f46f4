"""RiskExtractor: the risk kinds in the parse result, with the lexicon words that fired, or with
the learned model's probability for a paraphrase the lexicon lacks."""

from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from rasa.engine.graph import GraphComponent
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.risk import RiskExtractor, training_kinds
from shop.risk import RiskMatcher
from tests.unit.bot.components.pipeline import NGRAMS, RISK, TOKENIZER, parse, train_and_load, training_data


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


class Vectors:
    """A stand-in sentence featurizer for the nearest-neighbour evidence (alias `use`): a unit test
    without the 150 MB encoder. Words about danger to a child point one way, everything else another."""

    @staticmethod
    def vector(text: str) -> np.ndarray:
        danger = any(word in text for word in ("孩子", "宝宝", "kid", "child"))
        return np.array([[1.0, 0.1]]) if danger else np.array([[0.1, 1.0]])

    def add(self, data: TrainingData) -> TrainingData:
        for message in data.training_examples:
            self.to(message)
        return data

    def to(self, message: Message) -> None:
        message.features.append(Features(self.vector(message.get("text") or ""), FEATURE_TYPE_SENTENCE, "text", "use"))


def risk_kinds(tmp_path: Path, neighbour_weight: float, texts: list[str],
               ngram_neighbour_weight: float = 0.0) -> list[list[str]]:
    """The kinds found in each text by a risk extractor trained (and loaded back) with the stand-in vectors."""
    vectors = Vectors()
    tmp_path.mkdir()
    config = {"featurizers": ["ngrams"], "min_examples": 3, "neighbour_weight": neighbour_weight, "neighbours": 2,
              "calibration_folds": 0, "ngram_neighbour_weight": ngram_neighbour_weight}
    [tokenizer, ngrams, risk] = train_and_load(tmp_path, [TOKENIZER, NGRAMS, (RiskExtractor, config)],
                                               vectors.add(training_data()))
    found = []
    for text in texts:
        message = Message.build(text=text)
        tokenizer.process([message])
        ngrams.process([message])
        vectors.to(message)
        risk.process([message])
        found.append([r["kind"] for r in message.get("risks")])
    return found


def test_nearest_neighbours_add_evidence_the_linear_score_lacks(tmp_path: Path) -> None:
    """A danger to a child worded without the lexicon or the training paraphrases' n-grams: the
    linear model alone misses it; with the evidence on it is found, and a calm complaint is not."""
    texts = ["my child got hold of the loose piece", "宝宝拿着那个松掉的小零件", "the parcel was two days late"]
    assert risk_kinds(tmp_path / "without", 0.0, texts) == [[], [], []]
    assert risk_kinds(tmp_path / "with", 20.0, texts) == [["safety_health"], ["safety_health"], []]


def test_n_gram_neighbours_find_a_danger_told_in_a_kinds_words(tmp_path: Path) -> None:
    """The n-gram rows as a second source of evidence: with only them on, a child-danger wording
    is found through the training examples it shares words with, and a late parcel is not."""
    texts = ["差点伤到孩子", "the parcel was two days late", "快递晚了两天"]
    assert risk_kinds(tmp_path / "without", 0.0, texts) == [[], [], []]
    assert risk_kinds(tmp_path / "with", 0.0, texts, ngram_neighbour_weight=20.0) == [["safety_health"], [], []]


def test_a_model_trained_before_the_n_gram_source_still_loads(tmp_path: Path) -> None:
    """Its state held the sentence-vector table itself (or None) where the sources' dict is now."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from bot.components.neighbours import Neighbours
    from bot.components.risk import VECTOR
    from tests.unit.bot.components.pipeline import CONTEXT

    risk = RiskExtractor.create(RiskExtractor.get_default_config(), LocalModelStorage(tmp_path), Resource("risk"),
                                CONTEXT)
    table = Neighbours.of(np.eye(2), {"safety_health": np.array([True, False])}, np.array([False, True]), 1)
    risk._use(cast(Any, ({}, {}, table)))  # the old layout, which the type no longer describes
    assert risk._neighbours == {VECTOR: table}
    risk._use(cast(Any, ({}, {}, None)))
    assert risk._neighbours == {}


def test_a_retraining_with_a_kinds_rows_and_labels_unchanged_reuses_its_fits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.components import risk

    stage = (RISK[0], {**RISK[1], "fit_cache": str(tmp_path / "fits"), "jobs": 1})
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = train_and_load(tmp_path / "first", [TOKENIZER, NGRAMS, stage])
    assert first[-1]._models, "the test data teaches at least one kind"
    monkeypatch.setattr(risk._KindFit, "__call__", lambda self: pytest.fail("a kind was fitted again"))
    second = train_and_load(tmp_path / "second", [TOKENIZER, NGRAMS, stage])
    for text in ("产品质量太差，我要去消协投诉你们", "the charger caught fire", "我的订单到哪了"):
        assert parse(second, text)["risks"] == parse(first, text)["risks"]


def test_a_kind_short_of_its_threshold_is_reported_apart_when_near_ratio_is_on(tmp_path: Path) -> None:
    """The paraphrase the model finds at p ≥ 0.5 (above) falls short of a 0.999 threshold: with
    `near_ratio` 0.5 it is listed under `risks_near` for the grader, never among the risks; off,
    nothing is listed; a plain question is near nothing."""
    found = {}
    for ratio in (0.0, 0.5):
        config = {**RISK[1], "calibration_folds": 0, "threshold": 0.999, "near_ratio": ratio}
        (tmp_path / str(ratio)).mkdir()
        [tokenizer, ngrams, risk] = train_and_load(tmp_path / str(ratio), [TOKENIZER, NGRAMS, (RiskExtractor, config)])
        for text in ("充电宝太危险了，差点伤到孩子", "我的订单到哪了"):
            message = Message.build(text=text)
            for component in (tokenizer, ngrams, risk):
                component.process([message])
            assert message.get("risks") == []
            assert "risks_near" not in message.as_dict(only_output_properties=True)  # not in the parse result
            found[(ratio, text)] = message.get("risks_near")
    assert found[(0.0, "充电宝太危险了，差点伤到孩子")] == [] and found[(0.5, "我的订单到哪了")] == []
    [near] = found[(0.5, "充电宝太危险了，差点伤到孩子")]
    assert near["kind"] == "safety_health" and near["threshold"] == 0.999 and 0.4995 <= near["model"] < 0.999
