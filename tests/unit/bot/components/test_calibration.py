"""Calibration: out-of-fold scores, Platt scaling, the F-beta threshold and the reliability table,
on synthetic data where the truth is known."""

from typing import Callable

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from bot.components.calibration import (
    Logistic,
    best_threshold,
    calibrate,
    f_beta,
    head_logistic,
    out_of_fold,
    platt,
    reliability,
)


def overconfident(n: int = 4000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Scores three times too steep: the true probability is sigmoid(score / 3)."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0, 3, n)
    labels = (rng.random(n) < 1 / (1 + np.exp(-scores / 3))).astype(int)
    return scores, labels


def test_platt_recovers_the_true_slope() -> None:
    scores, labels = overconfident()
    a, b = platt(scores, labels)
    assert a == pytest.approx(1 / 3, abs=0.06)
    assert b == pytest.approx(0, abs=0.15)


def test_calibration_makes_predictions_match_observed_rates() -> None:
    scores, labels = overconfident()
    c = calibrate(scores, labels, beta=1.0)
    assert c.brier < c.brier_uncalibrated
    for row in c.reliability:
        if row["n"] >= 100:
            assert row["observed"] == pytest.approx(row["predicted"], abs=0.08)
    assert c.probability(0.0) == pytest.approx(0.5, abs=0.05)


def test_a_smaller_beta_chooses_a_stricter_threshold() -> None:
    scores, labels = overconfident()
    probabilities = 1 / (1 + np.exp(-scores / 3))
    strict, lenient = best_threshold(probabilities, labels, 0.5), best_threshold(probabilities, labels, 2.0)
    assert strict > lenient
    assert calibrate(scores, labels, beta=0.5).precision > calibrate(scores, labels, beta=2.0).precision


def test_f_beta() -> None:
    assert f_beta(0.5, 0.5, 1.0) == pytest.approx(0.5)
    assert f_beta(1.0, 0.5, 0.5) > f_beta(0.5, 1.0, 0.5)
    assert f_beta(0.0, 0.0, 1.0) == 0.0


def test_out_of_fold_scores_come_from_models_that_never_saw_the_row() -> None:
    # A memoriser: perfect on rows it saw, silent on others. Out of fold it knows nothing.
    rows = np.arange(200).reshape(-1, 1)
    labels = np.array([i % 2 for i in range(200)])

    def fit(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        seen = {int(v): int(t) for v, t in zip(x.ravel(), y, strict=True)}
        return lambda held: np.array([seen.get(int(v), -1) for v in held.ravel()], dtype=float)

    assert set(out_of_fold(fit, rows, labels, folds=4).tolist()) == {-1.0}
    assert set(out_of_fold(fit, rows, labels, folds=4, jobs=2).tolist()) == {-1.0}  # in worker processes too


def test_out_of_fold_keeps_every_column_of_a_probability_matrix() -> None:
    rng = np.random.default_rng(2)
    rows = rng.normal(size=(150, 3))
    labels = np.array(["a", "b", "c"] * 50)
    scores = out_of_fold(lambda x, y: LogisticRegression().fit(x, y).predict_proba, rows, labels, folds=3)
    assert scores.shape == (150, 3)
    assert np.allclose(scores.sum(axis=1), 1.0)


@pytest.mark.parametrize("classes", [2, 3])
def test_folds_started_from_the_full_head_score_as_folds_started_cold(classes: int) -> None:
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(600, 20))
    labels = (rows[:, :classes].argmax(axis=1) + (rng.random(600) < 0.1)) % classes
    full = LogisticRegression(C=8.0, class_weight="balanced", max_iter=3000).fit(rows, labels)
    output = "decision_function" if classes == 2 else "predict_proba"
    cold = out_of_fold(Logistic(8.0, output), rows, labels, folds=4)
    warm = out_of_fold(Logistic(8.0, output, start=Logistic.starting_from(full)), rows, labels, folds=4)
    assert np.allclose(cold, warm, atol=1e-3)


def test_a_fold_without_one_of_the_classes_starts_cold() -> None:
    rng = np.random.default_rng(4)
    rows = rng.normal(size=(90, 4))
    labels = np.array([0, 1, 2] * 30)
    full = LogisticRegression().fit(rows, labels)
    two_classes = labels != 2  # this fold's rows hold two classes; the full head has three rows
    predict = Logistic(1.0, "decision_function", start=Logistic.starting_from(full))(rows[two_classes],
                                                                                     labels[two_classes])
    assert predict(rows[:5]).shape == (5,)


def test_reliability_bins() -> None:
    table = reliability(np.array([0.05, 0.07, 0.95]), [0, 1, 1], bins=10)
    assert table[0] == {"low": 0.0, "high": 0.1, "predicted": 0.06, "observed": 0.5, "n": 2}
    assert table[-1]["n"] == 1 and table[-1]["observed"] == 1.0


def test_several_heads_folds_in_one_pool_give_each_heads_own_out_of_fold_scores() -> None:
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(300, 5))
    binary = (rows[:, 0] > 0).astype(int)
    three = np.digitize(rows[:, 1], [-0.5, 0.5])
    binary_fit, three_fit = Logistic(1.0, "decision_function"), Logistic(1.0, "predict_proba")
    from bot.components.calibration import out_of_fold_many, stratified_splits

    together = out_of_fold_many([(binary_fit, rows, binary, stratified_splits(binary, 3)),
                                 (three_fit, rows, three, stratified_splits(three, 3))], jobs=2)
    assert np.allclose(together[0], out_of_fold(binary_fit, rows, binary, folds=3))
    assert np.allclose(together[1], out_of_fold(three_fit, rows, three, folds=3))
    assert together[1].shape == (300, 3)


def test_calls_in_worker_processes_come_back_in_order() -> None:
    from bot.components.calibration import in_parallel

    assert in_parallel([(pow, (2, n)) for n in range(5)], jobs=2) == [1, 2, 4, 8, 16]
    assert in_parallel([(pow, (3, 2))], jobs=2) == [9]


@pytest.mark.parametrize("classes", [2, 4])
def test_the_heads_solver_learns_what_l_bfgs_learned(classes: int) -> None:
    """`SOLVER` only changes how soon the heads' one optimum is reached (the problem is strictly
    convex): on sparse rows with a dense block, as the heads' are, the coefficients agree with
    L-BFGS's to well within a percent and every row is predicted the same."""
    import scipy.sparse

    rng = np.random.default_rng(3)
    n = 1500
    words = scipy.sparse.random(n, 400, density=0.02, random_state=4, format="csr")
    vectors = rng.normal(0, 0.3, (n, 16))
    rows = scipy.sparse.hstack([words, scipy.sparse.csr_matrix(vectors)]).tocsr()
    truth = rng.normal(0, 2, (rows.shape[1], classes))
    labels = np.asarray(rows @ truth).argmax(axis=1)
    ours = head_logistic(32.0, 42).fit(rows, labels)
    reference = LogisticRegression(C=32.0, class_weight="balanced", max_iter=3000, random_state=42,
                                   solver="lbfgs").fit(rows, labels)
    difference = np.linalg.norm(ours.coef_ - reference.coef_) / np.linalg.norm(reference.coef_)
    assert difference < 0.01
    assert (ours.predict(rows) == reference.predict(rows)).all()
