"""What the linear heads (intent, risk, emotion, severity) share: the message's sentence row and
the squashing functions that turn their scores into probabilities."""

from __future__ import annotations

from typing import List, Optional

import numpy as np
import scipy.sparse
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message


def sentence_features(message: Message, featurizers: List[str]) -> Optional[scipy.sparse.csr_matrix]:
    """The message's sentence-level sparse row, computed once per message: Rasa's lookup and
    the conversion cost more than the linear models that read the row (four of them do)."""
    key = "_sentence_row:" + ",".join(featurizers or [])
    cached = message.get(key)
    if cached is not None:
        return cached
    _, sentence = message.get_sparse_features(TEXT, featurizers or None)
    row = None if sentence is None else scipy.sparse.csr_matrix(sentence.features)
    if row is not None:
        message.set(key, row)
    return row


def softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores - scores.max())
    return np.asarray(exp / exp.sum())


def sigmoid(score: float) -> float:
    """The probability a binary logistic head gives for its decision value."""
    return float(1.0 / (1.0 + np.exp(-score)))
