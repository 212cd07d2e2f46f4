"""Per-message cost fixes for Rasa 3.6, applied when our NLU components load (in `rasa run`,
`rasa train`, `rasa test`). Both were found by profiling `rasa run` under load with py-spy.

1. Rasa validates every action-server response with `jsonschema.validate(result, schema)`, which
   re-checks the schema against the JSON Schema meta-schema on every call: about 74 % of the
   server's CPU per message. Here the schema is checked once and the compiled validator reused:
   the same checks on the response, the same `ValidationError` on a bad one.
2. Reading a tracker back from the tracker store resolves each event's class by walking every
   subclass of `Event` (`all_subclasses`), once per event: about 9 %. Here the name → class
   table is remembered and rebuilt only when a name is not in it (a class imported later).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Optional

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_event_types: Dict[str, Any] = {}


@lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    try:
        _validator().validate(result)
    except jsonschema.ValidationError as error:
        error.message += (". Failed to validate Action server response from API, make sure your response "
                          "from the Action endpoint is valid.")
        raise
    return True


def _resolve_by_type(type_name: str, default: Optional[Any] = None) -> Optional[Any]:
    cls = _event_types.get(type_name)
    if cls is None:
        for subclass in all_subclasses(Event):
            _event_types.setdefault(subclass.type_name, subclass)
        cls = _event_types.get(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None  # Rasa's own backwards compatibility for old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def apply() -> None:
    Event.resolve_by_type = staticmethod(_resolve_by_type)
    RemoteAction._validate_action_result = _validate_action_result

