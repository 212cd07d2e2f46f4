"""A linear intent classifier over the same sparse features DIET reads, combined with DIET.

On this data a linear SVM over word and character n-grams is more accurate than DIET alone
(see docs/benchmarks.md) and costs microseconds per message; DIET contributes the similarity
it learned. The final ranking is a weighted mix of both, so the FallbackClassifier after it
sees one calibrated confidence.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.svm import LinearSVC

from bot.components.features import sentence_features, softmax
from bot.components.intent_data import intent_examples
from bot.components.pickled import PickledComponent


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(PickledComponent[LinearSVC], IntentClassifier):
    FILE = "linear_intent.pkl"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # featurizers: whose sentence features to read (aliases; empty = all);
        # C: SVM regularisation; scale: decision values → softmax sharpness;
        # weight: share of the linear model in the mix with DIET's ranking.
        return {"featurizers": ["ngrams"], "C": 2.0, "scale": 8.0, "weight": 0.5, "ranking_length": 10,
                "random_seed": 42}

    def _use(self, model: Optional[LinearSVC]) -> None:
        # Keep the weights as plain arrays: a sparse row times a dense matrix is microseconds,
        # sklearn's decision_function with its checks is a millisecond.
        self._model = model
        if model is not None:
            self._labels = list(model.classes_)
            self._weights = np.ascontiguousarray(model.coef_.T)
            self._intercept = model.intercept_

    def train(self, training_data: TrainingData) -> Resource:
        rows, labels = [], []
        for message in intent_examples(training_data):  # not the examples written for a head only
            features = sentence_features(message, self._config["featurizers"])
            if features is not None:
                rows.append(features)
                labels.append(message.get(INTENT))
        model = LinearSVC(C=self._config["C"], random_state=self._config["random_seed"])
        model.fit(scipy.sparse.vstack(rows).tocsr(), labels)
        return self._persist(model)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            features = sentence_features(message, self._config["featurizers"])
            if self._model is None or features is None:
                continue
            scores = np.asarray(features @ self._weights).ravel() + self._intercept
            linear = softmax(self._config["scale"] * scores)
            mixed = dict(zip(self._model.classes_, self._config["weight"] * linear, strict=False))
            ranking = message.get(INTENT_RANKING_KEY) or []
            diet_share = 1.0 - self._config["weight"] if ranking else 0.0
            if not ranking:
                mixed = dict(zip(self._model.classes_, linear, strict=False))
            for entry in ranking:
                name = entry[INTENT_NAME_KEY]
                mixed[name] = mixed.get(name, 0.0) + diet_share * float(entry[PREDICTED_CONFIDENCE_KEY])
            ordered = sorted(mixed.items(), key=lambda item: -item[1])[: self._config["ranking_length"]]
            top, confidence = ordered[0]
            message.set(INTENT, {INTENT_NAME_KEY: top, PREDICTED_CONFIDENCE_KEY: float(confidence)},
                        add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: float(c)}
                                             for n, c in ordered], add_to_output=True)
        return messages
