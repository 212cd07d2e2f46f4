"""NgramFeaturizer: the fast n-gram row equals what sklearn's vectorizers compute, and a trained,
persisted and loaded featurizer gives every message one sentence row that the classifiers read."""

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import GraphComponent
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from bot.components.features import sentence_features
from bot.components.ngrams import _Table
from core.language import fold
from tests.unit.bot.components.pipeline import NGRAMS, TOKENIZER, process, train_and_load

TEXTS = ["订单 20251103887 到哪了", "請問退貨規定是什麼", "where is my order", "退款什么时候到账 refund", "谢谢"]


def test_fast_rows_match_sklearn() -> None:
    folded = [fold(t) for t in TEXTS]
    words = [" ".join(t.split()) for t in folded]
    chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True).fit(folded)
    wordv = TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True).fit(words)
    expected = normalize(scipy.sparse.hstack([chars.transform(folded), wordv.transform(words)]).tocsr()).toarray()
    tables = (_Table(chars), _Table(wordv))
    for i, text in enumerate(TEXTS):
        message = Message.build(text=text)
        message.set(TOKENS_NAMES[TEXT], [Token(w, 0) for w in words[i].split()])
        weights: dict[int, float] = {}
        tables[0].weights(folded[i], 0, weights)
        tables[1].weights(words[i], tables[0].size, weights)
        row = np.zeros(tables[0].size + tables[1].size)
        for column, value in weights.items():
            row[column] = value
        row /= np.linalg.norm(row)
        assert np.allclose(row, expected[i], atol=1e-6)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> list[GraphComponent]:
    return train_and_load(Path(tmp_path_factory.mktemp("model")), [TOKENIZER, NGRAMS])


def row(pipeline: list[GraphComponent], text: str) -> np.ndarray:
    features = sentence_features(process(pipeline, text), ["ngrams"])
    assert features is not None
    return np.asarray(features.toarray()).ravel()


def test_loaded_featurizer_gives_a_normalised_sentence_row(pipeline: list[GraphComponent]) -> None:
    features = row(pipeline, "我的订单到哪了")
    assert np.count_nonzero(features) > 5
    assert np.linalg.norm(features) == pytest.approx(1.0, abs=1e-5)


def test_both_scripts_share_one_vocabulary(pipeline: list[GraphComponent]) -> None:
    assert np.allclose(row(pipeline, "謝謝你們，服務很好"), row(pipeline, "谢谢你们，服务很好"))


def test_similar_messages_get_similar_rows(pipeline: list[GraphComponent]) -> None:
    order = row(pipeline, "我的订单到哪了")
    assert order @ row(pipeline, "订单到哪了") > order @ row(pipeline, "谢谢，问题解决了")


def test_words_never_seen_in_training_give_an_empty_row(pipeline: list[GraphComponent]) -> None:
    assert not row(pipeline, "zzzqqq").any()
