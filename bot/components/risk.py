"""Risk signals (SPEC section 3) in the parse result: the trainers' lexicon, and a model that
carries it to wordings the lexicon lacks.

The lexicon is exact and explainable (the words that fired are reported). Customers describe
the same danger in endless ways ("账号被人登了", "someone got into my account"), so a linear
model per kind, trained on the n-grams of every training example with the lexicon's verdict as
its label, recognises paraphrases; its findings are reported with their probability and no
words, and the grader counts them only in complaints. The lexicon is stored in the model, and
editing it changes the fingerprint, so `rasa train` redoes this step after an edit.
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

from bot.components.features import sentence_features, sigmoid
from bot.components.pickled import PickledComponent
from shop.lexicon import fingerprint, read_lexicon
from shop.risk import KINDS, RiskMatcher

LEARNED = ("safety_health", "legal_threat", "regulator", "media", "fraud_account", "repeat_contact")

RISKS_KEY = "risks"
# The trained state: the lexicon read at training time, and per learned kind (weights, bias).
RiskState = tuple[Dict[str, Any], Dict[str, tuple[np.ndarray, float]]]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class RiskExtractor(PickledComponent[RiskState]):
    FILE = "risk_lexicon.pkl"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # threshold: probability from which the model reports a kind the lexicon did not find;
        # min_examples: a kind is learned only with at least this many lexicon matches in training.
        return {"lexicon": "nlu_data/lexicons/risk.yml", "featurizers": ["ngrams"], "threshold": 0.5, "C": 4.0,
                "min_examples": 10, "random_seed": 42}

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
                found.append(set(matcher.kinds_in(message.get(TEXT) or "")))
        models: Dict[str, tuple[np.ndarray, float]] = {}
        if rows:
            matrix = scipy.sparse.vstack(rows).tocsr()
            for kind in LEARNED:
                labels = [int(kind in kinds) for kinds in found]
                if sum(labels) < self._config["min_examples"]:
                    continue
                model = LogisticRegression(C=self._config["C"], class_weight="balanced", max_iter=3000,
                                           random_state=self._config["random_seed"])
                model.fit(matrix, labels)
                models[kind] = (np.ascontiguousarray(model.coef_.ravel()), float(model.intercept_[0]))
        return self._persist((lexicon, models))

    def process(self, messages: List[Message]) -> List[Message]:
        if self._matcher is None:
            return messages
        for message in messages:
            evidence = self._matcher.evidence(message.get(TEXT) or "")
            risks: List[Dict[str, Any]] = [{"kind": kind, "terms": terms} for kind, terms in evidence.items()]
            features = sentence_features(message, self._config["featurizers"]) if self._models else None
            if features is not None:
                for kind, (weights, bias) in self._models.items():
                    if kind in evidence:
                        continue
                    p = sigmoid(float(features @ weights) + bias)
                    if p >= self._config["threshold"]:
                        risks.append({"kind": kind, "terms": [], "model": round(p, 4)})
            message.set(RISKS_KEY, risks, add_to_output=True)
        return messages
