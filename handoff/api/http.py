"""What every route of the agents' API shares: the services it works with, JSON errors and
request bodies, and a way to run the desk's database calls off the event loop."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Optional, TypeVar

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from handoff.desk import Desk
from handoff.rasa_client import RasaClient
from handoff.texts import HandoffTextsFile

T = TypeVar("T")
MAX_TEXT = 4000


@dataclass(frozen=True)
class Services:
    """What the routes work with, kept on `app.ctx.services` (one app, one desk)."""

    desk: Desk
    rasa: RasaClient
    texts: HandoffTextsFile
    redis_url: str  # the live feed (/events) listens on its own connection
    presence_ttl: int = 90  # an agent counts as online this long after a request


def services(request: Request) -> Services:
    return services_of(request.app)


def services_of(app: Sanic) -> Services:
    found = app.ctx.services
    if not isinstance(found, Services):
        raise RuntimeError("the app was not built by handoff.api.app.create_app")
    return found


class ApiError(Exception):
    """A refusal the client can act on: an HTTP status, a stable code and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error(status: int, code: str, message: str) -> HTTPResponse:
    return json_response({"error": {"code": code, "message": message}}, status=status)


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Database calls run in a thread so a slow write never stalls the other agents' requests."""
    return await asyncio.to_thread(partial(fn, *args, **kwargs))


def body_of(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object")
    return data


def clean_text(value: str) -> str:
    """An agent's text without control characters (NUL, escapes, bidi overrides stay out of the
    customer's chat and of PostgreSQL, which refuses NUL); line breaks and tabs stay."""
    return "".join(ch for ch in value if ch in "\n\t" or (ch.isprintable() and not _invisible(ch)))


def _invisible(ch: str) -> bool:
    return 0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069  # bidi embeddings and isolates


def text_field(data: dict[str, Any], name: str = "text", required: bool = True) -> str:
    """A string field of the body, cleaned (`clean_text`); 422 if required and empty."""
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ApiError(422, "invalid", f"`{name}` must be a string")
    if len(value) > MAX_TEXT:
        raise ApiError(422, "too_long", f"`{name}` is {len(value)} characters; the limit is {MAX_TEXT}")
    value = clean_text(value.replace("\r\n", "\n").replace("\r", "\n"))
    if required and not value.strip():
        raise ApiError(422, "invalid", f"`{name}` must be a non-empty string")
    return value


def name_field(data: dict[str, Any], name: str) -> Optional[str]:
    """A name the body refers to (a team, an agent): a short printable string, or absent."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64 or not value.isprintable() or not value.strip():
        raise ApiError(422, "invalid", f"`{name}` must be a name (1 to 64 printable characters)")
    return value.strip()


def header_key(request: Request, data: dict[str, Any]) -> Optional[str]:
    """The request's Idempotency-Key header (or `client_message_id` in the body), if any."""
    key = request.headers.get("idempotency-key") or data.get("client_message_id")
    if key is None or key == "":
        return None
    if not isinstance(key, str | int) or isinstance(key, bool) or len(str(key)) > 200:
        raise ApiError(422, "invalid", "an idempotency key is a string of at most 200 characters")
    return str(key)
