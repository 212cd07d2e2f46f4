"""Conversation ids carry their channel: `web:…`, `telegram:…`, `wechat:…`, `rest:…`, `callback:…`.

A conversation id used to be whatever the client sent, so a widget could name a conversation
that someone else had started over REST and read the agent's replies to it (docs/security.md,
"Conversation hijack"). Now every channel builds the id itself, from something the customer
cannot choose for another channel: the widget's server-signed session, Telegram's chat id, the
REST caller's own sender (a shop server holding the REST token). Two channels can never name the
same conversation, an agent's reply goes to the channel the id names and nowhere else, and a
case shows where its customer is.

This is the one definition of those prefixes; channels, actions and the handoff service use it.
"""

from __future__ import annotations

from typing import Optional

SEPARATOR = ":"
# channel name as Rasa knows it (the `output_channel` of the HTTP API) → conversation-id prefix
PREFIXES: dict[str, str] = {
    "socketio": "web",
    "telegram": "telegram",
    "wechat": "wechat",
    "rest": "rest",
    "callback": "callback",
}
CHANNELS: dict[str, str] = {prefix: channel for channel, prefix in PREFIXES.items()}


def conversation_id(channel: str, local_id: str) -> str:
    """The id of the conversation `local_id` (chat id, session id, sender) on `channel`."""
    prefix = PREFIXES[channel]
    local = str(local_id)
    return local if local.startswith(prefix + SEPARATOR) else f"{prefix}{SEPARATOR}{local}"


def channel_of(conversation: str) -> Optional[str]:
    """The Rasa channel name a conversation id belongs to, None for an id without a known prefix."""
    prefix, found, _ = conversation.partition(SEPARATOR)
    return CHANNELS.get(prefix) if found else None


def local_id(conversation: str) -> str:
    """What the channel itself calls the conversation (the chat id for Telegram's Bot API)."""
    prefix, found, rest = conversation.partition(SEPARATOR)
    return rest if found and prefix in CHANNELS else conversation
