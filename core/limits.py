"""How much one customer, one address and the whole shop may send: rate limits counted in Redis.

Every Rasa worker and every handoff worker must count against the same numbers, or a customer
could send N times the limit by landing on N processes; so the counts live in Redis, through
the `limits` library (moving windows, one Lua script per hit), not in process memory. The rules
themselves are settings (`rate_per_conversation`, `rate_per_ip`, `rate_new_cases`, in the
`limits` notation "20/minute"); this module names them once so every door uses the same keys.

When Redis cannot be reached the limiter lets the request through: a limit protects the service,
and refusing every customer because the counter is down would be the outage it guards against.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Optional

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from core.settings import Settings

logger = logging.getLogger(__name__)

NAMESPACE = "shop:limit"  # every key of a limit starts here (limits adds its own prefix to it)
RULES = ("conversation", "ip", "new_case")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int = 0  # when refused: seconds until the window lets one more through


class RateLimiter:
    """One per process: `hit(rule, key)` counts one event and says whether it was allowed."""

    def __init__(self, redis_url: str, rules: dict[str, str]) -> None:
        unknown = set(rules) - set(RULES)
        if unknown:
            raise ValueError(f"unknown rate-limit rules: {sorted(unknown)}")
        self._items: dict[str, RateLimitItem] = {name: parse(spec) for name, spec in rules.items()}
        self._storage = storage_from_string(redis_url)  # kept: the strategy holds only a weak reference
        self._limiter = MovingWindowRateLimiter(self._storage)

    @classmethod
    def from_settings(cls, settings: Settings) -> "RateLimiter":
        return cls(settings.redis_url, {"conversation": settings.rate_per_conversation,
                                        "ip": settings.rate_per_ip, "new_case": settings.rate_new_cases})

    def rule(self, name: str) -> RateLimitItem:
        return self._items[name]

    def hit(self, rule: str, key: str = "all") -> Verdict:
        """Counts one event of `rule` for `key` (a conversation id, an address, or "all")."""
        item = self._items[rule]
        try:
            if self._limiter.hit(item, NAMESPACE, rule, key):
                return Verdict(True)
            reset_at, _ = self._limiter.get_window_stats(item, NAMESPACE, rule, key)
        except Exception as error:  # any Redis failure: fail open, say so in the log
            logger.warning("rate limit %s not counted (Redis: %s); letting it through", rule, error)
            return Verdict(True)
        return Verdict(False, max(1, int(reset_at - time.time())))

    def reset(self, rule: str, key: str = "all") -> None:
        """Forgets the count (tests, and a supervisor lifting a block)."""
        try:
            self._limiter.clear(self._items[rule], NAMESPACE, rule, key)
        except Exception as error:
            logger.warning("rate limit %s not reset: %s", rule, error)


def client_address(peer: Optional[str], forwarded_for: Optional[str], trusted: tuple[str, ...]) -> str:
    """The customer's address: the peer's, unless the peer is a trusted proxy (nginx on loopback),
    in which case the last address it appended to X-Forwarded-For. Earlier entries are written by
    the client itself and are never believed."""
    peer = (peer or "").strip() or "unknown"
    if peer in trusted and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return peer
