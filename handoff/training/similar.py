"""Similar messages share a group, so a trainer labels "快递怎么还没到" and "我的快递咋还没到啊" in
one go (docs/training.md, "Grouping").

Character n-grams (1 to 3, within words) weighted by TF-IDF and compared by cosine similarity:
they need no tokenizer, so Chinese, English and a mix of both are compared alike, and a typo or
a Traditional character changes a few n-grams rather than a whole word. The n-grams are hashed
(no vocabulary to fit) and their weights come from the training data's texts together with the
messages, so words every message has ("请问", "my order") count for little and an n-gram the
training data never had counts for much. The training data's counts are kept until it changes.

Grouping is leader-based, in the inbox's order: a message joins the group of the first earlier
leader it is at least `thresholds.SIMILARITY` similar to, else it leads a group of its own. Every
member is close to its leader, so a group never drifts into a chain of ever less similar
messages, and the groups come in the order the trainer asked for.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any, Optional, Sequence

import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize as l2_normalize

from handoff.training import thresholds as th

ROWS_PER_BLOCK = 256  # similarity rows computed at once: memory stays ~ 256 x messages floats
_GAPS = re.compile(r"\s+")


def fold(text: str) -> str:
    """Width and case folded, punctuation turned into spaces (word edges for the n-grams)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    spaced = "".join(" " if unicodedata.category(ch)[0] in ("P", "Z", "C") else ch for ch in folded)
    return _GAPS.sub(" ", spaced).strip()


_HASHING = HashingVectorizer(analyzer="char_wb", ngram_range=(1, 3), n_features=2**20, alternate_sign=False,
                             norm=None, lowercase=False, dtype=np.float32)


def counts(texts: Sequence[str]) -> scipy.sparse.csr_matrix:
    """N-gram counts, one row per text."""
    return _HASHING.transform([fold(t) for t in texts]).tocsr()


def document_frequency(matrix: scipy.sparse.csr_matrix) -> np.ndarray:
    return np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)


class Similarity:
    """Groups messages; remembers the reference texts' document frequencies between calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reference: Optional[Sequence[str]] = None
        self._df = np.zeros(_HASHING.n_features)
        self._n = 0

    def _reference_df(self, reference: Sequence[str]) -> tuple[np.ndarray, int]:
        with self._lock:
            if reference is not self._reference:  # a new reading of the training data
                self._df = document_frequency(counts(reference)) if reference else np.zeros(_HASHING.n_features)
                self._n, self._reference = len(reference), reference
            return self._df, self._n

    def prepare(self, reference: Sequence[str]) -> None:
        """Counts the reference texts now. Why: over the whole training data this takes seconds
        (1.4 s on an idle 2-core machine), which a trainer's first inbox page in each worker
        would otherwise wait for; the service calls it at start-up (handoff/api/training.py)."""
        self._reference_df(reference)

    def vectors(self, texts: Sequence[str], reference: Sequence[str] = ()) -> scipy.sparse.csr_matrix:
        """TF-IDF rows (sublinear tf, smoothed idf), L2-normalized: a dot product is the cosine."""
        found = counts(texts)
        df, n = self._reference_df(reference)
        df = df + document_frequency(found)
        idf = np.log((1.0 + n + len(texts)) / (1.0 + df)) + 1.0
        found.data = (1.0 + np.log(found.data)) * idf[found.indices]
        return l2_normalize(found, copy=False)

    def groups(self, texts: Sequence[str], reference: Sequence[str] = (),
               threshold: float = th.SIMILARITY) -> list[int]:
        """For each text, the index of the text that leads its group (itself for a leader).
        `reference`: further texts (the training data) that only weigh the n-grams; pass the same
        sequence object again and its counts are not recomputed."""
        if not texts:
            return []
        vectors = self.vectors(texts, reference)
        transposed: Any = vectors.T.tocsc()
        leaders = np.empty(len(texts), dtype=np.int64)  # the first `count` entries, in order
        count = 0
        leader_of: list[int] = []
        for start in range(0, len(texts), ROWS_PER_BLOCK):
            block = (vectors[start:start + ROWS_PER_BLOCK] @ transposed).toarray()
            for offset, row in enumerate(block):
                close = np.flatnonzero(row[leaders[:count]] >= threshold)
                if close.size:
                    leader_of.append(int(leaders[close[0]]))
                else:
                    leaders[count] = start + offset
                    count += 1
                    leader_of.append(start + offset)
        return leader_of


def groups(texts: Sequence[str], reference: Sequence[str] = (), threshold: float = th.SIMILARITY) -> list[int]:
    """`Similarity().groups(...)` without the cache."""
    return Similarity().groups(texts, reference, threshold)


def measure(data_dir: str = "nlu_data/nlu", sample: int = 2000, seed: int = 1) -> list[dict[str, float]]:
    """How well groups agree with the training data's own intents, per threshold: `sample`
    examples (shuffled with `seed`) grouped as the inbox groups messages, the other examples as
    the reference. Behind thresholds.SIMILARITY (docs/training.md, "Grouping")."""
    import random
    from pathlib import Path

    from handoff.training.texts import examples_of, read_yaml

    examples = [(intent, text) for path in sorted(Path(data_dir).rglob("*.yml"))
                for intent, text, _ in examples_of(read_yaml(path)) if text]
    random.Random(seed).shuffle(examples)
    texts, intents = [t for _, t in examples[:sample]], np.array([i for i, _ in examples[:sample]])
    reference = tuple(t for _, t in examples[sample:])
    similarity, rows = Similarity(), []
    for threshold in (0.4, 0.5, 0.6, 0.7):
        leader = np.array(similarity.groups(texts, reference, threshold))
        joined = leader != np.arange(len(texts))
        rows.append({"threshold": threshold, "groups": float(len(set(leader.tolist()))), "joined": float(joined.sum()),
                     "same_intent": float((intents[leader] == intents)[joined].mean()) if joined.any() else 1.0})
    return rows


if __name__ == "__main__":
    for found in measure():
        print(f"threshold {found['threshold']:.1f}: {found['groups']:.0f} groups, {found['joined']:.0f} messages "
              f"joined a leader, {found['same_intent']:.1%} of them with the leader's intent")
