"""Sentence-level word and character n-gram features over the script-folded message.

Chinese words carry their meaning in characters and character pairs that jieba often splits
differently from one message to the next; character n-grams over the whole folded text
(across word boundaries) capture them, word uni- and bigrams capture English and phrasing.
The features are sentence-level only (one TF-IDF row per message, L2-normalised): that is what
intent classifiers read, and it keeps training and inference cheap.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.components.pickled import PickledComponent
from core.language import fold

Vectorizers = tuple[TfidfVectorizer, TfidfVectorizer]


def _words(message: Message) -> str:
    return " ".join(token.text for token in message.get(TOKENS_NAMES[TEXT]) or [])


class _Table:
    """A fitted TF-IDF vectorizer reduced to what one message needs: its analyzer, the
    vocabulary and the idf weights. sklearn's `transform` costs milliseconds per call in
    validation and matrix building; this costs tens of microseconds and gives the same row."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self.analyze: Callable[[str], List[str]] = vectorizer.build_analyzer()
        self.vocabulary: Dict[str, int] = dict(vectorizer.vocabulary_)
        self.idf = vectorizer.idf_.astype(np.float64)
        self.size = len(self.vocabulary)

    def weights(self, text: str, offset: int, out: Dict[int, float]) -> None:
        """Adds the text's L2-normalised TF-IDF weights (sublinear tf), as sklearn computes them."""
        counts = Counter(self.vocabulary[g] for g in self.analyze(text) if g in self.vocabulary)
        raw = {index: (1.0 + math.log(count)) * float(self.idf[index]) for index, count in counts.items()}
        norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
        for index, value in raw.items():
            out[offset + index] = value / norm


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class NgramFeaturizer(PickledComponent[Vectorizers], SparseFeaturizer):
    FILE = "ngrams.pkl"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**SparseFeaturizer.get_default_config(), "alias": "ngrams",
                "char_ngrams": [1, 3], "word_ngrams": [1, 2], "min_df": 2}

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 vectorizers: Optional[Vectorizers] = None) -> None:
        SparseFeaturizer.__init__(self, "NgramFeaturizer", config)
        PickledComponent.__init__(self, config, model_storage, resource, vectorizers)

    def _use(self, vectorizers: Optional[Vectorizers]) -> None:
        self._tables = (_Table(vectorizers[0]), _Table(vectorizers[1])) if vectorizers else None

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        for key in ("char_ngrams", "word_ngrams"):
            low, high = config[key]
            if not 1 <= low <= high:
                raise ValueError(f"NgramFeaturizer: {key} must be [low, high] with 1 <= low <= high")

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.training_examples if m.get(TEXT)]
        chars = TfidfVectorizer(analyzer="char", ngram_range=tuple(self._config["char_ngrams"]),
                                min_df=self._config["min_df"], sublinear_tf=True, dtype=np.float32)
        words = TfidfVectorizer(token_pattern=r"\S+", ngram_range=tuple(self._config["word_ngrams"]),
                                sublinear_tf=True, dtype=np.float32)
        chars.fit([fold(m.get(TEXT)) for m in examples])
        words.fit([_words(m) for m in examples])
        return self._persist((chars, words))

    def row(self, message: Message) -> scipy.sparse.coo_matrix:
        """One row: character n-grams, then word n-grams, each block TF-IDF and L2-normalised, the
        row normalised again so both blocks weigh alike."""
        assert self._tables is not None, "NgramFeaturizer used before training"
        chars, words = self._tables
        weights: Dict[int, float] = {}
        chars.weights(fold(message.get(TEXT)), 0, weights)
        words.weights(_words(message), chars.size, weights)
        columns = np.fromiter(weights.keys(), dtype=np.int64, count=len(weights))
        values = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
        norm = float(np.sqrt((values**2).sum())) or 1.0
        return scipy.sparse.coo_matrix(((values / norm).astype(np.float32), (np.zeros_like(columns), columns)),
                                       shape=(1, chars.size + words.size))

    def _featurize(self, messages: List[Message]) -> None:
        for message in messages:
            if message.get(TEXT) is not None:
                self.add_features_to_message(None, self.row(message), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages
