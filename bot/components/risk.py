"""Risk signals (SPEC section 3) in the parse result: the trainers' lexicon, and a learned
classifier per kind that carries it to wordings the lexicon lacks.

The lexicon is exact and explainable (the words that fired are reported); it stays the precise
rule. Customers describe the same danger in endless ways ("账号被人登了", "my baby's car seat
buckle snapped while driving"), so a linear model per kind is trained on the n-grams of every
training example. An example is positive for a kind when the trainers labelled it so
(`metadata: {risk: safety_health}`, the paraphrase files in nlu_data/nlu/risk_*.yml) or when
the lexicon finds the kind in it; `risk: none` marks the look-alikes ("this lipstick is fire",
"a journalist friend recommended you") that teach the model what is not a risk, and wins over
the lexicon. Each model's probability is calibrated on held-out
folds (`bot.components.calibration`) and its threshold chosen there, so "0.6" means the same for
every kind. The findings are reported with their probability and no words, and the grader counts
them only in complaints. The lexicon is stored in the model, and editing it changes the
fingerprint, so `rasa train` redoes this step after an edit.

With `neighbour_weight` above 0, each kind's score also counts nearest-neighbour evidence over
the sentence vectors (`bot.components.neighbours`): how close the message lies to the kind's
training examples against the calm complaints. With `ngram_neighbour_weight` above 0, the same
evidence over the n-gram rows is added too: the vector finds examples that mean the same, the
n-grams ones that say it with the same words, and the two together found more paraphrases at
every rate of calm complaints fired (docs/risk_choices.md, "N-gram neighbours"). Both are
added before calibration, out of fold as the linear score is, so the thresholds are chosen for
the sum.

With `near_ratio` above 0, a learned kind whose probability falls short of its threshold but
reaches `near_ratio` times it is reported apart, under `risks_near` (not in the parse output).
The grader counts such a kind only in a complaint whose customer is sure to be angry: a message
it hands to a person anyway, so the rule changes its grade and priority, never who is handed
over (bot/components/severity.py). config.yml keeps it at 0: the gain cross-validation found
did not hold on the held-out files (docs/risk_choices.md, "Angry complaints near a risk's threshold").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.components import neighbours
from bot.components.calibration import (
    Calibration,
    Logistic,
    calibrate,
    head_logistic,
    in_parallel,
    out_of_fold,
    stratified_splits,
)
from bot.components.emotion import example_label
from bot.components.features import dense_sentence_vector, sentence_features, sigmoid
from bot.components.fit_cache import fit_cache
from bot.components.fit_cache import key as fit_key
from bot.components.pickled import PickledComponent
from core.settings import ROOT
from shop.lexicon import fingerprint, read_lexicon
from shop.risk import KINDS, RiskMatcher

LEARNED = ("safety_health", "legal_threat", "regulator", "media", "fraud_account", "repeat_contact")

RISKS_KEY = "risks"
RISKS_NEAR_KEY = "risks_near"  # learned kinds short of their threshold but within `near_ratio` of it
RISK_LABEL = "risk"
# The trained state: the lexicon read at training time, and per learned kind (weights, bias, and
# the calibration of its score when training had enough examples for held-out folds).
Learned = tuple[np.ndarray, float] | tuple[np.ndarray, float, Calibration]
# ... and the stored rows of the nearest-neighbour evidence, per source (none when it is off).
RiskState = tuple[Dict[str, Any], Dict[str, Learned], Dict[str, neighbours.Neighbours]]
# The sources of nearest-neighbour evidence: the sentence vector, and the n-gram row.
VECTOR, NGRAMS = "vector", "ngrams"
# The version of RiskState's layout (2: a table per source of nearest-neighbour evidence).
STATE_LAYOUT = 2


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class RiskExtractor(PickledComponent[RiskState]):
    FILE = "risk_lexicon.pkl"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # threshold: probability from which the model reports a kind the lexicon did not find;
        # (used when a kind is not calibrated); min_examples: a kind is learned only with at least
        # this many positive examples; calibration_folds, beta: the held-out calibration (0: none);
        # neighbour_weight: the weight of the nearest-neighbour evidence over the
        # `neighbour_featurizer` vectors (0: off), `neighbours` of them per side;
        # ngram_neighbour_weight: the same over the `ngram_neighbour_featurizer` rows (0: off);
        # fit_cache: where each kind's fits are kept by their inputs (bot/components/fit_cache.py; empty: off);
        # near_ratio: a kind with at least this share of its threshold is reported under `risks_near` (0: off).
        return {"lexicon": "nlu_data/lexicons/risk.yml", "featurizers": ["ngrams"], "threshold": 0.5, "C": 4.0,
                "min_examples": 10, "random_seed": 42, "calibration_folds": 3, "beta": 1.0, "jobs": 2,
                "neighbour_featurizer": "use", "neighbours": 5, "neighbour_weight": 0.0,
                "ngram_neighbour_featurizer": "ngrams", "ngram_neighbour_weight": 0.0, "fit_cache": "",
                "near_ratio": 0.0}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # The state's layout version is part of it: Rasa's training cache keys a step on its config
        # and inputs, not on the code, and would hand a new layout an old stored state.
        path = Path(config.get("lexicon") or cls.get_default_config()["lexicon"])
        return f"{fingerprint(path)}-{STATE_LAYOUT}" if path.exists() else None

    def _use(self, trained: Optional[RiskState]) -> None:
        lexicon, models, tables = trained if trained is not None else (None, {}, {})
        self._matcher = RiskMatcher(lexicon) if lexicon is not None else None
        self._models = models
        # A model trained before the n-gram source stored its one table (or None) in place of the dict.
        self._neighbours = {VECTOR: tables} if isinstance(tables, neighbours.Neighbours) else tables or {}

    def train(self, training_data: TrainingData) -> Resource:
        lexicon = read_lexicon(Path(self._config["lexicon"]), KINDS)
        matcher = RiskMatcher(lexicon)
        rows, found, calm = [], [], []
        source_weights = self._sources()
        sources: Dict[str, List[Any]] = {source: [] for source in source_weights}
        for message in training_data.intent_examples:
            features = sentence_features(message, self._config["featurizers"])
            if features is not None:
                rows.append(features)
                found.append(training_kinds(message, matcher))
                for source, read in sources.items():
                    read.append(self._row(message, source))
                calm.append(str(message.get(INTENT) or "").startswith("complain_") and not found[-1])
        models: Dict[str, Learned] = {}
        tables: Dict[str, neighbours.Neighbours] = {}
        if rows:
            matrix = scipy.sparse.vstack(rows).tocsr()
            # A source counts only when every example has its row (a pipeline without the featurizer has none).
            stored = {source: scipy.sparse.vstack(read).tocsr() if source == NGRAMS else np.vstack(read)
                      for source, read in sources.items() if all(r is not None for r in read)}
            negatives = np.array(calm)
            masks: Dict[str, np.ndarray] = {}
            folds, seed = self._config["calibration_folds"], self._config["random_seed"]
            splits: Dict[str, Any] = {}
            for kind in LEARNED:
                labels = [int(kind in kinds) for kinds in found]
                if sum(labels) < self._config["min_examples"]:
                    continue
                masks[kind] = np.array(labels, dtype=bool)
                splits[kind] = stratified_splits(labels, folds, seed) if folds >= 2 and sum(labels) >= 2 * folds \
                    else None
            # Each kind's fits, kinds side by side (bot/components/calibration.py, `in_parallel`).
            cache, rows_digest = fit_cache(self._config["fit_cache"], ROOT), fit_key("rows", matrix)
            fitted = in_parallel([(cache.get_or_fit, (f"risk-{kind}", (rows_digest, masks[kind], splits[kind],
                                                                        self._config["C"], seed),
                                                      _KindFit(self._model(), self._config["C"], seed, matrix,
                                                               masks[kind].astype(int), splits[kind])))
                                  for kind in masks], self._config["jobs"])
            for kind, (weights, bias, scores) in zip(masks, fitted, strict=True):
                if scores is None:
                    models[kind] = (weights, bias)
                    continue
                for source, table_rows in stored.items():
                    scores = scores + source_weights[source] * neighbours.out_of_fold(
                        table_rows, masks[kind], negatives, splits[kind], self._config["neighbours"])
                models[kind] = (weights, bias, calibrate(scores, masks[kind].astype(int), self._config["beta"]))
            if masks:
                tables = {source: neighbours.Neighbours.of(table_rows, masks, negatives, self._config["neighbours"])
                          for source, table_rows in stored.items()}
        return self._persist((lexicon, models, tables))

    def _sources(self) -> Dict[str, float]:
        """The nearest-neighbour evidence in use: source → weight (none when both weights are 0)."""
        weights = {VECTOR: float(self._config["neighbour_weight"]),
                   NGRAMS: float(self._config["ngram_neighbour_weight"])}
        return {source: weight for source, weight in weights.items() if weight}

    def _row(self, message: Message, source: str) -> Any:
        """The message's row for one source of evidence: its sentence vector, or its n-gram row."""
        if source == VECTOR:
            return dense_sentence_vector(message, self._config["neighbour_featurizer"])
        return sentence_features(message, [self._config["ngram_neighbour_featurizer"]])

    def _model(self) -> LogisticRegression:
        return head_logistic(self._config["C"], self._config["random_seed"])

    def process(self, messages: List[Message]) -> List[Message]:
        if self._matcher is None:
            return messages
        for message in messages:
            evidence = self._matcher.evidence(message.get(TEXT) or "")
            risks: List[Dict[str, Any]] = [{"kind": kind, "terms": terms} for kind, terms in evidence.items()]
            near_kinds: List[Dict[str, Any]] = []
            features = sentence_features(message, self._config["featurizers"]) if self._models else None
            if features is not None:
                near = self._nearest(message)
                for kind, learned in self._models.items():
                    if kind in evidence:
                        continue
                    score = float(features @ learned[0]) + learned[1]
                    if kind in near:
                        score += near[kind]
                    if len(learned) == 3:
                        calibration = learned[2]
                        p, threshold = calibration.probability(score), calibration.threshold
                    else:
                        p, threshold = sigmoid(score), self._config["threshold"]
                    if p >= threshold:
                        risks.append({"kind": kind, "terms": [], "model": round(p, 4)})
                    elif self._config["near_ratio"] > 0 and p >= self._config["near_ratio"] * threshold:
                        near_kinds.append({"kind": kind, "model": round(p, 4), "threshold": round(threshold, 4)})
            message.set(RISKS_KEY, risks, add_to_output=True)
            message.set(RISKS_NEAR_KEY, near_kinds)
        return messages

    def _nearest(self, message: Message) -> Dict[str, float]:
        """Per kind, the message's weighted nearest-neighbour evidence, summed over the sources
        (empty when it is off: no table was stored, or its weight is 0, or the message has no row)."""
        total: Dict[str, float] = {}
        for source, weight in self._sources().items():
            table = self._neighbours.get(source)
            row = None if table is None else self._row(message, source)
            if table is None or row is None:
                continue
            for kind, value in table.scores(row).items():
                total[kind] = total.get(kind, 0.0) + weight * float(value[0])
        return total


