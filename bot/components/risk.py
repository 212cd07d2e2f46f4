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
training examples against the calm complaints. It is added before calibration, out of fold as
the linear score is, so the thresholds are chosen for the sum.
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
from bot.components.calibration import Calibration, Logistic, calibrate, out_of_fold, stratified_splits
from bot.components.emotion import example_label
from bot.components.features import dense_sentence_vector, sentence_features, sigmoid
from bot.components.pickled import PickledComponent
from shop.lexicon import fingerprint, read_lexicon
from shop.risk import KINDS, RiskMatcher

LEARNED = ("safety_health", "legal_threat", "regulator", "media", "fraud_account", "repeat_contact")

RISKS_KEY = "risks"
RISK_LABEL = "risk"
# The trained state: the lexicon read at training time, and per learned kind (weights, bias, and
# the calibration of its score when training had enough examples for held-out folds).
Learned = tuple[np.ndarray, float] | tuple[np.ndarray, float, Calibration]
# ... and the stored sentence vectors of the nearest-neighbour evidence (None when it is off).
RiskState = tuple[Dict[str, Any], Dict[str, Learned], Optional[neighbours.Neighbours]]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class RiskExtractor(PickledComponent[RiskState]):
    FILE = "risk_lexicon.pkl"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # threshold: probability from which the model reports a kind the lexicon did not find;
        # (used when a kind is not calibrated); min_examples: a kind is learned only with at least
        # this many positive examples; calibration_folds, beta: the held-out calibration (0: none);
        # neighbour_weight: the weight of the nearest-neighbour evidence over the
        # `neighbour_featurizer` vectors (0: off), `neighbours` of them per side.
        return {"lexicon": "nlu_data/lexicons/risk.yml", "featurizers": ["ngrams"], "threshold": 0.5, "C": 4.0,
                "min_examples": 10, "random_seed": 42, "calibration_folds": 3, "beta": 1.0, "jobs": 2,
                "neighbour_featurizer": "use", "neighbours": 5, "neighbour_weight": 0.0}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        path = Path(config.get("lexicon") or cls.get_default_config()["lexicon"])
        return fingerprint(path) if path.exists() else None

    def _use(self, trained: Optional[RiskState]) -> None:
        lexicon, models, nearest = trained if trained is not None else (None, {}, None)
        self._matcher = RiskMatcher(lexicon) if lexicon is not None else None
        self._models = models
        self._neighbours = nearest

    def train(self, training_data: TrainingData) -> Resource:
        lexicon = read_lexicon(Path(self._config["lexicon"]), KINDS)
        matcher = RiskMatcher(lexicon)
        rows, found, vectors, calm = [], [], [], []
        for message in training_data.intent_examples:
            features = sentence_features(message, self._config["featurizers"])
            if features is not None:
                rows.append(features)
                found.append(training_kinds(message, matcher))
                vectors.append(self._vector(message))
                calm.append(str(message.get(INTENT) or "").startswith("complain_") and not found[-1])
        models: Dict[str, Learned] = {}
        nearest = None
        if rows:
            matrix = scipy.sparse.vstack(rows).tocsr()
            weight = self._config["neighbour_weight"]
            present = [v for v in vectors if v is not None]
            dense = np.vstack(present) if weight and len(present) == len(vectors) else None
            negatives = np.array(calm)
            masks: Dict[str, np.ndarray] = {}
            for kind in LEARNED:
                labels = [int(kind in kinds) for kinds in found]
                if sum(labels) < self._config["min_examples"]:
                    continue
                masks[kind] = np.array(labels, dtype=bool)
                model = self._model().fit(matrix, labels)
                weights, bias = np.ascontiguousarray(model.coef_.ravel()), float(model.intercept_[0])
                folds = self._config["calibration_folds"]
                if folds >= 2 and sum(labels) >= 2 * folds:
                    seed = self._config["random_seed"]
                    splits = stratified_splits(labels, folds, seed)
                    fold_fit = Logistic(self._config["C"], "decision_function", seed, Logistic.starting_from(model))
                    scores = out_of_fold(fold_fit, matrix, labels, jobs=self._config["jobs"], splits=splits)
                    if dense is not None:
                        scores = scores + weight * neighbours.out_of_fold(
                            dense, masks[kind], negatives, splits, self._config["neighbours"])
                    models[kind] = (weights, bias, calibrate(scores, labels, self._config["beta"]))
                else:
                    models[kind] = (weights, bias)
            if dense is not None and masks:
                nearest = neighbours.Neighbours.of(dense, masks, negatives, self._config["neighbours"])
        return self._persist((lexicon, models, nearest))

    def _vector(self, message: Message) -> Optional[np.ndarray]:
        """The message's sentence vector for the nearest-neighbour evidence (None when it is off)."""
        if not self._config["neighbour_weight"]:
            return None
        return dense_sentence_vector(message, self._config["neighbour_featurizer"])

    def _model(self) -> LogisticRegression:
        return LogisticRegression(C=self._config["C"], class_weight="balanced", max_iter=3000,
                                  random_state=self._config["random_seed"])

    def process(self, messages: List[Message]) -> List[Message]:
        if self._matcher is None:
            return messages
        for message in messages:
            evidence = self._matcher.evidence(message.get(TEXT) or "")
            risks: List[Dict[str, Any]] = [{"kind": kind, "terms": terms} for kind, terms in evidence.items()]
            features = sentence_features(message, self._config["featurizers"]) if self._models else None
            if features is not None:
                near = self._nearest(message)
                for kind, learned in self._models.items():
                    if kind in evidence:
                        continue
                    score = float(features @ learned[0]) + learned[1]
                    if kind in near:
                        score += self._config["neighbour_weight"] * float(near[kind][0])
                    if len(learned) == 3:
                        calibration = learned[2]
                        p, threshold = calibration.probability(score), calibration.threshold
                    else:
                        p, threshold = sigmoid(score), self._config["threshold"]
                    if p >= threshold:
                        risks.append({"kind": kind, "terms": [], "model": round(p, 4)})
            message.set(RISKS_KEY, risks, add_to_output=True)
        return messages

    def _nearest(self, message: Message) -> Dict[str, np.ndarray]:
        """Per kind, the message's nearest-neighbour evidence (empty when it is off: no table was
        stored, or the weight is 0 and `_vector` reads none)."""
        table = self._neighbours
        vector = None if table is None else self._vector(message)
        return {} if table is None or vector is None else table.scores(vector)


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
