"""Rasa's ticket lock, kept in Redis by scripts that run atomically: one worker per conversation.

Rasa 3.6's `RedisLockStore` keeps each conversation's lock as one JSON string and changes it by
GET, edit in Python, SET (RasaHQ/rasa issue 9213). Two Sanic workers that receive a message for
the same conversation at the same moment both read "no tickets", both issue ticket 0 and both
go ahead: the conversation is handled twice at once and one tracker save overwrites the other.
Releasing races the same way: a worker that removes its finished ticket writes back a list
without the ticket another worker issued meanwhile, and that worker's wait ends in a `LockError`.

Here every change is one Lua script, which Redis runs without interleaving:

- `<prefix><conversation>:seq` is the ticket counter (INCR: no two workers get the same number);
- `<prefix><conversation>:tickets` is a sorted set, score = ticket number, member =
  "number:expires" (expiry in Redis's own clock, so workers on several machines agree);
- issuing drops expired tickets and adds the new one; finishing removes one ticket and deletes
  both keys once nobody waits; both keys carry a TTL, so a crashed worker leaves nothing behind.

The waiting itself is Rasa's (`LockStore._acquire_lock`): read the lock, served when ours is the
lowest ticket, else sleep and retry. Endpoints (tools/endpoints.py writes them):

    lock_store:
      type: bot.lock_store.AtomicRedisLockStore
      url: localhost
      port: 6379
      db: 1
"""

from __future__ import annotations

import logging
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot import guard

logger = logging.getLogger(__name__)

# Every worker that serves conversations creates this lock store: the customer-message gate is
# put in front of Agent.handle_message here (bot/guard.py says why here).
guard.install()

# Rasa waits 1 s between looks at a busy lock; a message queued behind another one in the same
# conversation (a quick reply clicked while an agent's message is being posted) would wait up to
# that long for nothing. A look is one small Redis read.
POLL_SECONDS = 0.05

_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "
_PURGE = (
    "for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do "
    "  if tonumber(string.match(m, ':(.+)$')) < now then redis.call('ZREM', KEYS[1], m) end "
    "end "
)

# KEYS: tickets, seq; ARGV: lifetime (s). Returns the new ticket's number.
ISSUE = _NOW + _PURGE + """
local number = redis.call('INCR', KEYS[2])
local lifetime = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], number, number .. ':' .. string.format('%.6f', now + lifetime))
local ttl = math.ceil(lifetime) + 60
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
return number
"""

# KEYS: tickets, seq; ARGV: ticket number. Returns 1 if the lock is gone (nobody waits).
FINISH = _NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
""" + _PURGE + """
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
"""

# KEYS: tickets
PURGE = _NOW + _PURGE + "return redis.call('ZCARD', KEYS[1])"


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` whose tickets are issued and returned by atomic Redis scripts."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        """Rasa builds a custom lock store as `cls(endpoint_config=...)`; tests pass keywords."""
        options: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        if endpoint_config is not None and endpoint_config.url:
            options["host"] = endpoint_config.url
        options.update(kwargs)
        options.pop("type", None)
        super().__init__(**options)
        self._issue = self.red.register_script(ISSUE)
        self._finish = self.red.register_script(FINISH)
        self._purge = self.red.register_script(PURGE)

    def _keys(self, conversation_id: str) -> tuple[str, str]:
        base = self.key_prefix + conversation_id
        return f"{base}:tickets", f"{base}:seq"

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return int(self._issue(keys=list(self._keys(conversation_id)), args=[float(lock_lifetime)]))
        except Exception as e:  # as Rasa's: the caller (Agent, server) knows LockError
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        members = self.red.zrange(self._keys(conversation_id)[0], 0, -1)
        if not members:
            return None
        tickets = []
        for member in members:
            number, expires = (member.decode() if isinstance(member, bytes) else member).split(":", 1)
            tickets.append(Ticket(int(number), float(expires)))
        return TicketLock(conversation_id, deque(tickets))

    def save_lock(self, lock: TicketLock) -> None:
        """Rasa's read-modify-write path; nothing of Rasa's reaches it any more (all overridden)."""
        tickets, _ = self._keys(lock.conversation_id)
        with self.red.pipeline(transaction=True) as pipe:
            pipe.delete(tickets)
            for ticket in lock.tickets:
                pipe.zadd(tickets, {f"{ticket.number}:{ticket.expires:.6f}": ticket.number})
            pipe.expire(tickets, int(LOCK_LIFETIME) + 60)
            pipe.execute()

    def delete_lock(self, conversation_id: str) -> None:
        self._log_deletion(conversation_id, bool(self.red.delete(*self._keys(conversation_id))))

    def update_lock(self, conversation_id: str) -> None:
        self._purge(keys=[self._keys(conversation_id)[0]])

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._finish(keys=list(self._keys(conversation_id)), args=[int(ticket_number)])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Return the ticket; the lock's keys go with the last ticket, in the same script."""
        self.finish_serving(conversation_id, ticket_number)

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = POLL_SECONDS) -> AsyncGenerator[TicketLock, None]:
        """Rasa's `lock`, polling a busy lock every `POLL_SECONDS` instead of every second."""
        async with super().lock(conversation_id, lock_lifetime, wait_time_in_seconds) as ticket_lock:
            yield ticket_lock
