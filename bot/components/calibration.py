"""Probabilities that mean what they say, and decision thresholds chosen on held-out folds.

A logistic head trained with balanced class weights says 0.7 where the truth is nearer 0.4: the
weighting moves every score towards the minority class, and the cut at 0.5 then trades precision
for recall. So each binary decision the parse result carries (complaint, negative feeling) is
calibrated the way scikit-learn's `CalibratedClassifierCV(method="sigmoid")` does it: the head's
decision values for the training examples are computed out of fold (k-fold, each example scored
by a model that never saw it), a one-dimensional logistic regression (Platt scaling) maps them to
probabilities, and the threshold is the one that maximises F-beta on those out-of-fold
probabilities (beta < 1 weighs precision above recall). The reliability table of the same
out-of-fold probabilities is kept with the model, so docs and tools can show how well they are
calibrated without rerunning anything (`python -m tools.calibration`).

Pure NumPy and scikit-learn, no Rasa: the unit tests run it on synthetic scores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

# Decision values out of fold: (training rows, labels) -> scores for the rows held out.
Fit = Callable[[Any, np.ndarray], Callable[[Any], np.ndarray]]
Labels = Union[Sequence[int], np.ndarray]


# The heads' solver (emotion, complaint, risk kinds, severity impact, and every calibration fold).
# Each head is L2-regularised logistic regression with balanced class weights: a strictly convex
# problem with one optimum, so the solver decides only how soon it is reached. On these rows (23k
# examples, 230k columns, the 512-wide sentence vector among them) Newton-CG takes 17 to 18 Newton
# steps where L-BFGS took 293 to 413 iterations: measured at stop 43 on the training rows, the
# emotion head 181 s -> 48 s and the complaint head 35 s -> 21 s, the coefficients within 0.04 %
# of each other (relative norm) and every training example predicted the same.
SOLVER = "newton-cg"


def head_logistic(C: float, seed: int, warm_start: bool = False) -> LogisticRegression:
    """The one definition of a head's logistic regression (`SOLVER`, balanced class weights)."""
    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000, random_state=seed, solver=SOLVER,
                              warm_start=warm_start)


@dataclass(frozen=True)
class Calibration:
    """Platt's a·score + b, the chosen probability threshold, and how it was chosen."""

    a: float
    b: float
    threshold: float
    beta: float
    # Out-of-fold figures at the chosen threshold, and the reliability table (bins of predicted
    # probability: mean predicted, observed rate, count); for docs, not for decisions.
    precision: float
    recall: float
    f_beta: float
    brier: float
    brier_uncalibrated: float
    reliability: List[Dict[str, float]] = field(default_factory=list)
    reliability_uncalibrated: List[Dict[str, float]] = field(default_factory=list)

    def probability(self, score: float) -> float:
        return float(1.0 / (1.0 + np.exp(-(self.a * score + self.b))))

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Logistic:
    """A fold's fit as plain data, so that folds can run in worker processes: the heads' logistic
    regression (balanced class weights) at C, returning its `output` method."""

    C: float
    output: str = "decision_function"
    seed: int = 42
    # The head fitted on every row (coef_, intercept_): each fold starts from it. The problem is
    # convex, so the fold reaches the same optimum (within the solver's tolerance) in fewer steps
    # (with L-BFGS, before `SOLVER`: 317 cold, 232 warm on the emotion head), and the folds are
    # most of what a training spends in these heads.
    start: Optional[tuple[np.ndarray, np.ndarray]] = field(default=None, compare=False)

    def __call__(self, rows: Any, labels: np.ndarray) -> Callable[[Any], np.ndarray]:
        warm = self.start is not None and _fits(self.start[0], np.unique(labels))
        model = head_logistic(self.C, self.seed, warm_start=warm)
        if warm and self.start is not None:
            model.coef_, model.intercept_ = self.start[0].copy(), self.start[1].copy()
        return getattr(model.fit(rows, labels), self.output)

    @staticmethod
    def starting_from(model: LogisticRegression) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(model.coef_), np.asarray(model.intercept_)


def _fits(coef: np.ndarray, classes: np.ndarray) -> bool:
    """A fold that lacks a class has fewer coefficient rows than the full head: it starts cold."""
    return bool(coef.shape[0] == (1 if len(classes) == 2 else len(classes)))


def _held_out(fit: Fit, rows: Any, labels: np.ndarray, train: np.ndarray, held: np.ndarray) -> np.ndarray:
    return np.asarray(fit(rows[train], labels[train])(rows[held]))


Splits = List[tuple[np.ndarray, np.ndarray]]


def stratified_splits(labels: Labels | Sequence[Any], folds: int = 5, seed: int = 42) -> Splits:
    """The random folds, stratified by label, that training calibrates on: one definition, so that
    anything added to the out-of-fold scores (the risk kinds' neighbour evidence) and the
    cross-validation that mirrors training (tools/crossval.py) use the very same folds."""
    y = np.asarray(labels)
    return list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def out_of_fold(fit: Fit, rows: Any, labels: Labels | Sequence[Any], folds: int = 5, seed: int = 42,
                jobs: int = 1, splits: Optional[Sequence[tuple[np.ndarray, np.ndarray]]] = None) -> np.ndarray:
    """Each row's decision value from a model trained on the other folds (stratified by label,
    unless `splits` gives the folds: tools/crossval.py holds out whole files).
    `jobs` > 1 fits the folds in that many worker processes (the machine has few cores and
    training waits for this)."""
    y = np.asarray(labels)
    return out_of_fold_many([(fit, rows, y, splits if splits is not None else stratified_splits(y, folds, seed))],
                            jobs)[0]


