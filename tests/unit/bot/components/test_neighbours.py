"""Nearest-neighbour evidence for the risk kinds: a message near a kind's examples and far from
the calm complaints gets positive evidence, one near the calm complaints negative evidence, and
the out-of-fold evidence of a training row never counts the row itself."""

import numpy as np
import pytest
import scipy.sparse

from bot.components.neighbours import NEGATIVE, Neighbours, evidence, out_of_fold, top_mean, unit


def test_unit_rows_have_length_one_and_a_zero_row_stays_zero() -> None:
    rows = unit(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert rows[0] == pytest.approx([0.6, 0.8])
    assert rows[1] == pytest.approx([0.0, 0.0])


def test_top_mean_takes_the_k_largest_or_all_of_fewer() -> None:
    similarities = np.array([[0.1, 0.9, 0.5, 0.7]])
    assert top_mean(similarities, 2) == pytest.approx([0.8])
    assert top_mean(similarities, 10) == pytest.approx([0.55])
    assert top_mean(np.zeros((1, 0)), 3) == pytest.approx([0.0])  # a kind with no rows gives no evidence


def test_evidence_is_nearest_positives_minus_nearest_negatives() -> None:
    similarities = np.array([[0.9, 0.8, 0.1, 0.2]])
    assert evidence(similarities, np.array([0, 1]), np.array([2, 3]), 1) == pytest.approx([0.7])


def neighbourhood() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Danger examples around (1, 0), calm complaints around (0, 1), and a plain question at (-1, 0)."""
    rng = np.random.default_rng(0)
    danger = np.array([1.0, 0.0]) + 0.1 * rng.standard_normal((6, 2))
    calm = np.array([0.0, 1.0]) + 0.1 * rng.standard_normal((6, 2))
    vectors = np.vstack([danger, calm, [[-1.0, 0.0]]])
    kind = np.array([True] * 6 + [False] * 7)
    negatives = np.array([False] * 6 + [True] * 6 + [False])
    return vectors, kind, negatives


def test_a_message_near_a_kind_gets_positive_evidence_and_one_near_calm_complaints_negative() -> None:
    vectors, kind, negatives = neighbourhood()
    nearest = Neighbours.of(vectors, {"safety_health": kind}, negatives, k=3)
    scores = nearest.scores(np.array([[2.0, 0.1], [0.1, 3.0]]))  # lengths do not matter
    assert scores["safety_health"][0] > 0.5
    assert scores["safety_health"][1] < -0.5


def test_each_kind_and_the_negatives_are_stored_as_one_block_and_nothing_else() -> None:
    vectors, kind, negatives = neighbourhood()
    both = kind.copy()
    both[0] = False  # a second kind holding five of the six danger rows
    nearest = Neighbours.of(vectors, {"safety_health": kind, "media": both}, negatives, k=3)
    assert nearest.blocks == {"safety_health": (0, 6), "media": (6, 11), NEGATIVE: (11, 17)}
    assert nearest.vectors.shape == (17, 2)  # shared rows twice; the plain question not at all
    assert nearest.vectors[6] == pytest.approx(nearest.vectors[1])


def test_out_of_fold_evidence_never_counts_the_row_itself() -> None:
    """A lone danger example in its own fold finds no other danger example: with k 1 its evidence
    is what the remaining rows give, not the similarity 1.0 to itself."""
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    kind = np.array([True, False, False, True])
    negatives = ~kind
    splits = [(np.array([1, 2, 3]), np.array([0])), (np.array([0, 1, 2]), np.array([3])),
              (np.array([0, 2, 3]), np.array([1])), (np.array([0, 1, 3]), np.array([2]))]
    scores = out_of_fold(vectors, kind, negatives, splits, k=1)
    assert scores[0] == pytest.approx(1.0)  # the other danger row (1.0) minus the calm rows (0.0)
    assert scores[1] == pytest.approx(-1.0)


def test_sparse_rows_give_the_evidence_dense_ones_do() -> None:
    """N-gram rows are sparse and stored transposed: the evidence, at training time out of fold
    and at run time, is the one the same rows give dense."""
    vectors, kind, negatives = neighbourhood()
    vectors = np.abs(vectors)  # n-gram counts are not negative
    rows = scipy.sparse.csr_matrix(vectors)
    dense, sparse = (Neighbours.of(v, {"safety_health": kind}, negatives, k=3) for v in (vectors, rows))
    assert scipy.sparse.issparse(sparse.vectors) and sparse.vectors.shape == (2, 12)
    messages = np.array([[2.0, 0.1], [0.1, 3.0]])
    assert sparse.scores(scipy.sparse.csr_matrix(messages))["safety_health"] \
        == pytest.approx(dense.scores(messages)["safety_health"], abs=1e-6)
    for one in messages:  # one message at a time, as at run time
        assert sparse.scores(scipy.sparse.csr_matrix(one))["safety_health"] \
            == pytest.approx(dense.scores(one.reshape(1, -1))["safety_health"], abs=1e-6)
    splits = [(np.arange(0, 13, 2), np.arange(1, 13, 2)), (np.arange(1, 13, 2), np.arange(0, 13, 2))]
    assert out_of_fold(rows, kind, negatives, splits, k=2) \
        == pytest.approx(out_of_fold(vectors, kind, negatives, splits, k=2), abs=1e-6)
    assert unit(scipy.sparse.csr_matrix([[0.0, 0.0]])).toarray().tolist() == [[0.0, 0.0]]
