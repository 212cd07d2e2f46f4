"""Whether a channel may still write to a customer: WeChat lets an Official Account send
customer-service messages (客服消息) only within 48 hours of the customer's last message, and
answers errcode 45015 after that.

The channel (connectors/wechat) records each customer's last inbound time in Redis under
`last_inbound_key`; the handoff service reads it before delivering an agent's reply, so the agent
is told "the customer can no longer be reached" instead of writing into the void. Both sides import
this module (core), so the key and the window have one definition.
"""

from __future__ import annotations

from typing import Optional

from core.channels import channel_of

# Rasa channel name → how long after the customer's last message the shop may still write (seconds)
REPLY_WINDOWS: dict[str, float] = {"wechat": 48 * 3600.0}
LAST_INBOUND_TTL = 7 * 86_400  # kept a while past the window, so "unreachable" is known, not guessed


def last_inbound_key(conversation: str) -> str:
    """The Redis key holding the Unix time of the customer's last message in `conversation`."""
    return f"reach:last_inbound:{conversation}"


def reply_window(conversation: str) -> Optional[float]:
    """The channel's window in seconds, None for channels that may write at any time."""
    channel = channel_of(conversation)
    return REPLY_WINDOWS.get(channel) if channel else None


def unreachable_since(conversation: str, last_inbound: Optional[float], now: float) -> Optional[float]:
    """When the window closed (Unix time), or None while the customer can be reached. An unknown
    last inbound time counts as reachable: the channel itself then reports the refusal."""
    window = reply_window(conversation)
    if window is None or last_inbound is None:
        return None
    closed = last_inbound + window
    return closed if now >= closed else None
