"""What the linear heads (intent, risk, emotion, severity) share: the message's sentence row and
the squashing functions that turn their scores into probabilities."""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional

import numpy as np
import scipy.sparse
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
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
    row = _sentence_row(message, featurizers)
    if row is not None:
        rows[key] = row
    return row


def _sentence_row(message: Message, featurizers: List[str]) -> Optional[scipy.sparse.csr_matrix]:
    """The row Rasa's `get_sparse_features` and `get_dense_features` would give, sparse parts
    first, then dense ones, each in the message's order (the heads' weights are fitted on this
    layout), built in one step. Why not Rasa's lookup: it also deep-copies and stacks the
    per-token sequence features nobody here reads, and with scipy's general `hstack` it cost
    about 0.15 ms per lookup, four lookups a message (`python -m benchmarks.emotion --cost-only`)."""
    chosen = list(_sentence_features_of(message, featurizers))
    parts = [scipy.sparse.csr_matrix(f.features) for f in chosen if f.is_sparse()]
    parts += [scipy.sparse.csr_matrix(np.asarray(f.features).reshape(1, -1)) for f in chosen if f.is_dense()]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return one_row(parts)


def one_row(parts: List[scipy.sparse.csr_matrix]) -> scipy.sparse.csr_matrix:
    """One-row CSR matrices side by side: what `scipy.sparse.hstack(parts, format="csr")` gives,
    without its general block machinery (a tenth of the time for a single row)."""
    offsets = np.cumsum([0] + [p.shape[1] for p in parts])
    data = np.concatenate([p.data for p in parts])
    indices = np.concatenate([p.indices.astype(np.int64) + offset for p, offset in zip(parts, offsets, strict=False)])
    return scipy.sparse.csr_matrix((data, indices, np.array([0, len(data)])), shape=(1, int(offsets[-1])))


def dense_sentence_vector(message: Message, featurizer: str) -> Optional[np.ndarray]:
    """One featurizer's dense sentence feature as a (1, n) array, read straight from the
    message's features: Rasa's lookup combines every matching feature and costs 0.14 ms a
    message, this scan of a handful of features microseconds (the risk kinds' nearest-neighbour
    evidence reads the sentence vector this way on every message)."""
    for feature in _sentence_features_of(message, [featurizer]):
        if feature.is_dense():
            return np.asarray(feature.features, dtype=np.float32).reshape(1, -1)
    return None


def _sentence_features_of(message: Message, featurizers: List[str]) -> Iterator[Features]:
    """The message text's sentence-level features from these featurizers (all of them for an
    empty list, as in Rasa's lookup), in the message's order."""
    return (f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE
            and (not featurizers or f.origin in featurizers))


def softmax(scores: np.ndarray) -> np.ndarray:
    """Over the last axis: one message's scores, or one row per message."""
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return np.asarray(exp / exp.sum(axis=-1, keepdims=True))


def sigmoid(score: float) -> float:
    """The probability a binary logistic head gives for its decision value."""
    return float(1.0 / (1.0 + np.exp(-score)))
