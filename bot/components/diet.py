"""Rasa's DIETClassifier, trained only on the examples meant for the intents.

The one change is which examples `train` sees (`bot.components.intent_data`): an example marked
`intent_training: false` is there for the emotion and other heads, and DIET learning its intent
moved held-out intent accuracy under its floor (stop 26, docs/emotion_choices.md). Everything
else, including how the model is persisted and loaded, is DIET's own.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.intent_data import for_intents


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
                           DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class ShopDIETClassifier(DIETClassifier):
    def train(self, training_data: TrainingData) -> Resource:
        return super().train(for_intents(training_data))
