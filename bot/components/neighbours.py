"""Nearest-neighbour evidence for the learned risk kinds: how close a message's sentence vector
lies to the training examples of a kind, against how close it lies to complaints without risk.

Why: a linear model per kind draws one boundary through the whole vector space, and a danger
described through its consequence ("landed about an inch from him") sits far from most of its
kind's examples but close to a few of them. The mean similarity of the k nearest examples of the
kind, minus that of the k nearest riskless complaints, carries such local evidence; added to the
linear score (`RiskExtractor`, `neighbour_weight`) it found more of the severe paraphrases the
lexicon misses and fired on fewer calm complaints, with whole training files held out
(docs/risk_choices.md, "Nearest neighbours for the risk kinds"). The negatives are the calm
complaints only, not every riskless message: those are the look-alikes that decide a handoff,
and a smaller table costs less per message.

The same evidence over the n-gram rows (sparse) finds examples that share the kind's words
rather than its meaning; `RiskExtractor` adds both (`ngram_neighbour_weight`).

Vectors are unit rows, so a dot product is the cosine similarity. At run time one matrix product
over the stored rows serves every kind (0.24 ms with two BLAS threads, 0.39 ms with one, over
the 6,773 rows of the trained model, measured with the table in cache).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Sequence

import numpy as np
import scipy.sparse

# The key under which the riskless complaints (the negatives of every kind) are stored.
NEGATIVE = "none"


def unit(rows: Any) -> Any:
    """Rows scaled to length 1 (float32), dense or sparse as given; a zero row stays zero."""
    if scipy.sparse.issparse(rows):
        # Straight on the stored values: scipy's row sums and diagonal product cost 0.5 ms a message.
        rows = scipy.sparse.csr_matrix(rows, dtype=np.float32, copy=True)
        lengths = np.diff(rows.indptr)
        squares = np.bincount(np.repeat(np.arange(rows.shape[0]), lengths),
                              weights=rows.data.astype(np.float64) ** 2, minlength=rows.shape[0])
        rows.data = (rows.data / np.repeat(np.maximum(np.sqrt(squares), 1e-9), lengths)).astype(np.float32)
        return rows
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-9), dtype=np.float32)


def similar(rows: Any, stored: Any) -> np.ndarray:
    """Cosine similarities (dense) of unit `rows` to unit `stored` rows, both dense or both sparse."""
    product = rows @ stored.T
    return np.asarray(product.toarray() if scipy.sparse.issparse(product) else product, dtype=np.float32)


def top_mean(similarities: np.ndarray, k: int) -> np.ndarray:
    """Per row, the mean of its k largest values (of all of them when there are fewer than k);
    0 for an empty row set, so a kind without stored examples gives no evidence."""
    if similarities.shape[1] == 0:
        return np.zeros(similarities.shape[0], dtype=np.float32)
    k = min(k, similarities.shape[1])
    top = np.partition(similarities, similarities.shape[1] - k, axis=1)[:, -k:]
    return np.asarray(top.mean(axis=1), dtype=np.float32)


Columns = slice | np.ndarray


def evidence(similarities: np.ndarray, positives: Columns, negatives: Columns, k: int) -> np.ndarray:
    """Nearest positives minus nearest negatives, per row of `similarities` (columns: stored rows;
    a slice of them is a view, an index array a copy)."""
    return top_mean(similarities[:, positives], k) - top_mean(similarities[:, negatives], k)


@dataclass(frozen=True)
class Neighbours:
    """The stored unit vectors: each kind's examples in one block of rows, then the negatives
    (`NEGATIVE`), so that a kind's similarities are a slice, not a copy (`blocks`: start, end).
    Sparse rows (n-grams) are stored transposed, one row per feature: a message's few n-grams
    then pick the stored rows they occur in (in the pipeline p50 0.6 ms on customer messages; a
    dense pass over all stored values cost more, p50 1.3 ms, measured at stop 30)."""

    vectors: Any
    blocks: Dict[str, tuple[int, int]]
    k: int

    @classmethod
    def of(cls, vectors: Any, kinds: Dict[str, np.ndarray], negatives: np.ndarray, k: int) -> "Neighbours":
        """From all training rows (dense or sparse) and boolean masks of each kind's examples and
        of the negatives; a row of two kinds is stored in both blocks."""
        parts, blocks, start = [], {}, 0
        for kind, mask in [*kinds.items(), (NEGATIVE, negatives)]:
            rows = vectors[np.flatnonzero(mask)]
            parts.append(rows)
            blocks[kind] = (start, start + rows.shape[0])
            start += rows.shape[0]
        if scipy.sparse.issparse(vectors):
            return cls(scipy.sparse.csr_matrix(unit(scipy.sparse.vstack(parts)).T), blocks, k)
        return cls(unit(np.vstack(parts)), blocks, k)

    def scores(self, rows: Any) -> Dict[str, np.ndarray]:
        """Per kind, the evidence for each of `rows` (raw sentence vectors or n-gram rows)."""
        if scipy.sparse.issparse(self.vectors):
            similarities = np.asarray((unit(rows) @ self.vectors).toarray(), dtype=np.float32)
        else:
            similarities = unit(rows) @ self.vectors.T
        # The negatives' side is the same for every kind: computed once, not per kind as `evidence` would.
        negative = top_mean(similarities[:, slice(*self.blocks[NEGATIVE])], self.k)
        return {kind: top_mean(similarities[:, slice(*block)], self.k) - negative
                for kind, block in self.blocks.items() if kind != NEGATIVE}


def out_of_fold(vectors: Any, positives: np.ndarray, negatives: np.ndarray,
                splits: Sequence[tuple[np.ndarray, np.ndarray]], k: int, chunk: int = 2048) -> np.ndarray:
    """Each row's evidence against the rows of the other folds only, as the linear scores it is
    added to are out of fold when training calibrates them (`positives`, `negatives`: masks;
    `vectors` dense or sparse)."""
    rows = unit(vectors)
    scores = np.zeros(rows.shape[0], dtype=np.float32)
    for train, held in splits:
        train_positives, train_negatives = train[positives[train]], train[negatives[train]]
        stored = rows[np.concatenate([train_positives, train_negatives])]
        split = len(train_positives)
        for start in range(0, len(held), chunk):
            part = held[start:start + chunk]
            similarities = similar(rows[part], stored)
            scores[part] = evidence(similarities, slice(0, split), slice(split, None), k)
    return scores
