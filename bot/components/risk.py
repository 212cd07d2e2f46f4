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
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.components.calibration import Calibration, Logistic, calibrate, out_of_fold
from bot.components.emotion import example_label
from bot.components.features import sentence_features, sigmoid
from bot.components.pickled import PickledComponent
from shop.lexicon import fingerprint, read_lexicon
from shop.risk import KINDS, RiskMatcher

LEARNED = ("safety_health", "legal_threat", "regulator", "media", "fraud_account", "repeat_contact")

RISKS_KEY = "risks"
RISK_LABEL = "risk"
# The trained state: the lexicon read at training time, and per learned kind (weights, bias, and
# the calibration of its score when training had enough examples for held-out folds).
Learned = tuple[np.ndarray, float] | tuple[np.ndarray, float, Calibration]
RiskState = tuple[Dict[str, Any], Dict[str, Learned]]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class RiskExtractor(PickledComponent[RiskState]):
    FILE = "risk_lexicon.pkl"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # threshold: probability from which the model reports a kind the lexicon did not find;
        # (used when a kind is not calibrated); min_examples: a kind is learned only with at least
        # this many positive examples; calibration_folds, beta: the held-out calibration (0: none).
        return {"lexicon": "nlu_data/lexicons/risk.yml", "featurizers": ["ngrams"], "threshold": 0.5, "C": 4.0,
                "min_examples": 10, "random_seed": 42, "calibration_folds": 3, "beta": 1.0, "jobs": 2}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        path = Path(config.get("lexicon") or cls.get_default_config()["lexicon"])
        return fingerprint(path) if path.exists() else None

    def _use(self, trained: Optional[RiskState]) -> None:
        lexicon, models = trained if trained is not None else (None, {})
        self._matcher = RiskMatcher(lexicon) if lexicon is not None else None
        self._models = models

    def train(self, training_data: TrainingData) -> Resource:
        lexicon = read_lexicon(Path(self._config["lexicon"]), KINDS)
        matcher = RiskMatcher(lexicon)
        rows, found = [], []
        for message in training_data.intent_examples:
            features = sentence_features(message, self._config["featurizers"])
            if features is not None:
                rows.append(features)
                found.append(training_kinds(message, matcher))
        models: Dict[str, Learned] = {}
        if rows:
            matrix = scipy.sparse.vstack(rows).tocsr()
            for kind in LEARNED:
                labels = [int(kind in kinds) for kinds in found]
                if sum(labels) < self._config["min_examples"]:
                    continue
                model = self._model().fit(matrix, labels)
                weights, bias = np.ascontiguousarray(model.coef_.ravel()), float(model.intercept_[0])
                folds = self._config["calibration_folds"]
                if folds >= 2 and sum(labels) >= 2 * folds:
                    seed = self._config["random_seed"]
                    fold_fit = Logistic(self._config["C"], "decision_function", seed, Logistic.starting_from(model))
                    scores = out_of_fold(fold_fit, matrix, labels, folds, seed, self._config["jobs"])
                    models[kind] = (weights, bias, calibrate(scores, labels, self._config["beta"]))
                else:
                    models[kind] = (weights, bias)
        return self._persist((lexicon, models))

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
                for kind, learned in self._models.items():
                    if kind in evidence:
                        continue
                    score = float(features @ learned[0]) + learned[1]
                    if len(learned) == 3:
                        calibration = learned[2]
                        p, threshold = calibration.probability(score), calibration.threshold
                    else:
                        p, threshold = sigmoid(score), self._config["threshold"]
                    if p >= threshold:
                        risks.append({"kind": kind, "terms": [], "model": round(p, 4)})
            message.set(RISKS_KEY, risks, add_to_output=True)
        return messages


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
