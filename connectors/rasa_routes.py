"""A fix to the routes of Rasa's HTTP API, which our channels apply when Rasa imports them.

Rasa's HTTP API takes the conversation id from the path, and Sanic 21.12 does not percent-decode
`path` parameters: a REST sender like "alice@example.com" or "客户 42" could never be reached by an
agent's reply (the API would address "alice%40example.com"). `unquote_conversation_ids` decodes
the `conversation_id` of every such route. It must run before Rasa builds its app; Rasa imports the
channels named in credentials.yml first, so a channel module applies it when it is imported.
"""

from __future__ import annotations

import functools
import urllib.parse
from typing import Any


def unquote_conversation_ids() -> None:
    """Makes every Sanic route with a `<conversation_id…>` parameter receive it percent-decoded;
    applying it twice changes nothing."""
    from sanic.mixins.routes import RouteMixin

    original = RouteMixin.route
    if getattr(original, "_unquotes_conversation_ids", False):
        return

    def route(self: Any, uri: str, *args: Any, **kwargs: Any) -> Any:
        decorator = original(self, uri, *args, **kwargs)
        if "<conversation_id" not in uri:
            return decorator

        def wrap(handler: Any) -> Any:
            @functools.wraps(handler)
            async def decoded(request: Any, *a: Any, **kw: Any) -> Any:
                if isinstance(kw.get("conversation_id"), str):
                    kw["conversation_id"] = urllib.parse.unquote(kw["conversation_id"])
                return await handler(request, *a, **kw)

            return decorator(decoded)

        return wrap

    route._unquotes_conversation_ids = True  # type: ignore[attr-defined]
    RouteMixin.route = route  # type: ignore[method-assign]
