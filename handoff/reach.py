"""Whether the customer of a case can still be written to, asked before an agent's reply is sent.

WeChat lets the shop write to a customer only within 48 hours of the customer's last message
(core/reach.py). The WeChat channel records that time in Redis; here it is read, so an agent
writing after the window learns at once that the customer can no longer be reached (409
`customer_unreachable`, a note in the case) instead of a reply that vanishes. Channels without a
window, an unknown time and a Redis outage all count as reachable: the channel then reports
WeChat's own refusal as a failed delivery.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Optional

import redis
import redis.asyncio as aioredis

from core.reach import last_inbound_key, reply_window, unreachable_since

log = logging.getLogger("handoff.service")


async def unreachable(redis_url: str, conversation: str, now: Optional[float] = None) -> Optional[str]:
    """Why the customer of `conversation` cannot be reached (a message for the agent), or None."""
    if reply_window(conversation) is None:
        return None
    client = aioredis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0,
                                     decode_responses=True)
    try:
        raw = await client.get(last_inbound_key(conversation))
    except (redis.RedisError, OSError) as exc:
        log.warning("could not read the last message time of %s: %s", conversation, exc)
        return None
    finally:
        await client.close()
    try:
        last = float(raw) if raw else None
    except ValueError:
        last = None
    closed = unreachable_since(conversation, last, time.time() if now is None else now)
    if closed is None or last is None:
        return None
    when = datetime.fromtimestamp(last, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    hours = int((reply_window(conversation) or 0) // 3600)
    return (f"客户最后一条微信消息在 {when}，已超过 {hours} 小时，微信不再允许向其发送消息；客户再次来信后才能回复。"
            f" / The customer's last WeChat message was at {when}, more than {hours} hours ago: WeChat no longer "
            "lets the shop write to them until they write again.")
