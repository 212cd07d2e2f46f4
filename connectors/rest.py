"""Rasa's REST and callback channels as a door for the shop's own servers, not for the public.

Rasa's `RestInput` takes the conversation id from the body's `sender` and the channel name from
the body's `input_channel`: a caller could name any conversation of any channel, e.g. a widget's
(docs/security.md, "Conversation hijack"). Here

- the sender is namespaced: `rest:<sender>` (`callback:<sender>` on the callback channel), so a
  REST caller reaches only REST conversations, and an agent's reply to one goes back to REST;
- the channel is always this one (the body's `input_channel` is ignored);
- a caller that is not on this machine must show `Authorization: Bearer <REST_TOKEN>`. The
  shop's own server on the same machine and the README's curl examples (loopback) need none.
  A request that came through a proxy counts as coming from the address the proxy names
  (core.limits.client_address), so nginx on loopback does not make the internet loopback.

In `credentials.yml`: `connectors.rest.ShopRestInput:` (path /webhooks/rest/webhook, as before).
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.callback import CallbackInput
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core import settings
from core.channels import conversation_id
from core.limits import client_address


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def refusal(request: Request, config: settings.Settings) -> Optional[HTTPResponse]:
    """None when the caller may use the channel, else the JSON answer that says why not."""
    caller = client_address(request.ip, request.headers.get("x-forwarded-for"), config.trusted_proxies)
    if is_loopback(caller):
        return None
    if not config.rest_token:
        return response.json({"error": "rest_token_not_configured",
                              "message": "This channel answers only the shop's own servers on this machine. "
                                         "Set REST_TOKEN to let other servers call it with "
                                         "'Authorization: Bearer <REST_TOKEN>'."}, status=403)
    scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), config.rest_token.encode()):
        return response.json({"error": "rest_token_required",
                              "message": "Send 'Authorization: Bearer <REST_TOKEN>'."}, status=401,
                             headers={"WWW-Authenticate": "Bearer"})
    return None


def malformed(request: Request) -> Optional[HTTPResponse]:
    """A clear 400 for a message Rasa would fail on with a 500 (a body that is not a JSON object
    with a `sender` and a text `message`), before it costs anything."""
    if request.method != "POST":
        return None
    try:
        body = request.json
    except Exception:  # Sanic raises its own InvalidUsage for text that is not JSON
        body = None
    sender = body.get("sender") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(sender, str | int) or isinstance(sender, bool) \
            or str(sender).strip() == "" or not isinstance(body.get("message"), str):
        return response.json({"error": "bad_request",
                              "message": "Send a JSON object: {\"sender\": \"<id>\", \"message\": \"<text>\"}."},
                             status=400)
    return None


def namespaced_sender(channel: str, request: Request) -> Optional[str]:
    """`<prefix>:<sender>` for the body's sender (checked to be there by `malformed`)."""
    sender = request.json.get("sender") if isinstance(request.json, dict) else None
    return conversation_id(channel, str(sender)) if sender not in (None, "") else None


def guarded(blueprint: Blueprint) -> Blueprint:
    """Every route of the channel's blueprint first checks the caller (the health GET too: it
    tells an outsider nothing, but nothing of this door is for outsiders)."""

    @blueprint.middleware("request")
    async def check_caller(request: Request) -> Optional[HTTPResponse]:
        return refusal(request, settings.load()) or malformed(request)

    return blueprint


class ShopRestInput(RestInput):
    """Rasa's REST channel (`rest`, /webhooks/rest/webhook) with namespaced senders and the
    caller check."""

    async def _extract_sender(self, req: Request) -> Optional[str]:
        return namespaced_sender(self.name(), req)

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()  # never the caller's choice: the reply route depends on it

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        return guarded(super().blueprint(on_new_message))


class ShopCallbackInput(CallbackInput):
    """Rasa's callback channel (`callback`), the same way: senders are `callback:<sender>` and
    callers off this machine need the REST token."""

    async def _extract_sender(self, req: Request) -> Optional[str]:
        return namespaced_sender(self.name(), req)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return guarded(super().blueprint(on_new_message))
