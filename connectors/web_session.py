"""The widget's session: a conversation id the server made, and a token that proves it.

Rasa's socket.io channel used to take the conversation id from the client (`session_request
{"session_id": ...}`), so anyone who knew or guessed an id could join that conversation and read
the agent's replies (docs/security.md, "Conversation hijack"). Now only the server makes ids
(`web:<uuid4 hex>`), and hands each to its widget with a token: an HMAC-SHA256 of the id under
the `session_secret` (core/secrets.py: SESSION_SECRET, else var/secrets/session_secret, the same
in every Rasa worker and across restarts). A widget that comes back presents the token and gets
its own conversation again; a made-up id, a token for another id or a forged token gets a new,
empty conversation. The token is the customer's key to the conversation and nothing else: it
names no person and expires with the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any, Optional

from core.channels import PREFIXES, SEPARATOR, conversation_id

CHANNEL = "socketio"
PURPOSE = b"shop-web-session:"  # the secret signs nothing else with this prefix
TOKEN_SEPARATOR = "."
MAX_TOKEN_CHARS = 200  # a real token is ~110 characters; anything longer is not worth hashing


def new_session_id() -> str:
    """A fresh, unguessable conversation id on the web channel: `web:<32 hex digits>`."""
    return conversation_id(CHANNEL, uuid.uuid4().hex)


def _signature(secret: str, session_id: str) -> str:
    return hmac.new(secret.encode("utf-8"), PURPOSE + session_id.encode("utf-8"), hashlib.sha256).hexdigest()


def token_for(secret: str, session_id: str) -> str:
    """The token a widget keeps for `session_id`: the id and its signature, so the token alone
    is enough to come back."""
    return f"{session_id}{TOKEN_SEPARATOR}{_signature(secret, session_id)}"


def verified_session(secret: str, token: Any) -> Optional[str]:
    """The conversation id `token` proves, or None when it proves nothing (missing, malformed,
    forged, signed with another secret, or naming an id of another channel)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    session_id, found, signature = token.rpartition(TOKEN_SEPARATOR)
    if not found or not session_id.startswith(PREFIXES[CHANNEL] + SEPARATOR):
        return None
    if not hmac.compare_digest(signature.encode("ascii", "replace"), _signature(secret, session_id).encode("ascii")):
        return None
    return session_id


def presented_token(data: Any) -> Optional[str]:
    """The token in a `session_request` payload: {"token": ...}; older widgets send only
    {"session_id": ...}, which is never believed."""
    if isinstance(data, dict):
        token = data.get("token")
        return token if isinstance(token, str) else None
    return None
