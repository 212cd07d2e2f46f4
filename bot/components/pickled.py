"""A trainable graph component whose whole trained state is one pickled object.

Each of our trainable components trains something small (vectorizers, weight matrices, a
lexicon) that one pickle in its model-storage resource holds. This base does the Rasa side:
`create` starts untrained, `train` ends in `_persist`, `load` reads the pickle back. The
subclass names the file, trains, and says in `_use` how it reads the object at run time (usually
by unpacking it into plain arrays), so a freshly trained and a loaded component behave alike.
"""

from __future__ import annotations

import pickle
from abc import abstractmethod
from typing import Any, ClassVar, Dict, Generic, Optional, Type, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

Trained = TypeVar("Trained")
Component = TypeVar("Component", bound="PickledComponent[Any]")


class PickledComponent(Generic[Trained], GraphComponent):
    """Generic comes first so that a subclass may also derive from Rasa's featurizers (Generic
    before ABC in their order too)."""

    # The pickle's name inside the component's resource directory.
    FILE: ClassVar[str]

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 trained: Optional[Trained] = None) -> None:
        self._config, self._storage, self._resource = config, model_storage, resource
        self._use(trained)

    @abstractmethod
    def _use(self, trained: Optional[Trained]) -> None:
        """Takes the trained object (None: not trained) into use for `process`."""

    @classmethod
    def create(cls: Type[Component], config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> Component:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls: Type[Component], config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> Component:
        with model_storage.read_from(resource) as directory:
            trained = pickle.loads((directory / cls.FILE).read_bytes())
        return cls(config, model_storage, resource, trained)

    def _persist(self, trained: Optional[Trained]) -> Resource:
        """Uses the newly trained object and writes it to the model storage; `train` returns this."""
        self._use(trained)
        with self._storage.write_to(self._resource) as directory:
            (directory / self.FILE).write_bytes(pickle.dumps(trained))
        return self._resource
