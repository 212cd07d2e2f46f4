"""Risk signals (SPEC section 3) in the parse result, from the trainers' lexicon.

Trainable only so that the lexicon is stored in the model: a model archive grades the same
way wherever it runs, and editing the lexicon changes the fingerprint, so `rasa train` redoes
this step (and nothing else) after an edit.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from shop.lexicon import fingerprint, read_lexicon
from shop.risk import KINDS, RiskMatcher

RISKS_KEY = "risks"
_FILE = "risk_lexicon.pkl"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class RiskExtractor(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"lexicon": "nlu_data/lexicons/risk.yml"}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        path = Path(config.get("lexicon") or cls.get_default_config()["lexicon"])
        return fingerprint(path) if path.exists() else None

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 lexicon: Optional[Dict[str, Any]] = None) -> None:
        self._config, self._storage, self._resource = config, model_storage, resource
        self._matcher = RiskMatcher(lexicon) if lexicon is not None else None

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RiskExtractor":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "RiskExtractor":
        with model_storage.read_from(resource) as directory:
            lexicon = pickle.loads((directory / _FILE).read_bytes())
        return cls(config, model_storage, resource, lexicon)

    def train(self, training_data: TrainingData) -> Resource:
        lexicon = read_lexicon(Path(self._config["lexicon"]), KINDS)
        self._matcher = RiskMatcher(lexicon)
        with self._storage.write_to(self._resource) as directory:
            (directory / _FILE).write_bytes(pickle.dumps(lexicon))
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if self._matcher is None:
            return messages
        for message in messages:
            evidence = self._matcher.evidence(message.get(TEXT) or "")
            message.set(RISKS_KEY, [{"kind": kind, "terms": terms} for kind, terms in evidence.items()],
                        add_to_output=True)
        return messages
