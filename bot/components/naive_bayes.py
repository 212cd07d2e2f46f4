"""Logistic regression over naive-Bayes-scaled n-grams (NB-LR; Wang and Manning, "Baselines and
Bigrams", ACL 2012), one binary model per class: the emotion and complaint heads' learner when
`EmotionClassifier` sets `naive_bayes`.

Why: a plain logistic head spreads its weight over every n-gram a class's examples share with the
others, and on text from elsewhere those shared n-grams decide. Scaling each n-gram column by its
log-count ratio (how much more often it occurs in the class's examples than in the rest, add-one
smoothed over presence) gives the few words that tell the classes apart a head start that
regularisation then has to be argued out of. With whole training files held out
(`python -m tools.crossval --naive-bayes`, stop 31): six-way emotion macro-F1 0.739 → 0.753, and
the complaint head at its beta-0.5 threshold more precise and finding more, on all examples and on
the review files alone (docs/emotion_choices.md, "Naive-Bayes-scaled n-grams").

One-vs-rest scores are each fitted alone, so their softmax is far surer of itself than a
multinomial head's (out of fold, nine in ten calm complaints the head called angry got anger at
0.9 or more). Training therefore divides the scores by one temperature (Guo et al., "On
Calibration of Modern Neural Networks", 2017), the one that makes the out-of-fold probabilities
most likely (`temperature`), folded into the weights like the scaling: the emotion confidences an
agent sees, and the anger confidence that hands a complaint over, then mean what they say.

Only the n-gram block (the first `width` columns, sparse, non-negative TF-IDF) is scaled; the
sentence vector, review polarity and lexicon counts enter as they are. The scaling is diagonal, so
it folds into the weights: `coef_` is the scaled weight matrix and a message is scored exactly as
a plain logistic head's would be, at the same cost per message.

Pure NumPy and scikit-learn, no Rasa: the unit tests run it on small matrices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from bot.components.calibration import Fit, Logistic
from bot.components.features import softmax


def log_count_ratios(rows: Any, positives: np.ndarray, width: int, alpha: float = 1.0) -> np.ndarray:
    """Per column, log((p / |p|) / (q / |q|)) over the first `width` columns, where p and q count the
    positive and the other rows holding the column (plus `alpha`); 1 for the remaining columns."""
    present = scipy.sparse.csr_matrix(rows[:, :width], copy=True)
    present.data = np.ones_like(present.data)
    p = np.asarray(present[positives].sum(axis=0)).ravel() + alpha
    q = np.asarray(present[~positives].sum(axis=0)).ravel() + alpha
    ratios = np.log((p / p.sum()) / (q / q.sum()))
    return np.concatenate([ratios, np.ones(rows.shape[1] - width)])


@dataclass
class ScaledLinear:
    """What a fitted NB-LR head keeps, in the shape of scikit-learn's linear models (`classes_`,
    `coef_` one row per class or one row for two classes, `intercept_`), so that code reading a
    `LogisticRegression` reads it unchanged. Several classes: one-vs-rest scores, softmax
    probabilities (as `EmotionClassifier.process` turns scores into probabilities)."""

    classes_: np.ndarray
    coef_: np.ndarray
    intercept_: np.ndarray

    def decision_function(self, rows: Any) -> np.ndarray:
        scores = np.asarray(rows @ self.coef_.T) + self.intercept_
        return scores.ravel() if self.coef_.shape[0] == 1 else scores

    def predict_proba(self, rows: Any) -> np.ndarray:
        scores = self.decision_function(rows)
        if scores.ndim == 1:
            positive = 1.0 / (1.0 + np.exp(-scores))
            return np.column_stack([1.0 - positive, positive])
        return softmax(scores)

    def tempered(self, temperature: float) -> "ScaledLinear":
        """The same head with its scores divided by `temperature` (the same ranking)."""
        return ScaledLinear(self.classes_, self.coef_ / temperature, self.intercept_ / temperature)

    def predict(self, rows: Any) -> np.ndarray:
        scores = self.decision_function(rows)
        return self.classes_[(scores > 0).astype(int)] if scores.ndim == 1 else self.classes_[scores.argmax(axis=1)]


def temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """The T in [0.05, 20] whose softmax(scores / T) gives the class indices `labels` the
    highest likelihood (out-of-fold scores, one column per class)."""
    from scipy.optimize import minimize_scalar

    rows = np.arange(len(labels))

    def loss(log_t: float) -> float:
        shifted = scores / np.exp(log_t)
        shifted = shifted - shifted.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[rows, labels]))

    best = minimize_scalar(loss, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(best.x))


@dataclass(frozen=True)
class NaiveBayesLogistic:
    """The learner at C (balanced class weights, liblinear), scaling the first `width` columns; as
    a `calibration.Fit` it returns the fitted head's `output` method, so folds run it like
    `calibration.Logistic`."""

    C: float
    width: int
    output: str = "decision_function"
    seed: int = 42
    # One model per class even for two (the emotion head: its scores go through a softmax).
    per_class: bool = False

    def fit(self, rows: Any, labels: Any) -> ScaledLinear:
        y = np.asarray(labels)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError("naive-Bayes logistic regression needs at least two classes")
        # Two classes: one model for the second class, as scikit-learn orders them.
        targets = classes[1:] if len(classes) == 2 and not self.per_class else classes
        matrix = scipy.sparse.csr_matrix(rows)
        coefs, intercepts = [], []
        for target in targets:
            positives = y == target
            scale = log_count_ratios(matrix, positives, self.width)
            model = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear",
                                       random_state=self.seed)
            model.fit(matrix @ scipy.sparse.diags(scale), positives)
            coefs.append(model.coef_.ravel() * scale)
            intercepts.append(float(model.intercept_[0]))
        return ScaledLinear(classes, np.vstack(coefs), np.asarray(intercepts))

    def __call__(self, rows: Any, labels: np.ndarray) -> Callable[[Any], np.ndarray]:
        return getattr(self.fit(rows, labels), self.output)


def head_fit(c: float, output: str, width: int, seed: int = 42, per_class: bool = False,
             start: tuple[np.ndarray, np.ndarray] | None = None) -> Fit:
    """A fold's learner for the emotion or complaint head: over naive-Bayes-scaled n-grams when
    `width` columns are scaled, else the plain logistic one (warm from `start`). One definition for
    the component's calibration and the cross-validation that mirrors it (tools/crossval.py)."""
    if width:
        return NaiveBayesLogistic(c, width, output, seed, per_class)
    return Logistic(c, output, seed, start)
