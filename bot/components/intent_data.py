"""Which training examples the intent classifiers learn from.

Some examples are written for a head, not for the intents: everyday posts that teach the emotion
head how people outside a service desk sound. Filed under an intent (Rasa needs one), they pulled
held-out intent accuracy down when the intent classifiers learned them too (stop 26,
docs/emotion_choices.md), so `metadata: {intent_training: false}` keeps an example away from
both intent classifiers (`LinearIntentClassifier` and `ShopDIETClassifier`) while the emotion,
complaint, risk and severity heads still read it.
"""

from __future__ import annotations

from typing import List

from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.emotion import example_label

INTENT_TRAINING_KEY = "intent_training"


def learns_intent(message: Message) -> bool:
    """False only when the trainer wrote `intent_training: false` in the example's metadata."""
    value = example_label(message, INTENT_TRAINING_KEY)  # YAML's false arrives as "False"
    return value is None or value.strip().lower() != "false"


def intent_examples(training_data: TrainingData) -> List[Message]:
    """The intent examples an intent classifier learns from."""
    return [message for message in training_data.intent_examples if learns_intent(message)]


def for_intents(training_data: TrainingData) -> TrainingData:
    """The training data without the examples kept from the intent classifiers (the same data
    object when there are none, so nothing is copied in the usual case)."""
    kept = [m for m in training_data.training_examples if learns_intent(m)]
    if len(kept) == len(training_data.training_examples):
        return training_data
    return TrainingData(training_examples=kept, entity_synonyms=training_data.entity_synonyms,
                        regex_features=training_data.regex_features, lookup_tables=training_data.lookup_tables,
                        responses=training_data.responses)
