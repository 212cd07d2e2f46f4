"""The fast n-gram row equals what sklearn's vectorizers compute."""

import numpy as np
import scipy.sparse
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from bot.components.ngrams import _Table
from core.language import fold

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
