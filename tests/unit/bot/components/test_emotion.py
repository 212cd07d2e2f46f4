"""EmotionClassifier: the emotion with its confidence, the ranking, and the complaint score in
the parse result."""

from pathlib import Path

import pytest
from rasa.engine.graph import GraphComponent

from tests.unit.bot.components.pipeline import EMOTION, NGRAMS, TOKENIZER, parse, process, train_and_load


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> list[GraphComponent]:
    return train_and_load(Path(tmp_path_factory.mktemp("model")), [TOKENIZER, NGRAMS, EMOTION])


@pytest.mark.parametrize("text, emotion", [
    ("快递一周了还没到，气死我了", "anger"),
    ("the shoes fell apart, this is ridiculous", "anger"),
    ("快递慢了两天，有点失望", "sadness"),
    ("謝謝你們，服務很好", "joy"),
    ("thank you so much", "joy"),
    ("我的订单到哪了", "neutral"),
])
def test_emotion_and_confidence(pipeline: list[GraphComponent], text: str, emotion: str) -> None:
    result = parse(pipeline, text)
    assert result["emotion"]["name"] == emotion
    assert 0.5 < result["emotion"]["confidence"] <= 1.0
    ranking = result["emotion_ranking"]
    assert ranking[0] == result["emotion"]
    assert {r["name"] for r in ranking} == {"anger", "sadness", "joy", "neutral"}
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0, abs=1e-3)


def test_complaint_score(pipeline: list[GraphComponent]) -> None:
    assert parse(pipeline, "快递一周了还没到，气死我了")["complaint_score"] > 0.5
    assert parse(pipeline, "我的订单到哪了")["complaint_score"] < 0.5


def test_complaint_score_is_a_plain_float(pipeline: list[GraphComponent]) -> None:
    """A numpy score would make the severity grader's comparisons numpy booleans, which the
    JSON of Rasa's tracker store, event broker and HTTP API refuse."""
    score = process(pipeline, "快递一周了还没到，气死我了").get("complaint_score")
    assert type(score) is float


def test_the_complaint_head_may_read_more_features_than_the_emotion_head(tmp_path: Path) -> None:
    """config.yml gives the complaint head the sentence encoder's vector and keeps the six-way
    emotion head on n-grams; each head's weights match its own row, and both still answer."""
    from bot.components.sentence_encoder import DIMENSIONS, SentenceEncoderFeaturizer

    encoder = (SentenceEncoderFeaturizer, {"alias": "use", "cache_dir": str(tmp_path / "vectors")})
    emotion = (EMOTION[0], {**EMOTION[1], "complaint_featurizers": ["ngrams", "use"]})
    (tmp_path / "model").mkdir()
    both = train_and_load(tmp_path / "model", [TOKENIZER, NGRAMS, encoder, emotion])
    heads = both[-1]._heads
    assert heads.complaint_w.shape[0] == heads.emotion_w.shape[0] + DIMENSIONS
    assert parse(both, "快递一周了还没到，气死我了")["complaint_score"] > 0.5
    assert parse(both, "我的订单到哪了")["complaint_score"] < 0.5
    assert parse(both, "谢谢你们，服务很好")["emotion"]["name"] == "joy"


def test_the_emotion_head_reads_the_sentence_vector_at_its_own_weight(tmp_path: Path) -> None:
    """config.yml gives the six-way emotion head the encoder's vector at half weight: its row is
    the n-grams, then the scaled vector, then the lexicon counts, at training and at parse time
    alike; the complaint head keeps its own row."""
    import numpy as np

    from bot.components.features import sentence_features
    from bot.components.sentence_encoder import DIMENSIONS, SentenceEncoderFeaturizer

    encoder = (SentenceEncoderFeaturizer, {"alias": "use", "cache_dir": str(tmp_path / "vectors")})
    emotion = (EMOTION[0], {**EMOTION[1], "complaint_featurizers": ["ngrams", "use"], "encoder": "use",
                            "encoder_weight": 0.5})
    (tmp_path / "model").mkdir()
    both = train_and_load(tmp_path / "model", [TOKENIZER, NGRAMS, encoder, emotion])
    heads = both[-1]._heads
    assert heads.emotion_w.shape[0] == heads.complaint_w.shape[0]  # each: n-grams + vector + lexicon
    message = process(both, "快递一周了还没到，气死我了")
    parts = both[-1]._parts(message, heads.matcher, heads.cue_kinds)
    assert parts is not None
    vector, ngrams = sentence_features(message, ["use"]), sentence_features(message, ["ngrams"])
    assert vector is not None and ngrams is not None
    assert parts[0].shape[1] == ngrams.shape[1] + DIMENSIONS
    assert np.allclose(parts[0].toarray()[0, -DIMENSIONS:], 0.5 * vector.toarray()[0])
    assert parse(both, "快递一周了还没到，气死我了")["emotion"]["name"] == "anger"
    assert parse(both, "谢谢你们，服务很好")["emotion"]["name"] == "joy"


def test_naive_bayes_heads_answer_as_the_logistic_ones_do(tmp_path: Path) -> None:
    """config.yml has both heads scale the n-grams by their naive-Bayes ratios: the weights fold
    the scaling in, so a message is read with the same row and the answers hold."""
    emotion = (EMOTION[0], {**EMOTION[1], "naive_bayes": ["ngrams"]})
    (tmp_path / "model").mkdir()
    scaled = train_and_load(tmp_path / "model", [TOKENIZER, NGRAMS, emotion])
    assert parse(scaled, "快递一周了还没到，气死我了")["emotion"]["name"] == "anger"
    assert parse(scaled, "谢谢你们，服务很好")["emotion"]["name"] == "joy"
    assert parse(scaled, "快递一周了还没到，气死我了")["complaint_score"] > 0.5
    assert parse(scaled, "我的订单到哪了")["complaint_score"] < 0.5


def test_naive_bayes_must_name_the_features_the_heads_read_first(tmp_path: Path) -> None:
    """A trainer who names a featurizer the rows do not open with gets a reason, not a model that
    scales the wrong columns."""
    from bot.components.sentence_encoder import SentenceEncoderFeaturizer

    encoder = (SentenceEncoderFeaturizer, {"alias": "use", "cache_dir": str(tmp_path / "vectors")})
    emotion = (EMOTION[0], {**EMOTION[1], "naive_bayes": ["use"]})
    (tmp_path / "model").mkdir()
    with pytest.raises(ValueError, match="naive_bayes"):
        train_and_load(tmp_path / "model", [TOKENIZER, NGRAMS, encoder, emotion])


def test_a_retraining_with_the_heads_rows_and_labels_unchanged_reuses_their_fits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a trainer gets who only moved examples between two question intents: the heads are
    not fitted again, and they answer as the first training's did."""
    from bot.components.emotion import EmotionClassifier

    emotion = (EMOTION[0], {**EMOTION[1], "fit_cache": str(tmp_path / "fits")})
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = train_and_load(tmp_path / "first", [TOKENIZER, NGRAMS, emotion])
    monkeypatch.setattr(EmotionClassifier, "_fit_heads", lambda *args: pytest.fail("the heads were fitted again"))
    second = train_and_load(tmp_path / "second", [TOKENIZER, NGRAMS, emotion])
    for text in ("快递一周了还没到，气死我了", "thank you so much", "我的订单到哪了"):
        assert parse(second, text) == parse(first, text)
