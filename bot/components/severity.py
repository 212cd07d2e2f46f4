"""Severity (预警 level), complaint and the first-message routing decision in the parse result.

It reads what the components before it found (intent, emotion, complaint score, risks) and
grades with the plain-Python rules of `shop.severity`; the only learned part is the impact of
a complaint (minor → `general`, material → `important`), trained on the `severity` labels
trainers put on complaint examples. The routing decision is SPEC section 4 for the message as
the first of a conversation; the actions route again with the conversation's history.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.components.calibration import head_logistic
from bot.components.emotion import COMPLAINT_CUTOFF_KEY, COMPLAINT_KEY, EMOTION_KEY, example_label
from bot.components.features import sentence_features, sigmoid
from bot.components.pickled import PickledComponent
from bot.components.risk import RISKS_KEY, RISKS_NEAR_KEY
from core.vocabulary import COMPLAINT_SEVERITIES, NEGATIVE_EMOTIONS, UPSET_CONFIDENCE
from shop.routing import route
from shop.severity import Impact, counts_near_risks, grade

SEVERITY_KEY = "severity"
COMPLAINT_FLAG = "complaint"
HANDOFF_KEY = "handoff"
ROUTE_KEY = "route"
# Intents that say nothing about a task: if their wording reads as a complaint, it is one.
NON_TASK = ("nlu_fallback", "out_of_scope", "praise", "thank", "affirm", "deny", "greet", "goodbye", "inform",
            "bot_challenge")
# Understood messages that are not about a problem: a risk word in them is usually another sense.
HARMLESS = ("praise", "thank", "greet", "goodbye", "affirm", "inform")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SeverityGrader(PickledComponent[LogisticRegression]):
    FILE = "impact.pkl"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # complaint_threshold: complaint score from which a non-task intent counts as a complaint,
        # unless the emotion classifier calibrated its score and chose the threshold on held-out folds
        # (the intent then becomes complain_general, so the dialogue treats it as one);
        # complaint_veto: calibrated complaint probability under which a complaint intent in a message
        # that is neither upset nor risky is not a complaint (0 = never; see `_doubted`);
        # intense: emotion confidence from which anger/anxiety raise the level.
        return {"featurizers": ["ngrams"], "C": 2.0, "complaint_threshold": 0.5, "override_intent": True,
                "complaint_veto": 0.0, "intense": UPSET_CONFIDENCE, "random_seed": 42}

    def _use(self, impact: Optional[LogisticRegression]) -> None:
        self._impact = impact
        if impact is not None:
            self._weights = np.ascontiguousarray(impact.coef_.ravel())
            self._bias = float(impact.intercept_[0])

    def train(self, training_data: TrainingData) -> Resource:
        rows, labels = [], []
        for message in training_data.intent_examples:
            label = example_label(message, SEVERITY_KEY)
            if label is None or not str(message.get(INTENT)).startswith("complain_"):
                continue
            if label not in COMPLAINT_SEVERITIES:
                raise ValueError(f"training example {message.get('text')!r}: severity {label!r} is not one of "
                                 f"{', '.join(COMPLAINT_SEVERITIES)}")
            features = sentence_features(message, self._config["featurizers"])
            if features is not None:
                rows.append(features)
                labels.append(int(label != "general"))
        impact = None
        if len(set(labels)) == 2:
            impact = head_logistic(self._config["C"], self._config["random_seed"])
            impact.fit(scipy.sparse.vstack(rows).tocsr(), labels)
        return self._persist(impact)

    def _impact_of(self, message: Message) -> Optional[Impact]:
        if self._impact is None:
            return None
        features = sentence_features(message, self._config["featurizers"])
        if features is None:
            return None
        p = sigmoid(float(features @ self._weights) + self._bias)
        return Impact("important", p) if p >= 0.5 else Impact("general", 1.0 - p)

    def _doubted(self, message: Message, score: Optional[float], emotion: Dict[str, Any],
                 found: List[Dict[str, Any]]) -> bool:
        """A complaint intent nothing else believes: the calibrated complaint head gives it less than
        `complaint_veto` (and less than its own cutoff), the customer is not upset and no risk was
        found. Why: the intent model reads topics, so "送餐很快，汤也很好喝" can land on
        complain_delivery; the head, which reads praise and blame, is the better judge of whether it
        is a complaint at all. Upset or risky messages keep their complaint whatever the head says,
        so severe and upset customers are never vetoed (chosen with families of training files held
        out; docs/emotion_choices.md)."""
        veto = float(self._config["complaint_veto"])
        cutoff = message.get(COMPLAINT_CUTOFF_KEY)
        if not veto or score is None or cutoff is None:  # an uncalibrated score is no probability
            return False
        return float(score) < min(veto, float(cutoff)) and emotion.get("name") not in NEGATIVE_EMOTIONS \
            and not found

    @staticmethod
    def _instead(message: Message) -> str:
        """The vetoed message's intent: the best-ranked one that is not a complaint (praise for the
        review above, a question for "where is my parcel"), so the dialogue answers what was said;
        the parse keeps the complaint intent it overrides."""
        for entry in message.get(INTENT_RANKING_KEY) or []:
            name = str(entry.get(INTENT_NAME_KEY) or "")
            if name and not name.startswith("complain_"):
                return SeverityGrader._override(message, name, float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0))
        return SeverityGrader._override(message, "nlu_fallback", 0.0)

    @staticmethod
    def _override(message: Message, intent: str, confidence: float) -> str:
        """Puts `intent` in the parse in place of the classifier's, which it names as `overrides`
        (both overrides, to and from a complaint, are recorded the same way for trainers)."""
        previous = message.get(INTENT) or {}
        message.set(INTENT, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: confidence,
                             "overrides": previous.get(INTENT_NAME_KEY)}, add_to_output=True)
        return intent

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY) or "nlu_fallback"
            emotion = message.get(EMOTION_KEY) or {}
            score = message.get(COMPLAINT_KEY)
            found = message.get(RISKS_KEY) or []
            cutoff = float(message.get(COMPLAINT_CUTOFF_KEY) or self._config["complaint_threshold"])
            complaint = intent.startswith("complain_")
            if complaint and self._doubted(message, score, emotion, found):
                complaint = False
                if self._config["override_intent"]:
                    intent = self._instead(message)
            # A complaint in other words: the wording reads as one and the customer is unhappy.
            worded = score is not None and score >= cutoff \
                and emotion.get("name") in NEGATIVE_EMOTIONS
            if not complaint and intent in NON_TASK and worded:
                complaint = True
                if self._config["override_intent"]:
                    intent = self._override(message, "complain_general", float(score))
            # Risk raises the level of a complaint (SPEC section 3), not of "my lawyer friend
            # recommended you, how long is delivery": the lexicon counts unless the message is
            # understood as a calm question, thanks or praise that does not read as a complaint
            # (out of scope and fallbacks keep it: there the lexicon is the safety net); the
            # model's paraphrase findings count only in complaints.
            complaint_like = complaint or (score is not None and score >= cutoff)
            harmless = (intent.startswith("query_") or intent in HARMLESS) \
                and emotion.get("name") not in NEGATIVE_EMOTIONS
            risks = [r["kind"] for r in found if complaint_like or ("model" not in r and not harmless)]
            sureness = float(emotion.get("confidence") or 0.0)
            if counts_near_risks(complaint, emotion.get("name"), sureness):
                risks += [r["kind"] for r in message.get(RISKS_NEAR_KEY) or [] if r["kind"] not in risks]
            result = grade(intent, emotion.get("name"), sureness, risks,
                           impact=self._impact_of(message) if complaint else None, complaint=complaint,
                           intense=self._config["intense"])
            decision = route(result.level, emotion.get("name"), intent,
                             emotion_confidence=sureness)
            message.set(SEVERITY_KEY, {"level": result.level, "reasons": result.reasons}, add_to_output=True)
            # SPEC §8: `complaint` is "the message is a complaint, whatever its category", so the
            # complaint head counts on its own here, also under a query or praise intent.
            message.set(COMPLAINT_FLAG, complaint_like or result.level != "none", add_to_output=True)
            message.set(HANDOFF_KEY, decision.action == "handoff", add_to_output=True)
            message.set(ROUTE_KEY, {"action": decision.action, "priority": decision.priority,
                                    "reason": decision.reason}, add_to_output=True)
        return messages