# One head's out-of-fold problem: its fit, rows, labels and folds.
Problem = tuple[Fit, Any, np.ndarray, Sequence[tuple[np.ndarray, np.ndarray]]]


def out_of_fold_many(problems: Sequence[Problem], jobs: int = 1) -> List[np.ndarray]:
    """`out_of_fold` of several heads at once: every fold of every head goes into one pool of
    `jobs` workers. Why: the emotion component's two heads have three folds each; one pool of two
    workers runs the six fits in three rounds, where each head's own pool took two rounds (the
    third fold alone, one core idle). Each fit is the same as in its own pool."""
    tasks = [(index, fit, rows, np.asarray(labels), train, held)
             for index, (fit, rows, labels, splits) in enumerate(problems) for train, held in splits]
    predicted = in_parallel([(_held_out, (fit, rows, y, train, held)) for _, fit, rows, y, train, held in tasks], jobs)
    scores: Dict[int, np.ndarray] = {}
    for (index, _, _, y, _, held), values in zip(tasks, predicted, strict=True):
        if index not in scores:
            scores[index] = np.zeros((len(y),) + values.shape[1:], dtype=np.float64)
        scores[index][held] = values
    return [scores[index] for index in range(len(problems))]


def in_parallel(calls: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]], jobs: int = 1) -> List[Any]:
    """`fn(*args)` for each call, in order; with `jobs` > 1 in that many worker processes (joblib:
    large arrays reach the workers memory-mapped, not copied). The heads' logistic fits are
    single-threaded, so on two cores two fits side by side take the time of one."""
    if jobs > 1 and len(calls) > 1:
        from joblib import Parallel, delayed

        return list(Parallel(n_jobs=min(jobs, len(calls)))(delayed(fn)(*args) for fn, args in calls))
    return [fn(*args) for fn, args in calls]


def platt(scores: np.ndarray, labels: Labels) -> tuple[float, float]:
    """a, b of P(y=1) = sigmoid(a·score + b), fitted on (out-of-fold) scores, unweighted."""
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(np.asarray(scores, dtype=np.float64).reshape(-1, 1), np.asarray(labels, dtype=int))
    return float(model.coef_[0][0]), float(model.intercept_[0])


def f_beta(precision: float, recall: float, beta: float) -> float:
    if precision + recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def precision_recall(probabilities: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float]:
    predicted = probabilities >= threshold
    tp = float(np.sum(predicted & (labels == 1)))
    precision = tp / float(np.sum(predicted)) if np.any(predicted) else 0.0
    recall = tp / float(np.sum(labels == 1)) if np.any(labels == 1) else 0.0
    return precision, recall


def best_threshold(probabilities: np.ndarray, labels: Labels, beta: float) -> float:
    """The threshold on a 0.05…0.95 grid with the highest F-beta (ties: the higher threshold)."""
    y = np.asarray(labels, dtype=int)
    best, best_score = 0.5, -1.0
    for threshold in np.round(np.arange(0.05, 0.951, 0.01), 2):
        score = f_beta(*precision_recall(probabilities, y, float(threshold)), beta)
        if score >= best_score:
            best, best_score = float(threshold), score
    return best


def reliability(probabilities: np.ndarray, labels: Labels, bins: int = 10) -> List[Dict[str, float]]:
    """Per equal-width bin of predicted probability: mean prediction, observed rate, count."""
    y = np.asarray(labels, dtype=float)
    table = []
    index = np.minimum((probabilities * bins).astype(int), bins - 1)
    for b in range(bins):
        inside = index == b
        if np.any(inside):
            table.append({"low": b / bins, "high": (b + 1) / bins,
                          "predicted": round(float(probabilities[inside].mean()), 4),
                          "observed": round(float(y[inside].mean()), 4), "n": int(inside.sum())})
    return table


def calibrate(scores: np.ndarray, labels: Labels, beta: float, raw: np.ndarray | None = None) -> Calibration:
    """Platt scaling and the F-beta threshold from out-of-fold `scores`; `raw` are the uncalibrated
    out-of-fold probabilities, for the "before" half of the reliability table."""
    y = np.asarray(labels, dtype=int)
    a, b = platt(scores, y)
    probabilities = 1.0 / (1.0 + np.exp(-(a * scores + b)))
    threshold = best_threshold(probabilities, y, beta)
    precision, recall = precision_recall(probabilities, y, threshold)
    before = raw if raw is not None else 1.0 / (1.0 + np.exp(-scores))
    return Calibration(a=a, b=b, threshold=threshold, beta=beta, precision=round(precision, 4),
                       recall=round(recall, 4), f_beta=round(f_beta(precision, recall, beta), 4),
                       brier=round(float(np.mean((probabilities - y) ** 2)), 4),
                       brier_uncalibrated=round(float(np.mean((before - y) ** 2)), 4),
                       reliability=reliability(probabilities, y), reliability_uncalibrated=reliability(before, y))