class _KindFit:
    """One risk kind's logistic fit on every row and, with `splits`, its out-of-fold decision
    values (each fold starting from the fit on every row): (weights, bias, scores or None). A
    plain object, so that it runs in a worker process."""

    def __init__(self, model: LogisticRegression, C: float, seed: int, matrix: Any, labels: np.ndarray,
                 splits: Optional[Any]) -> None:
        self.model, self.C, self.seed, self.matrix, self.labels, self.splits = model, C, seed, matrix, labels, splits

    def __call__(self) -> tuple[np.ndarray, float, Optional[np.ndarray]]:
        model = self.model.fit(self.matrix, self.labels)
        weights, bias = np.ascontiguousarray(model.coef_.ravel()), float(model.intercept_[0])
        if self.splits is None:
            return weights, bias, None
        fold_fit = Logistic(self.C, "decision_function", self.seed, Logistic.starting_from(model))
        return weights, bias, out_of_fold(fold_fit, self.matrix, self.labels, splits=self.splits)


def training_kinds(message: Message, matcher: RiskMatcher) -> set[str]:
    """The kinds an example teaches: the trainer's label, else what the lexicon finds in it.
    `risk: none` wins over the lexicon: "my sister is a journalist and loves your bags" holds a
    media word and teaches the model that such a sentence is no threat."""
    if example_label(message, RISK_LABEL) == "none":
        return set()
    return set(matcher.kinds_in(message.get(TEXT) or "")) | labelled_kinds(message)


def labelled_kinds(message: Message) -> set[str]:
    """The risk kinds a trainer put on the example (`risk: kind` or a list; `none` is none)."""
    label = example_label(message, RISK_LABEL)
    if label is None:
        return set()
    kinds = {k.strip(" '\"[]") for k in label.split(",")}
    return {k for k in kinds if k in LEARNED}
