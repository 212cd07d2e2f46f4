"""What the linear heads (intent, risk, emotion, severity) share: the message's sentence row and
the squashing functions that turn their scores into probabilities."""

from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np
import scipy.sparse
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message


def sentence_features(message: Message, featurizers: List[str]) -> Optional[scipy.sparse.csr_matrix]:
    """The message's sentence-level row (sparse, then dense features), computed once per message: Rasa's lookup and
    the conversion cost more than the linear models that read the row (four of them do)."""
    # The row is kept in an attribute of the message object, not in `message.data`: the data is
    # part of the message's fingerprint, and a training run that wrote the row there changed the
    # training data under every component trained after the first head, so Rasa's cache never
    # found those components again and every `make train` retrained them (docs/benchmarks.md,
    # "Start-up without retraining").
    rows: Dict[str, scipy.sparse.csr_matrix] = vars(message).setdefault("_shop_sentence_rows", {})
    key = ",".join(featurizers or [])
    if key in rows:
        return rows[key]
    # Sparse rows (n-grams) first, then dense ones (the sentence encoder's vector), in one row:
    # the heads' weights are fitted on this same layout.
    _, sparse = message.get_sparse_features(TEXT, featurizers or None)
    _, dense = message.get_dense_features(TEXT, featurizers or None)
    parts = [scipy.sparse.csr_matrix(f.features) for f in (sparse, dense) if f is not None]
    row = None if not parts else parts[0] if len(parts) == 1 else scipy.sparse.hstack(parts, format="csr")
    if row is not None:
        rows[key] = row
    return row


def dense_sentence_vector(message: Message, featurizer: str) -> Optional[np.ndarray]:
    """One featurizer's dense sentence feature as a (1, n) array, read straight from the
    message's features: Rasa's lookup combines every matching feature and costs 0.14 ms a
    message, this scan of a handful of features microseconds (the risk kinds' nearest-neighbour
    evidence reads the sentence vector this way on every message)."""
    for feature in message.features:
        if feature.origin == featurizer and feature.is_dense() and feature.type == FEATURE_TYPE_SENTENCE \
                and feature.attribute == TEXT:
            return np.asarray(feature.features, dtype=np.float32).reshape(1, -1)
    return None


def softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores - scores.max())
    return np.asarray(exp / exp.sum())


def sigmoid(score: float) -> float:
    """The probability a binary logistic head gives for its decision value."""
    return float(1.0 / (1.0 + np.exp(-score)))
