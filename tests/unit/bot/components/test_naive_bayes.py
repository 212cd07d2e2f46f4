"""Naive-Bayes-scaled logistic regression: the log-count ratios say which class a word leans to,
only the n-gram block is scaled, and the fitted head scores a row exactly as its scaled model
does, so the emotion component reads it like any logistic head."""

import numpy as np
import pytest
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from bot.components.calibration import out_of_fold
from bot.components.naive_bayes import NaiveBayesLogistic, ScaledLinear, log_count_ratios, temperature


def test_a_word_of_the_class_leans_to_it_and_the_other_columns_are_not_scaled() -> None:
    rows = scipy.sparse.csr_matrix(np.array([[0.7, 0.0, 0.3, -2.0],
                                             [0.5, 0.5, 0.0, 1.0],
                                             [0.0, 0.9, 0.1, 0.5]]))
    ratios = log_count_ratios(rows, np.array([True, True, False]), width=3)
    # presence + 1: positives (3, 2, 2) of 7; others (1, 2, 2) of 5
    assert ratios[:3] == pytest.approx(np.log([(3 / 7) / (1 / 5), (2 / 7) / (2 / 5), (2 / 7) / (2 / 5)]))
    assert ratios[0] > 0 > ratios[1]
    assert ratios[3] == 1.0  # past the n-gram block: a dense feature enters as it is


def corpus() -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = np.array(["anger", "joy", "neutral"] * 40)
    dense = rng.random((len(labels), 12)) * (rng.random((len(labels), 12)) < 0.3)
    for column, label in enumerate(["anger", "joy", "neutral"]):
        dense[labels == label, column] += 1.0  # each class has its word
    return scipy.sparse.csr_matrix(dense), labels


def test_several_classes_one_row_each_and_each_class_found_by_its_word() -> None:
    rows, labels = corpus()
    head = NaiveBayesLogistic(C=4.0, width=10).fit(rows, labels)
    assert list(head.classes_) == ["anger", "joy", "neutral"]
    assert head.coef_.shape == (3, 12) and head.intercept_.shape == (3,)
    assert float(np.mean(head.predict(rows) == labels)) > 0.95
    probabilities = head.predict_proba(rows)
    assert probabilities.sum(axis=1) == pytest.approx(np.ones(len(labels)))


def test_the_folded_weights_score_as_the_scaled_model_does() -> None:
    """The component multiplies the raw row by `coef_`: that must be the scaled row times the
    model's own weights."""
    rows, labels = corpus()
    positives = labels == "joy"
    head = NaiveBayesLogistic(C=4.0, width=10).fit(rows, positives.astype(int))
    scale = log_count_ratios(rows, positives, 10)
    model = LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear", random_state=42)
    model.fit(rows @ scipy.sparse.diags(scale), positives)
    assert head.coef_.shape == (1, 12)
    assert head.decision_function(rows) == pytest.approx(model.decision_function(rows @ scipy.sparse.diags(scale)))
    assert head.predict_proba(rows)[:, 1] == pytest.approx(model.predict_proba(rows @ scipy.sparse.diags(scale))[:, 1])


def test_it_runs_as_a_fold_fit_for_calibration() -> None:
    rows, labels = corpus()
    complaint = (labels == "anger").astype(int)
    scores = out_of_fold(NaiveBayesLogistic(4.0, 10), rows, complaint, folds=3)
    assert scores.shape == (len(labels),)
    assert scores[complaint == 1].mean() > scores[complaint == 0].mean()
    probabilities = out_of_fold(NaiveBayesLogistic(4.0, 10, "predict_proba"), rows, labels, folds=3)
    assert probabilities.shape == (len(labels), 3)


def test_one_class_is_refused_with_a_reason() -> None:
    rows, _ = corpus()
    with pytest.raises(ValueError, match="two classes"):
        NaiveBayesLogistic(4.0, 10).fit(rows, np.zeros(rows.shape[0]))


def test_a_plain_head_is_unchanged() -> None:
    head = ScaledLinear(np.array([0, 1]), np.array([[1.0, -1.0]]), np.array([0.5]))
    assert head.decision_function(np.array([[2.0, 1.0]])) == pytest.approx([1.5])
    assert list(head.predict(np.array([[2.0, 1.0], [0.0, 3.0]]))) == [1, 0]


def test_the_temperature_undoes_scores_that_are_too_sure() -> None:
    """Labels drawn from softmax(logits), scores three times the logits: the fitted temperature is
    about 3, and the tempered head ranks as before with its scores divided by it."""
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(4000, 4))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(4, p=row) for row in probabilities])
    assert temperature(3.0 * logits, labels) == pytest.approx(3.0, rel=0.1)
    head = ScaledLinear(np.array(["a", "b", "c"]), np.eye(3), np.zeros(3))
    row = np.array([[2.0, 1.0, 0.0]])
    assert head.tempered(2.0).decision_function(row)[0] == pytest.approx([1.0, 0.5, 0.0])
    assert head.tempered(2.0).predict(row) == head.predict(row)


def test_an_emotion_head_of_two_classes_still_scores_each_class() -> None:
    """Its scores go through a softmax, so two emotions need two columns, not one."""
    rows, labels = corpus()
    two = labels != "neutral"
    head = NaiveBayesLogistic(4.0, 10, per_class=True).fit(rows[two], labels[two])
    assert head.coef_.shape == (2, 12) and head.decision_function(rows[two]).shape == (int(two.sum()), 2)
    assert float(np.mean(head.predict(rows[two]) == labels[two])) > 0.95
